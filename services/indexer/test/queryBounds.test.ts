/**
 * What one query may cost the indexer: graph-node's complexity limit before execution (with its error message),
 * a time limit, and execution in slices so that a heavy query never holds other queries back for long.
 */
import assert from "node:assert/strict";
import { request as httpRequest, type Server } from "node:http";
import { after, before, describe, it } from "node:test";
import { buildApiSchema, type BlockInfo, type QuerySource } from "../src/graphql/api.ts";
import {
  DEFAULT_QUERY_LIMITS,
  MAX_QUERIES,
  MAX_QUERIES_PER_ADDRESS,
  QuerySlots,
  resultTooBigMessage,
  tooComplexMessage,
  type QueryLimits,
} from "../src/graphql/queryBounds.ts";
import { executeBoundedQuery, executeQuery, serveGraphql, type GraphqlResponse } from "../src/graphql/server.ts";
import { SliceScheduler } from "../src/graphql/sliceScheduler.ts";
import type { StoreValue } from "../src/runtime/values.ts";
import { parseSubgraphSchema } from "../src/schema.ts";
import { EntityStore } from "../src/store.ts";

const SCHEMA = `
type Publisher @entity(immutable: false) {
  id: ID!
  published: [Content!]! @derivedFrom(field: "publisher")
}
type Content @entity(immutable: false) {
  id: ID!
  publisher: Publisher!
}
`;
const PUBLISHERS = 20;
const CONTENTS_PER_PUBLISHER = 20;

const s = (value: string): StoreValue => ({ kind: "String", value });
const schema = parseSubgraphSchema(SCHEMA);
const store = new EntityStore(schema);
for (let p = 0; p < PUBLISHERS; p++) {
  store.set("Publisher", `p${p}`, new Map([["id", s(`p${p}`)]]));
  for (let c = 0; c < CONTENTS_PER_PUBLISHER; c++) {
    store.set(
      "Content",
      `c${p}-${c}`,
      new Map([
        ["id", s(`c${p}-${c}`)],
        ["publisher", s(`p${p}`)],
      ]),
    );
  }
}
store.commitHandler();
store.commitBlock(1);
const block: BlockInfo = { number: 1, hash: `0x${"1".padStart(64, "0")}`, timestamp: 1_700_000_000, parentHash: `0x${"0".repeat(64)}` };
const source: QuerySource = {
  schema,
  store,
  deployment: "local-test",
  latest: () => block,
  blockByHash: () => undefined,
  hasIndexingErrors: () => false,
};
const api = buildApiSchema(source);

/** The review's attack: `published { id publisher { … } }` nested `levels` times under a collection. */
function nested(levels: number): string {
  let selection = "id";
  for (let i = 0; i < levels; i++) selection = `id published { id publisher { ${selection} } }`;
  return `{ publishers { ${selection} } }`;
}

const onlyError = (result: GraphqlResponse) => {
  assert.equal(result.data, undefined, "a refused query has no data");
  assert.equal(result.errors?.length, 1);
  return result.errors![0]!.message;
};

describe("query complexity (before execution)", () => {
  it("refuses the review's 23-level query with graph-node's message, without executing it", () => {
    const started = performance.now();
    const message = onlyError(executeQuery(api, source, { query: nested(23) }));
    assert.equal(message, tooComplexMessage(2n ** 64n - 1n, DEFAULT_QUERY_LIMITS.maxComplexity));
    assert.ok(performance.now() - started < 1_000, "refused before execution");
  });

  it("counts first + first × the selection's complexity for collections, and passes single entities through", () => {
    const limits: QueryLimits = { ...DEFAULT_QUERY_LIMITS, maxComplexity: 109 };
    // 10 publishers + 10 × (5 contents + 5 × 0) = 60; their publisher (a single entity) adds nothing.
    const fits = executeQuery(api, source, { query: `{ publishers(first: 10) { published(first: 5) { id publisher { id } } } }` }, limits);
    assert.equal(fits.errors, undefined);
    assert.equal((fits.data as { publishers: unknown[] }).publishers.length, 10);
    // 10 + 10 × (10 + 10 × 0) = 110 > 109; `first` given by a variable counts too.
    const query = `query Q($n: Int) { publishers(first: $n) { published(first: 10) { id } } }`;
    assert.equal(onlyError(executeQuery(api, source, { query, variables: { n: 10 } }, limits)), tooComplexMessage(110n, 109));
    // Without `first`, a collection counts graph-node's default of 100.
    assert.equal(
      onlyError(executeQuery(api, source, { query: `{ publishers { published { id } } }` }, limits)),
      tooComplexMessage(10_100n, 109),
    );
  });

  it("adds fragments' complexity, computing each fragment once (a chain of doubled spreads stays cheap)", () => {
    const chain = Array.from(
      { length: 40 },
      (_, i) => `fragment F${i} on Publisher { id published(first: 1) { id } ...F${i + 1} ...F${i + 1} }`,
    );
    chain.push(`fragment F40 on Publisher { id }`);
    const query = `{ publishers(first: 1) { ...F0 } } ${chain.join(" ")}`;
    const started = performance.now();
    const message = onlyError(executeQuery(api, source, { query }));
    assert.ok(performance.now() - started < 2_000, "linear in the fragments, not exponential");
    // F40 counts 0 and Fi = 1 + 2 × F(i+1), so F0 = 2^40 - 1; one publisher: 1 + 1 × F0.
    assert.equal(message, tooComplexMessage(2n ** 40n, DEFAULT_QUERY_LIMITS.maxComplexity));
  });

  it("serves the app's queries: 1,000 entities with nested single entities", () => {
    const result = executeQuery(api, source, { query: `{ contents(first: 1000) { id publisher { id } } }` });
    assert.equal(result.errors, undefined);
    assert.equal((result.data as { contents: unknown[] }).contents.length, PUBLISHERS * CONTENTS_PER_PUBLISHER);
  });
});

describe("queries running at once (over HTTP)", () => {
  it("one address runs at most a few queries at once, everyone together a bounded number; a finished query frees its slot", () => {
    const slots = new QuerySlots();
    const attacker = Array.from({ length: MAX_QUERIES_PER_ADDRESS }, () => slots.take("10.0.0.66"));
    assert.ok(attacker.every(Boolean));
    assert.equal(slots.take("10.0.0.66"), undefined, "one more from the same address is refused");
    const user = slots.take("10.0.0.7");
    assert.ok(user, "another address is served meanwhile");
    attacker[0]!();
    attacker[0]!(); // releasing twice frees one slot only
    assert.ok(slots.take("10.0.0.66"));
    assert.equal(slots.take("10.0.0.66"), undefined);
    const many = Array.from({ length: MAX_QUERIES }, (_, i) => slots.take(`10.1.${i}.1`)).filter(Boolean);
    assert.equal(many.length, MAX_QUERIES - MAX_QUERIES_PER_ADDRESS - 1, "the total is bounded too");
    assert.equal(slots.refused, 2 + MAX_QUERIES_PER_ADDRESS + 1);
  });
});

describe("result size (during execution)", () => {
  const contents = `{ contents(first: 1000, orderBy: id) { id publisher { id } } }`;
  const bounded = (query: string, maxResultBytes: number) =>
    executeBoundedQuery(api, source, { query }, { ...DEFAULT_QUERY_LIMITS, timeoutMs: 60_000, maxResultBytes });

  it("weighs a result about as its JSON, and refuses one past the limit with graph-node's message", async () => {
    const json = JSON.stringify(executeQuery(api, source, { query: contents }).data).length;
    const fits = await bounded(contents, Math.ceil(json * 1.25));
    assert.equal(fits.errors, undefined);
    assert.equal((fits.data as { contents: unknown[] }).contents.length, PUBLISHERS * CONTENTS_PER_PUBLISHER);
    const limit = Math.floor(json * 0.75);
    const message = onlyError(await bounded(contents, limit));
    const size = Number(/^the result size of (\d+) is larger than the allowed limit of (\d+)$/.exec(message)?.[1]);
    assert.equal(message, resultTooBigMessage(size, limit));
    assert.ok(size > limit);
  });

  it("refuses a query the complexity limit admits that repeats a field under aliases", async () => {
    const aliases = Array.from({ length: 200 }, (_, i) => `a${i}: id`).join(" ");
    const query = `{ contents(first: 1000) { ${aliases} } }`;
    assert.equal(
      executeQuery(api, source, { query: `{ contents(first: 1000) { id } }` }, { ...DEFAULT_QUERY_LIMITS, maxComplexity: 1000 }).errors,
      undefined,
    );
    // 400 contents × 200 ids: about 1.3 MB of JSON for a complexity of 1,000.
    const message = onlyError(await bounded(query, 1024 * 1024));
    assert.match(message, /^the result size of \d+ is larger than the allowed limit of 1048576$/);
  });
});

describe("slices shared between addresses", () => {
  /**
   * 20 × 20 × 20 entities: with 2 ms slices (the default), a query of about ten slices on a quiet machine (25 ms of
   * work; with 5 ms slices a fast machine ran it in four) and more on a busy one.
   */
  const heavy = nested(2);
  const limits: QueryLimits = { ...DEFAULT_QUERY_LIMITS, maxComplexity: Number.MAX_SAFE_INTEGER, timeoutMs: 60_000, sliceMs: 2 };
  before(() => void executeQuery(api, source, { query: heavy }, limits)); // compiled once, so that every run costs alike

  it("a cheap query from another address runs within a few slices while one address runs heavy queries, one at a time", async () => {
    const scheduler = new SliceScheduler();
    const finishedAt: number[] = [];
    const heavies = Array.from({ length: MAX_QUERIES_PER_ADDRESS }, (_, i) =>
      executeBoundedQuery(api, source, { query: heavy }, limits, { scheduler, address: "10.0.0.66" }).then((result) => {
        finishedAt[i] = scheduler.slices;
        return result;
      }),
    );
    while (scheduler.slices < 6) await new Promise((resolve) => setImmediate(resolve));
    const askedAt = scheduler.slices;
    const meta = await executeBoundedQuery(api, source, { query: `{ _meta { block { number } } }` }, limits, {
      scheduler,
      address: "10.0.0.7",
    });
    const answeredAt = scheduler.slices;
    assert.deepEqual(JSON.parse(JSON.stringify(meta)), { data: { _meta: { block: { number: 1 } } } });
    // Its own slice, the attacker's before it, and one more should a busy machine cut its own slice short.
    assert.ok(answeredAt - askedAt <= 3, `_meta waited ${answeredAt - askedAt} slices`);
    const results = await Promise.all(heavies);
    for (const result of results) assert.equal(result.errors, undefined);
    assert.equal(finishedAt.filter((at) => at < answeredAt).length, 0, "_meta was answered before any heavy query finished");
    // One at a time after their first slices, they finish many slices apart (interleaved, one slice apart) and in order.
    for (let i = 1; i < finishedAt.length; i++) {
      assert.ok(finishedAt[i]! - finishedAt[i - 1]! >= 5, `the heavy queries finished at slices ${finishedAt.join(", ")}`);
    }
  });

  it("takes turns between addresses: two addresses' heavy queries progress together", async () => {
    const scheduler = new SliceScheduler();
    const finishedAt: Record<string, number> = {};
    await Promise.all(
      ["10.0.0.1", "10.0.0.2"].map((address) =>
        executeBoundedQuery(api, source, { query: heavy }, limits, { scheduler, address }).then(
          () => (finishedAt[address] = scheduler.slices),
        ),
      ),
    );
    // Served one after the other, the first would finish at about half of the slices.
    const [a, b] = [finishedAt["10.0.0.1"]!, finishedAt["10.0.0.2"]!];
    assert.ok(Math.min(a, b) > 0.75 * scheduler.slices, `finished at slices ${a} and ${b} of ${scheduler.slices}`);
  });
});

describe("query time (over HTTP)", () => {
  let server: Server;
  let url: string;
  /**
   * Complexity and result size are no limit here, so that one query runs long: 20 × 20^4 resolutions (on a quiet
   * machine its result passes the default 8 MiB before 1.5 s, and the size limit, tested above, would stop it first).
   */
  const limits: QueryLimits = {
    ...DEFAULT_QUERY_LIMITS,
    maxComplexity: Number.MAX_SAFE_INTEGER,
    maxResultBytes: Number.MAX_SAFE_INTEGER,
    timeoutMs: 1_500,
    sliceMs: 10,
  };

  before(async () => {
    ({ server, url } = await serveGraphql({ api, source, subgraphName: "test", limits }));
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** A POST on a connection of its own (fetch may queue requests to one origin). */
  const post = (query: string) =>
    new Promise<{ at: number; body: GraphqlResponse }>((resolve, reject) => {
      const body = JSON.stringify({ query });
      const request = httpRequest(url, { method: "POST", agent: false, headers: { "content-type": "application/json" } }, (response) => {
        let text = "";
        response.on("data", (chunk: Buffer) => (text += chunk));
        response.on("end", () => resolve({ at: performance.now(), body: JSON.parse(text) as GraphqlResponse }));
      });
      request.on("error", reject);
      request.end(body);
    });

  it("stops a query at its time limit with graph-node's 'Query timed out', while _meta is answered meanwhile", async () => {
    const heavy = post(nested(4));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const meta = await post(`{ _meta { block { number } } }`);
    const slow = await heavy;
    assert.deepEqual(meta.body, { data: { _meta: { block: { number: 1 } } } });
    assert.ok(meta.at < slow.at, "_meta was answered while the heavy query ran");
    assert.deepEqual(slow.body, { errors: [{ message: "Query timed out" }] });
  });

  it("answers light queries in full over HTTP", async () => {
    const { body } = await post(`{ publishers(first: 2, orderBy: id) { id published(first: 1, orderBy: id) { id } } }`);
    assert.deepEqual(body, {
      data: {
        publishers: [
          { id: "p0", published: [{ id: "c0-0" }] },
          { id: "p1", published: [{ id: "c1-0" }] },
        ],
      },
    });
  });
});
