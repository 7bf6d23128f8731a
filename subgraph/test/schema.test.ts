/**
 * The schema holds the entities PRODUCT.md asks for; records of single events are immutable and everything the
 * mappings update is not; derived fields give the reverse lookups and each points back at its own type.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseSubgraphSchema } from "@web3torrent/indexer";
import { DATA_SOURCES, SUBGRAPH_DIR } from "../scripts/generateManifest.ts";

const schema = parseSubgraphSchema(readFileSync(join(SUBGRAPH_DIR, "schema.graphql"), "utf8"));
const mappingSources = [join(SUBGRAPH_DIR, "src/helpers.ts"), ...DATA_SOURCES.map(({ mapping }) => join(SUBGRAPH_DIR, mapping))].map(
  (file) => readFileSync(file, "utf8"),
);

/** Entity types the mappings load (`X.load(`), hence update after creating them. */
function loadedTypes(): Set<string> {
  const loaded = new Set<string>();
  for (const source of mappingSources) for (const [, name] of source.matchAll(/\b([A-Z]\w*)\.load\(/g)) loaded.add(name);
  return loaded;
}

describe("subgraph schema", () => {
  it("has the entities of PRODUCT.md, Content with its prices, supply, volume and publisher", () => {
    const required = [
      "Content",
      "PricePoint",
      "License",
      "Purchase",
      "Account",
      "Escrow",
      "VoucherRedemption",
      "WS402Session",
      "RebateAllowance",
      "ReceiptCredit",
      "RebateEpoch",
      "SeederEpoch",
      "Claim",
      "Protocol",
      "DailyStat",
    ];
    for (const name of required) assert.ok(schema.entities.has(name), `entity ${name}`);
    const content = schema.entities.get("Content")!.fields;
    for (const field of ["currentPrice", "nextPrice", "supply", "volume"])
      assert.equal(content.get(field)?.typeName, "BigInt", `Content.${field}`);
    assert.equal(content.get("publisher")?.typeName, "Account");
    // Per license: one allowance per (licensee, content).
    const allowance = schema.entities.get("RebateAllowance")!.fields;
    assert.equal(allowance.get("licensee")?.typeName, "Account");
    assert.equal(allowance.get("content")?.typeName, "Content");
  });

  it("makes the records of single events immutable and everything the mappings update mutable", () => {
    const loaded = loadedTypes();
    assert.ok(loaded.size > 5, "the mappings' loads were found");
    for (const info of schema.entities.values()) {
      assert.equal(
        info.immutable,
        !loaded.has(info.name),
        `${info.name} is ${loaded.has(info.name) ? "updated: mutable" : "never updated: immutable"}`,
      );
    }
    for (const name of ["PricePoint", "Purchase", "VoucherRedemption", "ReceiptCredit", "Claim", "EpochShare", "ProceedsWithdrawal"]) {
      assert.equal(schema.entities.get(name)!.immutable, true, `${name} is immutable`);
    }
  });

  it("derives the reverse lookups, each from a field that points back at its type", () => {
    for (const info of schema.entities.values()) {
      for (const field of info.fields.values()) {
        if (!field.derivedFrom) continue;
        const back = schema.entities.get(field.typeName)?.fields.get(field.derivedFrom);
        assert.ok(back, `${info.name}.${field.name} derives from ${field.typeName}.${field.derivedFrom}, which exists`);
        assert.equal(back.typeName, info.name, `${field.typeName}.${field.derivedFrom} points at ${info.name}`);
        assert.equal(back.derivedFrom, undefined, "a derived field derives from a stored one");
      }
    }
    const lookups: Record<string, string[]> = {
      Account: [
        "published",
        "licenses",
        "purchases",
        "allowances",
        "escrows",
        "redemptions",
        "resources",
        "sessions",
        "seederEpochs",
        "claims",
      ],
      Content: ["purchases", "pricePoints", "licenses", "escrows"],
      RebateEpoch: ["seeders", "receipts", "shareRecords"],
      RebateAllowance: ["receipts"],
      Escrow: ["seeders", "payments"],
      WS402Resource: ["sessions"],
    };
    for (const [type, fields] of Object.entries(lookups)) {
      for (const name of fields) assert.ok(schema.entities.get(type)!.fields.get(name)?.derivedFrom, `${type}.${name} is derived`);
    }
  });
});
