/**
 * The economics of self-dealing, with the fees at their caps (network 10%, bounty 20%).
 *
 * 1. A buyer who signs receipts to seeder addresses of its own gets back at most its own allowance: the fees F it
 *    paid. It loses the curve price. Asserted.
 * 2. The epoch pool (unearned allowances of other buyers, swept at expiry) is shared by the allowance wei each
 *    seeder earned in the epoch (its bytes weighted by the allowance they paid), each share capped at that amount:
 *    share = min(⌊pool · E_s / (E_s + E_h)⌋, E_s), the rest rolling forward. A self-dealer earns only from its own
 *    allowances, so it recovers at most F + F ≤ curve price + F, what it paid. The table prints paid, recovered and
 *    net for each strategy, and the honest seeder's share of the same epoch, and asserts: a buyer who is not the
 *    publisher never nets more than 0; free content of any size wins 0 and leaves the honest share as it is without
 *    it (a griefer cannot dilute it); weighing on the honest share costs fees; a publisher buying its own content (it
 *    gets the curve price back) nets at most its fees.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { network } from "hardhat";
import { formatEther, parseEther, parseEventLogs, type Address, type Hash } from "viem";
import type { WalletClient } from "@nomicfoundation/hardhat-viem/types";
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
import { MIN_COMMITMENT_AGE } from "./helpers/registration.ts";

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
    MIN_COMMITMENT_AGE,
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
  const [epochPool, honestEarned] = await e.pool.read.epochInfo([epoch]);
  return { ...e, epoch, epochPool, honestEarned };
}

const busyEpochFixture = () => honestEpoch(BUSY_EPOCH_DOWNLOADS);
const quietEpochFixture = () => honestEpoch(QUIET_EPOCH_DOWNLOADS);

type HonestEpoch = Awaited<ReturnType<typeof honestEpoch>>;

async function claimed(e: Economy, hash: Hash) {
  const receipt = await e.publicClient.waitForTransactionReceipt({ hash });
  const [event] = parseEventLogs({ abi: e.pool.abi, logs: receipt.logs, eventName: "Claimed" });
  return { fromBalance: event.args.fromBalance, fromEpochs: event.args.fromEpochs };
}

/**
 * Takes `seeder`'s share of `epoch`: it claims if anything is due to it; otherwise (a share rounded to 0 and no
 * balance) someone else settles it, which rolls the cut part forward all the same. A seeder that earned nothing in
 * `epoch` has no share to take.
 */
async function takeShare(e: Economy, seeder: WalletClient, epoch: bigint) {
  const address = seeder.account.address;
  const [bytesCredited, earned] = await e.pool.read.seederEpoch([epoch, address]);
  if (earned === 0n) return { fromBalance: 0n, bytesCredited, earned, amount: 0n, rolledForward: 0n };
  if ((await e.pool.read.claimable([address, [epoch]])) !== 0n) {
    const hash = await e.pool.write.claim([[epoch]], { account: seeder.account });
    const logs = (await e.publicClient.waitForTransactionReceipt({ hash })).logs;
    const [claim] = parseEventLogs({ abi: e.pool.abi, logs, eventName: "Claimed" });
    const [share] = parseEventLogs({ abi: e.pool.abi, logs, eventName: "EpochShareClaimed" });
    return { fromBalance: claim.args.fromBalance, ...share.args };
  }
  const hash = await e.pool.write.settleEpochShares([epoch, [address]], { account: e.owner.account });
  const logs = (await e.publicClient.waitForTransactionReceipt({ hash })).logs;
  const [share] = parseEventLogs({ abi: e.pool.abi, logs, eventName: "EpochShareSettled" });
  return { fromBalance: 0n, ...share.args };
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

  it("prints what self-dealing against the epoch pool returns against its cost, and asserts the bounds", async () => {
    interface Row {
      epoch: string;
      strategy: string;
      "paid (ETH)": string;
      "price back": string;
      "allowance back": string;
      "pro-rata part": string;
      "share (capped)": string;
      "rolled forward": string;
      "recovered (ETH)": string;
      "net (ETH)": string;
      "honest share": string;
    }
    const rows: Row[] = [];
    let poolSize = 0n;
    const epochLabel = (e: HonestEpoch) => `E_h = ${eth(e.honestEarned)}`;

    /** The honest seeder's share of the epoch with nobody else credited in it: the baseline of each fixture. */
    const alone = new Map<() => Promise<HonestEpoch>, bigint>();
    for (const fixture of [busyEpochFixture, quietEpochFixture]) {
      const e = await loadFixture(fixture);
      await time.increase(EPOCH_DURATION);
      const honest = await takeShare(e, e.honestSeeder, e.epoch);
      assert.equal(honest.amount, e.epochPool < e.honestEarned ? e.epochPool : e.honestEarned);
      alone.set(fixture, honest.amount);
      rows.push({
        epoch: epochLabel(e),
        strategy: "none: the honest seeder alone",
        "paid (ETH)": "",
        "price back": "",
        "allowance back": "",
        "pro-rata part": "",
        "share (capped)": "",
        "rolled forward": "",
        "recovered (ETH)": "",
        "net (ETH)": "",
        "honest share": eth(honest.amount),
      });
    }

    interface Dealt {
      /** The seeder address the strategy credits its bytes to, and which claims. */
      seeder: WalletClient;
      /** What its licenses cost: curve price + fees. */
      paid: bigint;
      /** The fees: its licenses' allowances. */
      fees: bigint;
      /** Whether it published the content it buys. */
      publisher: boolean;
      /** The curve price it gets back as proceeds: all of it when it is the publisher, else 0. */
      priceBack: bigint;
      /** The most bytes its licenses can credit. */
      capBytes: bigint;
    }

    async function scenario(
      fixture: () => Promise<HonestEpoch>,
      strategy: string,
      setUp: (e: HonestEpoch) => Promise<Dealt>,
    ) {
      const e = await loadFixture(fixture);
      poolSize = e.epochPool;
      const dealt = await setUp(e);
      const seeder = dealt.seeder.account.address;
      const [selfBytes, earned] = await e.pool.read.seederEpoch([e.epoch, seeder]);
      // The epoch weighs what its credits earned: the honest earnings and the strategy's, whatever its bytes.
      assert.equal((await e.pool.read.epochInfo([e.epoch]))[1], e.honestEarned + earned, `${strategy}: weight`);
      await time.increase(EPOCH_DURATION);
      const got = await takeShare(e, dealt.seeder, e.epoch);
      const honest = await takeShare(e, e.honestSeeder, e.epoch);

      // The bound: share = min(pro-rata part, earned); the part above the cap rolls forward; earned <= the fees.
      assert.ok(selfBytes <= dealt.capBytes, `${strategy}: B_s <= sum of sizes`);
      const proRata = (e.epochPool * earned) / (earned + e.honestEarned);
      assert.equal(got.earned, earned, `${strategy}: earned`);
      assert.equal(got.amount, proRata < earned ? proRata : earned, `${strategy}: share = min(pro rata, earned)`);
      assert.equal(got.amount + got.rolledForward, proRata, `${strategy}: the rest rolls forward`);
      assert.ok(earned <= dealt.fees, `${strategy}: earned <= fees`);
      // Its own allowances come back exactly (full size credited), never more.
      assert.equal(got.fromBalance, dealt.fees, `${strategy}: allowance back = fees paid`);

      const recovered = dealt.priceBack + got.fromBalance + got.amount;
      const net = recovered - dealt.paid;
      rows.push({
        epoch: epochLabel(e),
        strategy,
        "paid (ETH)": eth(dealt.paid),
        "price back": eth(dealt.priceBack),
        "allowance back": eth(got.fromBalance),
        "pro-rata part": eth(proRata),
        "share (capped)": eth(got.amount),
        "rolled forward": eth(got.rolledForward),
        "recovered (ETH)": eth(recovered),
        "net (ETH)": eth(net),
        "honest share": eth(honest.amount),
      });
      const honestAlone = alone.get(fixture)!;
      // Another seeder can lower the honest share only with weight, i.e. with allowance wei it earned.
      assert.ok(honest.amount <= honestAlone, `${strategy}: honest share <= alone`);
      if (earned === 0n) assert.equal(honest.amount, honestAlone, `${strategy}: weightless bytes dilute nothing`);
      return {
        net,
        share: got.amount,
        paid: dealt.paid,
        fees: dealt.fees,
        recovered,
        publisher: dealt.publisher,
        honestShare: honest.amount,
        honestAlone,
      };
    }

    // (a) k licenses of the content the honest buyers bought, each credited its full size to the self-dealer.
    async function kLicenses(e: HonestEpoch, k: number, buyer: WalletClient): Promise<Dealt> {
      const seeder = buyer.account.address;
      const proceedsBefore = await e.market.read.proceeds([e.publisher.account.address]);
      let paid = 0n;
      let fees = 0n;
      const receipts = [];
      for (let i = 0; i < k; i++) {
        const key = newSessionKey();
        const bought = await buy(e.market, buyer, e.contentId, key.address);
        paid += bought.total;
        fees += bought.allowance;
        const session = new LeecherSession(key, key.address, e.expiry, e.domain);
        receipts.push(await session.receipt(seeder, e.contentId, SIZE));
      }
      await e.pool.write.submitReceipts([seeder, receipts]);
      const proceeds = (await e.market.read.proceeds([e.publisher.account.address])) - proceedsBefore;
      const publisher = buyer.account.address === e.publisher.account.address;
      return { seeder: buyer, paid, fees, publisher, priceBack: publisher ? proceeds : 0n, capBytes: BigInt(k) * SIZE };
    }
    type Result = Awaited<ReturnType<typeof scenario>>;
    const priced: Result[] = [];
    for (const fixture of [busyEpochFixture, quietEpochFixture]) {
      for (const k of [1, 2, 5, 20]) {
        priced.push(
          await scenario(fixture, `${k} license(s) of the honest content`, (e) => kLicenses(e, k, e.selfDealer)),
        );
      }
    }

    // (b) One transferable license handed through 5 addresses of the self-dealer: each holder gets its own byte cap,
    // but only the first has an allowance to earn from.
    const transferred = await scenario(
      busyEpochFixture,
      "1 transferable license held by 5 addresses in turn",
      async (e) => {
        const seeder = e.selfDealer.account.address;
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
        const fees = first.allowance;
        return { seeder: e.selfDealer, paid: first.paid, fees, publisher: false, priceBack: 0n, capBytes: 5n * SIZE };
      },
    );

    // (c) A griefer publishes a free content as large as the market allows and credits its whole size to itself in
    // the epoch of the honest seeders, for the gas alone: the bytes a split by bytes would have let it dilute every
    // honest share with (and lift its own up to its earnings in the epoch).
    const griefs: Result[] = [];
    for (const fixture of [busyEpochFixture, quietEpochFixture]) {
      griefs.push(
        await scenario(fixture, "griefer: its own free content, size 2^64-1, credited in full", async (e) => {
          const seeder = e.selfDealer.account.address;
          const ownContent = await registerContent(e.market, e.selfDealer, { size: MAX_CONTENT_SIZE, basePrice: 0n });
          const license = await selfDealerLicense(e, e.market, ownContent);
          await credit(e.pool, seeder, license.session, ownContent, MAX_CONTENT_SIZE);
          assert.deepEqual(await e.pool.read.seederEpoch([e.epoch, seeder]), [MAX_CONTENT_SIZE, 0n]);
          return {
            seeder: e.selfDealer,
            paid: license.paid,
            fees: license.allowance,
            publisher: true,
            priceBack: 0n,
            capBytes: MAX_CONTENT_SIZE,
          };
        }),
      );
    }

    // (d) The publisher of the honest content buys its own content: the curve price comes back to it as proceeds.
    const byPublisher: Array<Result & { quiet: boolean; k: number }> = [];
    for (const [fixture, quiet] of [
      [busyEpochFixture, false],
      [quietEpochFixture, true],
    ] as const) {
      for (const k of [1, 5]) {
        const result = await scenario(fixture, `PUBLISHER buys ${k} license(s) of its own content`, (e) =>
          kLicenses(e, k, e.publisher),
        );
        byPublisher.push({ ...result, quiet, k });
      }
    }

    console.log(
      `\nSelf-dealing against the epoch pool (network fee ${MAX_NETWORK_FEE_BPS / 100}%, bounty fee ` +
        `${MAX_BOUNTY_FEE_BPS / 100}%, license price ${eth(PRICE)} ETH, size ${SIZE} bytes).\n` +
        `Epoch pool: ${eth(poolSize)} ETH = the unearned allowances of ${UNEARNED_BUYERS} honest licenses, swept. ` +
        `E_h: allowance wei the honest seeder earned in the epoch (ETH).\n` +
        `Every self-dealer license is credited its full size to the self-dealer's own seeder address. ` +
        `Paid = curve price + fees F; price back = the curve price, to the publisher only; allowance back = F.\n` +
        `Share = min(pro-rata part = floor(pool * E_s / (E_s + E_h)), E_s), E_s = what its bytes earned in the ` +
        `epoch (<= F); the part above rolls forward to a later epoch. Recovered = price back + allowance back + ` +
        `share; net = recovered - paid. Honest share: the honest seeder's share of the same epoch.\n` +
        `Asserted: net <= 0 for a buyer who is not the publisher; free content wins 0 and leaves the honest share ` +
        `as it is alone; the honest share never rises above it alone; the publisher's net <= F ` +
        `(the hazard RebatePool's NatSpec states: it can net up to its fees per license).`,
    );
    console.table(rows);

    for (const r of [...priced, transferred, ...griefs, ...byPublisher]) {
      assert.ok(r.share <= r.fees, "the epoch share is at most the fees");
      if (r.publisher) assert.ok(r.net <= r.fees, "a publisher nets at most its fees");
      else assert.ok(r.net <= 0n, "a buyer who is not the publisher never profits");
    }
    // Priced content bought by someone else loses at least the curve price less the fees: paid - 2F = P - F.
    for (const r of [...priced, transferred]) assert.ok(r.net <= -(r.paid - 2n * r.fees));
    // Free, huge, self-published content wins nothing, costs nothing, and leaves the honest shares unchanged.
    for (const g of griefs) {
      assert.equal(g.paid, 0n);
      assert.equal(g.share, 0n);
      assert.equal(g.recovered, 0n);
      assert.equal(g.honestShare, g.honestAlone, "the griefer leaves the honest share unchanged");
    }
    // Weighing on the honest share costs fees: 20 licenses of the honest content in the busy epoch lower it.
    assert.ok(priced[3].honestShare < priced[3].honestAlone);
    // The publisher hazard is real, not only a bound: in a quiet epoch it nets exactly its fees.
    for (const r of byPublisher.filter((p) => p.quiet)) assert.equal(r.net, r.fees, `publisher, ${r.k} license(s)`);
  });
});
