/**
 * The entity store as mappings and queries use it: graph-node's entity validation (unknown and missing fields,
 * value types, enums, ids), immutable entities refused an update, a failed handler's writes dropped, versions per
 * block for past-block queries, and a reorganisation undone by dropping the versions above a block.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MappingError } from "../src/runtime/hostFunctions.ts";
import type { EntityData, StoreValue } from "../src/runtime/values.ts";
import { parseSubgraphSchema } from "../src/schema.ts";
import { EntityStore } from "../src/store.ts";

const SCHEMA = `
enum Kind { Voucher Release }
type Escrow @entity(immutable: false) {
  id: ID!
  paid: BigInt!
  note: String
  payments: [Payment!]! @derivedFrom(field: "escrow")
}
type Payment @entity(immutable: true) {
  id: ID!
  escrow: Escrow!
  kind: Kind!
  amount: BigInt!
}
`;

const s = (value: string): StoreValue => ({ kind: "String", value });
const big = (value: bigint): StoreValue => ({ kind: "BigInt", value });
const escrow = (id: string, paid: bigint): EntityData =>
  new Map([
    ["id", s(id)],
    ["paid", big(paid)],
  ]);
const payment = (id: string, escrowId: string, amount: bigint, kind = "Voucher"): EntityData =>
  new Map([
    ["id", s(id)],
    ["escrow", s(escrowId)],
    ["kind", s(kind)],
    ["amount", big(amount)],
  ]);
const paid = (data: EntityData | undefined) => (data?.get("paid") as { value: bigint } | undefined)?.value;

function newStore(): EntityStore {
  return new EntityStore(parseSubgraphSchema(SCHEMA));
}

/** The MappingError a write throws, as the handler's failure message. */
function failure(write: () => void): string {
  try {
    write();
  } catch (error) {
    assert.ok(error instanceof MappingError, `a MappingError, got ${(error as Error).name}`);
    return error.message;
  }
  assert.fail("the write was accepted");
}

describe("entity store", () => {
  it("validates entities as graph-node does", () => {
    const store = newStore();
    assert.equal(
      failure(() => store.set("Escrow", "1", new Map([...escrow("1", 0n), ["extra", s("x")]]))),
      "Attempted to set undefined fields [extra] for the entity type `Escrow`. Make sure those fields are defined in the schema.",
    );
    assert.equal(
      failure(() => store.set("Escrow", "1", new Map([["id", s("1")]]))),
      "Entity Escrow[1]: missing value for non-nullable field `paid`",
    );
    assert.match(
      failure(() =>
        store.set(
          "Escrow",
          "1",
          new Map([
            ["id", s("1")],
            ["paid", s("5")],
          ]),
        ),
      ),
      /the value `5` for field `paid` must have type BigInt! but has type String/,
    );
    assert.match(
      failure(() => store.set("Payment", "p", payment("p", "1", 1n, "Refund"))),
      /the value `Refund` for field `kind` is not a value of the enum Kind/,
    );
    assert.match(
      failure(() => store.set("Escrow", "2", escrow("1", 0n))),
      /attribute 'id' conflicts with ID passed to `store.set\(\)`: 1 != 2/,
    );
    assert.match(
      failure(() => store.set("Escrow", "1", new Map([...escrow("1", 0n), ["payments", { kind: "Array", value: [] }]]))),
      /undefined fields \[payments\]/,
      "derived fields are not stored",
    );
    assert.match(
      failure(() => store.set("Torrent", "1", escrow("1", 0n))),
      /Entity type `Torrent` is not defined in the schema/,
    );
    store.set("Escrow", "1", new Map([...escrow("1", 0n), ["note", { kind: "Null" }]]));
  });

  it("refuses to update or remove an immutable entity once written", () => {
    const store = newStore();
    store.set("Payment", "p1", payment("p1", "1", 10n));
    store.commitHandler();
    store.commitBlock(1);
    assert.equal(
      failure(() => store.set("Payment", "p1", payment("p1", "1", 20n))),
      "Entity Payment[p1]: entity type `Payment` is immutable and cannot be updated",
    );
    assert.match(
      failure(() => store.remove("Payment", "p1")),
      /entity type `Payment` is immutable and cannot be removed/,
    );
    store.set("Escrow", "1", escrow("1", 1n));
    store.commitHandler();
    store.commitBlock(2);
    store.set("Escrow", "1", escrow("1", 2n));
    assert.equal(paid(store.get("Escrow", "1")), 2n, "a mutable entity can be updated");
  });

  it("keeps a handler's writes only if it succeeds, and shows them to later handlers of the block", () => {
    const store = newStore();
    store.set("Escrow", "1", escrow("1", 1n));
    store.commitHandler();
    store.set("Escrow", "1", escrow("1", 99n));
    assert.equal(paid(store.get("Escrow", "1")), 99n, "the handler reads its own write");
    store.discardHandler();
    assert.equal(paid(store.get("Escrow", "1")), 1n, "the failed handler's write is gone");
    assert.equal(paid(store.getInBlock("Escrow", "1")), 1n);
    store.commitBlock(5);
    assert.equal(store.getInBlock("Escrow", "1"), undefined, "get_in_block sees only the block being processed");
    assert.equal(paid(store.get("Escrow", "1")), 1n);
  });

  it("versions entities per block, answers past blocks, and undoes blocks above a reorganisation", () => {
    const store = newStore();
    store.set("Escrow", "1", escrow("1", 1n));
    store.commitHandler();
    store.commitBlock(10);
    store.set("Escrow", "1", escrow("1", 2n));
    store.set("Payment", "p1", payment("p1", "1", 1n));
    store.commitHandler();
    store.commitBlock(11);
    store.remove("Escrow", "1");
    store.commitHandler();
    store.commitBlock(12);

    assert.equal(store.versionAt("Escrow", "1", 9), undefined);
    assert.equal(paid(store.versionAt("Escrow", "1", 10)!.data!), 1n);
    assert.equal(paid(store.versionAt("Escrow", "1", 11)!.data!), 2n);
    assert.equal(store.versionAt("Escrow", "1", 12), undefined, "removed at block 12");
    assert.deepEqual([...store.entitiesAt("Payment", 10)], []);
    assert.deepEqual(
      [...store.entitiesAt("Payment", 11)].map(([id]) => id),
      ["p1"],
    );
    assert.equal(store.changedAt("Escrow", "1", 11), 11);

    store.revertAbove(10);
    assert.equal(paid(store.get("Escrow", "1")), 1n, "back to block 10");
    assert.equal(store.get("Payment", "p1"), undefined);
    assert.equal(store.entityCount("Payment"), 0);
    // An immutable entity undone by a reorganisation can be written again.
    store.set("Payment", "p1", payment("p1", "1", 3n, "Release"));
  });

  it("loads related entities through a derived field (store.loadRelated)", () => {
    const store = newStore();
    store.set("Escrow", "1", escrow("1", 0n));
    store.set("Payment", "a", payment("a", "1", 1n));
    store.set("Payment", "b", payment("b", "2", 1n));
    store.commitHandler();
    store.commitBlock(1);
    store.set("Payment", "c", payment("c", "1", 2n));
    const ids = store.loadRelated("Escrow", "1", "payments").map((data) => (data.get("id") as { value: string }).value);
    assert.deepEqual(ids.sort(), ["a", "c"]);
    assert.match(
      failure(() => store.loadRelated("Escrow", "1", "paid")),
      /Entity Escrow has no derived field `paid`/,
    );
  });
});
