/**
 * Follows a chain and runs the subgraph's mappings on it: fetches the logs of every data source in block ranges,
 * feeds each log to its handler in block and log order, commits each block to the store, and notices
 * reorganisations (a block it indexed no longer has the same hash) by reverting to the last block the chain
 * still agrees with. The store lives in memory: a restarted indexer re-syncs from the start blocks.
 *
 * A handler that fails deterministically stops indexing at that block, as in graph-node: what was indexed
 * before stays queryable and `_meta.hasIndexingErrors` turns true.
 */
import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import type { Hex } from "viem";
import { DataSource, type Logger, readBuiltSubgraph } from "./runtime/dataSource.ts";
import { type RpcBlock, type RpcLog, blockData } from "./runtime/ethereum.ts";
import { MappingError } from "./runtime/hostFunctions.ts";
import { JsonRpc } from "./rpc.ts";
import { parseSubgraphSchema, type SubgraphSchema } from "./schema.ts";
import { EntityStore } from "./store.ts";

export interface ContractLocation {
  address: string;
  startBlock: number;
}

export interface IndexerOptions {
  /** JSON-RPC endpoint of the chain. */
  rpcUrl: string;
  /** Output folder of `graph build` (with subgraph.yaml, schema and WASM). */
  buildDir: string;
  /** Addresses and start blocks per data source name; defaults to the built manifest's. */
  contracts?: Record<string, ContractLocation>;
  /** Milliseconds between polls of the chain head. */
  pollIntervalMs?: number;
  /** Most blocks per eth_getLogs request (halved on provider errors). */
  blockRange?: number;
  /** Blocks to stay behind the head, for chains that reorganise. */
  confirmations?: number;
  /** Blocks per data source range kept to detect reorganisations. */
  reorgHistory?: number;
  logger?: Logger;
}

export interface BlockPointer {
  number: number;
  hash: Hex;
  timestamp: number;
  parentHash: Hex;
}

export interface IndexingFailure {
  block: number;
  dataSource: string;
  message: string;
}

const DEFAULT_POLL_INTERVAL_MS = 200;
const DEFAULT_BLOCK_RANGE = 2000;
const DEFAULT_REORG_HISTORY = 10_000;
/** Blocks whose full bodies are fetched per batched request. */
const BLOCK_BATCH = 100;

export const consoleLogger: Logger = (level, message, fields) => {
  const extra = Object.keys(fields).length ? ` ${JSON.stringify(fields)}` : "";
  const line = `[indexer] ${level.toUpperCase()} ${message}${extra}`;
  if (level === "debug") return;
  (level === "critical" || level === "error" ? console.error : console.log)(line);
};

function pointerOf(block: RpcBlock): BlockPointer {
  return { number: Number(block.number), hash: block.hash, timestamp: Number(block.timestamp), parentHash: block.parentHash };
}

export class Indexer extends EventEmitter {
  readonly schema: SubgraphSchema;
  readonly store: EntityStore;
  readonly dataSources: DataSource[];
  readonly rpc: JsonRpc;
  /** The last block fully indexed; null before the first. */
  latest: BlockPointer | null = null;
  failure: IndexingFailure | null = null;
  /** Handlers run since the start: the benchmark's event count. */
  eventsProcessed = 0;
  private readonly options: Required<Omit<IndexerOptions, "contracts" | "logger">>;
  private readonly log: Logger;
  /** Indexed blocks (event blocks and range ends), to find the common ancestor after a reorg. */
  private readonly blocks = new Map<number, BlockPointer>();
  private readonly byHash = new Map<string, BlockPointer>();
  private blockRange: number;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(options: IndexerOptions) {
    super();
    this.options = {
      rpcUrl: options.rpcUrl,
      buildDir: options.buildDir,
      pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
      blockRange: options.blockRange ?? DEFAULT_BLOCK_RANGE,
      confirmations: options.confirmations ?? 0,
      reorgHistory: options.reorgHistory ?? DEFAULT_REORG_HISTORY,
    };
    this.blockRange = this.options.blockRange;
    this.log = options.logger ?? consoleLogger;
    this.rpc = new JsonRpc(options.rpcUrl);
    const built = readBuiltSubgraph(options.buildDir);
    this.schema = parseSubgraphSchema(readFileSync(built.schemaFile, "utf8"));
    this.store = new EntityStore(this.schema);
    this.dataSources = built.dataSources.map((manifest) => {
      const location = options.contracts?.[manifest.name] ?? {
        address: manifest.source.address,
        startBlock: manifest.source.startBlock ?? 0,
      };
      return new DataSource(built, manifest, { address: location.address as Hex, startBlock: location.startBlock }, this.log);
    });
  }

  get network(): string {
    return this.dataSources[0]?.network ?? "unknown";
  }

  private get startBlock(): number {
    return Math.min(...this.dataSources.map((ds) => ds.startBlock));
  }

  /** Follows the chain until `stop()`. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          await this.sync();
        } catch (error) {
          this.log("warning", `Sync failed, retrying: ${(error as Error).message}`, {});
        }
        if (!this.running) break;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.options.pollIntervalMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Resolves once block `number` is indexed (or rejects when indexing failed before it). */
  waitForBlock(number: number, timeoutMs = 30_000): Promise<BlockPointer> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.latest && this.latest.number >= number) return done(() => resolve(this.latest!));
        if (this.failure) return done(() => reject(new Error(`Indexing failed at block ${this.failure!.block}: ${this.failure!.message}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`Block ${number} not indexed within ${timeoutMs} ms`))), timeoutMs);
      const done = (finish: () => void) => {
        clearTimeout(timer);
        this.off("block", check);
        this.off("failed", check);
        finish();
      };
      this.on("block", check);
      this.on("failed", check);
      this.wake?.();
      check();
    });
  }

  /** Indexes everything up to the chain's head (less the confirmations) and returns. */
  async sync(): Promise<void> {
    if (this.failure) return;
    await this.checkReorg();
    const head = Number(await this.rpc.call<Hex>("eth_blockNumber"));
    const target = head - this.options.confirmations;
    while (!this.failure && (this.latest?.number ?? this.startBlock - 1) < target) {
      const from = this.latest ? this.latest.number + 1 : this.startBlock;
      const to = Math.min(target, from + this.blockRange - 1);
      if (!(await this.indexRange(from, to))) {
        // The chain changed under the range: find where it still agrees, and continue at the next poll.
        await this.checkReorg();
        return;
      }
    }
  }

  /** Indexes blocks `from`..`to`; false when the chain changed under the range (a reorg): nothing is kept. */
  private async indexRange(from: number, to: number): Promise<boolean> {
    let logs: RpcLog[];
    try {
      logs = await this.rpc.call<RpcLog[]>("eth_getLogs", [
        {
          fromBlock: `0x${from.toString(16)}`,
          toBlock: `0x${to.toString(16)}`,
          address: this.dataSources.map((ds) => ds.address),
          topics: [[...new Set(this.dataSources.flatMap((ds) => ds.topics))]],
        },
      ]);
    } catch (error) {
      // Providers cap ranges and result sizes: retry the range in halves.
      if (to > from) {
        this.blockRange = Math.max(1, Math.floor((to - from + 1) / 2));
        this.log("info", `eth_getLogs failed for ${to - from + 1} blocks, trying ${this.blockRange}: ${(error as Error).message}`, {});
        return true;
      }
      throw error;
    }
    logs = logs.filter((log) => !log.removed);
    logs.sort((a, b) => Number(BigInt(a.blockNumber) - BigInt(b.blockNumber)) || Number(BigInt(a.logIndex) - BigInt(b.logIndex)));

    const byBlock = new Map<number, RpcLog[]>();
    for (const log of logs) {
      const number = Number(log.blockNumber);
      const list = byBlock.get(number);
      if (list) list.push(log);
      else byBlock.set(number, [log]);
    }
    const numbers = [...byBlock.keys()];
    if (!byBlock.has(to)) numbers.push(to);

    for (let i = 0; i < numbers.length; i += BLOCK_BATCH) {
      const chunk = numbers.slice(i, i + BLOCK_BATCH);
      const blocks = await this.rpc.batch<RpcBlock | null>(
        chunk.map((n) => ({ method: "eth_getBlockByNumber", params: [`0x${n.toString(16)}`, byBlock.has(n)] })),
      );
      for (const [j, block] of blocks.entries()) {
        const number = chunk[j];
        if (!block) return false;
        const blockLogs = byBlock.get(number);
        if (blockLogs) {
          if (blockLogs.some((log) => log.blockHash.toLowerCase() !== block.hash.toLowerCase())) return false;
          if (!this.processBlock(block, blockLogs)) {
            // Everything before the failed block is indexed: its parent is the latest good block.
            const parent = await this.rpc.call<RpcBlock | null>("eth_getBlockByHash", [block.parentHash, false]);
            if (parent && (!this.latest || Number(parent.number) > this.latest.number)) this.advance(pointerOf(parent));
            return true;
          }
        } else {
          this.advance(pointerOf(block));
        }
      }
    }
    return true;
  }

  /** Runs the handlers of one block's logs and commits it; false when a handler failed. */
  private processBlock(block: RpcBlock, logs: RpcLog[]): boolean {
    const data = blockData(block);
    const number = Number(block.number);
    for (const log of logs) {
      for (const dataSource of this.dataSources) {
        if (!dataSource.handlerFor(log)) continue;
        try {
          dataSource.handle(log, data, this.store);
          this.store.commitHandler();
          this.eventsProcessed++;
        } catch (error) {
          if (!(error instanceof MappingError)) {
            this.store.discardBlock();
            throw error;
          }
          this.store.discardBlock();
          this.failure = { block: number, dataSource: dataSource.name, message: error.message };
          this.log("error", `Handler failed at block ${number}, indexing stopped: ${error.message}`, {
            dataSource: dataSource.name,
            transaction: log.transactionHash,
            logIndex: Number(log.logIndex),
          });
          this.emit("failed", this.failure);
          return false;
        }
      }
    }
    this.store.commitBlock(number);
    this.advance(pointerOf(block));
    return true;
  }

  private advance(pointer: BlockPointer): void {
    this.latest = pointer;
    this.blocks.set(pointer.number, pointer);
    this.byHash.set(pointer.hash.toLowerCase(), pointer);
    if (this.blocks.size > this.options.reorgHistory) {
      const oldest = this.blocks.values().next().value!;
      this.forget(oldest);
    }
    this.emit("block", pointer);
  }

  private forget(pointer: BlockPointer): void {
    this.blocks.delete(pointer.number);
    this.byHash.delete(pointer.hash.toLowerCase());
  }

  /** An indexed block by its hash (for queries with `block: { hash }`). */
  blockByHash(hash: string): BlockPointer | undefined {
    return this.byHash.get(hash.toLowerCase());
  }

  /** If the chain no longer has the latest indexed block, reverts to the newest block it still agrees with. */
  private async checkReorg(): Promise<void> {
    if (!this.latest) return;
    const current = await this.rpc.call<RpcBlock | null>("eth_getBlockByNumber", [`0x${this.latest.number.toString(16)}`, false]);
    if (current && current.hash.toLowerCase() === this.latest.hash.toLowerCase()) return;

    const known = [...this.blocks.values()].sort((a, b) => b.number - a.number);
    let ancestor: BlockPointer | null = null;
    for (let i = 0; i < known.length && !ancestor; i += BLOCK_BATCH) {
      const chunk = known.slice(i, i + BLOCK_BATCH);
      const blocks = await this.rpc.batch<RpcBlock | null>(
        chunk.map(({ number }) => ({ method: "eth_getBlockByNumber", params: [`0x${number.toString(16)}`, false] })),
      );
      const index = blocks.findIndex((block, j) => block && block.hash.toLowerCase() === chunk[j].hash.toLowerCase());
      if (index >= 0) ancestor = pointerOf(blocks[index]!);
    }
    const revertTo = ancestor ? ancestor.number : this.startBlock - 1;
    this.log("warning", `Chain reorganisation: block ${this.latest.number} changed; reverting to block ${revertTo}`, {});
    this.store.revertAbove(revertTo);
    for (const pointer of [...this.blocks.values()]) if (pointer.number > revertTo) this.forget(pointer);
    this.latest = ancestor;
    if (this.failure && this.failure.block > revertTo) this.failure = null;
    this.emit("reorg", ancestor);
  }
}
