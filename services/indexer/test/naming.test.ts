/** graph-node's query field names (Inflector's camel case and plural), so that queries work on both. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { camelCase, plural, queryFieldNames } from "../src/graphql/naming.ts";

describe("query field names", () => {
  it("camel-cases type names as Inflector does", () => {
    assert.equal(camelCase("PricePoint"), "pricePoint");
    assert.equal(camelCase("WS402Session"), "ws402Session");
    assert.equal(camelCase("FOO_BAR"), "fooBar");
    assert.equal(camelCase("FooBar3"), "fooBar3");
  });

  it("pluralises with Inflector's rules", () => {
    assert.equal(plural("Content"), "Contents");
    assert.equal(plural("RebateEpoch"), "RebateEpoches");
    assert.equal(plural("Category"), "Categories");
    assert.equal(plural("Box"), "Boxes");
    assert.equal(plural("Status"), "Statuses");
    assert.equal(plural("sheep"), "sheep");
  });

  it("names the singular and plural query fields, with _collection when they coincide", () => {
    assert.deepEqual(queryFieldNames("Stats"), { singular: "stats", plural: "stats_collection" });
    assert.deepEqual(queryFieldNames("WS402Session"), { singular: "ws402Session", plural: "ws402Sessions" });
    assert.deepEqual(queryFieldNames("DailyStat"), { singular: "dailyStat", plural: "dailyStats" });
    assert.deepEqual(queryFieldNames("SeederEpoch"), { singular: "seederEpoch", plural: "seederEpoches" });
  });
});
