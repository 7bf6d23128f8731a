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
 * - During execution, resolvers are wrapped: after each `sliceMs` of work the query yields to the event loop (so
 *   other queries and the indexer keep running), and after `timeoutMs` it fails with graph-node's "Query timed out"
 *   (GRAPH_GRAPHQL_QUERY_TIMEOUT).
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
}

/**
 * 100,000 entities: the app's largest query (1,000 contents, no nested lists) costs 1,000, and 100,000 resolved
 * entities stay within tens of MiB.
 */
export const DEFAULT_MAX_COMPLEXITY = 100_000;
export const DEFAULT_QUERY_TIMEOUT_MS = 10_000;
/** Slices of this length keep another query's wait for the event loop at about this long. */
export const DEFAULT_SLICE_MS = 10;

export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  maxComplexity: DEFAULT_MAX_COMPLEXITY,
  timeoutMs: DEFAULT_QUERY_TIMEOUT_MS,
  sliceMs: DEFAULT_SLICE_MS,
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
  /** Set by the caller's timer at the deadline. */
  timedOut: boolean;
  /** The pause every deferred resolver of this request waits for. */
  pause?: Promise<void>;
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
        if (bounds.timedOut) return abandoned();
        if (performance.now() - bounds.sliceStart < bounds.sliceMs) return resolve(source, args, context, info);
        return nextSlice(bounds).then(() => resolve(source, args, context, info));
      };
    }
  }
}

/**
 * What a resolver of a timed-out query returns: a promise that never settles, so the rest of the query stops
 * without raising errors graphql-js may leave unhandled; it is collected with the abandoned execution.
 */
const abandoned = () => new Promise<never>(() => {});

/**
 * Waits until this request may run again. Every resolver deferred during a slice waits for the same pause; after
 * it, each checks again, so the first one to run starts a new slice and the others wait for the next pause (a
 * setImmediate queued from a running one fires only on the next turn of the event loop, after pending I/O).
 */
async function nextSlice(bounds: ExecutionBounds): Promise<void> {
  do {
    bounds.pause ??= new Promise<void>((resolve) =>
      setImmediate(() => {
        bounds.pause = undefined;
        bounds.sliceStart = performance.now();
        resolve();
      }),
    );
    await bounds.pause;
    if (bounds.timedOut) await abandoned();
  } while (performance.now() - bounds.sliceStart >= bounds.sliceMs);
}

/** Bounds for one request starting now. */
export function executionBounds(limits: QueryLimits): ExecutionBounds {
  return { sliceMs: limits.sliceMs, sliceStart: performance.now(), timedOut: false };
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
