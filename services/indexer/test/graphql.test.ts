/**
 * The GraphQL API over a store filled by hand: graph-node's query conventions (ids, collections, every kind of
 * filter, ordering, pagination, derived fields, past blocks, `_meta`) and its errors for bad queries, in-process
 * and over HTTP.
 */
import assert from "node:assert/strict";
import type { Server } from "node:http";
import { after, before, describe, it } from "node:test";
import { buildApiSchema, type BlockInfo, type QuerySource } from "../src/graphql/api.ts";
import { executeQuery, serveGraphql } from "../src/graphql/server.ts";
import { BigDecimal } from "../src/runtime/bigNumbers.ts";
import type { EntityData, StoreValue } from "../src/runtime/values.ts";
import { parseSubgraphSchema } from "../src/schema.ts";
import { EntityStore } from "../src/store.ts";

const SCHEMA = `
enum Color { Red Green Blue }
type Artist @entity(immutable: false) {
  id: ID!
  name: String!
  rank: Int!
  worth: BigInt!
  ratio: BigDecimal
  tag: Bytes
  active: Boolean!
  color: Color!
  aliases: [String!]!
  label: Label
  albums: [Album!]! @derivedFrom(field: "artist")
}
type Album @entity(immutable: true) {
  id: ID!
  title: String!
  artist: Artist!
  sales: BigInt!
  released: Int!
}
type Label @entity(immutable: false) {
  id: ID!
  name: String!
  artists: [Artist!]! @derivedFrom(field: "label")
}
`;

const s = (value: string): StoreValue => ({ kind: "String", value });
const i = (value: number): StoreValue => ({ kind: "Int", value });
const big = (value: bigint): StoreValue => ({ kind: "BigInt", value });
const bool = (value: boolean): StoreValue => ({ kind: "Bool", value });

function artist(id: string, name: string, rank: number, worth: bigint, extra: [string, StoreValue][] = []): EntityData {
  return new Map<string, StoreValue>([
    ["id", s(id)],
    ["name", s(name)],
    ["rank", i(rank)],
    ["worth", big(worth)],
    ["active", bool(rank % 2 === 1)],
    ["color", s(["Red", "Green", "Blue"][rank % 3])],
    ["aliases", { kind: "Array", value: [s(`${name.toLowerCase()}-alias`), s("common")] }],
    ...extra,
  ]);
}

/** Artist a1, the one with every optional field set (a label, a BigDecimal, Bytes), worth `worth`. */
function abba(worth: bigint): EntityData {
  return artist("a1", "Abba", 1, worth, [
    ["label", s("l1")],
    ["ratio", { kind: "BigDecimal", value: BigDecimal.parse("0.5") }],
    ["tag", { kind: "Bytes", value: Uint8Array.from([0xab, 0xcd, 0xef]) }],
  ]);
}

function album(id: string, title: string, artistId: string, sales: bigint, released: number): EntityData {
  return new Map<string, StoreValue>([
    ["id", s(id)],
    ["title", s(title)],
    ["artist", s(artistId)],
    ["sales", big(sales)],
    ["released", i(released)],
  ]);
}

const schema = parseSubgraphSchema(SCHEMA);
const store = new EntityStore(schema);
const blocks: BlockInfo[] = [1, 2, 3].map((number) => ({
  number,
  hash: `0x${number.toString(16).padStart(64, "0")}`,
  timestamp: 1_700_000_000 + number,
  parentHash: `0x${(number - 1).toString(16).padStart(64, "0")}`,
}));
let failed = false;
const source: QuerySource = {
  schema,
  store,
  deployment: "local-test",
  latest: () => blocks[blocks.length - 1],
  blockByHash: (hash) => blocks.find((b) => b.hash === hash),
  hasIndexingErrors: () => failed,
};

// Block 1: two artists and a label; block 2: albums and a third artist; block 3: the first artist is worth more.
store.set(
  "Label",
  "l1",
  new Map([
    ["id", s("l1")],
    ["name", s("Indie")],
  ]),
);
store.set("Artist", "a1", abba(100n));
store.set("Artist", "a2", artist("a2", "Blur", 2, 50n, [["label", s("l1")]]));
store.commitHandler();
store.commitBlock(1);
store.set("Artist", "a3", artist("a3", "Cher", 3, 500n));
store.set("Album", "x1", album("x1", "Waterloo", "a1", 10n, 1974));
store.set("Album", "x2", album("x2", "Arrival", "a1", 30n, 1976));
store.set("Album", "x3", album("x3", "Parklife", "a2", 20n, 1994));
store.set("Album", "x4", album("x4", "Believe", "a3", 40n, 1998));
store.commitHandler();
store.commitBlock(2);
store.set("Artist", "a1", abba(1000n)); // its worth changes at block 3
store.commitHandler();
store.commitBlock(3);

const api = buildApiSchema(source);
const run = (query: string, variables?: Record<string, unknown>) => executeQuery(api, source, { query, variables });
function data(query: string, variables?: Record<string, unknown>) {
  const result = run(query, variables);
  assert.equal(result.errors, undefined, JSON.stringify(result.errors));
  // graphql-js builds objects without prototypes; compare them as the JSON they are sent as.
  return JSON.parse(JSON.stringify(result.data)) as Record<string, any>;
}
const ids = (items: { id: string }[]) => items.map((item) => item.id);
const message = (query: string) => {
  const result = run(query);
  assert.equal(result.data, undefined, "errors come without data");
  assert.ok(result.errors && result.errors.length > 0);
  return result.errors[0].message;
};

describe("GraphQL queries", () => {
  it("reads an entity by id with its scalars serialised as graph-node does", () => {
    const d = data(
      `{ artist(id: "a1") { id name rank worth ratio tag active color aliases label { name } } missing: artist(id: "zz") { id } }`,
    );
    assert.deepEqual(d.artist, {
      id: "a1",
      name: "Abba",
      rank: 1,
      worth: "1000",
      ratio: "0.5",
      tag: "0xabcdef",
      active: true,
      color: "Green",
      aliases: ["abba-alias", "common"],
      label: { name: "Indie" },
    });
    assert.equal(d.missing, null);
  });

  it("lists a collection ordered by id by default, with first and skip", () => {
    assert.deepEqual(ids(data(`{ albums { id } }`).albums), ["x1", "x2", "x3", "x4"]);
    assert.deepEqual(ids(data(`{ albums(first: 2, skip: 1) { id } }`).albums), ["x2", "x3"]);
    assert.deepEqual(ids(data(`{ albums(first: 0) { id } }`).albums), []);
  });

  it("filters with every operator kind", () => {
    const q = (where: string) => ids(data(`{ artists(where: ${where}) { id } }`).artists);
    assert.deepEqual(q(`{ worth_gt: "100" }`), ["a1", "a3"]);
    assert.deepEqual(q(`{ worth_lte: 500 }`), ["a2", "a3"]);
    assert.deepEqual(q(`{ worth: "50" }`), ["a2"]);
    assert.deepEqual(q(`{ worth_not: "50" }`), ["a1", "a3"]);
    assert.deepEqual(q(`{ worth_in: ["50", "500"] }`), ["a2", "a3"]);
    assert.deepEqual(q(`{ worth_not_in: ["50", "500"] }`), ["a1"]);
    assert.deepEqual(q(`{ rank_gte: 2, rank_lt: 3 }`), ["a2"]);
    assert.deepEqual(q(`{ name_contains: "b" }`), ["a1"]);
    assert.deepEqual(q(`{ name_contains_nocase: "B" }`), ["a1", "a2"]);
    assert.deepEqual(q(`{ name_starts_with: "Ch" }`), ["a3"]);
    assert.deepEqual(q(`{ name_not_ends_with: "a" }`), ["a2", "a3"]);
    assert.deepEqual(q(`{ id_in: ["a3", "a1"] }`), ["a1", "a3"]);
    assert.deepEqual(q(`{ active: true }`), ["a1", "a3"]);
    assert.deepEqual(q(`{ color_in: [Red, Blue] }`), ["a2", "a3"]);
    assert.deepEqual(q(`{ ratio_gte: "0.25" }`), ["a1"]);
    assert.deepEqual(q(`{ ratio: null }`), ["a2", "a3"]);
    assert.deepEqual(q(`{ tag_contains: "0xcd" }`), ["a1"]);
    assert.deepEqual(q(`{ tag_contains: "0xbc" }`), [], "bytes match at byte boundaries only");
    assert.deepEqual(q(`{ aliases_contains: ["common", "blur-alias"] }`), ["a2"]);
    assert.deepEqual(q(`{ aliases_not_contains: ["blur-alias"] }`), ["a1", "a3"]);
    assert.deepEqual(q(`{ label: "l1" }`), ["a1", "a2"]);
    assert.deepEqual(q(`{ or: [{ rank: 1 }, { rank: 3 }] }`), ["a1", "a3"]);
    assert.deepEqual(q(`{ and: [{ worth_gt: "10" }, { name_starts_with: "B" }] }`), ["a2"]);
  });

  it("filters through relations: by id, nested `field_`, and derived fields", () => {
    assert.deepEqual(ids(data(`{ albums(where: { artist: "a1" }) { id } }`).albums), ["x1", "x2"]);
    assert.deepEqual(ids(data(`{ albums(where: { artist_: { name_starts_with: "B" } }) { id } }`).albums), ["x3"]);
    assert.deepEqual(ids(data(`{ artists(where: { albums_: { sales_gte: "30" } }) { id } }`).artists), ["a1", "a3"]);
    assert.deepEqual(ids(data(`{ labels(where: { artists_: { worth_lt: "100" } }) { id } }`).labels), ["l1"]);
  });

  it("orders by a field, a related entity's field, and in both directions", () => {
    assert.deepEqual(ids(data(`{ albums(orderBy: sales, orderDirection: desc) { id } }`).albums), ["x4", "x2", "x3", "x1"]);
    // Ties are broken by id in the same direction, as graph-node's `order by <field> desc, id desc`.
    assert.deepEqual(ids(data(`{ albums(orderBy: artist__name, orderDirection: desc) { id } }`).albums), ["x4", "x3", "x2", "x1"]);
    assert.deepEqual(ids(data(`{ artists(orderBy: ratio) { id } }`).artists), ["a1", "a2", "a3"], "nulls last ascending");
  });

  it("resolves derived fields with their own collection arguments", () => {
    const d = data(
      `{ artist(id: "a1") { albums(orderBy: released, orderDirection: desc, first: 1) { title } } label(id: "l1") { artists { id } } }`,
    );
    assert.deepEqual(d.artist.albums, [{ title: "Arrival" }]);
    assert.deepEqual(ids(d.label.artists), ["a1", "a2"]);
  });

  it("reads past blocks, filters by change block, and reports _meta", () => {
    const d = data(`{
      then: artist(id: "a1", block: { number: 2 }) { worth }
      before: albums(block: { number: 1 }) { id }
      byHash: artist(id: "a1", block: { hash: "${blocks[0].hash}" }) { worth }
      changed: artists(where: { _change_block: { number_gte: 3 } }) { id }
      _meta { block { number hash timestamp parentHash } deployment hasIndexingErrors }
      pinned: _meta(block: { number: 2 }) { block { number hash } }
    }`);
    assert.equal(d.then.worth, "100");
    assert.deepEqual(d.before, []);
    assert.equal(d.byHash.worth, "100");
    assert.deepEqual(ids(d.changed), ["a1"]);
    assert.deepEqual(d._meta, {
      block: { number: 3, hash: blocks[2].hash, timestamp: blocks[2].timestamp, parentHash: blocks[2].parentHash },
      deployment: "local-test",
      hasIndexingErrors: false,
    });
    assert.deepEqual(d.pinned, { block: { number: 2, hash: null } });
  });

  it("takes variables and fragments", () => {
    const d = data(
      `query Q($min: BigInt!, $n: Int) { artists(where: { worth_gte: $min }, first: $n) { ...A } } fragment A on Artist { id }`,
      {
        min: "100",
        n: 1,
      },
    );
    assert.deepEqual(ids(d.artists), ["a1"]);
  });
});

describe("bad GraphQL queries", () => {
  it("an unknown entity or field: graph-node's message", () => {
    assert.equal(message(`{ songs { id } }`), "Type `Query` has no field `songs`");
    assert.equal(message(`{ artists { id nope } }`), "Type `Artist` has no field `nope`");
  });

  it("a malformed filter: unknown key, wrong value type, non-object, mixed `or`", () => {
    assert.equal(message(`{ artists(where: { nope_gt: 1 }) { id } }`), "Type `Artist_filter` has no field `nope_gt`");
    assert.match(message(`{ artists(where: { worth_gt: "lots" }) { id } }`), /Failed to decode `BigInt` value: `lots`/);
    assert.match(message(`{ artists(where: { tag: "0xabc" }) { id } }`), /Failed to decode `Bytes` value/);
    assert.match(message(`{ artists(where: "rank > 1") { id } }`), /Artist_filter/);
    assert.match(message(`{ artists(where: { color: Purple }) { id } }`), /Purple/);
    assert.match(message(`{ artists(where: { rank: 1, or: [{ rank: 2 }] }) { id } }`), /^Cannot mix column filters with 'or' operator/);
    assert.match(message(`{ artists(orderBy: albums) { id } }`), /Ordering by `albums` is not supported for type `Artist`/);
  });

  it("`first` and `skip` out of range", () => {
    assert.equal(message(`{ artists(first: 1001) { id } }`), "The `first` argument must be between 0 and 1000, but is 1001");
    assert.equal(message(`{ artists(skip: -1) { id } }`), "The `skip` argument must be between 0 and 4294967295, but is -1");
    assert.equal(
      message(`{ artist(id: "a1") { albums(first: 5000) { id } } }`),
      "The `first` argument must be between 0 and 1000, but is 5000",
    );
  });

  it("a block not yet indexed, an unknown hash", () => {
    assert.equal(
      message(`{ artists(block: { number: 99 }) { id } }`),
      "subgraph local-test has only indexed up to block number 3 and data for block number 99 is therefore not yet available",
    );
    assert.match(message(`{ artists(block: { hash: "0x${"ee".repeat(32)}" }) { id } }`), /no block with that hash found/);
  });

  it("syntax errors, empty queries, wrong variables, excessive depth", () => {
    assert.match(message(`{ artists { id }`), /^Syntax Error/);
    assert.equal(executeQuery(api, source, { query: "" }).errors![0].message, "The query is empty");
    assert.equal(
      executeQuery(api, source, { query: "{ artists { id } }", variables: [1] }).errors![0].message,
      "Variables must be an object",
    );
    assert.match(message(`query($n: Int) { artists(first: $n) { id } } `.replace("$n: Int", "$n: Int!")), /Variable "\$n"/);
    const deep = `{ artist(id: "a1") { ${"albums { artist { ".repeat(130)}id${" } }".repeat(130)} } }`;
    assert.equal(message(deep), "query has a depth that exceeds the limit of `255`");
  });

  it("indexing errors show in _meta", () => {
    failed = true;
    assert.equal(data(`{ _meta { hasIndexingErrors } }`)._meta.hasIndexingErrors, true);
    failed = false;
  });
});

describe("GraphQL over HTTP", () => {
  let server: Server;
  let url: string;
  before(async () => {
    ({ server, url } = await serveGraphql({ api, source, subgraphName: "test" }));
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("answers POST and GET at /subgraphs/name/<name>, with CORS", async () => {
    const post = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ artists(first: 1) { id } }" }),
    });
    assert.equal(post.status, 200);
    assert.equal(post.headers.get("access-control-allow-origin"), "*");
    assert.deepEqual(await post.json(), { data: { artists: [{ id: "a1" }] } });
    const get = await fetch(`${url}?query=${encodeURIComponent('{ album(id: "x4") { title } }')}`);
    assert.deepEqual(await get.json(), { data: { album: { title: "Believe" } } });
    assert.equal((await fetch(url, { method: "OPTIONS" })).status, 204);
  });

  it("answers query errors with 200 and malformed requests with 4xx, always as JSON errors", async () => {
    const bad = await fetch(url, { method: "POST", body: JSON.stringify({ query: "{ songs { id } }" }) });
    assert.equal(bad.status, 200);
    assert.deepEqual(await bad.json(), { errors: [{ message: "Type `Query` has no field `songs`", locations: [{ line: 1, column: 3 }] }] });
    const notJson = await fetch(url, { method: "POST", body: "{ artists" });
    assert.equal(notJson.status, 400);
    assert.match(((await notJson.json()) as { errors: { message: string }[] }).errors[0].message, /^Invalid request/);
    const array = await fetch(url, { method: "POST", body: "[]" });
    assert.equal(array.status, 400);
    const huge = await fetch(url, { method: "POST", body: JSON.stringify({ query: "x".repeat(2 * 1024 * 1024) }) }).catch(() => null);
    if (huge) assert.equal(huge.status, 413);
    const elsewhere = await fetch(url.replace("/subgraphs/name/test", "/nowhere"));
    assert.equal(elsewhere.status, 404);
    assert.equal((await fetch(url, { method: "PUT" })).status, 405);
  });
});
