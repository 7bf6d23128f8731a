/** The local indexer: runs a subgraph's compiled mappings against a chain and serves graph-node's GraphQL API. */
export { startLocalIndexer, querySource, DEFAULT_SUBGRAPH_NAME, type LocalIndexer, type LocalIndexerOptions } from "./localIndexer.ts";
export { Indexer, consoleLogger, type IndexerOptions, type BlockPointer, type ContractLocation, type IndexingFailure } from "./indexer.ts";
export { EntityStore } from "./store.ts";
export { parseSubgraphSchema, type SubgraphSchema } from "./schema.ts";
export { buildApiSchema, type QuerySource } from "./graphql/api.ts";
export { executeBoundedQuery, executeQuery, serveGraphql, type GraphqlRequest, type GraphqlResponse } from "./graphql/server.ts";
export { MappingError } from "./runtime/hostFunctions.ts";
export { BigDecimal } from "./runtime/bigNumbers.ts";
export { plainEntity, plainValue, type EntityData, type StoreValue } from "./runtime/values.ts";
