/**
 * The economics of self-dealing against the epoch pools (issue 12), over a grid: fee settings within the caps ×
 * pool sizes × attacker sizes × epoch timings.
 *
 * The attacker publishes its own 1-byte content (registration is open to anyone), buys N licenses of it for an
 * address it controls, takes the curve price back as the publisher's proceeds, credits the byte to its own seeder and
 * claims everything late. The bounty fee comes back to it as its own allowance; the network fee went into the epoch
 * pool at purchase and buys weight it wins back at most. An honest seeder serves an honest buyer in the epoch whose
 * pool other buyers' unearned, swept allowances enlarged.
 *
 * For each cell the table prints the attacker's profit (never above 0, asserted) and the honest seeder's share against
 * its share without the attacker and against what it served (the network-fee part of its bytes, its weight): the
 * share is never below the fair one (asserted), and equals what it served.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { network } from "hardhat";
import { formatEther, parseEther, parseEventLogs, type Hash } from "viem";
import {
  ALLOWANCE_EXPIRY,
  DAY,
  EPOCH_DURATION,
  LeecherSession,
  buy,
  newSessionKey,
  registerContent,
  type Pool,
  deployPoolAndMarket,
} from "./helpers/rebate.ts";

const { viem, networkHelpers } = await network.create();
const { time } = networkHelpers;

const SIZE = 1024n * 1024n;
const PRICE = parseEther("0.01");
const ATTACKER_PRICE = parseEther("1");

const NETWORK_FEES_BPS = [0, 500, 1_000];
const BOUNTY_FEES_BPS = [0, 2_000];
/** Other buyers whose allowances go unearned and are swept into the pool before the honest epoch. */
const POOL_SIZES = [0, 10];
const ATTACKER_LICENSES = [1n, 200n];
const TIMINGS = ["same epoch", "credit an epoch later", "bought epochs before"] as const;
type Timing = (typeof TIMINGS)[number];

interface Cell {
  networkFeeBps: number;
  bountyFeeBps: number;
  unearned: number;
  licenses: bigint;
  timing: Timing;
}

interface Outcome {
  honestShare: bigint;
  honestWeight: bigint;
  attackerProfit: bigint;
}

async function logs<const TName extends "EpochShareClaimed" | "Claimed">(pool: Pool, hash: Hash, eventName: TName) {
  const publicClient = await viem.getPublicClient();
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  return parseEventLogs({ abi: pool.abi, logs: receipt.logs, eventName });
}

/** One run on a fresh deployment; without `attack` the attacker stays out (the honest seeder's fair share). */
async function run(cell: Cell, attack: boolean): Promise<Outcome> {
  const [owner, publisher, honestBuyer, honestSeeder, attacker] = await viem.getWalletClients();
  const chainId = await (await viem.getPublicClient()).getChainId();
  const { pool, market } = await deployPoolAndMarket(viem, owner.account.address, { networkFeeBps: cell.networkFeeBps });
  const domain = { chainId, pool: pool.address };
  const expiry = BigInt(await time.latest()) + 400n * DAY;
  const honestId = await registerContent(market, publisher, { size: SIZE, basePrice: PRICE, bountyFeeBps: cell.bountyFeeBps });

  let paid = 0n;
  let got = 0n;
  const attackerKey = newSessionKey();
  let attackerId = 0n;
  const attackerBuys = async () => {
    attackerId = await registerContent(market, attacker, { size: 1n, basePrice: ATTACKER_PRICE, bountyFeeBps: cell.bountyFeeBps });
    paid += (await buy(market, attacker, attackerId, attackerKey.address, cell.licenses)).total;
    const before = await market.read.proceeds([attacker.account.address]);
    await market.write.withdrawProceeds({ account: attacker.account });
    got += before;
  };
  const attackerCredits = async () => {
    const own = new LeecherSession(attackerKey, attackerKey.address, expiry, domain);
    await pool.write.submitReceipts([attacker.account.address, [await own.receipt(attacker.account.address, attackerId, 1n)]]);
  };

  if (attack && cell.timing === "bought epochs before") await attackerBuys();
  const idle = Array.from({ length: cell.unearned }, () => newSessionKey().address);
  for (const licensee of idle) await buy(market, owner, honestId, licensee);
  await time.increase(ALLOWANCE_EXPIRY);
  for (const licensee of idle) {
    if ((await pool.read.allowance([licensee, honestId]))[0] + (await pool.read.weightBudget([licensee, honestId])) > 0n) {
      await pool.write.sweep([licensee, honestId]);
    }
  }

  const epoch = await pool.read.currentEpoch();
  await buy(market, honestBuyer, honestId);
  const honest = new LeecherSession(honestBuyer, honestBuyer.account.address, expiry, domain);
  const h = honestSeeder.account.address;
  await pool.write.submitReceipts([h, [await honest.receipt(h, honestId, SIZE / 2n)]]);
  const [, honestWeight] = await pool.read.seederEpoch([epoch, h]);
  if (attack && cell.timing !== "bought epochs before") await attackerBuys();
  if (attack && cell.timing === "credit an epoch later") await time.increase(EPOCH_DURATION);
  if (attack) await attackerCredits();
  await time.increase(2n * EPOCH_DURATION);

  let honestShare = 0n;
  if (honestWeight > 0n) {
    const [share] = await logs(pool, await pool.write.claim([[epoch]], { account: honestSeeder.account }), "EpochShareClaimed");
    honestShare = share.args.amount;
  }
  if (attack) {
    const epochs = [epoch, epoch + 1n];
    if ((await pool.read.claimable([attacker.account.address, epochs])) > 0n) {
      const [claimed] = await logs(pool, await pool.write.claim([epochs], { account: attacker.account }), "Claimed");
      got += claimed.args.fromBalance + claimed.args.fromEpochs;
    }
  }
  return { honestShare, honestWeight, attackerProfit: got - paid };
}

describe("RebatePool economics: self-dealing over fees × pool sizes × attacker sizes × epoch timings", () => {
  it("the attacker's best profit is never above 0, and no honest seeder's share falls below its fair share or what it served", async () => {
    const rows: Record<string, string>[] = [];
    let best = -(2n ** 255n);
    for (const networkFeeBps of NETWORK_FEES_BPS) {
      for (const bountyFeeBps of BOUNTY_FEES_BPS) {
        for (const unearned of POOL_SIZES) {
          const fair = await run({ networkFeeBps, bountyFeeBps, unearned, licenses: 0n, timing: "same epoch" }, false);
          for (const licenses of ATTACKER_LICENSES) {
            for (const timing of TIMINGS) {
              const cell = { networkFeeBps, bountyFeeBps, unearned, licenses, timing };
              const attacked = await run(cell, true);
              if (attacked.attackerProfit > best) best = attacked.attackerProfit;
              rows.push({
                "network/bounty bps": `${networkFeeBps}/${bountyFeeBps}`,
                "swept buyers": String(unearned),
                "attacker licenses": String(licenses),
                timing,
                "attacker profit": formatEther(attacked.attackerProfit),
                "honest share": formatEther(attacked.honestShare),
                "fair share": formatEther(fair.honestShare),
                "honest served (weight)": formatEther(attacked.honestWeight),
              });
              assert.ok(
                attacked.attackerProfit <= 0n,
                `profit ${attacked.attackerProfit} in ${JSON.stringify(cell, (_, v) => (typeof v === "bigint" ? String(v) : v))}`,
              );
              assert.ok(attacked.honestShare >= fair.honestShare, `honest share diluted in ${timing}`);
              assert.equal(attacked.honestShare, attacked.honestWeight, "the honest seeder is paid what it served");
            }
          }
        }
      }
    }
    console.table(rows);
    console.log(`attacker's best profit over ${rows.length} cells: ${formatEther(best)} ETH`);
    assert.ok(best <= 0n);
  });
});
