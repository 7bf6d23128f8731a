/**
 * graph-node's host functions, the imports of a compiled mapping: the store, big-number math, type conversions,
 * JSON, crypto, logging and the data source. Each behaves as graph-node's does for the same inputs, including
 * the deterministic errors that fail a handler (division by zero, malformed input, aborts).
 *
 * Functions graph-node offers but this indexer cannot (contract calls and IPFS need asynchronous I/O inside a
 * synchronous WebAssembly call; templates are not used by this subgraph) are linked and fail when called, with
 * a message that says so, so that a module importing them still loads.
 */
import { keccak256 } from "viem";
import { type AscMemory, TypeId } from "./ascMemory.ts";
import { BigDecimal, checkBigIntSize } from "./bigNumbers.ts";
import {
  type EntityData,
  parseJson,
  readBigDecimal,
  readBigInt,
  readEntity,
  writeBigDecimal,
  writeBigInt,
  writeEntity,
  writeJsonResult,
  writeJsonValue,
} from "./values.ts";

/** An error that graph-node treats as deterministic: it fails the handler the same way on every node. */
export class MappingError extends Error {
  override name = "MappingError";
}

/** What the host functions read and write outside the module. */
export interface HostContext {
  /** The current instance's memory; set before each handler runs. */
  memory(): AscMemory;
  dataSourceName: string;
  network: string;
  address: Uint8Array;
  context: EntityData;
  store: {
    get(entityType: string, id: string): EntityData | undefined;
    getInBlock(entityType: string, id: string): EntityData | undefined;
    set(entityType: string, id: string, data: EntityData): void;
    remove(entityType: string, id: string): void;
    loadRelated(entityType: string, id: string, field: string): EntityData[];
  };
  log(level: LogLevel, message: string): void;
}

export type LogLevel = "critical" | "error" | "warning" | "info" | "debug";
const LOG_LEVELS: LogLevel[] = ["critical", "error", "warning", "info", "debug"];

type HostFunction = (...args: number[]) => number | bigint | void;

const BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

function base58(bytes: Uint8Array): string {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  let text = "";
  while (value > 0n) {
    text = BASE58_ALPHABET[Number(value % 58n)] + text;
    value /= 58n;
  }
  for (const byte of bytes) {
    if (byte !== 0) break;
    text = "1" + text;
  }
  return text;
}

function hex(bytes: Uint8Array): string {
  return "0x" + Buffer.from(bytes).toString("hex");
}

/** Address::from_str: 40 hex digits, with or without 0x. */
function parseAddress(text: string): Uint8Array {
  const digits = text.startsWith("0x") ? text.slice(2) : text;
  if (!/^[0-9a-fA-F]{40}$/.test(digits)) throw new MappingError(`Failed to convert string to Address: '${text}'`);
  return Uint8Array.from(Buffer.from(digits, "hex"));
}

function parseBigInt(text: string): bigint {
  if (!/^[+-]?\d+$/.test(text)) throw new MappingError(`string is not a BigInt: \`${text}\``);
  return BigInt(text);
}

function bytesToString(bytes: Uint8Array): string {
  return new TextDecoder("utf-8", { fatal: false }).decode(bytes).replace(/\u0000+$/, "");
}

/** Builds the import functions by name; `importsFor` wires them to the module names a mapping declares. */
export function hostFunctions(host: HostContext): Record<string, HostFunction> {
  const m = () => host.memory();
  const bigInt = (ptr: number) => readBigInt(m(), ptr);
  const newBigInt = (value: bigint) => writeBigInt(m(), checkBigIntSize(value));
  const decimal = (ptr: number) => readBigDecimal(m(), ptr);
  const newDecimal = (value: BigDecimal) => writeBigDecimal(m(), value);
  const text = (ptr: number) => m().readString(ptr);
  const guard = <T>(run: () => T): T => {
    try {
      return run();
    } catch (error) {
      if (error instanceof MappingError) throw error;
      throw new MappingError((error as Error).message);
    }
  };

  return {
    abort(messagePtr, filePtr, line, column) {
      const message = messagePtr ? `message: ${m().readString(messagePtr)}` : "no message";
      const file = filePtr ? m().readString(filePtr) : null;
      const location =
        file === null
          ? "an unknown location"
          : [file, line ? `line ${line}` : null, line && column ? `column ${column}` : null].filter(Boolean).join(", ");
      throw new MappingError(`Mapping aborted at ${location}, with ${message}`);
    },

    "store.get"(entityPtr, idPtr) {
      const data = host.store.get(text(entityPtr), text(idPtr));
      return data ? writeEntity(m(), data) : 0;
    },
    "store.get_in_block"(entityPtr, idPtr) {
      const data = host.store.getInBlock(text(entityPtr), text(idPtr));
      return data ? writeEntity(m(), data) : 0;
    },
    "store.set"(entityPtr, idPtr, dataPtr) {
      guard(() => host.store.set(text(entityPtr), text(idPtr), readEntity(m(), dataPtr)));
    },
    "store.remove"(entityPtr, idPtr) {
      guard(() => host.store.remove(text(entityPtr), text(idPtr)));
    },
    "store.loadRelated"(entityPtr, idPtr, fieldPtr) {
      const related = guard(() => host.store.loadRelated(text(entityPtr), text(idPtr), text(fieldPtr)));
      const items = related.map((data) => writeEntity(m(), data));
      return m().writeArrayU32(TypeId.ArrayTypedMapStringStoreValue, items);
    },

    "typeConversion.bytesToString": (ptr) => m().writeString(bytesToString(m().readBytes(ptr))),
    "typeConversion.bytesToHex": (ptr) => m().writeString(hex(m().readBytes(ptr))),
    "typeConversion.bigIntToString": (ptr) => m().writeString(bigInt(ptr).toString()),
    "typeConversion.bigIntToHex"(ptr) {
      const value = bigInt(ptr);
      const magnitude = value < 0n ? -value : value;
      return m().writeString(`0x${magnitude.toString(16)}`);
    },
    "typeConversion.stringToH160": (ptr) => m().writeBytes(parseAddress(text(ptr))),
    "typeConversion.bytesToBase58": (ptr) => m().writeString(base58(m().readBytes(ptr))),

    "bigInt.plus": (x, y) => newBigInt(bigInt(x) + bigInt(y)),
    "bigInt.minus": (x, y) => newBigInt(bigInt(x) - bigInt(y)),
    "bigInt.times": (x, y) => newBigInt(bigInt(x) * bigInt(y)),
    "bigInt.dividedBy"(x, y) {
      const divisor = bigInt(y);
      if (divisor === 0n) throw new MappingError(`attempted to divide BigInt \`${bigInt(x)}\` by zero`);
      return newBigInt(bigInt(x) / divisor);
    },
    "bigInt.dividedByDecimal"(x, y) {
      const divisor = decimal(y);
      return newDecimal(guard(() => BigDecimal.fromBigInt(bigInt(x)).dividedBy(divisor)));
    },
    "bigInt.mod"(x, y) {
      const divisor = bigInt(y);
      if (divisor === 0n) throw new MappingError(`attempted to calculate the remainder of \`${bigInt(x)}\` with a divisor of zero`);
      return newBigInt(bigInt(x) % divisor);
    },
    "bigInt.pow": (x, exponent) => newBigInt(bigInt(x) ** BigInt(exponent & 0xff)),
    "bigInt.fromString": (ptr) => newBigInt(parseBigInt(text(ptr))),
    "bigInt.bitOr": (x, y) => newBigInt(bigInt(x) | bigInt(y)),
    "bigInt.bitAnd": (x, y) => newBigInt(bigInt(x) & bigInt(y)),
    "bigInt.leftShift": (x, bits) => newBigInt(bigInt(x) << BigInt(bits & 0xff)),
    "bigInt.rightShift": (x, bits) => newBigInt(bigInt(x) >> BigInt(bits & 0xff)),

    "bigDecimal.toString": (ptr) => m().writeString(decimal(ptr).toString()),
    "bigDecimal.fromString": (ptr) => newDecimal(guard(() => BigDecimal.parse(text(ptr)))),
    "bigDecimal.plus": (x, y) => newDecimal(decimal(x).plus(decimal(y))),
    "bigDecimal.minus": (x, y) => newDecimal(decimal(x).minus(decimal(y))),
    "bigDecimal.times": (x, y) => newDecimal(decimal(x).times(decimal(y))),
    "bigDecimal.dividedBy": (x, y) => newDecimal(guard(() => decimal(x).dividedBy(decimal(y)))),
    "bigDecimal.equals": (x, y) => (decimal(x).equals(decimal(y)) ? 1 : 0),

    "crypto.keccak256": (ptr) => m().writeBytes(Uint8Array.from(Buffer.from(keccak256(m().readBytes(ptr)).slice(2), "hex"))),

    "json.fromBytes"(ptr) {
      const source = bytesToString(m().readBytes(ptr));
      return writeJsonValue(
        m(),
        guard(() => parseJson(source)),
      );
    },
    "json.try_fromBytes"(ptr) {
      const source = bytesToString(m().readBytes(ptr));
      let parsed;
      try {
        parsed = parseJson(source);
      } catch {
        parsed = undefined;
      }
      return writeJsonResult(m(), parsed);
    },
    "json.toI64"(ptr) {
      const value = parseBigInt(text(ptr));
      if (value < -(2n ** 63n) || value >= 2n ** 63n) throw new MappingError(`JSON value is not an i64: ${value}`);
      return value;
    },
    "json.toU64"(ptr) {
      const value = parseBigInt(text(ptr));
      if (value < 0n || value >= 2n ** 64n) throw new MappingError(`JSON value is not a u64: ${value}`);
      return BigInt.asIntN(64, value);
    },
    "json.toF64"(ptr) {
      const value = Number(text(ptr));
      if (Number.isNaN(value)) throw new MappingError(`JSON value is not an f64: ${text(ptr)}`);
      return value as unknown as number;
    },
    "json.toBigInt": (ptr) => newBigInt(parseBigInt(text(ptr))),

    "log.log"(level, messagePtr) {
      const message = text(messagePtr);
      const name = LOG_LEVELS[level] ?? "info";
      host.log(name, message);
      if (name === "critical") throw new MappingError(`Critical error logged in mapping with log message: ${message}`);
    },

    "dataSource.address": () => m().writeBytes(host.address),
    "dataSource.network": () => m().writeString(host.network),
    "dataSource.context": () => writeEntity(m(), host.context),

    "ens.nameByHash": () => 0,
  };
}

/** Host functions graph-node has and this indexer refuses, with the reason. */
const UNSUPPORTED: Record<string, string> = {
  "ethereum.call": "contract calls are not supported by the local indexer (the mappings are built from events only)",
  "ethereum.getBalance": "balance reads are not supported by the local indexer",
  "ethereum.hasCode": "code reads are not supported by the local indexer",
  "ethereum.encode": "ABI encoding is not supported by the local indexer",
  "ethereum.decode": "ABI decoding is not supported by the local indexer",
  "ipfs.cat": "IPFS is not available to the local indexer",
  "ipfs.map": "IPFS is not available to the local indexer",
  "ipfs.getBlock": "IPFS is not available to the local indexer",
  "dataSource.create": "data source templates are not supported by the local indexer",
  "dataSource.createWithContext": "data source templates are not supported by the local indexer",
};

/** The import object of `module`: every import bound to its host function, whatever module name declares it. */
export function importsFor(module: WebAssembly.Module, functions: Record<string, HostFunction>): WebAssembly.Imports {
  const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  for (const { module: moduleName, name, kind } of WebAssembly.Module.imports(module)) {
    if (kind !== "function") throw new Error(`The mapping imports a ${kind} (${moduleName}.${name}); only functions are provided`);
    const implementation =
      functions[name] ??
      (() => {
        throw new MappingError(`Host function ${name}: ${UNSUPPORTED[name] ?? "not implemented by the local indexer"}`);
      });
    (imports[moduleName] ??= {})[name] = implementation as WebAssembly.ImportValue;
  }
  return imports;
}
