/**
 * Local indexer benchmark: builds a chain with at least 10,000 subgraph events (purchases, rebate receipts in
 * large batches, escrows), replays it through the compiled mappings from block 0, and prints events per second;
 * then measures, for single transactions on the running chain, the time from the block being mined to its
 * entities being returned by the GraphQL endpoint.
 *
 *   npm run bench:indexer            (after `npm run build`)
 *   W3T_BENCH_EVENTS=20000 node scripts/bench/indexer.ts [--events 20000] [--json <file>]
 *
 * --events (or W3T_BENCH_EVENTS) sets the least number of events; --json also writes the figures as JSON.
 */
import { parseArgs } from "node:util";
import { type Abi, type Address, type Hex, encodeFunctionData, keccak256, parseEther, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { startDevChain } from "@web3torrent/devchain";
import { Indexer, startLocalIndexer } from "@web3torrent/indexer";
import { delegationTypes, rebatePoolDomain, receiptTypes } from "@web3torrent/sdk/eip712";
import { checkpointEscrowAbi, licenseMarketAbi, rebatePoolAbi } from "@web3torrent/sdk/generated/contracts";
import { registrationCommitment } from "@web3torrent/sdk/market";
import { buildSubgraph } from "@web3torrent/subgraph/build";
import { writeBenchResult } from "./results.ts";

const { values: args } = parseArgs({ options: { events: { type: "string" }, json: { type: "string" } } });
/** The figure: a replay of at least 10,000 events. */
const REQUIRED_EVENTS = 10_000;
const TARGET_EVENTS = Number(args.events ?? process.env.W3T_BENCH_EVENTS ?? REQUIRED_EVENTS);
const CONTENTS = 10;
const BUYERS = 10;
const SEEDERS = 5;
const TXS_PER_BLOCK = 20;
const RECEIPTS_PER_BATCH = 100;
const LATENCY_SAMPLES = 30;
const MIB = 1n << 20n;
const GAS = 8_000_000n;

const chain = await startDevChain();
/** fetch, retried once when the server drops a kept-alive connection. */
const post = (url: string, body: string) => fetch(url, { method: "POST", body }).catch(() => fetch(url, { method: "POST", body }));
const rpc = async <T>(method: string, params: unknown[] = []): Promise<T> => {
  const response = await post(chain.rpcUrl, JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }));
  const body = (await response.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
};
const batch = async (calls: { method: string; params: unknown[] }[]) => {
  const response = await post(chain.rpcUrl, JSON.stringify(calls.map((call, id) => ({ jsonrpc: "2.0", id, ...call }))));
  const results = (await response.json()) as { error?: { message: string } }[];
  const failed = results.find((r) => r.error);
  if (failed) throw new Error(failed.error!.message);
};
const tx = (from: Address, to: Address, abi: Abi, functionName: string, args: readonly unknown[], value = 0n) => ({
  method: "eth_sendTransaction",
  params: [{ from, to, data: encodeFunctionData({ abi, functionName, args } as never), value: toHex(value), gas: toHex(GAS) }],
});

const accounts = chain.accounts.map((a) => ({ ...a, local: privateKeyToAccount(a.privateKey) }));
const { LicenseMarket: market, RebatePool: pool, CheckpointEscrow: escrow } = chain.contracts;
const m = licenseMarketAbi as Abi;
const publisher = accounts[1].address;
const buyers = accounts.slice(2, 2 + BUYERS);
const seeders = accounts.slice(2 + BUYERS, 2 + BUYERS + SEEDERS);

/** Mines the transactions in blocks of TXS_PER_BLOCK (automine off). */
async function mine(txs: { method: string; params: unknown[] }[], perBlock = TXS_PER_BLOCK): Promise<void> {
  for (let i = 0; i < txs.length; i += perBlock) {
    await batch(txs.slice(i, i + perBlock));
    await rpc("evm_mine");
  }
}

console.log(`Building the subgraph and a chain with at least ${TARGET_EVENTS.toLocaleString()} events ...`);
const { buildDir } = await buildSubgraph();
const generationStarted = performance.now();
await rpc("evm_setAutomine", [false]);

// Registrations in the market's two steps: every commitment, the clock past the minimum age, every reveal.
const SALT = keccak256(toHex("bench salt"));
const contentInfohash = (i: number) => keccak256(toHex(`bench content ${i}`));
await mine(
  Array.from({ length: CONTENTS }, (_, i) =>
    tx(publisher, market, m, "commit", [registrationCommitment(contentInfohash(i), publisher, SALT)]),
  ),
);
const minCommitmentAge = await rpc<Hex>("eth_call", [
  { to: market, data: encodeFunctionData({ abi: licenseMarketAbi, functionName: "minCommitmentAge" }) },
  "latest",
]);
await rpc("evm_increaseTime", [Number(BigInt(minCommitmentAge))]);
await mine(
  Array.from({ length: CONTENTS }, (_, i) =>
    tx(publisher, market, m, "registerContent", [
      {
        infohash: contentInfohash(i),
        size: 1n << 40n,
        payout: publisher,
        basePrice: parseEther("0.001"),
        curve: i % 2,
        growth: i % 2 === 0 ? parseEther("0.00001") : 1n,
        maxSupply: 0n,
        bountyFeeBps: 1000,
        transferable: false,
        metadataURI: `ipfs://bench-${i}`,
      },
      SALT,
    ]),
  ),
);

// Purchases: three events each (LicensesPurchased, TransferSingle, AllowanceFunded).
const receiptEvents = Math.ceil(TARGET_EVENTS * 0.3);
const escrowEvents = 400;
const purchases = Math.ceil((TARGET_EVENTS - receiptEvents - escrowEvents - CONTENTS) / 3);
// Every receipt batch names each buyer with each content, so every buyer needs a license of every content.
if (purchases < BUYERS * CONTENTS) throw new Error(`--events ${TARGET_EVENTS} is too few: at least 1,100 are needed for the scenario`);
const buys = Array.from({ length: purchases }, (_, i) => {
  const buyer = buyers[i % BUYERS].address;
  const contentId = BigInt((Math.floor(i / BUYERS) % CONTENTS) + 1);
  return tx(buyer, market, m, "buy", [contentId, 1n, buyer, parseEther("1")], parseEther("1"));
});
await mine(buys);

// Rebate receipts in batches: one ReceiptCredited event each.
const sessionKey = privateKeyToAccount(generatePrivateKey());
const expiry = 2n ** 40n;
const domain = rebatePoolDomain(chain.chainId, pool);
const delegations = new Map<Address, Hex>();
for (const buyer of buyers) {
  delegations.set(
    buyer.address,
    await buyer.local.signTypedData({
      domain,
      types: delegationTypes,
      primaryType: "Delegation",
      message: { wallet: buyer.address, sessionKey: sessionKey.address, expiry },
    }),
  );
}
const cumulative = new Map<string, bigint>();
const receiptTxs = [];
for (let sent = 0, batchIndex = 0; sent < receiptEvents; batchIndex++) {
  const seeder = seeders[batchIndex % SEEDERS].address;
  const receipts = [];
  for (let j = 0; j < RECEIPTS_PER_BATCH && sent < receiptEvents; j++, sent++) {
    const leecher = buyers[j % BUYERS].address;
    const contentId = BigInt((Math.floor(j / BUYERS) % CONTENTS) + 1);
    const key = `${leecher}-${seeder}-${contentId}`;
    const bytes = (cumulative.get(key) ?? 0n) + MIB;
    cumulative.set(key, bytes);
    receipts.push({
      leecher,
      contentId,
      cumulativeBytes: bytes,
      sessionKey: sessionKey.address,
      delegationExpiry: expiry,
      delegationSig: delegations.get(leecher)!,
      receiptSig: await sessionKey.signTypedData({
        domain,
        types: receiptTypes,
        primaryType: "Receipt",
        message: { leecher, seeder, contentId, cumulativeBytes: bytes },
      }),
    });
  }
  receiptTxs.push(tx(accounts[0].address, pool, rebatePoolAbi as Abi, "submitReceipts", [seeder, receipts]));
}
await mine(receiptTxs, 2);

// Escrows opened and closed: two events each.
const escrowTxs = [];
for (let i = 0; i < escrowEvents / 2; i++) {
  const buyer = buyers[i % BUYERS].address;
  escrowTxs.push(tx(buyer, escrow, checkpointEscrowAbi as Abi, "open", [1n, 10n * MIB, 10n ** 9n, sessionKey.address, 0], 10n ** 12n));
}
await mine(escrowTxs);
await mine(
  Array.from({ length: escrowEvents / 2 }, (_, i) =>
    tx(buyers[i % BUYERS].address, escrow, checkpointEscrowAbi as Abi, "close", [BigInt(i + 1)]),
  ),
);
await rpc("evm_setAutomine", [true]);
const head = Number(await rpc<Hex>("eth_blockNumber"));
const generationSeconds = (performance.now() - generationStarted) / 1000;

// ------------------------------------------------------------------------------------------------ replay
const contracts = Object.fromEntries(Object.entries(chain.contracts).map(([name, address]) => [name, { address, startBlock: 0 }]));
const silent = () => {};
const replay = new Indexer({ rpcUrl: chain.rpcUrl, buildDir, contracts, logger: silent });
const replayStarted = performance.now();
await replay.sync();
const replaySeconds = (performance.now() - replayStarted) / 1000;
if (replay.failure) throw new Error(`Replay failed: ${replay.failure.message}`);
if (replay.latest?.number !== head) throw new Error(`Replay stopped at ${replay.latest?.number}, head is ${head}`);
const events = replay.eventsProcessed;
if (events < TARGET_EVENTS) throw new Error(`Only ${events} events were generated`);

// ------------------------------------------------------------------------------------------------ latency
const local = await startLocalIndexer({ rpcUrl: chain.rpcUrl, buildDir, contracts, port: 0, logger: silent });
await local.indexer.waitForBlock(head, 300_000);
const latencies: number[] = [];
const buyer = buyers[0].address;
for (let i = 0; i < LATENCY_SAMPLES; i++) {
  const hash = await rpc<Hex>("eth_sendTransaction", tx(buyer, market, m, "buy", [2n, 1n, buyer, parseEther("1")], parseEther("1")).params);
  // The devchain mines each transaction before it answers: the block exists from here (not after the receipt's fetch).
  const mined = performance.now();
  const receipt = await rpc<{ blockNumber: Hex }>("eth_getTransactionReceipt", [hash]);
  const block = Number(receipt.blockNumber);
  const id = `${hash}-0`;
  for (;;) {
    const response = await post(local.url, JSON.stringify({ query: `{ purchase(id: "${id}") { id } _meta { block { number } } }` }));
    const body = (await response.json()) as { data: { purchase: { id: string } | null; _meta: { block: { number: number } } } };
    if (body.data.purchase && body.data._meta.block.number >= block) break;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  latencies.push(performance.now() - mined);
  await new Promise((resolve) => setTimeout(resolve, 37)); // spread the samples over the poll cycle
}
await local.stop();
await chain.stop();

latencies.sort((a, b) => a - b);
const percentile = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
const rss = process.memoryUsage().rss / 2 ** 20;
console.log(`
Chain: ${head.toLocaleString()} blocks, ${events.toLocaleString()} subgraph events (generated in ${generationSeconds.toFixed(1)} s)
Replay from block 0 through the compiled mappings: ${replaySeconds.toFixed(2)} s
  ${Math.round(events / replaySeconds).toLocaleString()} events/s (${((replaySeconds * 1000) / events).toFixed(3)} ms per event, one fresh WASM instance each), ${replay.store.versionCount.toLocaleString()} entity versions
Block mined -> entities queryable over GraphQL (${LATENCY_SAMPLES} single-purchase blocks, poll interval 200 ms):
  median ${percentile(50).toFixed(0)} ms, p90 ${percentile(90).toFixed(0)} ms, max ${latencies[latencies.length - 1].toFixed(0)} ms
Process RSS ${rss.toFixed(0)} MiB
`);
writeBenchResult(args.json, {
  bench: "indexer",
  options: { events: TARGET_EVENTS },
  figures: [
    { name: "events replayed", value: events, unit: "events", target: { op: ">=", value: REQUIRED_EVENTS }, scaleDependent: true },
    { name: "replay rate", value: Math.round(events / replaySeconds), unit: "events/s" },
    { name: "block mined -> queryable, median", value: Math.round(percentile(50)), unit: "ms" },
    { name: "block mined -> queryable, p90", value: Math.round(percentile(90)), unit: "ms" },
  ],
});
