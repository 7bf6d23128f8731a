/**
 * Following a real chain: handlers run in block and log order, a chain reorganisation is undone and re-indexed,
 * a restarted indexer re-syncs to the same entities, a failing handler stops indexing at its block (what came
 * before stays queryable), and new blocks are picked up while running.
 */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Abi, type Address, createPublicClient, createWalletClient, defineChain, http, keccak256, parseEther, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { type DevChain, startDevChain } from "@web3torrent/devchain";
import { licenseMarketAbi } from "@web3torrent/sdk/generated/contracts";
import { buildSubgraph } from "@web3torrent/subgraph/build";
import { buildApiSchema } from "../src/graphql/api.ts";
import { executeQuery } from "../src/graphql/server.ts";
import { Indexer, type IndexerOptions } from "../src/indexer.ts";
import { querySource } from "../src/localIndexer.ts";
import { JsonRpc } from "../src/rpc.ts";

const quiet: IndexerOptions["logger"] = () => {};

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
    const viemChain = defineChain({
      id: chain.chainId,
      name: "devchain",
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [chain.rpcUrl] } },
    });
    const client = createPublicClient({ chain: viemChain, transport: http(chain.rpcUrl) });
    const wallet = createWalletClient({ account: privateKeyToAccount(chain.accounts[1].privateKey), chain: viemChain, transport: http(chain.rpcUrl) });
    const market: Address = chain.contracts.LicenseMarket;
    const send = async (functionName: string, args: readonly unknown[], value?: bigint) => {
      const hash = await wallet.writeContract({ address: market, abi: licenseMarketAbi as Abi, functionName, args, value } as never);
      return (await client.waitForTransactionReceipt({ hash })).blockNumber;
    };
    await send("registerContent", [
      {
        infohash: keccak256(toHex("indexer test content")),
        size: 1_000_000n,
        payout: wallet.account.address,
        basePrice: parseEther("0.001"),
        curve: 0,
        growth: 0n,
        maxSupply: 0n,
        bountyFeeBps: 0,
        transferable: false,
        metadataURI: "",
      },
    ]);
    contentId = 1n;
    buy = (quantity) => send("buy", [contentId, quantity, wallet.account.address, parseEther("1")], parseEther("1"));
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

  it("re-syncs after a restart to the same entities", async () => {
    const before = new Indexer(options);
    await before.sync();
    const restarted = new Indexer(options);
    await restarted.sync();
    assert.equal(restarted.latest?.hash, before.latest?.hash);
    assert.deepEqual(dump(restarted), dump(before));
  });

  it("follows new blocks while running, and serves them once indexed", async () => {
    const indexer = new Indexer(options);
    indexer.start();
    try {
      const block = await buy(2n);
      await indexer.waitForBlock(Number(block), 10_000);
      assert.deepEqual(supply(indexer), { kind: "BigInt", value: 5n });
      const api = buildApiSchema(querySource(indexer, "test"));
      const result = executeQuery(api, querySource(indexer, "test"), { query: `{ content(id: "1") { supply } _meta { block { number } } }` });
      assert.deepEqual(JSON.parse(JSON.stringify(result)), { data: { content: { supply: "5" }, _meta: { block: { number: indexer.latest!.number } } } });
    } finally {
      await indexer.stop();
    }
  });

  it("stops at a failing handler's block and keeps serving what it indexed before", async () => {
    // A schema without a field the mapping sets: graph-node fails the handler with "undefined fields".
    const broken = mkdtempSync(join(tmpdir(), "w3t-broken-subgraph-"));
    try {
      cpSync(buildDir, broken, { recursive: true });
      const schemaFile = join(broken, "schema.graphql");
      writeFileSync(schemaFile, readFileSync(schemaFile, "utf8").replace(/\n\s*"Curve price of the next license after the purchase."\n\s*nextPrice: BigInt!/, ""));
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
