/**
 * The entity store. Every committed change is kept as a version tagged with its block, so that queries can read
 * any indexed block (graph-node's `block: { number }`) and a chain reorganisation is undone by dropping the
 * versions above the common ancestor.
 *
 * Writes of a handler go to a scratch layer that is merged into the block's layer when the handler succeeds and
 * dropped when it fails; the block's layer becomes versions when the block is done. Mapping reads see the
 * scratch layer, then the block's, then the latest committed version, as graph-node's entity cache does.
 */
import { MappingError } from "./runtime/hostFunctions.ts";
import type { EntityData, StoreValue } from "./runtime/values.ts";
import { type EntityInfo, type SubgraphSchema, storeKindOf } from "./schema.ts";

export interface Version {
  block: number;
  /** The entity's fields, or null when it was removed at this block. */
  data: EntityData | null;
  /** The GraphQL layer's converted copy, computed once. */
  cache?: Record<string, unknown>;
}

type Layer = Map<string, Map<string, EntityData | null>>;

const NO_IDS: ReadonlySet<string> = new Set();

function describe(value: StoreValue): string {
  switch (value.kind) {
    case "Null":
      return "null";
    case "Bytes":
      return "0x" + Buffer.from(value.value).toString("hex");
    case "Array":
      return `[${value.value.map(describe).join(", ")}]`;
    default:
      return String(value.value);
  }
}

/** The ids a reference value names, as the GraphQL layer shows them (Bytes in 0x hex); other kinds name none. */
function referencedIds(value: StoreValue, into: string[] = []): string[] {
  if (value.kind === "String") into.push(value.value);
  else if (value.kind === "Bytes") into.push("0x" + Buffer.from(value.value).toString("hex"));
  else if (value.kind === "Array") for (const item of value.value) referencedIds(item, into);
  return into;
}

export class EntityStore {
  readonly schema: SubgraphSchema;
  private readonly tables = new Map<string, Map<string, Version[]>>();
  /**
   * Reverse references, so that a derived field reads the entities pointing to one entity instead of scanning
   * their whole table: for `Type.field`, each referenced id maps to the ids of the `Type` entities that referred
   * to it in any version. A version that stopped referring to it (or a reverted one) leaves its id behind: readers
   * check the version current at their block.
   */
  private readonly references = new Map<string, Map<string, Set<string>>>();
  private blockLayer: Layer = new Map();
  private handlerLayer: Layer = new Map();
  /** Number of versions written; a cheap measure of the store's size. */
  versionCount = 0;

  constructor(schema: SubgraphSchema) {
    this.schema = schema;
    for (const [name, info] of schema.entities) {
      this.tables.set(name, new Map());
      for (const field of info.fields.values()) {
        if (field.category === "entity" && !field.derivedFrom) this.references.set(`${name}.${field.name}`, new Map());
      }
    }
  }

  private addReferences(entityType: string, id: string, data: EntityData): void {
    for (const [name, value] of data) {
      const index = this.references.get(`${entityType}.${name}`);
      if (!index) continue;
      for (const target of referencedIds(value)) {
        let ids = index.get(target);
        if (!ids) index.set(target, (ids = new Set()));
        ids.add(id);
      }
    }
  }

  // ------------------------------------------------------------------------------------------ mapping API

  private entity(entityType: string): EntityInfo {
    const info = this.schema.entities.get(entityType);
    if (!info) throw new MappingError(`Entity type \`${entityType}\` is not defined in the schema`);
    return info;
  }

  private pending(layer: Layer, entityType: string, id: string): EntityData | null | undefined {
    return layer.get(entityType)?.get(id);
  }

  private committed(entityType: string, id: string): EntityData | null {
    const versions = this.tables.get(entityType)?.get(id);
    return versions ? versions[versions.length - 1].data : null;
  }

  /** The entity as the current handler sees it. */
  get(entityType: string, id: string): EntityData | undefined {
    this.entity(entityType);
    for (const layer of [this.handlerLayer, this.blockLayer]) {
      const data = this.pending(layer, entityType, id);
      if (data !== undefined) return data ?? undefined;
    }
    return this.committed(entityType, id) ?? undefined;
  }

  /** The entity only if it was written in the block being processed (store.get_in_block). */
  getInBlock(entityType: string, id: string): EntityData | undefined {
    this.entity(entityType);
    for (const layer of [this.handlerLayer, this.blockLayer]) {
      const data = this.pending(layer, entityType, id);
      if (data !== undefined) return data ?? undefined;
    }
    return undefined;
  }

  set(entityType: string, id: string, input: EntityData): void {
    const info = this.entity(entityType);
    const data = new Map(input);
    const idValue = data.get("id");
    if (idValue === undefined || idValue.kind === "Null") {
      data.set("id", { kind: "String", value: id });
    } else if (idValue.kind !== "String" || idValue.value !== id) {
      throw new MappingError(
        `Value of ${entityType} attribute 'id' conflicts with ID passed to \`store.set()\`: ${describe(idValue)} != ${id}`,
      );
    }
    this.validate(info, id, data);
    if (info.immutable && this.committed(entityType, id) !== null) {
      throw new MappingError(`Entity ${entityType}[${id}]: entity type \`${entityType}\` is immutable and cannot be updated`);
    }
    let table = this.handlerLayer.get(entityType);
    if (!table) this.handlerLayer.set(entityType, (table = new Map()));
    table.set(id, data);
  }

  remove(entityType: string, id: string): void {
    const info = this.entity(entityType);
    if (info.immutable)
      throw new MappingError(`Entity ${entityType}[${id}]: entity type \`${entityType}\` is immutable and cannot be removed`);
    let table = this.handlerLayer.get(entityType);
    if (!table) this.handlerLayer.set(entityType, (table = new Map()));
    table.set(id, null);
  }

  /** The entities of a derived field of `entityType` that point back to entity `id` (store.loadRelated). */
  loadRelated(entityType: string, id: string, field: string): EntityData[] {
    const info = this.entity(entityType);
    const derived = info.fields.get(field);
    if (!derived?.derivedFrom) throw new MappingError(`Entity ${entityType} has no derived field \`${field}\``);
    const related: EntityData[] = [];
    const seen = new Set<string>();
    const consider = (otherId: string, data: EntityData | null | undefined) => {
      if (seen.has(otherId)) return;
      seen.add(otherId);
      if (!data) return;
      const back = data.get(derived.derivedFrom!);
      if (!back) return;
      const matches = back.kind === "Array" ? back.value.some((v) => "value" in v && v.value === id) : "value" in back && back.value === id;
      if (matches) related.push(data);
    };
    for (const layer of [this.handlerLayer, this.blockLayer]) {
      for (const [otherId, data] of layer.get(derived.typeName) ?? []) consider(otherId, data);
    }
    for (const [otherId, versions] of this.tables.get(derived.typeName)!) consider(otherId, versions[versions.length - 1].data);
    return related;
  }

  /** graph-node's entity validation: known fields, required fields present, values of the declared types. */
  private validate(info: EntityInfo, id: string, data: EntityData): void {
    const unknown = [...data.keys()].filter((name) => !info.fields.has(name) || info.fields.get(name)!.derivedFrom).sort();
    if (unknown.length > 0) {
      throw new MappingError(
        `Attempted to set undefined fields [${unknown.join(", ")}] for the entity type \`${info.name}\`. Make sure those fields are defined in the schema.`,
      );
    }
    for (const field of info.fields.values()) {
      if (field.derivedFrom) continue;
      const value = data.get(field.name);
      if (value === undefined || value.kind === "Null") {
        if (field.nonNull) throw new MappingError(`Entity ${info.name}[${id}]: missing value for non-nullable field \`${field.name}\``);
        continue;
      }
      const expected = storeKindOf(this.schema, field);
      const ok = field.list ? value.kind === "Array" && value.value.every((item) => item.kind === expected) : value.kind === expected;
      if (!ok) {
        throw new MappingError(
          `Entity ${info.name}[${id}]: the value \`${describe(value)}\` for field \`${field.name}\` must have type ${field.list ? `[${field.typeName}!]` : field.typeName}${field.nonNull ? "!" : ""} but has type ${value.kind}`,
        );
      }
      if (field.category === "enum" && value.kind === "String") {
        const values = this.schema.enums.get(field.typeName)!.values;
        if (!values.includes(value.value)) {
          throw new MappingError(
            `Entity ${info.name}[${id}]: the value \`${value.value}\` for field \`${field.name}\` is not a value of the enum ${field.typeName}`,
          );
        }
      }
    }
  }

  // ------------------------------------------------------------------------------------------ blocks and handlers

  /** Keeps the current handler's writes in the block. */
  commitHandler(): void {
    for (const [entityType, writes] of this.handlerLayer) {
      let table = this.blockLayer.get(entityType);
      if (!table) this.blockLayer.set(entityType, (table = new Map()));
      for (const [id, data] of writes) table.set(id, data);
    }
    this.handlerLayer = new Map();
  }

  /** Drops the current handler's writes (it failed). */
  discardHandler(): void {
    this.handlerLayer = new Map();
  }

  /** Drops everything written in the block being processed. */
  discardBlock(): void {
    this.handlerLayer = new Map();
    this.blockLayer = new Map();
  }

  /** Turns the block's writes into versions at `block`. */
  commitBlock(block: number): number {
    let changes = 0;
    for (const [entityType, writes] of this.blockLayer) {
      const table = this.tables.get(entityType)!;
      for (const [id, data] of writes) {
        if (data) this.addReferences(entityType, id, data);
        const versions = table.get(id);
        if (!versions) {
          if (data === null) continue;
          table.set(id, [{ block, data }]);
        } else {
          const last = versions[versions.length - 1];
          if (last.block === block) versions[versions.length - 1] = { block, data };
          else versions.push({ block, data });
        }
        changes++;
        this.versionCount++;
      }
    }
    this.blockLayer = new Map();
    return changes;
  }

  /** Undoes every version written after `block` (a chain reorganisation). */
  revertAbove(block: number): void {
    this.discardBlock();
    for (const table of this.tables.values()) {
      for (const [id, versions] of table) {
        while (versions.length > 0 && versions[versions.length - 1].block > block) {
          versions.pop();
          this.versionCount--;
        }
        if (versions.length === 0) table.delete(id);
      }
    }
  }

  // ------------------------------------------------------------------------------------------ query API

  /** The version of an entity current at `block`, if it existed then. */
  versionAt(entityType: string, id: string, block: number): Version | undefined {
    const versions = this.tables.get(entityType)?.get(id);
    if (!versions) return undefined;
    for (let i = versions.length - 1; i >= 0; i--) {
      if (versions[i].block <= block) return versions[i].data ? versions[i] : undefined;
    }
    return undefined;
  }

  /** Every entity of a type that existed at `block`, with its id. */
  *entitiesAt(entityType: string, block: number): Generator<[string, Version]> {
    const table = this.tables.get(entityType);
    if (!table) return;
    for (const [id, versions] of table) {
      const last = versions[versions.length - 1];
      if (last.block <= block) {
        if (last.data) yield [id, last];
        continue;
      }
      for (let i = versions.length - 2; i >= 0; i--) {
        if (versions[i].block <= block) {
          if (versions[i].data) yield [id, versions[i]];
          break;
        }
      }
    }
  }

  /**
   * Ids of the `entityType` entities whose `field` referred to `id` in some version (a superset of those that do at
   * any one block); empty when `field` is not a reference.
   */
  referencing(entityType: string, field: string, id: string): ReadonlySet<string> {
    return this.references.get(`${entityType}.${field}`)?.get(id) ?? NO_IDS;
  }

  /** The block of the latest change to an entity at or before `block` (for `_change_block` filters). */
  changedAt(entityType: string, id: string, block: number): number | undefined {
    const versions = this.tables.get(entityType)?.get(id);
    if (!versions) return undefined;
    for (let i = versions.length - 1; i >= 0; i--) if (versions[i].block <= block) return versions[i].block;
    return undefined;
  }

  entityCount(entityType: string): number {
    return this.tables.get(entityType)?.size ?? 0;
  }
}
