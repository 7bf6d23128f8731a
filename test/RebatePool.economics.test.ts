/**
 * The economics of self-dealing, with the fees at their caps (network 10%, bounty 20%).
 *
 * 1. A buyer who signs receipts to seeder addresses of its own gets back at most its own allowance: the fees it
 *    paid. It loses the curve price. Asserted.
 * 2. The epoch pool (unearned allowances of other buyers, swept at expiry) is shared by bytes, and a self-dealer's
 *    licenses let it credit bytes. The share it can win is printed against what its licenses cost, and the bound
 *    stated in RebatePool's NatSpec is asserted: share = ⌊pool · B_s / (B_s + B_h)⌋ with B_s ≤ Σ size over the
 *    (license-holding address, content) pairs it controls.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { network } from "hardhat";
import { formatEther, parseEther, parseEventLogs, type Address, type Hash } from "viem";
import {
  ALLOWANCE_EXPIRY,
  BPS,
  DAY,
  EPOCH_DURATION,
  LeecherSession,
  MAX_BOUNTY_FEE_BPS,
  MAX_NETWORK_FEE_BPS,
  buy,
  newSessionKey,
  registerContent,
  type Market,
  type Pool,
} from "./helpers/rebate.ts";

const { viem, networkHelpers } = await network.create();
const { time, loadFixture } = networkHelpers;

const SIZE = 100n * 1024n * 1024n;
const PRICE = parseEther("0.01");
/** Honest buyers whose allowances go unearned and are swept into the epoch pool. */
const UNEARNED_BUYERS = 20;
/** Honest leechers fully served by an honest seeder in the epoch: a busy epoch and a quiet one. */
const BUSY_EPOCH_DOWNLOADS = 10;
const QUIET_EPOCH_DOWNLOADS = 1;
const MAX_CONTENT_SIZE = 2n ** 64n - 1n;

async function economyFixture() {
  const [owner, publisher, honestBuyer, honestSeeder, selfDealer] = await viem.getWalletClients();
  const publicClient = await viem.getPublicClient();
  const chainId = await publicClient.getChainId();
  const pool = await viem.deployContract("RebatePool", [
    owner.account.address,
    Number(EPOCH_DURATION),
    Number(ALLOWANCE_EXPIRY),
  ]);
  const market = await viem.deployContract("LicenseMarket", [
    owner.account.address,
    pool.address,
    MAX_NETWORK_FEE_BPS,
    "",
  ]);
  await pool.write.bindLicenseMarket([market.address]);
  // Fees at the caps the market enforces.
  assert.equal(await market.read.networkFeeBps(), await market.read.MAX_NETWORK_FEE_BPS());
  assert.equal(MAX_BOUNTY_FEE_BPS, await market.read.MAX_BOUNTY_FEE_BPS());
  const contentId = await registerContent(market, publisher, {
    size: SIZE,
    basePrice: PRICE,
    bountyFeeBps: MAX_BOUNTY_FEE_BPS,
  });
  const transferableId = await registerContent(market, publisher, {
    size: SIZE,
    basePrice: PRICE,
    bountyFeeBps: MAX_BOUNTY_FEE_BPS,
    transferable: true,
  });
  const domain = { chainId, pool: pool.address };
  const expiry = BigInt(await time.latest()) + 400n * DAY;
  return {
    owner,
    publisher,
    honestBuyer,
    honestSeeder,
    selfDealer,
    publicClient,
    pool,
    market,
    contentId,
    transferableId,
    domain,
    expiry,
  };
}

type Economy = Awaited<ReturnType<typeof economyFixture>>;

/**
 * Honest activity in one epoch: the unearned allowances of UNEARNED_BUYERS licenses swept into it, and `served`
 * honest leechers fully served in it by an honest seeder.
 */
async function honestEpoch(served: number) {
  const e = await economyFixture();
  const unearned: Address[] = [];
  for (let i = 0; i < UNEARNED_BUYERS; i++) {
    const holder = newSessionKey().address;
    await buy(e.market, e.honestBuyer, e.contentId, holder);
    unearned.push(holder);
  }
  await time.increase(ALLOWANCE_EXPIRY);
  const epoch = await e.pool.read.currentEpoch();
  await e.pool.write.sweepMany([unearned.map((licensee) => ({ licensee, contentId: e.contentId }))]);
  // The served leechers buy now, so their allowances are live, and are served the whole file.
  const s = e.honestSeeder.account.address;
  const receipts = [];
  for (let i = 0; i < served; i++) {
    const key = newSessionKey();
    await buy(e.market, e.honestBuyer, e.contentId, key.address);
    receipts.push(await new LeecherSession(key, key.address, e.expiry, e.domain).receipt(s, e.contentId, SIZE));
  }
  await e.pool.write.submitReceipts([s, receipts]);
  const [epochPool, honestBytes] = await e.pool.read.epochInfo([epoch]);
  return { ...e, epoch, epochPool, honestBytes };
}

const busyEpochFixture = () => honestEpoch(BUSY_EPOCH_DOWNLOADS);
const quietEpochFixture = () => honestEpoch(QUIET_EPOCH_DOWNLOADS);

type HonestEpoch = Awaited<ReturnType<typeof honestEpoch>>;

async function claimed(e: Economy, hash: Hash) {
  const receipt = await e.publicClient.waitForTransactionReceipt({ hash });
  const [event] = parseEventLogs({ abi: e.pool.abi, logs: receipt.logs, eventName: "Claimed" });
  return { fromBalance: event.args.fromBalance, fromEpochs: event.args.fromEpochs };
}

/** Buys one license for a fresh address of the self-dealer and returns that address's session. */
async function selfDealerLicense(e: Economy, market: Market, contentId: bigint) {
  const key = newSessionKey();
  const bought = await buy(market, e.selfDealer, contentId, key.address);
  return {
    session: new LeecherSession(key, key.address, e.expiry, e.domain),
    paid: bought.total,
    allowance: bought.allowance,
  };
}

async function credit(pool: Pool, seeder: Address, session: LeecherSession, contentId: bigint, bytes: bigint) {
  await pool.write.submitReceipts([seeder, [await session.receipt(seeder, contentId, bytes)]]);
}

const eth = (wei: bigint) => Number(formatEther(wei)).toFixed(6);

describe("RebatePool economics (fees at the caps: network 10%, bounty 20%)", () => {
  it("a buyer who signs receipts to its own seeder addresses recovers at most its own allowance", async () => {
    const e = await loadFixture(economyFixture);
    const [, , , , , ownSeeder1, ownSeeder2] = await viem.getWalletClients();
    const seeders = [e.selfDealer, ownSeeder1, ownSeeder2];
    // One purchase of three licenses: its allowance is three licenses' fees, its byte cap one content size.
    const key = newSessionKey();
    const bought = await buy(e.market, e.selfDealer, e.contentId, key.address, 3n);
    assert.equal(bought.allowance, (bought.curvePrice * BigInt(MAX_NETWORK_FEE_BPS + MAX_BOUNTY_FEE_BPS)) / BPS);
    const session = new LeecherSession(key, key.address, e.expiry, e.domain);
    // Every own seeder claims the whole file, twice over: the license cap stops them at one size in total.
    for (const seeder of seeders) {
      await credit(e.pool, seeder.account.address, session, e.contentId, SIZE);
      await credit(e.pool, seeder.account.address, session, e.contentId, 2n * SIZE);
    }
    const epoch = await e.pool.read.currentEpoch();
    await time.increase(EPOCH_DURATION);
    let recovered = 0n;
    for (const seeder of seeders) {
      const claimable = await e.pool.read.claimable([seeder.account.address, [epoch]]);
      if (claimable === 0n) continue;
      const got = await claimed(e, await e.pool.write.claim([[epoch]], { account: seeder.account }));
      recovered += got.fromBalance + got.fromEpochs;
    }
    const [remaining, bytesCredited] = await e.pool.read.allowance([key.address, e.contentId]);
    assert.equal(bytesCredited, SIZE);
    assert.equal(remaining, 0n);
    assert.ok(recovered <= bought.allowance, "recovers at most its own allowance");
    assert.equal(recovered, bought.allowance, "and exactly it, once the whole size is credited");
    assert.ok(recovered < bought.total, "self-dealing loses the curve price");
    console.log(
      `\nSelf-dealing through its own allowance: paid ${eth(bought.total)} ETH for 3 licenses ` +
        `(fees ${eth(bought.allowance)}), recovered ${eth(recovered)} ETH, net ${eth(recovered - bought.total)} ETH.`,
    );
  });

  it("prints the epoch-pool share a self-dealer can win against what its licenses cost, and asserts the bound", async () => {
    interface Row {
      epoch: string;
      strategy: string;
      "paid (ETH)": string;
      "allowance back": string;
      "B_s / size": string;
      "epoch share (ETH)": string;
      "of pool": string;
      "net (ETH)": string;
    }
    const rows: Row[] = [];
    let poolSize = 0n;

    async function scenario(
      fixture: () => Promise<HonestEpoch>,
      strategy: string,
      setUp: (e: HonestEpoch, seeder: Address) => Promise<{ paid: bigint; fees: bigint; capBytes: bigint }>,
    ) {
      const e = await loadFixture(fixture);
      poolSize = e.epochPool;
      const seeder = e.selfDealer.account.address;
      const { paid, fees, capBytes } = await setUp(e, seeder);
      const selfBytes = await e.pool.read.seederEpochBytes([e.epoch, seeder]);
      await time.increase(EPOCH_DURATION);
      const got = await claimed(e, await e.pool.write.claim([[e.epoch]], { account: e.selfDealer.account }));

      // The bound: bytes at most the caps of the licenses held; share exactly pool · B_s / (B_s + B_h), rounded down.
      assert.ok(selfBytes <= capBytes, `${strategy}: B_s <= sum of sizes`);
      assert.equal(got.fromEpochs, (e.epochPool * selfBytes) / (selfBytes + e.honestBytes), `${strategy}: share`);
      // Its own allowances come back exactly (full size credited), never more.
      assert.equal(got.fromBalance, fees, `${strategy}: allowance back = fees paid`);

      const net = got.fromBalance + got.fromEpochs - paid;
      rows.push({
        epoch: `B_h = ${e.honestBytes / SIZE} x size`,
        strategy,
        "paid (ETH)": eth(paid),
        "allowance back": eth(got.fromBalance),
        "B_s / size": selfBytes % SIZE === 0n ? `${selfBytes / SIZE}` : `2^64-1 bytes`,
        "epoch share (ETH)": eth(got.fromEpochs),
        "of pool": `${((Number(got.fromEpochs) * 100) / Number(e.epochPool)).toFixed(1)}%`,
        "net (ETH)": eth(net),
      });
      return { net, share: got.fromEpochs, paid, pool: e.epochPool };
    }

    // (a) k licenses of the content the honest buyers bought, each credited its full size to the self-dealer.
    async function kLicenses(e: HonestEpoch, seeder: Address, k: number) {
      let paid = 0n;
      let fees = 0n;
      const receipts = [];
      for (let i = 0; i < k; i++) {
        const license = await selfDealerLicense(e, e.market, e.contentId);
        paid += license.paid;
        fees += license.allowance;
        receipts.push(await license.session.receipt(seeder, e.contentId, SIZE));
      }
      await e.pool.write.submitReceipts([seeder, receipts]);
      return { paid, fees, capBytes: BigInt(k) * SIZE };
    }
    const priced: Array<{ k: number; net: bigint; quiet: boolean }> = [];
    for (const [fixture, quiet] of [
      [busyEpochFixture, false],
      [quietEpochFixture, true],
    ] as const) {
      for (const k of [1, 2, 5, 20]) {
        const result = await scenario(fixture, `${k} license(s) of the honest content`, (e, s) => kLicenses(e, s, k));
        // Net = share - k x curve price: the fees come back, the curve price goes to the publisher.
        assert.equal(result.net, result.share - BigInt(k) * PRICE);
        priced.push({ k, net: result.net, quiet });
      }
    }

    // (b) One transferable license handed through 5 addresses of the self-dealer: each holder gets its own cap.
    await scenario(busyEpochFixture, "1 transferable license held by 5 addresses in turn", async (e, seeder) => {
      const first = await selfDealerLicense(e, e.market, e.transferableId);
      let holder = first.session;
      await credit(e.pool, seeder, holder, e.transferableId, SIZE);
      for (let i = 1; i < 5; i++) {
        const key = newSessionKey();
        const next = new LeecherSession(key, key.address, e.expiry, e.domain);
        await networkHelpers.impersonateAccount(holder.leecher);
        await networkHelpers.setBalance(holder.leecher, parseEther("1"));
        await e.market.write.safeTransferFrom([holder.leecher, next.leecher, e.transferableId, 1n, "0x"], {
          account: holder.leecher,
        });
        await credit(e.pool, seeder, next, e.transferableId, SIZE);
        holder = next;
      }
      return { paid: first.paid, fees: first.allowance, capBytes: 5n * SIZE };
    });

    // (c) Content the self-dealer publishes itself, free and as large as the market allows.
    const free = await scenario(
      busyEpochFixture,
      "1 license of its own free content, size 2^64-1",
      async (e, seeder) => {
        const ownContent = await registerContent(e.market, e.selfDealer, { size: MAX_CONTENT_SIZE, basePrice: 0n });
        const license = await selfDealerLicense(e, e.market, ownContent);
        await credit(e.pool, seeder, license.session, ownContent, MAX_CONTENT_SIZE);
        return { paid: license.paid, fees: license.allowance, capBytes: MAX_CONTENT_SIZE };
      },
    );

    console.log(
      `\nEpoch-pool share a self-dealer can win (network fee ${MAX_NETWORK_FEE_BPS / 100}%, bounty fee ` +
        `${MAX_BOUNTY_FEE_BPS / 100}%, license price ${eth(PRICE)} ETH, size ${SIZE} bytes).\n` +
        `Epoch pool: ${eth(poolSize)} ETH = the unearned allowances of ${UNEARNED_BUYERS} honest licenses, swept. ` +
        `B_h: bytes honest seeders were credited in the epoch.\n` +
        `Every self-dealer license is credited its full size to the self-dealer's own seeder address. ` +
        `Paid = curve price + fees (the curve price goes to the publisher); net = allowance back + share - paid.\n` +
        `Bound (asserted per row): share = floor(pool * B_s / (B_s + B_h)), B_s <= sum of size over the ` +
        `(license-holding address, content) pairs the self-dealer controls.\n` +
        `With priced content, k licenses profit iff pool * size / (k * size + B_h) > price.`,
    );
    console.table(rows);

    // Priced content: profitable only when the pool is large against the honest bytes, and then only for few licenses.
    for (const { k, net, quiet } of priced) {
      const bh = BigInt(quiet ? QUIET_EPOCH_DOWNLOADS : BUSY_EPOCH_DOWNLOADS);
      const profitable = poolSize * SIZE > (BigInt(k) * SIZE + bh * SIZE) * PRICE;
      assert.equal(net > 0n, profitable, `break-even rule for k=${k}, B_h=${bh} x size`);
    }
    // Free, huge, self-published content takes nearly the whole pool for nothing: the hazard the NatSpec NOTE states.
    assert.equal(free.paid, 0n);
    assert.ok(free.share * 1000n > free.pool * 999n);
  });
});
