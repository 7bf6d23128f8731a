/**
 * Following a real chain: handlers run in block and log order (even when the node returns logs out of order), a
 * chain reorganisation is undone and re-indexed, a restarted indexer re-syncs to the entities of one that never
 * stopped, a node restarted with a new chain is re-indexed from the start blocks, a failing handler stops indexing
 * at its block (what came before stays queryable), and new blocks are picked up while running.
 */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseEther } from "viem";
import { type DevChain, startDevChain } from "@web3torrent/devchain";
import { buildSubgraph } from "@web3torrent/subgraph/build";
import { buildApiSchema } from "../src/graphql/api.ts";
import { executeQuery } from "../src/graphql/server.ts";
import { Indexer, type IndexerOptions } from "../src/indexer.ts";
import { querySource } from "../src/localIndexer.ts";
import { JsonRpc } from "../src/rpc.ts";
import { marketSender } from "./marketSender.ts";

const quiet: IndexerOptions["logger"] = () => {};

/**
 * A JSON-RPC proxy in front of a node: `upstream` can be switched (a node restarted behind the same URL), and
 * `reverseLogs` returns eth_getLogs results in reverse order (nodes are not bound to any order).
 */
async function rpcProxy(upstream: string, { reverseLogs = false } = {}) {
  const proxy = { upstream, url: "", reversed: 0, stop: async () => {} };
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const answer = await fetch(proxy.upstream, { method: "POST", headers: { "content-type": "application/json" }, body });
    let text = await answer.text();
    if (reverseLogs) {
      const calls = [JSON.parse(body)].flat() as { id: number; method: string }[];
      const results = [JSON.parse(text)].flat() as { id: number; result?: unknown }[];
      for (const result of results) {
        const call = calls.find((c) => c.id === result.id);
        if (call?.method === "eth_getLogs" && Array.isArray(result.result) && result.result.length > 1) {
          result.result.reverse();
          proxy.reversed++;
        }
      }
      text = JSON.stringify(Array.isArray(JSON.parse(body)) ? results : results[0]);
    }
    response.writeHead(answer.status, { "content-type": "application/json" }).end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.stop = () => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return proxy;
}

describe("the indexer following a chain", () => {
  let chain: DevChain;
  let rpc: JsonRpc;
  let buildDir: string;
  let options: IndexerOptions;
  let buy: (quantity: bigint) => Promise<bigint>;
  let contentId = 0n;

  /** Every entity of every type at the latest block, as plain values. */
  const dump = (indexer: Indexer) =>
    Object.fromEntries(
      [...indexer.schema.entities.keys()].map((type) => [
        type,
        [...indexer.store.entitiesAt(type, indexer.latest!.number)].map(([id, version]) => [id, [...version.data!.entries()]]),
      ]),
    );
  const supply = (indexer: Indexer) => {
    const version = indexer.store.versionAt("Content", contentId.toString(), indexer.latest!.number);
    return version?.data!.get("supply");
  };

  before(async () => {
    ({ buildDir } = await buildSubgraph());
    chain = await startDevChain();
    rpc = new JsonRpc(chain.rpcUrl);
    const market = marketSender(chain);
    await market.registerContent("indexer test content");
    contentId = 1n;
    buy = (quantity) => market.send("buy", [contentId, quantity, market.address, parseEther("1")], parseEther("1"));
    const contracts = Object.fromEntries(Object.entries(chain.contracts).map(([name, address]) => [name, { address, startBlock: 0 }]));
    options = { rpcUrl: chain.rpcUrl, buildDir, contracts, pollIntervalMs: 20, logger: quiet };
  });

  after(async () => {
    await chain?.stop();
  });

  it("undoes a reorganised block and indexes the chain's new one instead", async () => {
    const indexer = new Indexer(options);
    const snapshot = await rpc.call<string>("evm_snapshot");
    const first = await buy(1n);
    await indexer.sync();
    assert.equal(indexer.latest?.number, Number(first));
    assert.deepEqual(supply(indexer), { kind: "BigInt", value: 1n });

    let reorgs = 0;
    indexer.on("reorg", () => reorgs++);
    assert.equal(await rpc.call("evm_revert", [snapshot]), true);
    const replacement = await buy(3n);
    assert.equal(replacement, first, "the new block has the old one's number");
    await rpc.call("evm_mine");
    await indexer.sync();
    assert.equal(reorgs, 1);
    assert.deepEqual(supply(indexer), { kind: "BigInt", value: 3n });
    const purchases = [...indexer.store.entitiesAt("Purchase", indexer.latest!.number)];
    assert.equal(purchases.length, 1, "the reorganised purchase is gone");
    assert.deepEqual(purchases[0][1].data!.get("quantity"), { kind: "BigInt", value: 3n });
  });

  it("follows new blocks while running, and serves them once indexed", async () => {
    const indexer = new Indexer(options);
    indexer.start();
    try {
      const block = await buy(2n);
      await indexer.waitForBlock(Number(block), 10_000);
      assert.deepEqual(supply(indexer), { kind: "BigInt", value: 5n });
      const api = buildApiSchema(querySource(indexer, "test"));
      const result = executeQuery(api, querySource(indexer, "test"), {
        query: `{ content(id: "1") { supply } _meta { block { number } } }`,
      });
      assert.deepEqual(JSON.parse(JSON.stringify(result)), {
        data: { content: { supply: "5" }, _meta: { block: { number: indexer.latest!.number } } },
      });
    } finally {
      await indexer.stop();
    }
  });

  it("runs handlers in block and log order whatever order the node returns logs in", async () => {
    const reversing = await rpcProxy(chain.rpcUrl, { reverseLogs: true });
    try {
      const direct = new Indexer(options);
      await direct.sync();
      const shuffled = new Indexer({ ...options, rpcUrl: reversing.url });
      await shuffled.sync();
      assert.ok(reversing.reversed > 0, "the node's logs came back reversed");
      assert.equal(shuffled.failure, null);
      assert.equal(shuffled.latest?.hash, direct.latest?.hash);
      assert.deepEqual(dump(shuffled), dump(direct));
    } finally {
      await reversing.stop();
    }
  });

  it("re-syncs after a restart: a restarted indexer catches up to the entities of one that never stopped", async () => {
    const continuous = new Indexer(options);
    const first = new Indexer(options);
    continuous.start();
    first.start();
    try {
      const before = await buy(1n);
      await first.waitForBlock(Number(before), 10_000);
      const supplyBefore = (supply(first) as { value: bigint }).value;
      await first.stop(); // its store lived in memory and is gone with it
      const whileDown = await buy(2n);
      const restarted = new Indexer(options);
      restarted.start();
      try {
        await restarted.waitForBlock(Number(whileDown), 10_000);
        await continuous.waitForBlock(Number(whileDown), 10_000);
        await restarted.stop();
        await continuous.stop();
        assert.equal(restarted.latest?.hash, continuous.latest?.hash);
        assert.deepEqual(dump(restarted), dump(continuous));
        assert.deepEqual(supply(restarted), { kind: "BigInt", value: supplyBefore + 2n }, "the purchase made while it was down is indexed");
      } finally {
        await restarted.stop();
      }
    } finally {
      await first.stop();
      await continuous.stop();
    }
  });

  it("re-syncs from the start blocks when the node it follows is restarted with a new chain", async () => {
    const proxy = await rpcProxy(chain.rpcUrl);
    const fresh = await startDevChain();
    const indexer = new Indexer({ ...options, rpcUrl: proxy.url });
    try {
      assert.deepEqual(fresh.contracts, chain.contracts, "the same deployment addresses on the new chain");
      await indexer.sync();
      assert.ok(supply(indexer), "the old chain's content is indexed");
      // The node restarts: same URL, a new chain without the old one's content and purchases.
      proxy.upstream = fresh.rpcUrl;
      let reorgs = 0;
      indexer.on("reorg", () => reorgs++);
      await indexer.sync();
      await indexer.sync();
      assert.equal(reorgs, 1);
      assert.equal(indexer.failure, null);
      const reference = new Indexer({ ...options, rpcUrl: fresh.rpcUrl });
      await reference.sync();
      assert.equal(indexer.latest?.hash, reference.latest?.hash);
      assert.deepEqual(dump(indexer), dump(reference));
      assert.equal(supply(indexer), undefined, "the old chain's content is gone");
      assert.equal(indexer.store.entityCount("Purchase"), 0);
    } finally {
      await indexer.stop();
      await proxy.stop();
      await fresh.stop();
    }
  });

  it("stops at a failing handler's block and keeps serving what it indexed before", async () => {
    // A schema without a field the mapping sets: graph-node fails the handler with "undefined fields".
    const broken = mkdtempSync(join(tmpdir(), "w3t-broken-subgraph-"));
    try {
      cpSync(buildDir, broken, { recursive: true });
      const schemaFile = join(broken, "schema.graphql");
      writeFileSync(
        schemaFile,
        readFileSync(schemaFile, "utf8").replace(/\n\s*"Curve price of the next license after the purchase."\n\s*nextPrice: BigInt!/, ""),
      );
      const indexer = new Indexer({ ...options, buildDir: broken });
      await indexer.sync();
      assert.ok(indexer.failure, "indexing failed");
      assert.equal(indexer.failure.dataSource, "LicenseMarket");
      assert.match(indexer.failure.message, /Attempted to set undefined fields \[nextPrice\] for the entity type `PricePoint`/);
      assert.equal(indexer.latest!.number, indexer.failure.block - 1, "the failed block is not committed");
      assert.deepEqual(supply(indexer), { kind: "BigInt", value: 0n }, "the content registered before is there");
      const source = querySource(indexer, "test");
      const result = executeQuery(buildApiSchema(source), source, { query: `{ _meta { hasIndexingErrors } contents { supply } }` });
      assert.deepEqual(JSON.parse(JSON.stringify(result)), { data: { _meta: { hasIndexingErrors: true }, contents: [{ supply: "0" }] } });
      const head = Number(await rpc.call<string>("eth_blockNumber"));
      await indexer.sync();
      assert.ok(indexer.latest!.number < head, "it does not go past the failure");
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });
});
