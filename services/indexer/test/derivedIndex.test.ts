/**
 * Derived fields read through the store's reverse references: the entities pointing to one entity, not a scan of
 * their whole table per query; the answers are those of the scan at every block, across changed and removed
 * references, list references and a reorganisation.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildApiSchema, type BlockInfo, type QuerySource } from "../src/graphql/api.ts";
import { executeQuery } from "../src/graphql/server.ts";
import type { EntityData, StoreValue } from "../src/runtime/values.ts";
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
  playlists: [Playlist!]! @derivedFrom(field: "items")
}
type Playlist @entity(immutable: false) {
  id: ID!
  items: [Content!]!
}
`;

const s = (value: string): StoreValue => ({ kind: "String", value });
const content = (id: string, publisher: string): EntityData =>
  new Map([
    ["id", s(id)],
    ["publisher", s(publisher)],
  ]);
const playlist = (id: string, items: string[]): EntityData =>
  new Map([
    ["id", s(id)],
    ["items", { kind: "Array", value: items.map(s) }],
  ]);

function build() {
  const store = new EntityStore(parseSubgraphSchema(SCHEMA));
  const write = (block: number, writes: () => void) => {
    writes();
    store.commitHandler();
    store.commitBlock(block);
  };
  write(1, () => {
    for (const p of ["p0", "p1", "p2"]) store.set("Publisher", p, new Map([["id", s(p)]]));
    for (let c = 0; c < 6; c++) store.set("Content", `c${c}`, content(`c${c}`, `p${c % 2}`));
    store.set("Playlist", "l0", playlist("l0", ["c0", "c1", "c2"]));
  });
  write(2, () => {
    store.set("Content", "c0", content("c0", "p1")); // moves from p0 to p1
    store.remove("Content", "c2");
    store.set("Playlist", "l0", playlist("l0", ["c1", "c3"]));
    store.set("Playlist", "l1", playlist("l1", ["c3"]));
  });
  write(3, () => store.set("Content", "c6", content("c6", "p0")));
  let latest = 3;
  const source: QuerySource = {
    schema: store.schema,
    store,
    deployment: "derived-test",
    latest: (): BlockInfo => ({
      number: latest,
      hash: `0x${String(latest).padStart(64, "0")}`,
      timestamp: 0,
      parentHash: `0x${"0".repeat(64)}`,
    }),
    blockByHash: () => undefined,
    hasIndexingErrors: () => false,
  };
  return { store, source, api: buildApiSchema(source), revertTo: (block: number) => ((latest = block), store.revertAbove(block)) };
}

/** What a scan of the referring table finds: ids of `type` whose `field` names `id` at `block`. */
function scan(store: EntityStore, type: string, field: string, id: string, block: number): string[] {
  const found: string[] = [];
  for (const [otherId, version] of store.entitiesAt(type, block)) {
    const value = version.data!.get(field)!;
    const ids =
      value.kind === "Array" ? value.value.map((item) => (item as { value: string }).value) : [(value as { value: string }).value];
    if (ids.includes(id)) found.push(otherId);
  }
  return found.sort();
}

function derived(api: ReturnType<typeof build>["api"], source: QuerySource, query: string): unknown {
  const result = executeQuery(api, source, { query });
  assert.equal(result.errors, undefined, JSON.stringify(result.errors));
  return JSON.parse(JSON.stringify(result.data));
}

describe("derived fields through reverse references", () => {
  it("answers as a scan of the referring table at every block, with changed, removed and list references", () => {
    const { store, source, api } = build();
    for (const block of [1, 2, 3]) {
      for (const p of ["p0", "p1", "p2"]) {
        const data = derived(api, source, `{ publisher(id: "${p}", block: { number: ${block} }) { published(first: 1000) { id } } }`) as {
          publisher: { published: { id: string }[] };
        };
        assert.deepEqual(
          data.publisher.published.map(({ id }) => id),
          scan(store, "Content", "publisher", p, block),
          `${p} at block ${block}`,
        );
      }
      for (const c of ["c0", "c1", "c3"]) {
        const data = derived(api, source, `{ content(id: "${c}", block: { number: ${block} }) { playlists { id } } }`) as {
          content: { playlists: { id: string }[] };
        };
        assert.deepEqual(
          data.content.playlists.map(({ id }) => id),
          scan(store, "Playlist", "items", c, block),
          `${c} at block ${block}`,
        );
      }
    }
  });

  it("reads only the entities that ever referred to the one asked about; a reverted block's references no longer count", () => {
    const { store, source, api, revertTo } = build();
    assert.deepEqual([...store.referencing("Content", "publisher", "p0")].sort(), ["c0", "c2", "c4", "c6"]);
    assert.deepEqual([...store.referencing("Content", "publisher", "p2")], []);
    assert.deepEqual([...store.referencing("Playlist", "items", "c3")].sort(), ["l0", "l1"]);
    assert.equal(store.referencing("Publisher", "published", "c0").size, 0, "a derived field is no reference");
    revertTo(2);
    const data = derived(api, source, `{ publisher(id: "p0") { published { id } } }`) as { publisher: { published: { id: string }[] } };
    assert.deepEqual(
      data.publisher.published.map(({ id }) => id),
      scan(store, "Content", "publisher", "p0", 2),
    );
    assert.deepEqual(
      data.publisher.published.map(({ id }) => id),
      ["c4"],
    );
  });
});
