/**
 * Query execution and the HTTP endpoint, with graph-node's conventions: POST (or GET with `?query=`) to
 * `/subgraphs/name/<name>`, answers `{"data": ...}` or `{"errors": [{"message", "locations"}]}`. A bad query is
 * answered, never thrown: parse and validation errors, unknown entities or fields, malformed filters and
 * out-of-range arguments all come back as errors with HTTP 200; only an unreadable request body is a 400.
 * Queries are bounded as in queryBounds.ts: a complexity limit before execution, and over HTTP a time limit with
 * execution in slices that let other queries run.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationContext,
  execute,
  executeSync,
  parse,
  specifiedRules,
  validate,
} from "graphql";
import { type QuerySource, requestContext } from "./api.ts";
import { QueryError } from "./filters.ts";
import {
  DEFAULT_QUERY_LIMITS,
  EXECUTION_BOUNDS,
  QuerySlots,
  THROTTLED_MESSAGE,
  TIMEOUT_MESSAGE,
  type QueryLimits,
  boundResolvers,
  complexityRule,
  executionBounds,
  stopQuery,
} from "./queryBounds.ts";
import { SliceScheduler } from "./sliceScheduler.ts";

/** graph-node's default GRAPH_GRAPHQL_MAX_DEPTH. */
export const MAX_DEPTH = 255;
const MAX_BODY_BYTES = 1024 * 1024;

export interface GraphqlRequest {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

export interface GraphqlResponse {
  data?: unknown;
  errors?: { message: string; locations?: readonly { line: number; column: number }[]; path?: readonly (string | number)[] }[];
}

/** graph-node's wording for the errors its users see most. */
function graphNodeMessage(message: string): string {
  const unknownField = /^Cannot query field "([^"]+)" on type "([^"]+)"\./.exec(message);
  if (unknownField) return `Type \`${unknownField[2]}\` has no field \`${unknownField[1]}\``;
  const unknownInput = /^Field "([^"]+)" is not defined by type "([^"]+)"\./.exec(message);
  if (unknownInput) return `Type \`${unknownInput[2]}\` has no field \`${unknownInput[1]}\``;
  return message;
}

function formatError(error: GraphQLError): NonNullable<GraphqlResponse["errors"]>[number] {
  const formatted: NonNullable<GraphqlResponse["errors"]>[number] = { message: graphNodeMessage(error.message) };
  if (error.locations) formatted.locations = error.locations;
  if (error.path) formatted.path = error.path;
  return formatted;
}

/** Rejects selections nested deeper than `MAX_DEPTH` (fragments expanded). */
function depthRule(context: ValidationContext): ASTVisitor {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of context.getDocument().definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const fragmentDepths = new Map<string, number>();
  const depth = (selectionSet: SelectionSetNode | undefined, visiting: Set<string>): number => {
    if (!selectionSet) return 0;
    let deepest = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        deepest = Math.max(deepest, 1 + depth(selection.selectionSet, visiting));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        deepest = Math.max(deepest, depth(selection.selectionSet, visiting));
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || visiting.has(name)) continue;
        // Each fragment's depth is computed once: re-expanding it at every spread is exponential in the nesting.
        let fragmentDepth = fragmentDepths.get(name);
        if (fragmentDepth === undefined) {
          visiting.add(name);
          fragmentDepth = depth(fragment.selectionSet, visiting);
          visiting.delete(name);
          fragmentDepths.set(name, fragmentDepth);
        }
        deepest = Math.max(deepest, fragmentDepth);
      }
      if (deepest > MAX_DEPTH) return deepest;
    }
    return deepest;
  };
  return {
    OperationDefinition(node) {
      if (depth(node.selectionSet, new Set()) > MAX_DEPTH) {
        context.reportError(new GraphQLError(`query has a depth that exceeds the limit of \`${MAX_DEPTH}\``, { nodes: node }));
      }
    },
  };
}

type Prepared =
  | { errors: NonNullable<GraphqlResponse["errors"]> }
  | { document: DocumentNode; variables?: Record<string, unknown>; operationName?: string };

/** Parses and validates a request, with the depth and complexity limits; returns the errors or what to execute. */
function prepare(api: GraphQLSchema, request: GraphqlRequest, limits: QueryLimits): Prepared {
  const { query, variables, operationName } = request;
  if (typeof query !== "string" || query.trim() === "") return { errors: [{ message: "The query is empty" }] };
  if (variables !== undefined && variables !== null && (typeof variables !== "object" || Array.isArray(variables))) {
    return { errors: [{ message: "Variables must be an object" }] };
  }
  if (operationName !== undefined && operationName !== null && typeof operationName !== "string") {
    return { errors: [{ message: "The operation name must be a string" }] };
  }
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch (error) {
    return { errors: [formatError(error as GraphQLError)] };
  }
  const bound = (variables ?? undefined) as Record<string, unknown> | undefined;
  // The limits first: they are linear in the query, while graphql-js's own rules took 40 ms on the review's
  // 23-level query, and a refused query should cost next to nothing.
  const tooCostly = validate(api, document, [depthRule, complexityRule(limits.maxComplexity, bound)]);
  if (tooCostly.length > 0) return { errors: tooCostly.map(formatError) };
  const invalid = validate(api, document, specifiedRules);
  if (invalid.length > 0) return { errors: invalid.map(formatError) };
  return { document, variables: bound, operationName: (operationName ?? undefined) as string | undefined };
}

function respond(result: { data?: unknown; errors?: readonly GraphQLError[] }): GraphqlResponse {
  if (!result.errors) return { data: result.data };
  // Argument and filter errors are query errors in graph-node: reported without data.
  const queryErrors = result.errors.filter((error) => error.originalError instanceof QueryError);
  if (queryErrors.length > 0) return { errors: queryErrors.map(formatError) };
  return { data: result.data, errors: result.errors.map(formatError) };
}

/** Runs a query to completion on the spot (in-process use): the complexity limit applies, not the time limit. */
export function executeQuery(
  api: GraphQLSchema,
  source: QuerySource,
  request: GraphqlRequest,
  limits = DEFAULT_QUERY_LIMITS,
): GraphqlResponse {
  const prepared = prepare(api, request, limits);
  if ("errors" in prepared) return prepared;
  return respond(
    executeSync({
      schema: api,
      document: prepared.document,
      variableValues: prepared.variables,
      operationName: prepared.operationName,
      contextValue: requestContext(source),
    }),
  );
}

/**
 * Runs a query as the HTTP endpoint does: refused above the complexity limit, executed in slices of
 * `limits.sliceMs` that yield to other work (turns given by `client.scheduler` when there is one), and stopped
 * with graph-node's messages after `limits.timeoutMs` or past `limits.maxResultBytes`.
 */
export async function executeBoundedQuery(
  api: GraphQLSchema,
  source: QuerySource,
  request: GraphqlRequest,
  limits = DEFAULT_QUERY_LIMITS,
  client?: { scheduler: SliceScheduler; address: string },
): Promise<GraphqlResponse> {
  const prepared = prepare(api, request, limits);
  if ("errors" in prepared) return prepared;
  boundResolvers(api);
  const query = client?.scheduler.newQuery() ?? 0;
  let stop!: (message: string) => void;
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  const bounds = executionBounds(limits, stop, client && (() => client.scheduler.turn(client.address, query, true)));
  const timer = setTimeout(() => stopQuery(bounds, TIMEOUT_MESSAGE), limits.timeoutMs);
  // With a scheduler even the first slice waits for its turn: a query started on arrival would run beside the
  // slice of that turn, and an address's later queries would run beside its first.
  const started = client ? client.scheduler.turn(client.address, query, false) : Promise.resolve();
  const execution = started.then(() => {
    if (bounds.stopped !== undefined) return new Promise<never>(() => {});
    bounds.sliceStart = performance.now();
    return execute({
      schema: api,
      document: prepared.document,
      variableValues: prepared.variables,
      operationName: prepared.operationName,
      contextValue: { ...requestContext(source), [EXECUTION_BOUNDS]: bounds },
    });
  });
  const result = await Promise.race([execution, stopped]);
  clearTimeout(timer);
  if (typeof result === "string") return { errors: [{ message: result }] };
  return respond(result);
}

const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-allow-headers": "content-type",
};

function reply(response: ServerResponse, status: number, body: unknown, close = false): void {
  const headers = { ...CORS_HEADERS, "content-type": "application/json", ...(close ? { connection: "close" } : {}) };
  response.writeHead(status, headers).end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new RangeError("request body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export interface GraphqlServerOptions {
  api: GraphQLSchema;
  source: QuerySource;
  subgraphName: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  limits?: QueryLimits;
}

/** Serves the API at `/subgraphs/name/<subgraphName>` (and `/subgraphs/id/<deployment>`). */
export async function serveGraphql(options: GraphqlServerOptions): Promise<{ server: Server; url: string }> {
  const { api, source, subgraphName, host = "127.0.0.1", port = 0, limits = DEFAULT_QUERY_LIMITS } = options;
  const paths = new Set([`/subgraphs/name/${subgraphName}`, `/subgraphs/id/${source.deployment}`]);
  const slots = new QuerySlots();
  const scheduler = new SliceScheduler();
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (request.method === "OPTIONS") {
      response.writeHead(204, CORS_HEADERS).end();
      return;
    }
    if (!paths.has(url.pathname.replace(/\/+$/, ""))) {
      reply(response, 404, { errors: [{ message: `No subgraph at ${url.pathname}; query /subgraphs/name/${subgraphName}` }] });
      return;
    }
    let body: GraphqlRequest;
    if (request.method === "GET") {
      const variables = url.searchParams.get("variables");
      try {
        body = {
          query: url.searchParams.get("query") ?? undefined,
          variables: variables ? JSON.parse(variables) : undefined,
          operationName: url.searchParams.get("operationName") ?? undefined,
        };
      } catch (error) {
        reply(response, 400, { errors: [{ message: `Invalid variables: ${(error as Error).message}` }] });
        return;
      }
    } else if (request.method === "POST") {
      try {
        const text = await readBody(request);
        body = JSON.parse(text);
        if (typeof body !== "object" || body === null || Array.isArray(body)) throw new SyntaxError("the body must be a JSON object");
      } catch (error) {
        // An oversized body is left unread: answer, then drop the connection rather than drain it.
        const tooLarge = error instanceof RangeError;
        reply(response, tooLarge ? 413 : 400, { errors: [{ message: `Invalid request: ${(error as Error).message}` }] }, tooLarge);
        if (tooLarge) response.once("finish", () => request.destroy());
        return;
      }
    } else {
      reply(response, 405, { errors: [{ message: "GraphQL queries take GET or POST" }] });
      return;
    }
    // One client runs a few queries at a time: its others are refused, not queued behind everyone's.
    const address = request.socket.remoteAddress ?? "unknown";
    const release = slots.take(address);
    if (!release) {
      reply(response, 200, { errors: [{ message: THROTTLED_MESSAGE }] });
      return;
    }
    let result: GraphqlResponse;
    try {
      result = await executeBoundedQuery(api, source, body, limits, { scheduler, address });
    } catch (error) {
      result = { errors: [{ message: `internal error: ${(error as Error).message}` }] };
    } finally {
      release();
    }
    reply(response, 200, result);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const { port: boundPort } = server.address() as AddressInfo;
  return { server, url: `http://${host}:${boundPort}/subgraphs/name/${subgraphName}` };
}
