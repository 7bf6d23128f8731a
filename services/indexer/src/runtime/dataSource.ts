/**
 * A data source of the built subgraph: its compiled mapping, its ABI's events and its handlers. Each trigger
 * runs in a fresh instance of the module, as in graph-node, so no state leaks from one handler to the next:
 * instantiate, `_start`, write the event into the instance's memory, call the handler.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { hexToBytes, type AbiEvent, type Hex } from "viem";
import { parse as parseYaml } from "yaml";
import { AscMemory, type MappingExports } from "./ascMemory.ts";
import { EventDecoder, compareVersions, writeEvent, type BlockData, type RpcLog } from "./ethereum.ts";
import { type HostContext, type LogLevel, MappingError, hostFunctions, importsFor } from "./hostFunctions.ts";
import type { EntityData } from "./values.ts";

/** The oldest mapping API version whose memory layout this runtime implements. */
const MIN_API_VERSION = "0.0.5";

export interface ManifestDataSource {
  kind: string;
  name: string;
  network: string;
  source: { address: string; abi: string; startBlock?: number };
  mapping: {
    apiVersion: string;
    file: string;
    abis: { name: string; file: string }[];
    eventHandlers?: { event: string; handler: string; receipt?: boolean; topic1?: string[] }[];
    blockHandlers?: unknown[];
    callHandlers?: unknown[];
  };
  context?: Record<string, { type: string; data: unknown }>;
}

export interface BuiltSubgraph {
  dir: string;
  schemaFile: string;
  dataSources: ManifestDataSource[];
}

/** Reads a `graph build` output folder (its subgraph.yaml points at the schema, WASM and ABIs). */
export function readBuiltSubgraph(buildDir: string): BuiltSubgraph {
  const manifest = parseYaml(readFileSync(join(buildDir, "subgraph.yaml"), "utf8"));
  return {
    dir: buildDir,
    schemaFile: join(buildDir, manifest.schema.file),
    dataSources: manifest.dataSources ?? [],
  };
}

export interface StoreAccess {
  get(entityType: string, id: string): EntityData | undefined;
  getInBlock(entityType: string, id: string): EntityData | undefined;
  set(entityType: string, id: string, data: EntityData): void;
  remove(entityType: string, id: string): void;
  loadRelated(entityType: string, id: string, field: string): EntityData[];
}

export type Logger = (level: LogLevel, message: string, fields: Record<string, unknown>) => void;

interface Handler {
  name: string;
  decoder: EventDecoder;
}

/** Where a data source runs: its address and start block on the chain being indexed. */
export interface DataSourceLocation {
  address: Hex;
  startBlock: number;
}

export class DataSource {
  readonly name: string;
  readonly network: string;
  readonly apiVersion: string;
  readonly address: Hex;
  readonly startBlock: number;
  private readonly module: WebAssembly.Module;
  private readonly imports: WebAssembly.Imports;
  private readonly handlers = new Map<Hex, Handler>();
  private readonly classIds = new Map<number, number>();
  private memory: AscMemory | undefined;
  private currentStore: StoreAccess | undefined;

  constructor(built: BuiltSubgraph, manifest: ManifestDataSource, location: DataSourceLocation, log: Logger) {
    this.name = manifest.name;
    this.network = manifest.network;
    this.apiVersion = String(manifest.mapping.apiVersion);
    this.address = location.address.toLowerCase() as Hex;
    this.startBlock = location.startBlock;
    if (manifest.kind !== "ethereum/contract" && manifest.kind !== "ethereum") {
      throw new Error(`Data source ${this.name}: kind ${manifest.kind} is not supported (ethereum/contract only)`);
    }
    if (compareVersions(this.apiVersion, MIN_API_VERSION) < 0) {
      throw new Error(`Data source ${this.name}: mapping API version ${this.apiVersion} is older than ${MIN_API_VERSION}`);
    }
    if (manifest.mapping.blockHandlers?.length || manifest.mapping.callHandlers?.length) {
      throw new Error(`Data source ${this.name}: block and call handlers are not supported by the local indexer`);
    }

    const abiFile = manifest.mapping.abis.find((abi) => abi.name === manifest.source.abi);
    if (!abiFile) throw new Error(`Data source ${this.name}: ABI ${manifest.source.abi} is not listed`);
    const abiJson = JSON.parse(readFileSync(join(built.dir, abiFile.file), "utf8"));
    const abi: AbiEvent[] = (Array.isArray(abiJson) ? abiJson : abiJson.abi).filter((item: { type: string }) => item.type === "event");
    for (const { event, handler, receipt } of manifest.mapping.eventHandlers ?? []) {
      if (receipt)
        throw new Error(`Data source ${this.name}: handler ${handler} asks for receipts, which the local indexer does not fetch`);
      const name = event.slice(0, event.indexOf("("));
      const matching = abi.filter((item) => item.name === name && signatureOf(item) === normalizeSignature(event));
      if (matching.length !== 1) throw new Error(`Data source ${this.name}: event ${event} is not in ABI ${manifest.source.abi}`);
      const decoder = new EventDecoder(matching[0]);
      this.handlers.set(decoder.selector, { name: handler, decoder });
    }

    this.module = new WebAssembly.Module(readFileSync(join(built.dir, manifest.mapping.file)));
    const host: HostContext = {
      memory: () => {
        if (!this.memory) throw new Error("No mapping instance is running");
        return this.memory;
      },
      dataSourceName: this.name,
      network: this.network,
      address: hexToBytes(this.address),
      context: contextEntity(manifest.context),
      store: {
        get: (type, id) => this.store().get(type, id),
        getInBlock: (type, id) => this.store().getInBlock(type, id),
        set: (type, id, data) => this.store().set(type, id, data),
        remove: (type, id) => this.store().remove(type, id),
        loadRelated: (type, id, field) => this.store().loadRelated(type, id, field),
      },
      log: (level, message) => log(level, message, { dataSource: this.name }),
    };
    this.imports = importsFor(this.module, hostFunctions(host));
  }

  private store(): StoreAccess {
    if (!this.currentStore) throw new Error("No handler is running");
    return this.currentStore;
  }

  /** The event topics this data source handles. */
  get topics(): Hex[] {
    return [...this.handlers.keys()];
  }

  /** The handler for `log`, if this data source handles it at its block. */
  handlerFor(log: RpcLog): string | undefined {
    if (log.address.toLowerCase() !== this.address) return undefined;
    if (Number(log.blockNumber) < this.startBlock) return undefined;
    return this.handlers.get(log.topics[0]?.toLowerCase() as Hex)?.name;
  }

  /** Runs the handler of `log` in a fresh instance; a MappingError means the handler failed deterministically. */
  handle(log: RpcLog, block: BlockData, store: StoreAccess): void {
    const handler = this.handlers.get(log.topics[0]?.toLowerCase() as Hex);
    if (!handler) return;
    const parameters = handler.decoder.decode(log);
    const instance = new WebAssembly.Instance(this.module, this.imports);
    const exports = instance.exports as unknown as MappingExports & Record<string, (...args: number[]) => void>;
    this.memory = new AscMemory(exports, this.classIds);
    this.currentStore = store;
    try {
      exports._start();
      const eventPtr = writeEvent(this.memory, this.apiVersion, log, block, parameters);
      const run = exports[handler.name];
      if (typeof run !== "function") throw new MappingError(`function ${handler.name} not found`);
      run(eventPtr);
    } catch (error) {
      if (error instanceof MappingError) throw error;
      // A WebAssembly trap (unreachable, out of bounds ...) is deterministic too.
      if (error instanceof WebAssembly.RuntimeError) throw new MappingError(`${error.message} in handler ${handler.name}`);
      throw error;
    } finally {
      this.memory = undefined;
      this.currentStore = undefined;
    }
  }
}

/** `Name(indexed uint256,address)` without spaces, for comparing with the manifest's signatures. */
function normalizeSignature(signature: string): string {
  return signature.replace(/\s+/g, " ").replace(/ ?, ?/g, ",").replace(/\( /g, "(").replace(/ \)/g, ")");
}

function signatureOf(event: AbiEvent): string {
  const type = (p: { type: string; components?: readonly { type: string }[] }): string =>
    p.type.startsWith("tuple") ? `(${(p.components ?? []).map(type).join(",")})${p.type.slice(5)}` : p.type;
  return `${event.name}(${event.inputs.map((p) => `${"indexed" in p && p.indexed ? "indexed " : ""}${type(p)}`).join(",")})`;
}

/** The manifest's `context:` as an entity (dataSource.context()). */
function contextEntity(context: ManifestDataSource["context"]): EntityData {
  const data: EntityData = new Map();
  for (const [key, { type, data: value }] of Object.entries(context ?? {})) {
    switch (type) {
      case "Bool":
        data.set(key, { kind: "Bool", value: Boolean(value) });
        break;
      case "String":
        data.set(key, { kind: "String", value: String(value) });
        break;
      case "Int":
        data.set(key, { kind: "Int", value: Number(value) });
        break;
      case "Int8":
        data.set(key, { kind: "Int8", value: BigInt(value as string) });
        break;
      case "BigInt":
        data.set(key, { kind: "BigInt", value: BigInt(value as string) });
        break;
      case "Bytes":
        data.set(key, { kind: "Bytes", value: hexToBytes(value as Hex) });
        break;
      default:
        throw new Error(`Context value ${key}: type ${type} is not supported`);
    }
  }
  return data;
}
