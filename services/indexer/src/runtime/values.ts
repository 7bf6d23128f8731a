/**
 * The values that cross between the host and a mapping: store values (entity fields), ethereum values (event
 * parameters) and JSON values, converted to and from their AssemblyScript objects.
 */
import { type AscMemory, TypeId } from "./ascMemory.ts";
import { BigDecimal, bigIntFromSignedLE, bigIntToSignedLE } from "./bigNumbers.ts";

/** graph-node's StoreValueKind discriminants. */
export const StoreKind = {
  String: 0,
  Int: 1,
  BigDecimal: 2,
  Bool: 3,
  Array: 4,
  Null: 5,
  Bytes: 6,
  BigInt: 7,
  Int8: 8,
  Timestamp: 9,
} as const;

export type StoreValue =
  | { kind: "String"; value: string }
  | { kind: "Int"; value: number }
  | { kind: "Int8"; value: bigint }
  | { kind: "Timestamp"; value: bigint }
  | { kind: "BigDecimal"; value: BigDecimal }
  | { kind: "Bool"; value: boolean }
  | { kind: "Array"; value: StoreValue[] }
  | { kind: "Null" }
  | { kind: "Bytes"; value: Uint8Array }
  | { kind: "BigInt"; value: bigint };

export type StoreValueKind = StoreValue["kind"];

/** An entity's fields as the mapping set them. */
export type EntityData = Map<string, StoreValue>;

export const NULL_VALUE: StoreValue = { kind: "Null" };

/** A store value as the GraphQL API (and a test comparing entities) reads it: bytes as 0x-hex, null as null. */
export function plainValue(value: StoreValue): unknown {
  switch (value.kind) {
    case "Null":
      return null;
    case "Bytes":
      return "0x" + Buffer.from(value.value).toString("hex");
    case "Array":
      return value.value.map(plainValue);
    default:
      return value.value;
  }
}

/** An entity as the GraphQL API (and a test comparing entities) reads it: each field a plain value. */
export function plainEntity(data: EntityData): Record<string, unknown> {
  return Object.fromEntries([...data].map(([name, value]) => [name, plainValue(value)]));
}

const KIND_NAMES = Object.keys(StoreKind) as StoreValueKind[];

export function readBigInt(memory: AscMemory, ptr: number): bigint {
  return bigIntFromSignedLE(memory.readBytes(ptr));
}

export function writeBigInt(memory: AscMemory, value: bigint): number {
  return memory.writeBytes(bigIntToSignedLE(value));
}

export function readBigDecimal(memory: AscMemory, ptr: number): BigDecimal {
  const digits = readBigInt(memory, memory.u32(ptr));
  const exp = readBigInt(memory, memory.u32(ptr + 4));
  return BigDecimal.of(digits, Number(exp));
}

export function writeBigDecimal(memory: AscMemory, value: BigDecimal): number {
  const digits = writeBigInt(memory, value.digits);
  const exp = writeBigInt(memory, BigInt(value.exp));
  return memory.writeStruct(TypeId.BigDecimal, [digits, exp]);
}

export function readStoreValue(memory: AscMemory, ptr: number): StoreValue {
  const { kind, payload } = memory.readEnum(ptr);
  const pointer = Number(payload & 0xffffffffn);
  switch (KIND_NAMES[kind]) {
    case "String":
      return { kind: "String", value: memory.readString(pointer) };
    case "Int":
      return { kind: "Int", value: Number(BigInt.asIntN(32, payload)) };
    case "Int8":
      return { kind: "Int8", value: BigInt.asIntN(64, payload) };
    case "Timestamp":
      return { kind: "Timestamp", value: BigInt.asIntN(64, payload) };
    case "BigDecimal":
      return { kind: "BigDecimal", value: readBigDecimal(memory, pointer) };
    case "Bool":
      return { kind: "Bool", value: payload !== 0n };
    case "Array":
      return { kind: "Array", value: memory.readArrayU32(pointer).map((item) => readStoreValue(memory, item)) };
    case "Null":
      return NULL_VALUE;
    case "Bytes":
      return { kind: "Bytes", value: memory.readBytes(pointer) };
    case "BigInt":
      return { kind: "BigInt", value: readBigInt(memory, pointer) };
    default:
      throw new Error(`Unknown store value kind ${kind}`);
  }
}

export function writeStoreValue(memory: AscMemory, value: StoreValue): number {
  let payload: bigint;
  switch (value.kind) {
    case "String":
      payload = BigInt(memory.writeString(value.value));
      break;
    case "Int":
      payload = BigInt(value.value);
      break;
    case "Int8":
    case "Timestamp":
      payload = value.value;
      break;
    case "BigDecimal":
      payload = BigInt(writeBigDecimal(memory, value.value));
      break;
    case "Bool":
      payload = value.value ? 1n : 0n;
      break;
    case "Array": {
      const items = value.value.map((item) => writeStoreValue(memory, item));
      payload = BigInt(memory.writeArrayU32(TypeId.ArrayStoreValue, items));
      break;
    }
    case "Null":
      payload = 0n;
      break;
    case "Bytes":
      payload = BigInt(memory.writeBytes(value.value));
      break;
    case "BigInt":
      payload = BigInt(writeBigInt(memory, value.value));
      break;
  }
  return memory.writeEnum(TypeId.StoreValue, StoreKind[value.kind], payload);
}

/** An Entity (TypedMap<string, Value>) as a map of its fields. */
export function readEntity(memory: AscMemory, ptr: number): EntityData {
  const data: EntityData = new Map();
  for (const entry of memory.readArrayU32(memory.u32(ptr))) {
    data.set(memory.readString(memory.u32(entry)), readStoreValue(memory, memory.u32(entry + 4)));
  }
  return data;
}

/** Writes an entity with its fields sorted by name, as graph-node hands them to mappings. */
export function writeEntity(memory: AscMemory, data: EntityData): number {
  const entries = [...data.keys()].sort().map((key) => {
    const keyPtr = memory.writeString(key);
    const valuePtr = writeStoreValue(memory, data.get(key)!);
    return memory.writeStruct(TypeId.TypedMapEntryStringStoreValue, [keyPtr, valuePtr]);
  });
  const array = memory.writeArrayU32(TypeId.ArrayTypedMapEntryStringStoreValue, entries);
  return memory.writeStruct(TypeId.TypedMapStringStoreValue, [array]);
}

// ---------------------------------------------------------------------------------------------------- ethereum

/** graph-node's EthereumValueKind discriminants. */
export const EthereumKind = {
  Address: 0,
  FixedBytes: 1,
  Bytes: 2,
  Int: 3,
  Uint: 4,
  Bool: 5,
  String: 6,
  FixedArray: 7,
  Array: 8,
  Tuple: 9,
} as const;

export type EthereumValue =
  | { kind: "Address" | "FixedBytes" | "Bytes"; value: Uint8Array }
  | { kind: "Int" | "Uint"; value: bigint }
  | { kind: "Bool"; value: boolean }
  | { kind: "String"; value: string }
  | { kind: "FixedArray" | "Array" | "Tuple"; value: EthereumValue[] };

export function writeEthereumValue(memory: AscMemory, value: EthereumValue): number {
  let payload: bigint;
  switch (value.kind) {
    case "Address":
    case "FixedBytes":
    case "Bytes":
      payload = BigInt(memory.writeBytes(value.value));
      break;
    case "Int":
    case "Uint":
      payload = BigInt(writeBigInt(memory, value.value));
      break;
    case "Bool":
      payload = value.value ? 1n : 0n;
      break;
    case "String":
      payload = BigInt(memory.writeString(value.value));
      break;
    case "FixedArray":
    case "Array":
    case "Tuple": {
      const items = value.value.map((item) => writeEthereumValue(memory, item));
      payload = BigInt(memory.writeArrayU32(TypeId.ArrayEthereumValue, items));
      break;
    }
  }
  return memory.writeEnum(TypeId.EthereumValue, EthereumKind[value.kind], payload);
}

// ---------------------------------------------------------------------------------------------------- json

const JsonKind = { Null: 0, Bool: 1, Number: 2, String: 3, Array: 4, Object: 5 } as const;
const JsonTypeId = {
  ArrayJsonValue: 17,
  ArrayTypedMapEntryStringJsonValue: 20,
  WrappedJsonValue: 29,
  JsonValue: 32,
  TypedMapEntryStringJsonValue: 35,
  TypedMapStringJsonValue: 37,
  ResultJsonValueBool: 40,
} as const;

/** Writes parsed JSON; numbers keep their source text (graph-node passes them as strings). */
export function writeJsonValue(memory: AscMemory, value: JsonNode): number {
  let kind: number;
  let payload = 0n;
  if (value === null) {
    kind = JsonKind.Null;
  } else if (typeof value === "boolean") {
    kind = JsonKind.Bool;
    payload = value ? 1n : 0n;
  } else if (value instanceof JsonNumber) {
    kind = JsonKind.Number;
    payload = BigInt(memory.writeString(value.text));
  } else if (typeof value === "string") {
    kind = JsonKind.String;
    payload = BigInt(memory.writeString(value));
  } else if (Array.isArray(value)) {
    kind = JsonKind.Array;
    payload = BigInt(
      memory.writeArrayU32(
        JsonTypeId.ArrayJsonValue,
        value.map((item) => writeJsonValue(memory, item)),
      ),
    );
  } else {
    kind = JsonKind.Object;
    const entries = Object.entries(value).map(([key, item]) =>
      memory.writeStruct(JsonTypeId.TypedMapEntryStringJsonValue, [memory.writeString(key), writeJsonValue(memory, item)]),
    );
    const array = memory.writeArrayU32(JsonTypeId.ArrayTypedMapEntryStringJsonValue, entries);
    payload = BigInt(memory.writeStruct(JsonTypeId.TypedMapStringJsonValue, [array]));
  }
  return memory.writeEnum(JsonTypeId.JsonValue, kind, payload);
}

/** `Result<JSONValue, boolean>`: the value, or the error flag. */
export function writeJsonResult(memory: AscMemory, value: JsonNode | undefined): number {
  if (value === undefined) {
    const error = memory.allocObject(TypeId.WrappedBool, 1);
    memory.setU32(error, 1);
    return memory.writeStruct(JsonTypeId.ResultJsonValueBool, [0, error]);
  }
  const wrapped = memory.writeStruct(JsonTypeId.WrappedJsonValue, [writeJsonValue(memory, value)]);
  return memory.writeStruct(JsonTypeId.ResultJsonValueBool, [wrapped, 0]);
}

/** A JSON number, kept as written so that large integers lose no precision. */
export class JsonNumber {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

export type JsonNode = null | boolean | string | JsonNumber | JsonNode[] | { [key: string]: JsonNode };

/** JSON.parse with numbers kept as text. */
export function parseJson(text: string): JsonNode {
  return JSON.parse(text, function reviver(this: unknown, _key: string, value: unknown, context?: { source: string }) {
    return typeof value === "number" ? new JsonNumber(context?.source ?? String(value)) : value;
  } as (key: string, value: unknown) => unknown) as JsonNode;
}
