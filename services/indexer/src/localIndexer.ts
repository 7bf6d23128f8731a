/**
 * The local indexer as a service: follows the chain with the built subgraph and serves its GraphQL API.
 *
 *   const indexer = await startLocalIndexer({ rpcUrl, buildDir, contracts });
 *   // indexer.url: http://127.0.0.1:8000/subgraphs/name/web3torrent
 *   await indexer.stop();
 */
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Hex } from "viem";
import { buildApiSchema, type BlockInfo, type QuerySource } from "./graphql/api.ts";
import type { QueryLimits } from "./graphql/queryBounds.ts";
import { executeBoundedQuery, type GraphqlRequest, type GraphqlResponse, serveGraphql } from "./graphql/server.ts";
import { Indexer, type IndexerOptions } from "./indexer.ts";

export const DEFAULT_SUBGRAPH_NAME = "web3torrent";

export interface LocalIndexerOptions extends IndexerOptions {
  host?: string;
  /** HTTP port of the GraphQL API; 0 picks a free one. */
  port?: number;
  subgraphName?: string;
  /** Complexity and time limits of queries (queryBounds.ts). */
  queryLimits?: QueryLimits;
}

export interface LocalIndexer {
  indexer: Indexer;
  /** The GraphQL endpoint, as graph-node names it. */
  url: string;
  /** Runs a query in-process, exactly as the HTTP endpoint would. */
  query(request: GraphqlRequest): Promise<GraphqlResponse>;
  stop(): Promise<void>;
}

/** A content hash of the build, standing in for graph-node's deployment id (the manifest's IPFS hash). */
function deploymentId(buildDir: string): string {
  const hash = createHash("sha256");
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else hash.update(name).update(readFileSync(path));
    }
  };
  walk(buildDir);
  return `local-${hash.digest("hex").slice(0, 32)}`;
}

/** The GraphQL source of an indexer. */
export function querySource(indexer: Indexer, deployment: string): QuerySource {
  const info = (pointer: { number: number; hash: Hex; timestamp: number; parentHash: Hex }): BlockInfo => ({ ...pointer });
  return {
    schema: indexer.schema,
    store: indexer.store,
    deployment,
    latest: () => (indexer.latest ? info(indexer.latest) : null),
    blockByHash: (hash) => {
      const found = indexer.blockByHash(hash);
      return found ? info(found) : undefined;
    },
    hasIndexingErrors: () => indexer.failure !== null,
  };
}

export async function startLocalIndexer(options: LocalIndexerOptions): Promise<LocalIndexer> {
  const indexer = new Indexer(options);
  const source = querySource(indexer, deploymentId(options.buildDir));
  const api = buildApiSchema(source);
  const { server, url } = await serveGraphql({
    api,
    source,
    subgraphName: options.subgraphName ?? DEFAULT_SUBGRAPH_NAME,
    host: options.host,
    port: options.port,
    limits: options.queryLimits,
  });
  indexer.start();
  return {
    indexer,
    url,
    query: (request) => executeBoundedQuery(api, source, request, options.queryLimits),
    async stop() {
      await indexer.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
