/**
 * The local indexer of the dev stack: builds the subgraph for the local deployment (skipped when unchanged),
 * then runs services/indexer against the chain and waits until its GraphQL endpoint answers.
 *
 *   const indexer = await startIndexer({ rpcUrl, host });
 *   indexer.url  // http://127.0.0.1:8000/subgraphs/name/web3torrent — the app's GraphQL URL
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSubgraph } from "@web3torrent/subgraph/build";
import { startNode, waitFor } from "./processes.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const SUBGRAPH_NAME = "web3torrent";

/** W3T_INDEXER_PORT, default 8000 (graph-node's query port). */
export function indexerPort(): number {
  const raw = process.env.W3T_INDEXER_PORT;
  const port = raw === undefined ? 8000 : Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`W3T_INDEXER_PORT must be a port number, got "${raw}"`);
  return port;
}

export async function startIndexer({ rpcUrl, host }: { rpcUrl: string; host: string }): Promise<{ url: string }> {
  const { buildDir } = await buildSubgraph({ network: "localhost" });
  const port = indexerPort();
  startNode({
    name: "indexer",
    args: [join(ROOT, "services/indexer/src/main.ts")],
    env: { W3T_RPC_URL: rpcUrl, W3T_INDEXER_HOST: host, W3T_INDEXER_PORT: String(port), W3T_SUBGRAPH_BUILD: buildDir },
    verbose: false,
  });
  const url = `http://${host}:${port}/subgraphs/name/${SUBGRAPH_NAME}`;
  await waitFor("Local indexer", async () => {
    const response = await fetch(url, { method: "POST", body: JSON.stringify({ query: "{ _meta { block { number } } }" }) });
    const body = (await response.json()) as { data?: unknown };
    return body.data !== undefined;
  });
  return { url };
}
