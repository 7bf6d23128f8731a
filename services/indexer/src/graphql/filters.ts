/**
 * graph-node's collection arguments on entity data: `where` filters (field operators, nested `field_` filters,
 * `and`/`or`, `_change_block`), `orderBy` (with one level of `child__field`), `orderDirection`, `first`, `skip`.
 */
import { BigDecimal } from "../runtime/bigNumbers.ts";
import type { EntityInfo, FieldInfo, SubgraphSchema } from "../schema.ts";

/** graph-node's default and limits for `first` and `skip` (GRAPH_GRAPHQL_MAX_FIRST / MAX_SKIP). */
export const DEFAULT_FIRST = 100;
export const MAX_FIRST = 1000;
export const MAX_SKIP = 4_294_967_295;

/** A query error graph-node reports before returning any data. */
export class QueryError extends Error {
  override name = "QueryError";
}

/** What a filter key means: an operator on a field, or a nested filter on a related entity. */
export interface FilterKey {
  field: FieldInfo;
  op: string;
}

export const STRING_OPS = [
  "",
  "not",
  "gt",
  "lt",
  "gte",
  "lte",
  "in",
  "not_in",
  "contains",
  "contains_nocase",
  "not_contains",
  "not_contains_nocase",
  "starts_with",
  "starts_with_nocase",
  "not_starts_with",
  "not_starts_with_nocase",
  "ends_with",
  "ends_with_nocase",
  "not_ends_with",
  "not_ends_with_nocase",
];
const ORDERED_OPS = ["", "not", "gt", "lt", "gte", "lte", "in", "not_in"];

/** The operators graph-node generates for a scalar type's fields. */
export function scalarOps(typeName: string): string[] {
  switch (typeName) {
    case "Boolean":
      return ["", "not", "in", "not_in"];
    case "Bytes":
      return [...ORDERED_OPS, "contains", "not_contains"];
    case "String":
      return STRING_OPS;
    default:
      return ORDERED_OPS;
  }
}

/** One entity as queries see it, at the block the query reads. */
export interface Row {
  info: EntityInfo;
  id: string;
  /** Field values: strings, numbers, bigints, BigDecimals, hex strings for Bytes, arrays, null. */
  values: Record<string, unknown>;
  block: number;
}

/** Reads related rows and change blocks for the filters; implemented by the API with per-request caches. */
export interface RowSource {
  schema: SubgraphSchema;
  byId(typeName: string, id: string, block: number): Row | undefined;
  /** Rows of `typeName` whose `field` is (or contains) `id`. */
  pointingTo(typeName: string, field: string, id: string, block: number): Row[];
  changedAt(row: Row): number;
}

function compare(a: unknown, b: unknown): number {
  if (a instanceof BigDecimal && b instanceof BigDecimal) return a.compare(b);
  if (a instanceof BigDecimal) return a.compare(BigDecimal.parse(String(b)));
  if (typeof a === "bigint" || typeof b === "bigint") {
    const x = BigInt(a as bigint);
    const y = BigInt(b as bigint);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function equals(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => equals(item, b[i]));
  return compare(a, b) === 0;
}

function textOp(op: string, value: string, pattern: string): boolean {
  const nocase = op.endsWith("_nocase");
  const base = nocase ? op.slice(0, -"_nocase".length) : op;
  const negate = base.startsWith("not_");
  const kind = negate ? base.slice(4) : base;
  const v = nocase ? value.toLowerCase() : value;
  const p = nocase ? pattern.toLowerCase() : pattern;
  const result = kind === "contains" ? v.includes(p) : kind === "starts_with" ? v.startsWith(p) : v.endsWith(p);
  return negate ? !result : result;
}

/** `_contains` on Bytes: the hex digits of `pattern` at a byte boundary of `value`. */
function bytesContain(value: string, pattern: string): boolean {
  const hay = value.slice(2);
  const needle = pattern.slice(2);
  for (let i = hay.indexOf(needle); i >= 0; i = hay.indexOf(needle, i + 1)) if (i % 2 === 0) return true;
  return false;
}

function scalarMatches(field: FieldInfo, op: string, value: unknown, expected: unknown): boolean {
  switch (op) {
    case "":
      return equals(value, expected);
    case "not":
      return !equals(value, expected);
    case "gt":
      return value !== null && compare(value, expected) > 0;
    case "lt":
      return value !== null && compare(value, expected) < 0;
    case "gte":
      return value !== null && compare(value, expected) >= 0;
    case "lte":
      return value !== null && compare(value, expected) <= 0;
    case "in":
      return (expected as unknown[]).some((item) => equals(value, item));
    case "not_in":
      return value !== null && !(expected as unknown[]).some((item) => equals(value, item));
  }
  if (value === null) return false;
  if (field.typeName === "Bytes") {
    const found = bytesContain(String(value), String(expected));
    return op === "contains" ? found : !found;
  }
  return textOp(op, String(value), String(expected));
}

function listMatches(op: string, value: unknown[] | null, expected: unknown[]): boolean {
  if (value === null) return op === "not" || op.startsWith("not_");
  const nocase = op.endsWith("_nocase");
  const norm = (item: unknown) => (nocase ? String(item).toLowerCase() : item);
  const values = value.map(norm);
  const containsAll = expected.every((item) => values.some((v) => equals(v, norm(item))));
  switch (op) {
    case "":
      return equals(value, expected);
    case "not":
      return !equals(value, expected);
    case "contains":
    case "contains_nocase":
      return containsAll;
    default:
      return !containsAll;
  }
}

/** Whether `row` passes the `where` filter `filter` (already coerced by GraphQL). */
export function matches(row: Row, filter: Record<string, unknown>, keys: Map<string, FilterKey>, source: RowSource): boolean {
  const columns = Object.keys(filter).filter((key) => key !== "or" && key !== "and" && key !== "_change_block");
  if ("or" in filter && columns.length > 0) {
    throw new QueryError(
      `Cannot mix column filters with 'or' operator at the same level. Found column filter(s) ${columns.join(", ")} alongside 'or' operator.\n\nUse 'and' to combine them, or move the column filters into each 'or' branch.`,
    );
  }
  for (const [key, expected] of Object.entries(filter)) {
    if (expected === undefined) continue;
    if (key === "and") {
      if (!(expected as Record<string, unknown>[]).every((sub) => matches(row, sub, keys, source))) return false;
      continue;
    }
    if (key === "or") {
      if (!(expected as Record<string, unknown>[]).some((sub) => matches(row, sub, keys, source))) return false;
      continue;
    }
    if (key === "_change_block") {
      if (source.changedAt(row) < (expected as { number_gte: number }).number_gte) return false;
      continue;
    }
    const filterKey = keys.get(key);
    if (!filterKey) throw new QueryError(`Type \`${row.info.name}_filter\` has no field \`${key}\``);
    if (!fieldMatches(row, filterKey, expected, source)) return false;
  }
  return true;
}

function fieldMatches(row: Row, { field, op }: FilterKey, expected: unknown, source: RowSource): boolean {
  if (op === "_") {
    const sub = expected as Record<string, unknown>;
    const childKeys = filterKeysOf(source.schema.entities.get(field.typeName)!, source.schema);
    return related(row, field, source).some((child) => matches(child, sub, childKeys, source));
  }
  const value = row.values[field.name] ?? null;
  if (field.list) return listMatches(op, value as unknown[] | null, expected as unknown[]);
  return scalarMatches(field, op, value, expected);
}

/** The rows a relation field of `row` refers to (stored ids or derived back-references). */
export function related(row: Row, field: FieldInfo, source: RowSource): Row[] {
  if (field.derivedFrom) return source.pointingTo(field.typeName, field.derivedFrom, row.id, row.block);
  const value = row.values[field.name];
  if (value === null || value === undefined) return [];
  const ids = Array.isArray(value) ? (value as string[]) : [value as string];
  return ids.flatMap((id) => {
    const child = source.byId(field.typeName, id, row.block);
    return child ? [child] : [];
  });
}

const filterKeyCache = new WeakMap<EntityInfo, Map<string, FilterKey>>();

/** Every `where` key of an entity type, as in its `<Type>_filter` input type. */
export function filterKeysOf(info: EntityInfo, schema: SubgraphSchema): Map<string, FilterKey> {
  let keys = filterKeyCache.get(info);
  if (keys) return keys;
  keys = new Map();
  const add = (field: FieldInfo, op: string) =>
    keys!.set(op === "" ? field.name : op === "_" ? `${field.name}_` : `${field.name}_${op}`, { field, op });
  for (const field of info.fields.values()) {
    if (field.category === "entity") {
      if (!field.derivedFrom) {
        const idIsString = schema.entities.get(field.typeName)!.idType !== "Bytes";
        const ops = field.list
          ? idIsString
            ? ["", "not", "contains", "contains_nocase", "not_contains", "not_contains_nocase"]
            : ["", "not", "contains", "not_contains"]
          : STRING_OPS;
        for (const op of ops) add(field, op);
      }
      add(field, "_");
    } else if (field.list) {
      const ops =
        field.typeName === "String"
          ? ["", "not", "contains", "contains_nocase", "not_contains", "not_contains_nocase"]
          : ["", "not", "contains", "not_contains"];
      for (const op of ops) add(field, op);
    } else if (field.category === "enum") {
      for (const op of ["", "not", "in", "not_in"]) add(field, op);
    } else {
      for (const op of scalarOps(field.typeName === "ID" ? "ID" : field.typeName)) add(field, op);
    }
  }
  filterKeyCache.set(info, keys);
  return keys;
}

/** `orderBy` values of an entity type: its fields, and `field__child` for the scalars of a single related entity. */
export function orderByValuesOf(info: EntityInfo, schema: SubgraphSchema): string[] {
  const values: string[] = [];
  for (const field of info.fields.values()) {
    values.push(field.name);
    if (field.category === "entity" && !field.list) {
      for (const child of schema.entities.get(field.typeName)!.fields.values()) {
        if (!child.list && child.category !== "entity") values.push(`${field.name}__${child.name}`);
      }
    }
  }
  return values;
}

/** Sorts rows by `orderBy` (ties and the default by id), nulls last ascending and first descending. */
export function sortRows(rows: Row[], info: EntityInfo, orderBy: string | undefined, direction: "asc" | "desc", source: RowSource): Row[] {
  const sign = direction === "desc" ? -1 : 1;
  const byId = (a: Row, b: Row) => compare(a.id, b.id);
  if (!orderBy) return rows.sort((a, b) => sign * byId(a, b));
  const [name, childName] = orderBy.split("__");
  const field = info.fields.get(name);
  if (!field || (field.list && !childName) || (childName && (field.list || field.category !== "entity"))) {
    throw new QueryError(`Ordering by \`${orderBy}\` is not supported for type \`${info.name}\``);
  }
  const key = (row: Row): unknown => {
    if (!childName) {
      if (field.derivedFrom) return related(row, field, source)[0]?.id ?? null;
      return row.values[name] ?? null;
    }
    const child = related(row, field, source)[0];
    return child ? (child.values[childName] ?? null) : null;
  };
  const keyed = rows.map((row) => ({ row, key: key(row) }));
  keyed.sort((a, b) => {
    if (a.key === null && b.key === null) return sign * byId(a.row, b.row);
    if (a.key === null) return sign;
    if (b.key === null) return -sign;
    return sign * (compare(a.key, b.key) || byId(a.row, b.row));
  });
  return keyed.map(({ row }) => row);
}

/** Checks `first` and `skip` as graph-node does. */
export function checkRange(first: number, skip: number): void {
  if (first < 0 || first > MAX_FIRST) throw new QueryError(`The \`first\` argument must be between 0 and ${MAX_FIRST}, but is ${first}`);
  if (skip < 0 || skip > MAX_SKIP) throw new QueryError(`The \`skip\` argument must be between 0 and ${MAX_SKIP}, but is ${skip}`);
}
