import { describe, expect, it, vi } from "vitest";
import { graphContents, graphLicenses, graphPriceHistory } from "./graphSource.ts";
import { graphql } from "./graphql.ts";

function answering(data: unknown) {
  return vi.fn(async (_url: string, init: RequestInit) => {
    answering.lastBody = JSON.parse(String(init.body));
    return new Response(JSON.stringify({ data }), { status: 200 });
  });
}
answering.lastBody = null as null | { query: string; variables: Record<string, unknown> };

describe("graphSource", () => {
  it("reads contents with graph-node's BigInt strings and the curve enum", async () => {
    const fetchMock = answering({
      contents: [
        {
          contentId: "3",
          infohash: `0x${"ab".repeat(32)}`,
          size: "1048576",
          payout: { id: "0x0000000000000000000000000000000000000001" },
          basePrice: "10000000000000000",
          curve: "Exponential",
          growth: "500",
          maxSupply: "0",
          bountyFeeBps: 250,
          transferable: true,
          supply: "7",
          metadataURI: `data:application/json,${encodeURIComponent(JSON.stringify({ name: "Album" }))}`,
        },
      ],
      protocol: { networkFeeBps: 500 },
    });
    vi.stubGlobal("fetch", fetchMock);
    const { contents, networkFeeBps } = await graphContents("http://indexer/subgraphs/name/web3torrent");
    expect(networkFeeBps).toBe(500n);
    expect(contents[0]).toMatchObject({ contentId: 3n, curve: 1, growth: 500n, supply: 7n, size: 1048576n, bountyFeeBps: 250 });
    expect(contents[0].metadata.name).toBe("Album");
    expect(answering.lastBody?.query).toContain("orderBy: contentId");
    vi.unstubAllGlobals();
  });

  it("filters price points by content and licenses by lowercase holder", async () => {
    vi.stubGlobal(
      "fetch",
      answering({
        pricePoints: [
          { price: "2", nextPrice: "3", supply: "2", blockNumber: "9", timestamp: "100" },
          { price: "1", nextPrice: "2", supply: "1", blockNumber: "8", timestamp: "90" },
        ],
      }),
    );
    const points = await graphPriceHistory("http://indexer", 5n);
    expect(answering.lastBody?.variables.content).toBe("5");
    expect(points.map((p) => p.supply)).toEqual([1n, 2n]);
    vi.stubGlobal("fetch", answering({ licenses: [{ content: { contentId: "5" }, balance: "2" }] }));
    expect(await graphLicenses("http://indexer", "0xAbCdEf0000000000000000000000000000000001")).toEqual([{ contentId: 5n, balance: 2n }]);
    expect(answering.lastBody?.variables.holder).toBe("0xabcdef0000000000000000000000000000000001");
    vi.unstubAllGlobals();
  });

  it("reports GraphQL errors and an unreachable endpoint clearly", async () => {
    const failing = vi.fn(
      async () => new Response(JSON.stringify({ errors: [{ message: "Type `Query` has no field `nope`" }] }), { status: 200 }),
    );
    await expect(graphql("http://indexer", "{ nope }", {}, failing as never)).rejects.toThrow(/has no field/);
    const down = vi.fn(async () => {
      throw new TypeError("fetch failed");
    });
    await expect(graphql("http://indexer", "{ x }", {}, down as never)).rejects.toThrow(/unreachable/);
  });
});
