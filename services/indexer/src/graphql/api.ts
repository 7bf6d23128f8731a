/**
 * The GraphQL API graph-node derives from a subgraph's schema, built with graphql-js and resolved from the
 * versioned store: for each entity type `T`, `t(id, block)` and `ts(skip, first, orderBy, orderDirection, where,
 * block)`; relation fields resolve by id and derived fields by back-reference (both with the collection
 * arguments when they are lists); `_meta { block { number hash timestamp } deployment hasIndexingErrors }`.
 * BigInt, BigDecimal, Int8 and Timestamp are serialised as strings, Bytes as 0x-prefixed hex.
 */
import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLError,
  GraphQLID,
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLString,
  Kind,
  type GraphQLFieldConfig,
  type GraphQLFieldConfigArgumentMap,
  type GraphQLInputFieldConfigMap,
  type GraphQLInputType,
  type GraphQLOutputType,
  type ValueNode,
} from "graphql";
import { BigDecimal } from "../runtime/bigNumbers.ts";
import { plainEntity } from "../runtime/values.ts";
import type { EntityInfo, FieldInfo, SubgraphSchema } from "../schema.ts";
import type { EntityStore, Version } from "../store.ts";
import {
  DEFAULT_FIRST,
  type Row,
  type RowSource,
  QueryError,
  checkRange,
  filterKeysOf,
  matches,
  orderByValuesOf,
  related,
  sortRows,
} from "./filters.ts";
import { queryFieldNames } from "./naming.ts";

export interface BlockInfo {
  number: number;
  hash: string;
  timestamp: number;
  parentHash: string;
}

/** What the API reads from the indexer. */
export interface QuerySource {
  schema: SubgraphSchema;
  store: EntityStore;
  deployment: string;
  latest(): BlockInfo | null;
  blockByHash(hash: string): BlockInfo | undefined;
  hasIndexingErrors(): boolean;
}

// ---------------------------------------------------------------------------------------------------- scalars

function literalText(ast: ValueNode, scalar: string): string {
  if (ast.kind === Kind.STRING || ast.kind === Kind.INT || ast.kind === Kind.FLOAT) return ast.value;
  throw new GraphQLError(`Failed to coerce value of type ${ast.kind} to scalar type \`${scalar}\``);
}

function parseInteger(value: unknown, scalar: string): bigint {
  const text = typeof value === "number" && Number.isInteger(value) ? String(value) : value;
  if (typeof text !== "string" || !/^-?\d+$/.test(text)) {
    throw new GraphQLError(`Failed to decode \`${scalar}\` value: \`${String(value)}\``);
  }
  return BigInt(text);
}

function parseDecimal(value: unknown): BigDecimal {
  try {
    return BigDecimal.parse(String(value));
  } catch {
    throw new GraphQLError(`Failed to decode \`BigDecimal\` value: \`${String(value)}\``);
  }
}

function parseBytes(value: unknown): string {
  if (typeof value !== "string" || !/^0x([0-9a-fA-F]{2})*$/.test(value)) {
    throw new GraphQLError(`Failed to decode \`Bytes\` value: \`${String(value)}\``);
  }
  return value.toLowerCase();
}

const BigIntScalar = new GraphQLScalarType({
  name: "BigInt",
  serialize: (value) => String(value),
  parseValue: (value) => parseInteger(value, "BigInt"),
  parseLiteral: (ast) => parseInteger(literalText(ast, "BigInt"), "BigInt"),
});

const BigDecimalScalar = new GraphQLScalarType({
  name: "BigDecimal",
  serialize: (value) => String(value),
  parseValue: parseDecimal,
  parseLiteral: (ast) => parseDecimal(literalText(ast, "BigDecimal")),
});

const BytesScalar = new GraphQLScalarType({
  name: "Bytes",
  serialize: (value) => String(value),
  parseValue: parseBytes,
  parseLiteral: (ast) => parseBytes(literalText(ast, "Bytes")),
});

const Int8Scalar = new GraphQLScalarType({
  name: "Int8",
  description: "8 bytes signed integer",
  serialize: (value) => String(value),
  parseValue: (value) => parseInteger(value, "Int8"),
  parseLiteral: (ast) => parseInteger(literalText(ast, "Int8"), "Int8"),
});

const TimestampScalar = new GraphQLScalarType({
  name: "Timestamp",
  description: "A string representation of microseconds UNIX timestamp (16 digits)",
  serialize: (value) => String(value),
  parseValue: (value) => parseInteger(value, "Timestamp"),
  parseLiteral: (ast) => parseInteger(literalText(ast, "Timestamp"), "Timestamp"),
});

const SCALAR_TYPES: Record<string, GraphQLScalarType> = {
  ID: GraphQLID,
  String: GraphQLString,
  Int: GraphQLInt,
  Boolean: GraphQLBoolean,
  BigInt: BigIntScalar,
  BigDecimal: BigDecimalScalar,
  Bytes: BytesScalar,
  Int8: Int8Scalar,
  Timestamp: TimestampScalar,
};

function rowOf(info: EntityInfo, id: string, version: Version, block: number): Row {
  version.cache ??= plainEntity(version.data!);
  return { info, id, values: version.cache, block };
}

/** Per-request caches over the store at the blocks the query reads. */
class RequestSource implements RowSource {
  readonly schema: SubgraphSchema;
  private readonly store: EntityStore;
  private readonly all = new Map<string, Row[]>();

  constructor(schema: SubgraphSchema, store: EntityStore) {
    this.schema = schema;
    this.store = store;
  }

  rows(typeName: string, block: number): Row[] {
    const key = `${typeName}@${block}`;
    let rows = this.all.get(key);
    if (!rows) {
      const info = this.schema.entities.get(typeName)!;
      rows = [];
      for (const [id, version] of this.store.entitiesAt(typeName, block)) rows.push(rowOf(info, id, version, block));
      this.all.set(key, rows);
    }
    return rows;
  }

  byId(typeName: string, id: string, block: number): Row | undefined {
    const version = this.store.versionAt(typeName, id, block);
    return version ? rowOf(this.schema.entities.get(typeName)!, id, version, block) : undefined;
  }

  /** Through the store's reverse references: the entities that may point to `id`, checked at `block`. */
  pointingTo(typeName: string, field: string, id: string, block: number): Row[] {
    const info = this.schema.entities.get(typeName)!;
    const rows: Row[] = [];
    for (const otherId of this.store.referencing(typeName, field, id)) {
      const version = this.store.versionAt(typeName, otherId, block);
      if (!version) continue;
      const row = rowOf(info, otherId, version, block);
      const value = row.values[field];
      if (value === id || (Array.isArray(value) && value.includes(id))) rows.push(row);
    }
    return rows;
  }

  changedAt(row: Row): number {
    return this.store.changedAt(row.info.name, row.id, row.block) ?? -1;
  }
}

interface Context {
  source: QuerySource;
  rows: RequestSource;
}

interface CollectionArgs {
  skip?: number;
  first?: number;
  orderBy?: string;
  orderDirection?: "asc" | "desc";
  where?: Record<string, unknown>;
}

function collection(info: EntityInfo, rows: Row[], args: CollectionArgs, context: Context): Row[] {
  const first = args.first ?? DEFAULT_FIRST;
  const skip = args.skip ?? 0;
  checkRange(first, skip);
  const keys = filterKeysOf(info, context.source.schema);
  const filtered = args.where ? rows.filter((row) => matches(row, args.where!, keys, context.rows)) : [...rows];
  return sortRows(filtered, info, args.orderBy, args.orderDirection ?? "asc", context.rows).slice(skip, skip + first);
}

interface BlockArgument {
  number?: number;
  hash?: string;
  number_gte?: number;
}

/** The block a root field reads, as graph-node resolves its `block` argument. */
function resolveBlock(source: QuerySource, block: BlockArgument | undefined): BlockInfo & { constrained: boolean } {
  const latest = source.latest();
  if (!latest) throw new QueryError(`Subgraph \`${source.deployment}\` has not started syncing yet`);
  const notYet = (number: number) =>
    new QueryError(
      `subgraph ${source.deployment} has only indexed up to block number ${latest.number} and data for block number ${number} is therefore not yet available`,
    );
  if (block?.hash !== undefined) {
    const found = source.blockByHash(block.hash);
    if (!found) throw new QueryError(`no block with that hash found: ${block.hash}`);
    return { ...found, constrained: true };
  }
  if (block?.number !== undefined) {
    if (block.number > latest.number) throw notYet(block.number);
    return { number: block.number, hash: "", timestamp: 0, parentHash: "", constrained: true };
  }
  if (block?.number_gte !== undefined && block.number_gte > latest.number) throw notYet(block.number_gte);
  return { ...latest, constrained: false };
}

// ---------------------------------------------------------------------------------------------------- schema

export function buildApiSchema(source: QuerySource): GraphQLSchema {
  const { schema } = source;
  const enums = new Map<string, GraphQLEnumType>();
  for (const [name, { values, description }] of schema.enums) {
    enums.set(name, new GraphQLEnumType({ name, description, values: Object.fromEntries(values.map((v) => [v, { value: v }])) }));
  }
  const OrderDirection = new GraphQLEnumType({
    name: "OrderDirection",
    description: "Defines the order direction, either ascending or descending",
    values: { asc: { value: "asc" }, desc: { value: "desc" } },
  });
  const SubgraphErrorPolicy = new GraphQLEnumType({
    name: "_SubgraphErrorPolicy_",
    values: {
      allow: { value: "allow", description: "Data will be returned even if the subgraph has indexing errors" },
      deny: { value: "deny", description: "If the subgraph has indexing errors, data will be omitted. The default." },
    },
  });
  const BlockHeight = new GraphQLInputObjectType({
    name: "Block_height",
    description: "The block at which the query should be executed.",
    fields: { hash: { type: BytesScalar }, number: { type: GraphQLInt }, number_gte: { type: GraphQLInt } },
  });
  const BlockChangedFilter = new GraphQLInputObjectType({
    name: "BlockChangedFilter",
    fields: { number_gte: { type: new GraphQLNonNull(GraphQLInt) } },
  });

  const objectTypes = new Map<string, GraphQLObjectType>();
  const filterTypes = new Map<string, GraphQLInputObjectType>();
  const orderByTypes = new Map<string, GraphQLEnumType>();

  const scalarOrEnum = (field: FieldInfo) => (field.category === "enum" ? enums.get(field.typeName)! : SCALAR_TYPES[field.typeName]);

  const collectionArgs = (typeName: string): GraphQLFieldConfigArgumentMap => ({
    skip: { type: GraphQLInt, defaultValue: 0 },
    first: { type: GraphQLInt, defaultValue: DEFAULT_FIRST },
    orderBy: { type: orderByTypes.get(typeName)! },
    orderDirection: { type: OrderDirection },
    where: { type: filterTypes.get(typeName)! },
  });

  for (const info of schema.entities.values()) {
    orderByTypes.set(
      info.name,
      new GraphQLEnumType({
        name: `${info.name}_orderBy`,
        values: Object.fromEntries(orderByValuesOf(info, schema).map((value) => [value, { value }])),
      }),
    );
  }

  for (const info of schema.entities.values()) {
    filterTypes.set(
      info.name,
      new GraphQLInputObjectType({
        name: `${info.name}_filter`,
        fields: (): GraphQLInputFieldConfigMap => {
          const fields: GraphQLInputFieldConfigMap = {};
          for (const [key, { field, op }] of filterKeysOf(info, schema)) {
            let type: GraphQLInputType;
            if (op === "_") type = filterTypes.get(field.typeName)!;
            else {
              const base: GraphQLInputType = field.category === "entity" ? GraphQLString : scalarOrEnum(field);
              type = field.list || op === "in" || op === "not_in" ? new GraphQLList(new GraphQLNonNull(base)) : base;
            }
            fields[key] = { type };
          }
          fields._change_block = { type: BlockChangedFilter, description: "Filter for the block changed event." };
          fields.and = { type: new GraphQLList(filterTypes.get(info.name)!) };
          fields.or = { type: new GraphQLList(filterTypes.get(info.name)!) };
          return fields;
        },
      }),
    );
  }

  for (const info of schema.entities.values()) {
    objectTypes.set(
      info.name,
      new GraphQLObjectType<Row, Context>({
        name: info.name,
        description: info.description,
        fields: () => {
          const fields: Record<string, GraphQLFieldConfig<Row, Context>> = {};
          for (const field of info.fields.values()) {
            fields[field.name] = fieldConfig(field);
          }
          return fields;
        },
      }),
    );
  }

  function fieldConfig(field: FieldInfo): GraphQLFieldConfig<Row, Context> {
    const description = field.description;
    if (field.category !== "entity") {
      const base = scalarOrEnum(field);
      let type: GraphQLOutputType = field.list ? new GraphQLList(new GraphQLNonNull(base)) : base;
      if (field.nonNull) type = new GraphQLNonNull(type);
      return { type, description, resolve: (row) => row.values[field.name] ?? null };
    }
    const target = objectTypes.get(field.typeName)!;
    const targetInfo = schema.entities.get(field.typeName)!;
    if (field.list) {
      return {
        type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(target))),
        description,
        args: collectionArgs(field.typeName),
        resolve: (row, args: CollectionArgs, context) => collection(targetInfo, related(row, field, context.rows), args, context),
      };
    }
    return {
      type: field.nonNull && !field.derivedFrom ? new GraphQLNonNull(target) : target,
      description,
      resolve: (row, _args, context) => {
        const rows = related(row, field, context.rows);
        if (field.derivedFrom && rows.length > 1) {
          throw new QueryError(
            `Ambiguous result for derived field \`${field.name}\`: Multiple \`${field.typeName}\` entities refer back via \`${field.derivedFrom}\``,
          );
        }
        return rows[0] ?? null;
      },
    };
  }

  const queryFields: Record<string, GraphQLFieldConfig<unknown, Context>> = {};
  for (const info of schema.entities.values()) {
    const { singular, plural } = queryFieldNames(info.name);
    const type = objectTypes.get(info.name)!;
    queryFields[singular] = {
      type,
      args: {
        id: { type: new GraphQLNonNull(GraphQLID) },
        block: { type: BlockHeight, description: "The block at which the query should be executed." },
        subgraphError: { type: new GraphQLNonNull(SubgraphErrorPolicy), defaultValue: "deny" },
      },
      resolve: (_root, args: { id: string; block?: BlockArgument }, context) => {
        const block = resolveBlock(context.source, args.block);
        return context.rows.byId(info.name, args.id, block.number) ?? null;
      },
    };
    queryFields[plural] = {
      type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(type))),
      args: {
        ...collectionArgs(info.name),
        block: { type: BlockHeight, description: "The block at which the query should be executed." },
        subgraphError: { type: new GraphQLNonNull(SubgraphErrorPolicy), defaultValue: "deny" },
      },
      resolve: (_root, args: CollectionArgs & { block?: BlockArgument }, context) => {
        const block = resolveBlock(context.source, args.block);
        return collection(info, context.rows.rows(info.name, block.number), args, context);
      },
    };
  }

  const BlockType = new GraphQLObjectType({
    name: "_Block_",
    fields: {
      hash: { type: BytesScalar, description: "The hash of the block" },
      number: { type: new GraphQLNonNull(GraphQLInt), description: "The block number" },
      timestamp: { type: GraphQLInt, description: "Integer representation of the timestamp stored in blocks for the chain" },
      parentHash: { type: BytesScalar, description: "The hash of the parent block" },
    },
  });
  const MetaType = new GraphQLObjectType({
    name: "_Meta_",
    description: "The type for the top-level _meta field",
    fields: {
      block: { type: new GraphQLNonNull(BlockType) },
      deployment: { type: new GraphQLNonNull(GraphQLString), description: "The deployment ID" },
      hasIndexingErrors: {
        type: new GraphQLNonNull(GraphQLBoolean),
        description: "If `true`, the subgraph encountered indexing errors at some past block",
      },
    },
  });
  queryFields._meta = {
    type: MetaType,
    description: "Access to subgraph metadata",
    args: { block: { type: BlockHeight } },
    resolve: (_root, args: { block?: BlockArgument }, context) => {
      const block = resolveBlock(context.source, args.block);
      const known = block.constrained && !block.hash ? undefined : block;
      return {
        block: {
          number: block.number,
          hash: known?.hash || null,
          timestamp: known ? known.timestamp : null,
          parentHash: known?.parentHash || null,
        },
        deployment: context.source.deployment,
        hasIndexingErrors: context.source.hasIndexingErrors(),
      };
    },
  };

  return new GraphQLSchema({ query: new GraphQLObjectType({ name: "Query", fields: queryFields }) });
}

/** The per-request context the resolvers need. */
export function requestContext(source: QuerySource): Context {
  return { source, rows: new RequestSource(source.schema, source.store) };
}
