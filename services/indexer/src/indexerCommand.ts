/**
 * The local indexer as a command, called by `w3t-indexer` (./main.ts, `npm start`) and by `w3t indexer`; configured
 * by environment (see indexerUsage). Contract addresses and start blocks come from the sdk's deployments for the
 * chain's id when it has them, else from the built manifest.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseCommandLine } from "@web3torrent/sdk/commandLine";
import { JsonRpc } from "./rpc.ts";
import { startLocalIndexer } from "./localIndexer.ts";
import { DEFAULT_QUERY_LIMITS } from "./graphql/queryBounds.ts";
import type { ContractLocation } from "./indexer.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../../..");

export function indexerUsage(program: string): string {
  return `usage: ${program}   index the chain with the subgraph's mappings and serve GraphQL until Ctrl-C

Environment (default in brackets):
  W3T_RPC_URL                   chain JSON-RPC [http://127.0.0.1:8545]
  W3T_INDEXER_HOST              interface to listen on [127.0.0.1]
  W3T_INDEXER_PORT              port to listen on [8000]
  W3T_SUBGRAPH_BUILD            the subgraph's build folder [subgraph/build]
  W3T_INDEXER_CONFIRMATIONS     blocks behind the head [0]
  W3T_INDEXER_POLL_MS           polling interval [200]
  GRAPH_GRAPHQL_MAX_COMPLEXITY  entities per query, as graph-node [100000]
  GRAPH_GRAPHQL_QUERY_TIMEOUT   seconds per query, as graph-node [10]
  GRAPH_GRAPHQL_ERROR_RESULT_SIZE  bytes per result, as graph-node [8388608]`;
}

function integer(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

/** The contracts of `chainId` in sdk/src/generated/deployments.json, if it has them. */
export function deployedContracts(chainId: number): Record<string, ContractLocation> | undefined {
  const file = join(ROOT, "sdk/src/generated/deployments.json");
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, "utf8"))[String(chainId)]?.contracts;
}

async function main(): Promise<void> {
  const rpcUrl = process.env.W3T_RPC_URL ?? "http://127.0.0.1:8545";
  const buildDir = process.env.W3T_SUBGRAPH_BUILD ?? join(ROOT, "subgraph/build");
  if (!existsSync(join(buildDir, "subgraph.yaml"))) {
    throw new Error(`No subgraph build in ${buildDir}: run \`npm run build --workspace @web3torrent/subgraph\` first`);
  }
  const chainId = Number(await new JsonRpc(rpcUrl).call<string>("eth_chainId"));
  const contracts = deployedContracts(chainId);
  if (!contracts) console.warn(`No deployment for chain ${chainId} in the sdk's deployments: indexing the built manifest's addresses`);
  const indexer = await startLocalIndexer({
    rpcUrl,
    buildDir,
    contracts,
    host: process.env.W3T_INDEXER_HOST ?? "127.0.0.1",
    port: integer("W3T_INDEXER_PORT", 8000),
    confirmations: integer("W3T_INDEXER_CONFIRMATIONS", 0),
    pollIntervalMs: integer("W3T_INDEXER_POLL_MS", 200),
    queryLimits: {
      ...DEFAULT_QUERY_LIMITS,
      maxComplexity: integer("GRAPH_GRAPHQL_MAX_COMPLEXITY", DEFAULT_QUERY_LIMITS.maxComplexity),
      timeoutMs: integer("GRAPH_GRAPHQL_QUERY_TIMEOUT", DEFAULT_QUERY_LIMITS.timeoutMs / 1000) * 1000,
      maxResultBytes: integer("GRAPH_GRAPHQL_ERROR_RESULT_SIZE", DEFAULT_QUERY_LIMITS.maxResultBytes),
    },
  });
  console.log(`Local indexer on chain ${chainId} (${rpcUrl}); GraphQL at ${indexer.url}`);
  const stop = async () => {
    await indexer.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

/** Runs the indexer with command-line `args`; exits the process (0 when stopped, 1 when it cannot start, 2 on bad input). */
export async function indexerCommand(args: string[], program = "w3t-indexer"): Promise<void> {
  // Configured by environment: the only option is --help.
  const { help } = parseCommandLine(program, { args, options: { help: { type: "boolean", short: "h" } } }).values;
  if (help) {
    console.log(indexerUsage(program));
    process.exit(0);
  }
  await main().catch((error: Error) => {
    console.error(`${program}: The local indexer could not start: ${error.message}`);
    process.exit(1);
  });
}
