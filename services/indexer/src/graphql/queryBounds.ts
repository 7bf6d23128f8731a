/**
 * What one query may cost the indexer, checked before and during execution. Depth and `first` alone did not bound
 * it: a 793-byte query nesting `published { id publisher { … } }` 23 times ran 85 s on the event loop, grew the
 * indexer to 4.2 GiB and killed it, and every other query waited meanwhile.
 *
 * - Before execution, graph-node's query complexity: the number of entities a query may return, where a list field
 *   with a selection counts `first + first × (its selection's complexity)` (`first` defaulting to 100), a single
 *   entity field passes its selection's complexity through, and fragments add theirs. Above `maxComplexity` the
 *   query is refused with graph-node's message (graph-node's GRAPH_GRAPHQL_MAX_COMPLEXITY; it has no default,
 *   this indexer's is `DEFAULT_MAX_COMPLEXITY`). A complexity past 2^64 - 1 is reported as that number (graph-node
 *   reports an overflow the same way, against a limit of 0; the real limit is given here).
 * - Over HTTP, one address runs at most MAX_QUERIES_PER_ADDRESS queries at once and all at most MAX_QUERIES;
 *   others are answered with graph-node's "service is overloaded" message. With the complexity limit this bounds
 *   the memory queries hold.
 * - During execution, resolvers are wrapped: after each `sliceMs` of work the query waits for its next turn (given
 *   by the endpoint's SliceScheduler, so other queries and the indexer keep running), and after `timeoutMs` it
 *   fails with graph-node's "Query timed out" (GRAPH_GRAPHQL_QUERY_TIMEOUT).
 * - The result is weighed while it is built, about the bytes of its JSON, and the query fails with graph-node's
 *   "the result size of … is larger than the allowed limit of …" past `maxResultBytes`
 *   (GRAPH_GRAPHQL_ERROR_RESULT_SIZE): the complexity limit counts entities, not the fields asked of each (an
 *   alias repeats a field at no cost), so it alone does not bound what a result holds.
 */
import {
  GraphQLError,
  Kind,
  defaultFieldResolver,
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type GraphQLFieldResolver,
  type GraphQLNamedType,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationContext,
  type ValueNode,
} from "graphql";
import { DEFAULT_FIRST } from "./filters.ts";

export interface QueryLimits {
  /** Most entities a query may potentially return. */
  maxComplexity: number;
  /** Milliseconds a query may run. */
  timeoutMs: number;
  /** Milliseconds a query runs before letting others run. */
  sliceMs: number;
  /** Most bytes a result may weigh (about the size of its JSON). */
  maxResultBytes: number;
}

/**
 * 100,000 entities: the app's largest query (1,000 contents, no nested lists) costs 1,000, and 100,000 resolved
 * entities stay within tens of MiB.
 */
export const DEFAULT_MAX_COMPLEXITY = 100_000;
export const DEFAULT_QUERY_TIMEOUT_MS = 10_000;
/**
 * A slice is what any other request may wait for before its turn: at 10 ms a user's 2.6 ms `_meta` took 15× as long
 * while one address looped over heavy queries; the cost of a yield (a turn of the event loop) is a few microseconds.
 */
export const DEFAULT_SLICE_MS = 2;

/**
 * 8 MiB: the app's largest answer (1,000 contents with their fields) weighs well under 1 MiB; graph-node has no
 * default. The V8 heap holds several times a result's JSON size while it is built.
 */
export const DEFAULT_MAX_RESULT_BYTES = 8 * 1024 * 1024;

export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  maxComplexity: DEFAULT_MAX_COMPLEXITY,
  timeoutMs: DEFAULT_QUERY_TIMEOUT_MS,
  sliceMs: DEFAULT_SLICE_MS,
  maxResultBytes: DEFAULT_MAX_RESULT_BYTES,
};

/** graph-node's u64::MAX, reported when the complexity overflows. */
const U64_MAX = 2n ** 64n - 1n;

/** graph-node's QueryExecutionError::TooComplex message. */
export function tooComplexMessage(complexity: bigint, maxComplexity: number): string {
  return (
    `query potentially returns \`${complexity}\` entities or more and thereby exceeds the limit of \`${maxComplexity}\` entities. ` +
    "Possible solutions are reducing the depth of the query, querying fewer relationships or using `first` to return smaller collections"
  );
}

/** graph-node's QueryExecutionError::Timeout message. */
export const TIMEOUT_MESSAGE = "Query timed out";

/** graph-node's QueryExecutionError::ResultTooBig message. */
export function resultTooBigMessage(size: number, maxResultBytes: number): string {
  return `the result size of ${size} is larger than the allowed limit of ${maxResultBytes}`;
}

function firstArgument(value: ValueNode | undefined, variables: Record<string, unknown>): bigint {
  if (value?.kind === Kind.INT) return BigInt(value.value);
  if (value?.kind === Kind.VARIABLE) {
    const bound = variables[value.name.value];
    if (typeof bound === "number" && Number.isInteger(bound) && bound >= 0) return BigInt(bound);
  }
  return BigInt(DEFAULT_FIRST);
}

/**
 * A validation rule refusing operations whose complexity exceeds `maxComplexity`. Fragment complexities are
 * computed once each, so nested spreads cost linear time.
 */
export function complexityRule(maxComplexity: number, variables: Record<string, unknown> = {}) {
  return (context: ValidationContext): ASTVisitor => {
    const schema = context.getSchema();
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    const fragmentCost = new Map<string, bigint>();
    const visiting = new Set<string>();
    const cap = (value: bigint) => (value > U64_MAX ? U64_MAX : value);

    const complexity = (type: GraphQLNamedType | undefined, selectionSet: SelectionSetNode): bigint => {
      let total = 0n;
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          if (!selection.selectionSet || !isObjectType(type)) continue;
          const field = type.getFields()[selection.name.value];
          if (!field) continue; // validation reports unknown fields
          const inner = complexity(getNamedType(field.type), selection.selectionSet);
          if (!isListType(getNullableType(field.type))) {
            total += inner;
          } else {
            const first = firstArgument(selection.arguments?.find((a) => a.name.value === "first")?.value, variables);
            total += first + first * inner;
          }
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
          total += complexity(condition ?? undefined, selection.selectionSet);
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          if (!fragment || visiting.has(name)) continue; // validation reports undefined and cyclic fragments
          let cost = fragmentCost.get(name);
          if (cost === undefined) {
            visiting.add(name);
            cost = complexity(schema.getType(fragment.typeCondition.name.value) ?? undefined, fragment.selectionSet);
            visiting.delete(name);
            fragmentCost.set(name, cost);
          }
          total += cost;
        }
        total = cap(total);
      }
      return total;
    };

    return {
      OperationDefinition(node) {
        const root = node.operation === "query" ? schema.getQueryType() : undefined;
        if (!root) return;
        const cost = complexity(root, node.selectionSet);
        if (cost > BigInt(maxComplexity)) context.reportError(new GraphQLError(tooComplexMessage(cost, maxComplexity), { nodes: node }));
      },
    };
  };
}

/** The per-request state the wrapped resolvers read, attached to the GraphQL context. */
export const EXECUTION_BOUNDS = Symbol("executionBounds");

export interface ExecutionBounds {
  sliceMs: number;
  sliceStart: number;
  maxResultBytes: number;
  /** What the result built so far weighs. */
  resultBytes: number;
  /** Set when the query is stopped (its deadline, or a result too big): the message it is answered with. */
  stopped?: string;
  /** Called once when the query is stopped. */
  onStop: (message: string) => void;
  /** Resolvers called after the end of a slice, run in order in the next slices; `next` is the first not run. */
  deferred: (() => void)[];
  next: number;
  /** Whether the request waits for its next turn. */
  waiting: boolean;
  /** Resolves when the request may run its next slice. */
  nextTurn: () => Promise<void>;
}

const wrapped = new WeakSet<GraphQLSchema>();

/**
 * Wraps every field resolver of `api` (once) so that a request whose context carries `EXECUTION_BOUNDS` yields
 * between slices and stops once timed out. Requests without bounds (in-process, synchronous) run unchanged.
 */
export function boundResolvers(api: GraphQLSchema): void {
  if (wrapped.has(api)) return;
  wrapped.add(api);
  for (const type of Object.values(api.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith("__")) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context, info) => {
        const bounds = (context as { [EXECUTION_BOUNDS]?: ExecutionBounds } | undefined)?.[EXECUTION_BOUNDS];
        if (!bounds) return resolve(source, args, context, info);
        if (bounds.stopped !== undefined) return abandoned();
        if (performance.now() - bounds.sliceStart < bounds.sliceMs)
          return weighed(bounds, info.path.key, resolve(source, args, context, info));
        return new Promise((fulfil, reject) => {
          bounds.deferred.push(() => {
            try {
              fulfil(weighed(bounds, info.path.key, resolve(source, args, context, info)));
            } catch (error) {
              reject(error);
            }
          });
          awaitTurn(bounds);
        });
      };
    }
  }
}

/** Stops a query: the caller answers `message`, and its resolvers return `abandoned()` from now on. */
export function stopQuery(bounds: ExecutionBounds, message: string): void {
  if (bounds.stopped !== undefined) return;
  bounds.stopped = message;
  bounds.onStop(message);
}

/** About the bytes of a value's JSON: strings by their length, entities by their braces (their fields count apart). */
function weight(value: unknown): number {
  if (typeof value === "string") return value.length + 3;
  if (Array.isArray(value)) {
    let total = 2;
    for (const item of value) total += weight(item);
    return total;
  }
  return typeof value === "object" && value !== null ? 3 : 6;
}

/** Adds a resolved field (its key and value) to the result's weight; stops the query past the limit. */
function weighed<T>(bounds: ExecutionBounds, key: string | number, value: T): T {
  bounds.resultBytes += String(key).length + 3 + weight(value);
  if (bounds.resultBytes > bounds.maxResultBytes) {
    stopQuery(bounds, resultTooBigMessage(bounds.resultBytes, bounds.maxResultBytes));
    return abandoned() as T;
  }
  return value;
}

/**
 * What a resolver of a stopped query returns: a promise that never settles, so the rest of the query stops
 * without raising errors graphql-js may leave unhandled; it is collected with the abandoned execution.
 */
const abandoned = () => new Promise<never>(() => {});

function awaitTurn(bounds: ExecutionBounds): void {
  if (bounds.waiting) return;
  bounds.waiting = true;
  void bounds.nextTurn().then(() => runSlice(bounds));
}

/**
 * Runs deferred resolvers, oldest first, until the slice is over. One at a time: graphql-js completes a resolver's
 * value in the microtask after it settles, and the next one runs in the microtask after that, so the resolvers the
 * completion calls run within the slice, depth first, as in a synchronous execution. Releasing them all at once let
 * their completions run past the slice, deferring every child: ten thousand deferred resolvers for a query of 4,000
 * entities, whose promises kept the garbage collector busy for most of the query's time.
 */
function runSlice(bounds: ExecutionBounds): void {
  bounds.waiting = false;
  bounds.sliceStart = performance.now();
  const step = () => {
    const { deferred } = bounds;
    if (bounds.stopped !== undefined || bounds.next >= deferred.length) {
      // Done, or abandoned: a stopped query's deferred resolvers never settle and are collected with it.
      bounds.deferred = [];
      bounds.next = 0;
    } else if (performance.now() - bounds.sliceStart >= bounds.sliceMs) {
      awaitTurn(bounds);
    } else {
      deferred[bounds.next++]!();
      queueMicrotask(step);
    }
  };
  step();
}

/** Without a scheduler, a request's next slice is on the next turn of the event loop, after pending I/O. */
const nextTurnOfLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Bounds for one request starting now, waiting for `nextTurn` between slices and calling `onStop` if stopped. */
export function executionBounds(limits: QueryLimits, onStop: (message: string) => void, nextTurn = nextTurnOfLoop): ExecutionBounds {
  return {
    sliceMs: limits.sliceMs,
    sliceStart: performance.now(),
    maxResultBytes: limits.maxResultBytes,
    resultBytes: 0,
    onStop,
    deferred: [],
    next: 0,
    waiting: false,
    nextTurn,
  };
}

/** graph-node's QueryExecutionError::Throttled message. */
export const THROTTLED_MESSAGE = "service is overloaded and can not run the query right now. Please try again in a few minutes";
/** Queries one address may have running at once (beyond: graph-node's "overloaded" answer). */
export const MAX_QUERIES_PER_ADDRESS = 4;
/** Queries running at once in all: with the complexity limit, this bounds the memory queries hold. */
export const MAX_QUERIES = 32;

/** Running queries per client address and in all. */
export class QuerySlots {
  readonly #perAddress = new Map<string, number>();
  #running = 0;
  /** Queries refused since the start. */
  refused = 0;

  /** A release function when `address` may run one more query now; undefined when it must be refused. */
  take(address: string): (() => void) | undefined {
    const held = this.#perAddress.get(address) ?? 0;
    if (held >= MAX_QUERIES_PER_ADDRESS || this.#running >= MAX_QUERIES) {
      this.refused++;
      return undefined;
    }
    this.#perAddress.set(address, held + 1);
    this.#running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#running--;
      const left = (this.#perAddress.get(address) ?? 1) - 1;
      if (left > 0) this.#perAddress.set(address, left);
      else this.#perAddress.delete(address);
    };
  }
}
