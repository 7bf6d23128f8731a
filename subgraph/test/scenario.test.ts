/**
 * The compiled mappings replayed by the local indexer over a scripted scenario on a real chain: every entity is
 * checked field by field against what the contracts say (views, balances, and the logs for running totals),
 * and GraphQL queries of the kinds the app and indexers send return the same as direct contract reads.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Abi, type Address, type Hex, getAddress } from "viem";
import { type DevChain, startDevChain } from "@web3torrent/devchain";
import { type LocalIndexer, startLocalIndexer } from "@web3torrent/indexer";
import { plainEntity, plainValue } from "@web3torrent/indexer";
import { nextPrice } from "@web3torrent/sdk/bondingCurve";
import { checkpointEscrowAbi, licenseMarketAbi, rebatePoolAbi, ws402DepositsAbi } from "@web3torrent/sdk/generated/contracts";
import { BUILD_DIR } from "../scripts/build.ts";
import { ChainDriver, type ScenarioResult, runScenario } from "./scenario.ts";

const m = licenseMarketAbi as Abi;
const e = checkpointEscrowAbi as Abi;
const w = ws402DepositsAbi as Abi;
const r = rebatePoolAbi as Abi;
const CURVES = ["Linear", "Exponential"];
const ESCROW_STATUS = ["None", "Open", "Closing", "Closed"];
const ESCROW_MODES = ["Exponential", "Upfront"];
const SESSION_STATUS = ["None", "Open", "Settled", "Reclaimed"];

type Plain = Record<string, unknown>;
type Log = { args: Record<string, any>; blockNumber: bigint; transactionHash: Hex; logIndex: number };

describe("subgraph mappings on a scripted scenario", () => {
  let chain: DevChain;
  let driver: ChainDriver;
  let scenario: ScenarioResult;
  let local: LocalIndexer;
  let head: bigint;
  let market: Address, escrow: Address, deposits: Address, pool: Address;

  const entity = (type: string, id: string): Plain => {
    const version = local.indexer.store.versionAt(type, id, Number(head));
    assert.ok(version, `${type} ${id} is indexed`);
    return plainEntity(version.data!);
  };
  const entities = (type: string): Plain[] =>
    [...local.indexer.store.entitiesAt(type, Number(head))].map(([, version]) => plainEntity(version.data!));
  const lower = (address: string) => address.toLowerCase();
  const read = <T>(address: Address, abi: Abi, fn: string, args: readonly unknown[] = []) => driver.read<T>(address, abi, fn, args);
  const logs = (address: Address, abi: Abi, eventName: string) =>
    driver.client.getContractEvents({ address, abi, eventName, fromBlock: 0n, toBlock: head } as never) as Promise<Log[]>;
  const sum = (items: { args: Record<string, unknown> }[], field: string) =>
    items.reduce((total, log) => total + (log.args[field] as bigint), 0n);
  const timestamps = new Map<bigint, bigint>();
  const timestampOf = async (blockNumber: bigint) => {
    if (!timestamps.has(blockNumber)) timestamps.set(blockNumber, (await driver.client.getBlock({ blockNumber })).timestamp);
    return timestamps.get(blockNumber)!;
  };
  /** The immutable record a handler wrote for `log`: id `<transaction hash>-<log index>`. */
  const recordOf = (type: string, log: Log) => entity(type, `${log.transactionHash}-${log.logIndex}`);
  /** What every record of a log says about where it came from. */
  const assertOrigin = async (record: Plain, log: Log, fields: ("timestamp" | "blockNumber" | "transactionHash")[]) => {
    if (fields.includes("timestamp")) assert.equal(record.timestamp, await timestampOf(log.blockNumber));
    if (fields.includes("blockNumber")) assert.equal(record.blockNumber, log.blockNumber);
    if (fields.includes("transactionHash")) assert.equal(record.transactionHash, lower(log.transactionHash));
  };
  const query = async (text: string, variables?: Record<string, unknown>) => {
    const response = await fetch(local.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: text, variables }),
    });
    assert.equal(response.status, 200);
    return (await response.json()) as { data?: Record<string, any>; errors?: { message: string }[] };
  };
  const data = async (text: string, variables?: Record<string, unknown>) => {
    const result = await query(text, variables);
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    return result.data!;
  };

  before(async () => {
    chain = await startDevChain();
    driver = new ChainDriver(chain);
    ({ LicenseMarket: market, CheckpointEscrow: escrow, WS402Deposits: deposits, RebatePool: pool } = chain.contracts);
    scenario = await runScenario(driver);
    head = await driver.blockNumber();
    const contracts = Object.fromEntries(Object.entries(chain.contracts).map(([name, address]) => [name, { address, startBlock: 0 }]));
    local = await startLocalIndexer({ rpcUrl: chain.rpcUrl, buildDir: BUILD_DIR, contracts, port: 0, pollIntervalMs: 50 });
    await local.indexer.waitForBlock(Number(head), 120_000);
  });

  after(async () => {
    await local?.stop();
    await chain?.stop();
  });

  it("runs a handler for every log of the contracts' handled events, without a failure", async () => {
    assert.equal(local.indexer.failure, null);
    assert.equal(local.indexer.latest?.number, Number(head));
    let handled = 0;
    for (const dataSource of local.indexer.dataSources) {
      const all = await driver.client.getLogs({ address: dataSource.address, fromBlock: 0n, toBlock: head });
      handled += all.filter((log) => dataSource.topics.includes(log.topics[0]!)).length;
      // The scenario runs every handler at least once.
      for (const topic of dataSource.topics) {
        const log = { address: dataSource.address, topics: [topic], blockNumber: "0x0" } as never;
        assert.ok(
          all.some((l) => l.topics[0] === topic),
          `${dataSource.name}.${dataSource.handlerFor(log)} runs in the scenario`,
        );
      }
    }
    assert.equal(local.indexer.eventsProcessed, handled);
    assert.ok(handled > 80, `${handled} events`);
  });

  it("contents: the registered record, supply, current and next price, sold-out flag", async () => {
    const registered = await logs(market, m, "ContentRegistered");
    for (const contentId of scenario.contentIds) {
      const c = entity("Content", contentId.toString());
      const onChain = await read<Record<string, any>>(market, m, "content", [contentId]);
      const log = registered.find((l) => l.args.contentId === contentId)!;
      assert.equal(c.contentId, contentId);
      assert.equal(c.publisher, lower(log.args.publisher as string));
      assert.equal(c.payout, lower(onChain.payout));
      assert.equal(c.infohash, onChain.infohash);
      assert.equal(c.size, onChain.size);
      assert.equal(c.metadataURI, await read<string>(market, m, "uri", [contentId]));
      assert.equal(c.curve, CURVES[onChain.curve]);
      assert.equal(c.basePrice, onChain.basePrice);
      assert.equal(c.growth, onChain.growth);
      assert.equal(c.maxSupply, onChain.maxSupply);
      assert.equal(c.bountyFeeBps, onChain.bountyFeeBps);
      assert.equal(c.transferable, onChain.transferable);
      assert.equal(c.supply, onChain.supply);
      const price = (supply: bigint) => nextPrice(onChain.curve, onChain.basePrice, onChain.growth, supply);
      assert.equal(c.currentPrice, price(onChain.supply));
      assert.equal(c.nextPrice, price(onChain.supply + 1n));
      const soldOut = onChain.maxSupply !== 0n && onChain.supply === onChain.maxSupply;
      assert.equal(c.soldOut, soldOut);
      if (!soldOut) assert.equal(c.currentPrice, await read<bigint>(market, m, "nextPrice", [contentId]));
    }
    assert.equal(entity("Content", "2").soldOut, true, "the scenario sells content 2 out");
    await assert.rejects(read(market, m, "nextPrice", [2n]), /MaxSupplyExceeded/);
  });

  it("contents: volumes and purchase counts equal the purchases logged", async () => {
    const purchases = await logs(market, m, "LicensesPurchased");
    for (const contentId of scenario.contentIds) {
      const c = entity("Content", contentId.toString());
      const mine = purchases.filter((l) => l.args.contentId === contentId);
      assert.equal(c.purchaseCount, mine.length);
      assert.equal(c.curveVolume, sum(mine, "curvePrice"));
      assert.equal(c.networkFees, sum(mine, "networkFee"));
      assert.equal(c.bountyFees, sum(mine, "bountyFee"));
      assert.equal(c.volume, sum(mine, "curvePrice") + sum(mine, "networkFee") + sum(mine, "bountyFee"));
      const last = mine[mine.length - 1];
      assert.equal(c.lastPrice, (last.args.curvePrice as bigint) / (last.args.quantity as bigint));
    }
    const records = entities("Purchase");
    assert.equal(records.length, purchases.length);
    for (const log of purchases) {
      const record = records.find((p) => p.newSupply === log.args.newSupply && p.content === String(log.args.contentId))!;
      assert.equal(record.buyer, lower(log.args.buyer as string));
      assert.equal(record.recipient, lower(log.args.recipient as string));
      assert.equal(record.quantity, log.args.quantity);
      assert.equal(record.nextPrice, log.args.nextPrice);
    }
    assert.equal(entities("PricePoint").length, purchases.length);
  });

  it("license holdings and holder counts equal the ERC-1155 balances", async () => {
    for (const contentId of scenario.contentIds) {
      let holders = 0;
      for (const account of [...scenario.accounts, scenario.userContract]) {
        const balance = await read<bigint>(market, m, "balanceOf", [account, contentId]);
        if (balance > 0n) holders++;
        const version = local.indexer.store.versionAt("License", `${contentId}-${lower(account)}`, Number(head));
        assert.equal(version ? plainValue(version.data!.get("balance")!) : 0n, balance, `license ${contentId} of ${account}`);
      }
      assert.equal(entity("Content", contentId.toString()).holderCount, holders);
    }
  });

  it("accounts: proceeds, rebate balances, deferred WS402 payments and escrow earnings", async () => {
    // The owner only administers: no event names it, so it has no account.
    assert.equal(local.indexer.store.versionAt("Account", lower(scenario.accounts[0]), Number(head)), undefined);
    for (const address of [...scenario.accounts.slice(1), scenario.userContract]) {
      const a = entity("Account", lower(address));
      assert.equal(a.address, lower(address));
      assert.equal(a.proceedsBalance, await read<bigint>(market, m, "proceeds", [address]));
      assert.equal(a.rebateBalance, await read<bigint>(pool, r, "balances", [address]));
      assert.equal(a.ws402Owed, await read<bigint>(deposits, w, "owed", [address]));
      let escrowEarned = 0n;
      for (const escrowId of scenario.escrowIds) {
        escrowEarned += (await read<{ amount: bigint }>(escrow, e, "redeemedBy", [escrowId, address])).amount;
      }
      assert.equal(a.escrowEarned, escrowEarned);
    }
    const withdrawn = await logs(market, m, "ProceedsWithdrawn");
    assert.equal(entity("Account", lower(scenario.accounts[1])).proceedsWithdrawn, sum(withdrawn, "amount"));
    assert.equal(entities("Account").length, entity("Protocol", "protocol").accountCount);
  });

  it("escrows and what each seeder redeemed equal CheckpointEscrow's records", async () => {
    let refundedReservations = 0n;
    for (const escrowId of scenario.escrowIds) {
      const x = entity("Escrow", escrowId.toString());
      const onChain = await read<Record<string, any>>(escrow, e, "escrow", [escrowId]);
      assert.equal(x.leecher, lower(onChain.leecher));
      assert.equal(x.content, onChain.contentId.toString());
      assert.equal(x.sessionKey, lower(onChain.sessionKey));
      assert.equal(x.mode, ESCROW_MODES[onChain.mode]);
      assert.equal(x.maxBytes, onChain.maxBytes);
      assert.equal(x.pricePerMiB, onChain.pricePerMiB);
      assert.equal(x.deposit, onChain.deposit);
      assert.equal(x.unpaid, onChain.unpaid);
      assert.equal(x.reserved, onChain.reserved);
      assert.equal(x.paid, onChain.deposit - onChain.unpaid - onChain.reserved);
      assert.equal(x.remaining, await read<bigint>(escrow, e, "remaining", [escrowId]));
      assert.equal(x.status, ESCROW_STATUS[onChain.status]);
      assert.equal(x.seederCount, onChain.seeders);
      assert.equal(x.waivers, onChain.waivers);
      assert.equal(x.lastActivity, BigInt(onChain.lastActivity));
      assert.equal(x.closesAt ?? 0n, BigInt(onChain.closesAt));
      if (onChain.status === 3) assert.equal(x.refunded, onChain.unpaid + onChain.reserved);
      if (onChain.status === 3) refundedReservations += onChain.reserved;
    }
    const reservations = await logs(escrow, e, "IntervalReserved");
    assert.ok(
      reservations.some((l) => (l.args.amount as bigint) > 0n),
      "seeders reserved their next intervals",
    );
    assert.ok(refundedReservations > 0n, "a refund returned a reservation nobody used");
    for (const log of await logs(escrow, e, "EscrowOpened")) {
      assert.equal(entity("Escrow", String(log.args.escrowId)).openedAt, await timestampOf(log.blockNumber));
    }
    const refunds = await logs(escrow, e, "EscrowRefunded");
    assert.equal(refunds.length, 3, "three escrows refunded");
    for (const log of refunds) {
      const x = entity("Escrow", String(log.args.escrowId));
      assert.equal(x.refunded, log.args.amount);
      assert.equal(x.refundedAt, await timestampOf(log.blockNumber));
    }
    for (const { escrowId, seeder } of scenario.escrowSeeders) {
      const s = entity("EscrowSeeder", `${escrowId}-${lower(seeder)}`);
      const onChain = await read<Record<string, any>>(escrow, e, "redeemedBy", [escrowId, seeder]);
      assert.equal(s.amount, onChain.amount);
      assert.equal(s.cumulativeBytes, onChain.cumulativeBytes);
      assert.equal(s.reserved, onChain.reserved);
      assert.equal(s.waived, onChain.waived);
    }
    const payments = [...(await logs(escrow, e, "VoucherRedeemed")), ...(await logs(escrow, e, "CheckpointReleased"))];
    const records = entities("VoucherRedemption");
    assert.equal(records.length, payments.length);
    assert.deepEqual(records.map((p) => p.kind).sort(), payments.map((p) => ("paid" in p.args ? "Voucher" : "Release")).sort());
  });

  it("WS402 resources and sessions equal WS402Deposits' records", async () => {
    for (const resourceId of scenario.resourceIds) {
      const x = entity("WS402Resource", resourceId.toString());
      const onChain = await read<Record<string, any>>(deposits, w, "resource", [resourceId]);
      assert.equal(x.provider, lower(onChain.provider));
      assert.equal(x.payout, lower(onChain.payout));
      assert.equal(x.pricePerSecond, onChain.pricePerSecond);
      assert.equal(x.metadataURI, onChain.metadataURI);
    }
    for (const sessionId of scenario.sessionIds) {
      const x = entity("WS402Session", sessionId.toString());
      const onChain = await read<Record<string, any>>(deposits, w, "session", [sessionId]);
      assert.equal(x.user, lower(onChain.user));
      assert.equal(x.openedAt, BigInt(onChain.openedAt));
      assert.equal(x.closeDeadline, BigInt(onChain.closeDeadline));
      assert.equal(x.status, SESSION_STATUS[onChain.status]);
      assert.equal(x.sessionKey, lower(onChain.sessionKey));
      assert.equal(x.maxSeconds, BigInt(onChain.maxSeconds));
      assert.equal(x.resource, onChain.resourceId.toString());
      assert.equal(x.pricePerSecond, onChain.pricePerSecond);
      assert.equal(x.deposit, onChain.pricePerSecond * BigInt(onChain.maxSeconds));
      if (x.status !== "Open") assert.equal((x.paidToProvider as bigint) + (x.refundedToUser as bigint), x.deposit);
    }
    const settled = await logs(deposits, w, "SessionSettled");
    const reclaimed = await logs(deposits, w, "SessionReclaimed");
    assert.ok(settled.length > 0 && reclaimed.length > 0, "sessions settled and reclaimed");
    for (const log of settled) {
      const x = entity("WS402Session", String(log.args.sessionId));
      assert.equal(x.status, "Settled");
      assert.equal(x.elapsedSeconds, log.args.elapsedSeconds);
      assert.equal(x.paidToProvider, log.args.paidToProvider);
      assert.equal(x.refundedToUser, log.args.refundedToUser);
      assert.equal(x.paidToProvider, (x.pricePerSecond as bigint) * (x.elapsedSeconds as bigint));
      assert.equal(x.closedAt, await timestampOf(log.blockNumber));
    }
    for (const log of reclaimed) {
      const x = entity("WS402Session", String(log.args.sessionId));
      assert.equal(x.status, "Reclaimed");
      assert.equal(x.paidToProvider, 0n);
      assert.equal(x.refundedToUser, log.args.amount);
      assert.equal(x.closedAt, await timestampOf(log.blockNumber));
    }
    const deferred = await logs(deposits, w, "PaymentDeferred");
    assert.equal(deferred.length, 1, "the scenario defers one refund");
  });

  it("rebate allowances, receipt totals, epochs and seeder epochs equal the RebatePool's views", async () => {
    for (const { licensee, contentId } of scenario.licenses) {
      const x = entity("RebateAllowance", `${contentId}-${lower(licensee)}`);
      const [remaining, bytesCredited, fundedAt] = await read<[bigint, bigint, bigint]>(pool, r, "allowance", [licensee, contentId]);
      assert.equal(x.remaining, remaining);
      assert.equal(x.bytesCredited, bytesCredited);
      assert.equal(x.fundedAt, fundedAt);
      assert.equal(x.funded, (x.remaining as bigint) + (x.paidOut as bigint) + (x.swept as bigint));
    }
    for (const { leecher, seeder, contentId } of scenario.receiptLines) {
      const x = entity("ReceiptTotal", `${lower(leecher)}-${lower(seeder)}-${contentId}`);
      assert.equal(x.cumulativeBytes, await read<bigint>(pool, r, "credited", [leecher, seeder, contentId]));
    }
    for (const epoch of scenario.epochs) {
      const x = entity("RebateEpoch", epoch.toString());
      const [poolAmount, totalEarned, finished] = await read<[bigint, bigint, boolean]>(pool, r, "epochInfo", [epoch]);
      assert.equal(x.pool, poolAmount);
      assert.equal(x.totalEarned, totalEarned);
      const [genesis, duration] = [await read<bigint>(pool, r, "genesis", []), BigInt(await read<number>(pool, r, "epochDuration", []))];
      assert.equal(x.startsAt, genesis + epoch * duration);
      assert.equal(x.endsAt, genesis + (epoch + 1n) * duration);
      const credits = (await logs(pool, r, "ReceiptCredited")).filter((l) => l.args.epoch === epoch);
      assert.equal(x.totalBytes, sum(credits, "creditedBytes"));
      assert.equal(finished, true);
      assert.equal(x.finalized, true);
      for (const seeder of [scenario.accounts[6], scenario.accounts[7]]) {
        const [bytes, earned] = await read<[bigint, bigint]>(pool, r, "seederEpoch", [epoch, seeder]);
        const version = local.indexer.store.versionAt("SeederEpoch", `${epoch}-${lower(seeder)}`, Number(head));
        const s = version ? plainEntity(version.data!) : { unsettledBytes: 0n, unsettledEarned: 0n };
        assert.equal(s.unsettledBytes, bytes);
        assert.equal(s.unsettledEarned, earned);
      }
    }
    const second = entity("RebateEpoch", scenario.epochs[1].toString());
    assert.ok((second.pool as bigint) > 0n, "the second epoch has a pool");
    assert.ok((second.rolledForward as bigint) > 0n, "what its carry held above its weight rolled forward");
    assert.equal(second.pool, second.totalEarned, "its pool is its weight");
    assert.equal((second.shares as bigint) <= (second.pool as bigint), true);
    const shares = [...(await logs(pool, r, "EpochShareClaimed")), ...(await logs(pool, r, "EpochShareSettled"))];
    assert.equal(entities("EpochShare").length, shares.length);
    assert.equal(entities("ReceiptCredit").length, (await logs(pool, r, "ReceiptCredited")).length);
    assert.equal(entities("Claim").length, (await logs(pool, r, "Claimed")).length);
  });

  it("event records equal their logs field by field, and the chain's prices and supplies at each purchase", async () => {
    const purchases = await logs(market, m, "LicensesPurchased");
    for (const log of purchases) {
      const a = log.args;
      const p = recordOf("Purchase", log);
      assert.equal(p.content, String(a.contentId));
      assert.equal(p.buyer, lower(a.buyer));
      assert.equal(p.recipient, lower(a.recipient));
      assert.equal(p.quantity, a.quantity);
      assert.equal(p.curvePrice, a.curvePrice);
      assert.equal(p.networkFee, a.networkFee);
      assert.equal(p.bountyFee, a.bountyFee);
      assert.equal(p.total, a.curvePrice + a.networkFee + a.bountyFee);
      assert.equal(p.newSupply, a.newSupply);
      assert.equal(p.nextPrice, a.nextPrice);
      await assertOrigin(p, log, ["timestamp", "blockNumber", "transactionHash"]);
      const point = recordOf("PricePoint", log);
      assert.equal(point.content, String(a.contentId));
      assert.equal(point.price, a.curvePrice / a.quantity);
      assert.equal(point.nextPrice, a.nextPrice);
      assert.equal(point.supply, a.newSupply);
      await assertOrigin(point, log, ["timestamp", "blockNumber"]);
      // The chain as it was right after the purchase: its supply, and its next price unless it sold out.
      const then = await driver.read<Record<string, any>>(market, m, "content", [a.contentId], log.blockNumber);
      assert.equal(p.newSupply, then.supply);
      if (then.maxSupply === 0n || then.supply < then.maxSupply) {
        assert.equal(point.nextPrice, await driver.read<bigint>(market, m, "nextPrice", [a.contentId], log.blockNumber));
      }
    }
    for (const log of await logs(market, m, "ProceedsWithdrawn")) {
      const w = recordOf("ProceedsWithdrawal", log);
      assert.equal(w.account, lower(log.args.account));
      assert.equal(w.amount, log.args.amount);
      await assertOrigin(w, log, ["timestamp", "transactionHash"]);
    }

    const vouchers = await logs(escrow, e, "VoucherRedeemed");
    const releases = await logs(escrow, e, "CheckpointReleased");
    assert.ok(vouchers.length > 0 && releases.length > 0, "vouchers redeemed and checkpoints released");
    for (const log of [...vouchers, ...releases]) {
      const a = log.args;
      const x = recordOf("VoucherRedemption", log);
      const voucher = "paid" in a;
      assert.equal(x.kind, voucher ? "Voucher" : "Release");
      assert.equal(x.escrow, String(a.escrowId));
      assert.equal(x.seeder, lower(a.seeder));
      assert.equal(x.cumulativeBytes, a.cumulativeBytes);
      assert.equal(x.paid, voucher ? a.paid : a.amount);
      // A voucher's signed cumulative amount; for a release, the seeder's redeemed total after it (the chain's record).
      const after = await driver.read<{ amount: bigint }>(escrow, e, "redeemedBy", [a.escrowId, a.seeder], log.blockNumber);
      assert.equal(x.cumulativeAmount, voucher ? a.cumulativeAmount : after.amount);
      await assertOrigin(x, log, ["timestamp", "transactionHash"]);
    }

    const credits = await logs(pool, r, "ReceiptCredited");
    for (const log of credits) {
      const a = log.args;
      const x = recordOf("ReceiptCredit", log);
      assert.equal(x.leecher, lower(a.leecher));
      assert.equal(x.seeder, lower(a.seeder));
      assert.equal(x.content, String(a.contentId));
      assert.equal(x.allowance, `${a.contentId}-${lower(a.leecher)}`);
      assert.equal(x.epoch, String(a.epoch));
      assert.equal(x.cumulativeBytes, a.cumulativeBytes);
      assert.equal(x.creditedBytes, a.creditedBytes);
      assert.equal(x.payout, a.payout);
      assert.equal(x.weight, a.weight);
      await assertOrigin(x, log, ["timestamp", "transactionHash"]);
    }
    assert.ok(
      credits.some((l) => l.args.creditedBytes < l.args.cumulativeBytes),
      "a receipt capped at the content's size",
    );

    const claimedShares = await logs(pool, r, "EpochShareClaimed");
    const settledShares = await logs(pool, r, "EpochShareSettled");
    for (const [kind, list] of [
      ["Claimed", claimedShares],
      ["Settled", settledShares],
    ] as const) {
      for (const log of list) {
        const a = log.args;
        const x = recordOf("EpochShare", log);
        assert.equal(x.kind, kind);
        assert.equal(x.seeder, lower(a.seeder));
        assert.equal(x.epoch, String(a.epoch));
        assert.equal(x.seederEpoch, `${a.epoch}-${lower(a.seeder)}`);
        assert.equal(x.bytesCredited, a.bytesCredited);
        assert.equal(x.earned, a.weight);
        assert.equal(x.amount, a.amount);
        await assertOrigin(x, log, ["timestamp", "transactionHash"]);
        const seederEpoch = entity("SeederEpoch", `${a.epoch}-${lower(a.seeder)}`);
        assert.equal(seederEpoch.bytesCredited, a.bytesCredited);
        assert.equal(seederEpoch.earned, a.weight);
        assert.equal(seederEpoch.share, a.amount);
        assert.equal(seederEpoch.settled, true);
        assert.equal(seederEpoch.settledAt, await timestampOf(log.blockNumber));
      }
    }
    const claims = await logs(pool, r, "Claimed");
    for (const log of claims) {
      const a = log.args;
      const x = recordOf("Claim", log);
      assert.equal(x.seeder, lower(a.seeder));
      assert.equal(x.fromBalance, a.fromBalance);
      assert.equal(x.fromEpochs, a.fromEpochs);
      assert.equal(x.amount, a.fromBalance + a.fromEpochs);
      await assertOrigin(x, log, ["timestamp", "transactionHash"]);
      // What the claim paid is what left the pool in its transaction.
      const paid =
        (await driver.client.getBalance({ address: pool, blockNumber: log.blockNumber - 1n })) -
        (await driver.client.getBalance({ address: pool, blockNumber: log.blockNumber }));
      assert.equal(x.amount, paid);
    }
    // The claims cover two epochs, and each epoch's pool paid shares.
    const [first, second] = scenario.epochs.map(String);
    assert.ok(
      claimedShares.some((l) => String(l.args.epoch) === first && l.args.amount > 0n),
      "a share of the first epoch claimed",
    );
    assert.ok(
      claimedShares.some((l) => String(l.args.epoch) === second && l.args.amount > 0n),
      "a share of the second epoch claimed",
    );
    const twoEpochClaim = claims.find((c) => claimedShares.filter((l) => l.transactionHash === c.transactionHash).length === 2);
    assert.ok(twoEpochClaim, "one claim takes shares of both epochs");
  });

  it("running totals of accounts, allowances, resources, epochs and days equal the sums of their logs", async () => {
    const purchases = await logs(market, m, "LicensesPurchased");
    const credits = await logs(pool, r, "ReceiptCredited");
    const claims = await logs(pool, r, "Claimed");
    const shares = [...(await logs(pool, r, "EpochShareClaimed")), ...(await logs(pool, r, "EpochShareSettled"))];
    const settlements = await logs(deposits, w, "SessionSettled");
    const mine = <T extends Log>(list: T[], field: string, address: string) => list.filter((l) => lower(l.args[field]) === lower(address));
    for (const address of [...scenario.accounts.slice(1), scenario.userContract]) {
      const a = entity("Account", lower(address));
      const bought = mine(purchases, "buyer", address);
      assert.equal(a.licensesBought, sum(bought, "quantity"), `licenses bought by ${address}`);
      assert.equal(a.spent, sum(bought, "curvePrice") + sum(bought, "networkFee") + sum(bought, "bountyFee"));
      assert.equal(a.bytesServed, sum(mine(credits, "seeder", address), "creditedBytes"));
      assert.equal(a.rebateEarned, sum(mine(credits, "seeder", address), "payout"));
      assert.equal(a.epochShares, sum(mine(shares, "seeder", address), "amount"));
      const claimed = mine(claims, "seeder", address);
      assert.equal(a.rebateClaimed, sum(claimed, "fromBalance") + sum(claimed, "fromEpochs"));
      // A settlement pays the resource's payout address as it was at the settlement's block.
      let earned = 0n;
      for (const log of settlements) {
        const session = await driver.read<{ resourceId: bigint }>(deposits, w, "session", [log.args.sessionId]);
        const resource = await driver.read<{ payout: Address }>(deposits, w, "resource", [session.resourceId], log.blockNumber);
        if (lower(resource.payout) === lower(address)) earned += log.args.paidToProvider as bigint;
      }
      assert.equal(a.ws402Earned, earned);
    }
    assert.ok((entity("Account", lower(scenario.accounts[6])).rebateClaimed as bigint) > 0n, "seeder 1 claimed");

    const funded = await logs(pool, r, "AllowanceFunded");
    const swept = await logs(pool, r, "AllowanceSwept");
    const finalized = await logs(pool, r, "EpochFinalized");
    const pooled = await logs(pool, r, "NetworkFeePooled");
    const ofLicense = <T extends Log>(list: T[], field: string, licensee: string, contentId: bigint) =>
      list.filter((l) => lower(l.args[field]) === lower(licensee) && l.args.contentId === contentId);
    for (const { licensee, contentId } of scenario.licenses) {
      const x = entity("RebateAllowance", `${contentId}-${lower(licensee)}`);
      assert.equal(x.funded, sum(ofLicense(funded, "licensee", licensee, contentId), "amount"));
      assert.equal(x.paidOut, sum(ofLicense(credits, "leecher", licensee, contentId), "payout"));
      assert.equal(x.swept, sum(ofLicense(swept, "licensee", licensee, contentId), "amount"));
    }

    const opened = await logs(deposits, w, "SessionOpened");
    for (const resourceId of scenario.resourceIds) {
      const x = entity("WS402Resource", resourceId.toString());
      const sessions = opened.filter((l) => l.args.resourceId === resourceId).map((l) => l.args.sessionId as bigint);
      assert.equal(x.sessionCount, sessions.length);
      assert.equal(
        x.revenue,
        sum(
          settlements.filter((l) => sessions.includes(l.args.sessionId)),
          "paidToProvider",
        ),
      );
    }

    for (const epoch of scenario.epochs) {
      const x = entity("RebateEpoch", epoch.toString());
      const inEpoch = <T extends Log>(list: T[]) => list.filter((l) => l.args.epoch === epoch);
      assert.equal(x.receiptCount, inEpoch(credits).length);
      assert.equal(x.swept, sum(inEpoch(swept), "amount"));
      assert.equal(x.shares, sum(inEpoch(shares), "amount"));
      assert.equal(x.rolledForward, sum(inEpoch(finalized), "rolledForward"));
      assert.equal(x.networkFees, sum(inEpoch(pooled), "amount"));
      assert.ok((x.pool as bigint) > 0n && (x.shares as bigint) > 0n, `epoch ${epoch} has a pool and paid shares`);
    }

    // Every daily total adds up to the protocol-wide one.
    const p = entity("Protocol", "protocol");
    const days = entities("DailyStat");
    const totals: [string, string][] = [
      ["contentsRegistered", "contentCount"],
      ["purchaseCount", "purchaseCount"],
      ["licensesSold", "licensesSold"],
      ["volume", "volume"],
      ["curveVolume", "curveVolume"],
      ["networkFees", "networkFees"],
      ["bountyFees", "bountyFees"],
      ["escrowsOpened", "escrowCount"],
      ["escrowDeposits", "escrowDeposits"],
      ["escrowPaidToSeeders", "escrowPaidToSeeders"],
      ["escrowRefunded", "escrowRefunded"],
      ["sessionsOpened", "sessionCount"],
      ["sessionDeposits", "sessionDeposits"],
      ["sessionPaidToProviders", "sessionPaidToProviders"],
      ["sessionRefunded", "sessionRefunded"],
      ["receiptCount", "receiptCount"],
      ["bytesCredited", "bytesCredited"],
      ["allowancePaidOut", "allowancePaidOut"],
      ["rebateClaimed", "rebateClaimed"],
    ];
    for (const [daily, total] of totals) {
      const added = days.reduce<bigint>((n, d) => n + BigInt(d[daily] as bigint | number), 0n);
      assert.equal(added, BigInt(p[total] as bigint | number), `daily ${daily} add up to ${total}`);
    }
    for (const d of days) assert.equal(d.date, BigInt(d.day as number) * 86_400n);
    assert.equal(p.licensesSold, sum(purchases, "quantity"));
    assert.equal(p.receiptCount, credits.length);
    assert.equal(p.bytesCredited, sum(credits, "creditedBytes"));
    assert.equal(p.allowanceFunded, sum(funded, "amount"));
    assert.equal(p.allowanceSwept, sum(swept, "amount"));
    assert.equal(p.epochShares, sum(shares, "amount"));
  });

  it("protocol totals and settings equal the contracts' balances and views", async () => {
    const p = entity("Protocol", "protocol");
    const balance = (address: Address) => driver.client.getBalance({ address, blockNumber: head });
    assert.equal(p.contentCount, Number(await read<bigint>(market, m, "contentCount")));
    assert.equal(p.networkFeeBps, await read<number>(market, m, "networkFeeBps"));
    assert.equal(p.marketPaused, await read<boolean>(market, m, "paused"));
    assert.equal((p.curveVolume as bigint) - (p.proceedsWithdrawn as bigint), await balance(market));
    assert.equal(p.escrowCount, Number(await read<bigint>(escrow, e, "escrowCount")));
    assert.equal(p.challengeWindow, BigInt(await read<number>(escrow, e, "challengeWindow")));
    assert.equal(p.idleExpiry, BigInt(await read<number>(escrow, e, "idleExpiry")));
    assert.equal(p.escrowPaused, await read<boolean>(escrow, e, "paused"));
    assert.equal((p.escrowDeposits as bigint) - (p.escrowPaidToSeeders as bigint) - (p.escrowRefunded as bigint), await balance(escrow));
    assert.equal(p.resourceCount, Number(await read<bigint>(deposits, w, "resourceCount")));
    assert.equal(p.sessionCount, Number(await read<bigint>(deposits, w, "sessionCount")));
    assert.equal(p.gracePeriod, BigInt(await read<number>(deposits, w, "gracePeriod")));
    assert.equal(p.ws402Paused, await read<boolean>(deposits, w, "paused"));
    assert.equal(p.ws402Owed, await read<bigint>(deposits, w, "totalOwed"));
    const held =
      (p.sessionDeposits as bigint) - (p.sessionPaidToProviders as bigint) - (p.sessionRefunded as bigint) + (p.ws402Owed as bigint);
    assert.equal(held, await balance(deposits));
    const [carry, hasActiveEpoch, activeEpoch] = await read<[bigint, boolean, bigint]>(pool, r, "rollover");
    assert.equal(p.rebateCarry, carry);
    assert.equal(p.activeEpoch, hasActiveEpoch ? activeEpoch.toString() : null);
    assert.equal(
      (p.allowanceFunded as bigint) + (p.networkFeesPooled as bigint) - (p.rebateClaimed as bigint) - (p.surplusReleased as bigint),
      await balance(pool),
    );
    let balances = 0n;
    for (const account of scenario.accounts) balances += await read<bigint>(pool, r, "balances", [account]);
    assert.equal(p.rebateBalances, balances);
    const days = entities("DailyStat");
    assert.equal(
      days.reduce((n, d) => n + (d.purchaseCount as number), 0),
      p.purchaseCount,
    );
    assert.equal(
      days.reduce((n, d) => n + (d.volume as bigint), 0n),
      p.volume,
    );
    assert.equal(
      days.reduce((n, d) => n + (d.rebateClaimed as bigint), 0n),
      p.rebateClaimed,
    );
  });

  it("GraphQL: an entity by id, with relations and derived fields, equals the contract reads", async () => {
    const d = await data(`{
      content(id: "1") { id supply currentPrice nextPrice curve publisher { id } payout { proceedsBalance }
        licenses(where: { balance_gt: "0" }, orderBy: balance, orderDirection: desc) { holder { id } balance } }
    }`);
    const onChain = await read<Record<string, any>>(market, m, "content", [1n]);
    assert.equal(d.content.supply, onChain.supply.toString());
    assert.equal(d.content.currentPrice, (await read<bigint>(market, m, "nextPrice", [1n])).toString());
    assert.equal(d.content.curve, "Linear");
    assert.equal(d.content.payout.proceedsBalance, (await read<bigint>(market, m, "proceeds", [onChain.payout])).toString());
    for (const { holder, balance } of d.content.licenses) {
      assert.equal(balance, (await read<bigint>(market, m, "balanceOf", [getAddress(holder.id), 1n])).toString());
    }
    const balances = d.content.licenses.map((l: { balance: string }) => BigInt(l.balance));
    assert.deepEqual(
      balances,
      [...balances].sort((a: bigint, b: bigint) => (a < b ? 1 : a > b ? -1 : 0)),
    );
  });

  it("GraphQL: collections with where (_gt, _lt, _in, _contains, nested by id and by filter), orderBy, first and skip", async () => {
    const d = await data(`{
      byContent: purchases(where: { content: "2" }, orderBy: newSupply, orderDirection: asc) { newSupply quantity }
      nested: purchases(where: { content_: { curve: Exponential } }) { id }
      big: purchases(where: { total_gt: "30000000000000000" }) { total }
      some: contents(where: { id_in: ["1", "2", "99"] }, orderBy: contentId) { id }
      named: contents(where: { metadataURI_contains: "exponential" }) { id }
      page: purchases(orderBy: newSupply, orderDirection: desc, first: 2, skip: 1, where: { content: "1" }) { newSupply }
      sessions: ws402Sessions(where: { status_in: [Settled, Reclaimed] }, orderBy: sessionId) { sessionId status }
      epochs: rebateEpoches(orderBy: epoch) { epoch pool totalEarned seeders { seeder { id } unsettledBytes } }
      spent: escrows(where: { remaining_lt: "1" }, orderBy: escrowId, orderDirection: desc) { escrowId }
      notSpent: escrows(where: { remaining_gt: "0" }) { escrowId remaining }
    }`);
    const purchases = await logs(market, m, "LicensesPurchased");
    const ofContent2 = purchases.filter((l) => l.args.contentId === 2n);
    assert.deepEqual(
      d.byContent.map((p: { newSupply: string }) => p.newSupply),
      ofContent2.map((l) => String(l.args.newSupply)),
    );
    assert.equal(d.nested.length, ofContent2.length);
    const big = purchases.filter(
      (l) => (l.args.curvePrice as bigint) + (l.args.networkFee as bigint) + (l.args.bountyFee as bigint) > 30_000_000_000_000_000n,
    );
    assert.equal(d.big.length, big.length);
    assert.deepEqual(
      d.some.map((c: { id: string }) => c.id),
      ["1", "2"],
    );
    assert.deepEqual(
      d.named.map((c: { id: string }) => c.id),
      ["2"],
    );
    const supplies1 = purchases
      .filter((l) => l.args.contentId === 1n)
      .map((l) => l.args.newSupply as bigint)
      .sort((a, b) => (a > b ? -1 : 1));
    assert.deepEqual(
      d.page.map((p: { newSupply: string }) => BigInt(p.newSupply)),
      supplies1.slice(1, 3),
    );
    for (const session of d.sessions) {
      const onChain = await read<{ status: number }>(deposits, w, "session", [BigInt(session.sessionId)]);
      assert.equal(session.status, SESSION_STATUS[onChain.status]);
    }
    assert.equal(d.sessions.length, 3);
    const remaining = new Map<bigint, bigint>();
    for (const escrowId of scenario.escrowIds) remaining.set(escrowId, await read<bigint>(escrow, e, "remaining", [escrowId]));
    const spent = scenario.escrowIds.filter((id) => remaining.get(id) === 0n).reverse();
    assert.ok(spent.length > 0 && spent.length < scenario.escrowIds.length);
    assert.deepEqual(
      d.spent.map((x: { escrowId: string }) => BigInt(x.escrowId)),
      spent,
    );
    for (const x of d.notSpent) assert.equal(x.remaining, remaining.get(BigInt(x.escrowId))!.toString());
    assert.equal(d.notSpent.length + d.spent.length, scenario.escrowIds.length);
    // An epoch has an entity once something happened in it: credits, sweeps, or network fees pooled at purchase.
    const epochEvents = [
      ...(await logs(pool, r, "ReceiptCredited")),
      ...(await logs(pool, r, "AllowanceSwept")),
      ...(await logs(pool, r, "NetworkFeePooled")),
    ];
    assert.equal(d.epochs.length, new Set(epochEvents.map((l) => l.args.epoch)).size);
    for (const epoch of d.epochs) {
      const [poolAmount, totalEarned] = await read<[bigint, bigint, boolean]>(pool, r, "epochInfo", [BigInt(epoch.epoch)]);
      assert.equal(epoch.pool, poolAmount.toString());
      assert.equal(epoch.totalEarned, totalEarned.toString());
      for (const s of epoch.seeders) {
        const [bytes] = await read<[bigint, bigint]>(pool, r, "seederEpoch", [BigInt(epoch.epoch), getAddress(s.seeder.id)]);
        assert.equal(s.unsettledBytes, bytes.toString());
      }
    }
  });

  it("GraphQL: _meta and queries at a past block read the chain as it was then", async () => {
    const d = await data(
      `query($block: Int!) {
      _meta { block { number hash timestamp } hasIndexingErrors deployment }
      then: content(id: "1", block: { number: $block }) { supply }
      now: content(id: "1") { supply }
    }`,
      { block: Number(scenario.midBlock) },
    );
    assert.equal(d._meta.block.number, Number(head));
    assert.equal(d._meta.block.hash, (await driver.client.getBlock({ blockNumber: head })).hash);
    assert.equal(d._meta.hasIndexingErrors, false);
    const then = (await driver.client.readContract({
      address: market,
      abi: m,
      functionName: "content",
      args: [1n],
      blockNumber: scenario.midBlock,
    } as never)) as { supply: bigint };
    assert.equal(d.then.supply, then.supply.toString());
    assert.equal(d.now.supply, (await read<{ supply: bigint }>(market, m, "content", [1n])).supply.toString());
    const future = await query(`{ contents(block: { number: ${Number(head) + 1000} }) { id } }`);
    assert.match(future.errors![0].message, /has only indexed up to block number/);
  });

  it("GraphQL over HTTP answers bad queries with graph-node-style errors", async () => {
    const unknown = await query(`{ torrents { id } }`);
    assert.equal(unknown.data, undefined);
    assert.equal(unknown.errors![0].message, "Type `Query` has no field `torrents`");
    const tooMany = await query(`{ contents(first: 5000) { id } }`);
    assert.deepEqual(tooMany, {
      errors: [
        {
          message: "The `first` argument must be between 0 and 1000, but is 5000",
          locations: [{ line: 1, column: 3 }],
          path: ["contents"],
        },
      ],
    });
    const malformed = await fetch(local.url, { method: "POST", headers: { "content-type": "application/json" }, body: "{ not json" });
    assert.equal(malformed.status, 400);
    assert.ok(((await malformed.json()) as { errors: unknown[] }).errors.length === 1);
  });
});
