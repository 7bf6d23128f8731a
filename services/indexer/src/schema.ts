/**
 * The subgraph's schema.graphql as the store and the GraphQL API need it: entity types, their fields, how each
 * field is stored, which fields are derived, which entities are immutable, and the enums.
 */
import { Kind, parse, type ConstDirectiveNode, type DefinitionNode, type FieldDefinitionNode, type TypeNode } from "graphql";
import type { StoreValueKind } from "./runtime/values.ts";

export const SCALARS = ["ID", "String", "Int", "Int8", "BigInt", "BigDecimal", "Bytes", "Boolean", "Timestamp"] as const;
export type ScalarName = (typeof SCALARS)[number];

export interface FieldInfo {
  name: string;
  /** The named type at the bottom of the field's type. */
  typeName: string;
  category: "scalar" | "enum" | "entity";
  nonNull: boolean;
  list: boolean;
  /** For `@derivedFrom(field: ...)`: the field of `typeName` that points back here. */
  derivedFrom?: string;
  description?: string;
}

export interface EntityInfo {
  name: string;
  immutable: boolean;
  idType: "ID" | "String" | "Bytes" | "Int8";
  fields: Map<string, FieldInfo>;
  description?: string;
}

export interface SubgraphSchema {
  entities: Map<string, EntityInfo>;
  enums: Map<string, { values: string[]; description?: string }>;
}

function unwrap(type: TypeNode): { typeName: string; nonNull: boolean; list: boolean } {
  let nonNull = false;
  let list = false;
  let node = type;
  if (node.kind === Kind.NON_NULL_TYPE) {
    nonNull = true;
    node = node.type;
  }
  if (node.kind === Kind.LIST_TYPE) {
    list = true;
    node = node.type;
    if (node.kind === Kind.NON_NULL_TYPE) node = node.type;
  }
  if (node.kind !== Kind.NAMED_TYPE) throw new Error("Nested lists are not supported in entity fields");
  return { typeName: node.name.value, nonNull, list };
}

function directive(node: { directives?: readonly ConstDirectiveNode[] }, name: string): ConstDirectiveNode | undefined {
  return node.directives?.find((d) => d.name.value === name);
}

function stringArgument(d: ConstDirectiveNode, name: string): string | undefined {
  const argument = d.arguments?.find((a) => a.name.value === name);
  return argument?.value.kind === Kind.STRING ? argument.value.value : undefined;
}

function booleanArgument(d: ConstDirectiveNode, name: string): boolean | undefined {
  const argument = d.arguments?.find((a) => a.name.value === name);
  return argument?.value.kind === Kind.BOOLEAN ? argument.value.value : undefined;
}

export function parseSubgraphSchema(source: string): SubgraphSchema {
  const document = parse(source);
  const enums = new Map<string, { values: string[]; description?: string }>();
  const objectDefinitions: DefinitionNode[] = [];
  for (const definition of document.definitions) {
    if (definition.kind === Kind.ENUM_TYPE_DEFINITION) {
      enums.set(definition.name.value, {
        values: (definition.values ?? []).map((v) => v.name.value),
        description: definition.description?.value,
      });
    } else if (definition.kind === Kind.OBJECT_TYPE_DEFINITION) {
      objectDefinitions.push(definition);
    }
  }
  const entityNames = new Set(
    objectDefinitions.flatMap((d) => (d.kind === Kind.OBJECT_TYPE_DEFINITION && directive(d, "entity") ? [d.name.value] : [])),
  );

  const entities = new Map<string, EntityInfo>();
  for (const definition of objectDefinitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION) continue;
    const entityDirective = directive(definition, "entity");
    if (!entityDirective) continue;
    const fields = new Map<string, FieldInfo>();
    for (const field of definition.fields ?? ([] as FieldDefinitionNode[])) {
      const { typeName, nonNull, list } = unwrap(field.type);
      const category = entityNames.has(typeName)
        ? "entity"
        : enums.has(typeName)
          ? "enum"
          : (SCALARS as readonly string[]).includes(typeName)
            ? "scalar"
            : undefined;
      if (!category) throw new Error(`${definition.name.value}.${field.name.value} has an unknown type ${typeName}`);
      const derived = directive(field, "derivedFrom");
      fields.set(field.name.value, {
        name: field.name.value,
        typeName,
        category,
        nonNull,
        list,
        derivedFrom: derived ? stringArgument(derived, "field") : undefined,
        description: field.description?.value,
      });
    }
    const id = fields.get("id");
    if (!id || id.category !== "scalar" || id.list || !["ID", "String", "Bytes", "Int8"].includes(id.typeName)) {
      throw new Error(`Entity ${definition.name.value} needs an id of type ID, String, Bytes or Int8`);
    }
    entities.set(definition.name.value, {
      name: definition.name.value,
      immutable: booleanArgument(entityDirective, "immutable") ?? false,
      idType: id.typeName as EntityInfo["idType"],
      fields,
      description: definition.description?.value,
    });
  }
  return { entities, enums };
}

/** The store value kind a field's (element) values must have. */
export function storeKindOf(schema: SubgraphSchema, field: FieldInfo): StoreValueKind {
  if (field.category === "enum") return "String";
  if (field.category === "entity") {
    const idType = schema.entities.get(field.typeName)!.idType;
    return idType === "Bytes" ? "Bytes" : idType === "Int8" ? "Int8" : "String";
  }
  switch (field.typeName as ScalarName) {
    case "ID":
    case "String":
      return "String";
    case "Int":
      return "Int";
    case "Int8":
      return "Int8";
    case "BigInt":
      return "BigInt";
    case "BigDecimal":
      return "BigDecimal";
    case "Bytes":
      return "Bytes";
    case "Boolean":
      return "Bool";
    case "Timestamp":
      return "Timestamp";
  }
}
