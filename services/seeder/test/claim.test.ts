/**
 * The headless seeder claims its rebates: after a paid download is settled, one `claim` pays exactly the balance its
 * receipts earned; with nothing left no transaction is sent; the expired, unearned allowance of a license it served
 * is swept, and once the epoch of its credits is over its share there (its weight: the network-fee part of its bytes)
 * is claimed; `seed --claim` claims the balance and the share of the next epoch it served in.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { formatEther, parseEventLogs, type Address, type Hash } from "viem";
import { rebatePoolAbi } from "@web3torrent/sdk/generated/contracts";
import type { Seeder } from "../src/seeder.ts";
import { MiB, chainArgs, runCli, startSwarm, type Published, type Swarm } from "../src/testing.ts";

const PRICE = 10n ** 12n; // wei per MiB
const SEEDER = 2;
const LEECHER = 3;
const SECOND_LEECHER = 4;
const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));

describe("the seeder claims its rebates", () => {
  let swarm: Swarm;
  let content: Published;
  let seeder: Seeder;
  let seederAddress: Address;

  const pool = (functionName: "epochDuration" | "allowanceExpiry" | "currentEpoch") =>
    swarm.publicClient.readContract({ address: swarm.contracts.rebatePool, abi: rebatePoolAbi, functionName }).then(BigInt);
  const poolBalance = () =>
    swarm.publicClient.readContract({
      address: swarm.contracts.rebatePool,
      abi: rebatePoolAbi,
      functionName: "balances",
      args: [seederAddress],
    });
  const ethBalance = () => swarm.publicClient.getBalance({ address: seederAddress });
  const nonce = () => swarm.publicClient.getTransactionCount({ address: seederAddress });
  /** What the seeder paid for gas in `hash`. */
  const gasCost = async (hash: Hash) => {
    const receipt = await swarm.publicClient.getTransactionReceipt({ hash });
    return receipt.gasUsed * receipt.effectiveGasPrice;
  };
  /** The payouts of the receipts credited to the seeder for `leecher`: what they earned from its allowance. */
  const payouts = async (leecher: Address) => {
    const credits = await swarm.publicClient.getContractEvents({
      address: swarm.contracts.rebatePool,
      abi: rebatePoolAbi,
      eventName: "ReceiptCredited",
      args: { seeder: seederAddress, leecher },
      fromBlock: 0n,
    });
    return {
      total: credits.reduce((sum, c) => sum + c.args.payout!, 0n),
      weight: credits.reduce((sum, c) => sum + c.args.weight!, 0n),
      epochs: [...new Set(credits.map((c) => c.args.epoch!))],
    };
  };
  /** A paid download by `leecherIndex`, settled by the seeder. */
  const downloadAndSettle = async (leecherIndex: number) => {
    const { paid } = await swarm.download(content, leecherIndex, { pricePerMiBCap: PRICE });
    await paid.done;
    const { submitted } = await seeder.flush();
    assert.equal(submitted.length, 1, "the receipts were submitted");
  };

  before(async () => {
    swarm = await startSwarm();
    ({ content, seeder } = await swarm.seeded("report.bin", 12 * MiB, {
      licensees: [LEECHER],
      seeder: { accountIndex: SEEDER, pricePerMiB: PRICE },
    }));
    seederAddress = seeder.address;
  });
  after(() => swarm.stop());

  it("pays exactly the balance its receipts earned, in one transaction", async () => {
    await downloadAndSettle(LEECHER);
    const earned = await payouts(swarm.account(LEECHER).address);
    assert.ok(earned.total > 0n);
    assert.equal(await poolBalance(), earned.total);

    const before = await ethBalance();
    const claimed = await seeder.claim();
    assert.ok(claimed.hash);
    assert.equal(claimed.swept, null, "no allowance has expired");
    assert.deepEqual(claimed.epochs, [], "the epoch of the credits is not over");
    assert.equal(claimed.fromBalance, earned.total);
    assert.equal(claimed.fromEpochs, 0n);
    assert.equal(claimed.paid, earned.total);
    assert.equal((await ethBalance()) - before + (await gasCost(claimed.hash)), earned.total);
    assert.equal(await poolBalance(), 0n);
  });

  it("sends no transaction when there is nothing to claim", async () => {
    const sent = await nonce();
    const claimed = await seeder.claim();
    assert.deepEqual(claimed, { paid: 0n, fromBalance: 0n, fromEpochs: 0n, epochs: [], hash: null, swept: null });
    assert.equal(await nonce(), sent);
  });

  /** What the pool holds beyond the balances: the open weight (still to be credited) and the surplus. */
  const reserved = async () =>
    (await swarm.publicClient.readContract({ address: swarm.contracts.rebatePool, abi: rebatePoolAbi, functionName: "surplus" })) +
    (await swarm.publicClient.readContract({ address: swarm.contracts.rebatePool, abi: rebatePoolAbi, functionName: "openWeight" }));
  const poolEth = () => swarm.publicClient.getBalance({ address: swarm.contracts.rebatePool });

  it("sweeps the expired, unearned allowance of a license it served, and claims its weight in the finished epoch of its credits", async () => {
    // A second license for the same account: its whole size was credited already, so this allowance can only be swept.
    await swarm.buyLicense(content.contentId, LEECHER);
    const leecher = swarm.account(LEECHER).address;
    const [unearned] = await swarm.publicClient.readContract({
      address: swarm.contracts.rebatePool,
      abi: rebatePoolAbi,
      functionName: "allowance",
      args: [leecher, content.contentId],
    });
    assert.ok(unearned > 0n);
    const first = await payouts(leecher);
    assert.ok(first.weight > 0n, "the first credits weigh the network-fee part of their bytes");
    await swarm.chain.increaseTime(Number(await pool("allowanceExpiry")));

    const sent = await nonce();
    const claimed = await seeder.claim();
    assert.deepEqual(claimed.swept?.licenses, [{ licensee: leecher, contentId: content.contentId }]);
    assert.equal(claimed.swept?.amount, unearned);
    // The epoch of the first credits is over: its pool pays the seeder exactly its weight there.
    assert.ok(claimed.hash);
    assert.deepEqual(claimed.epochs, first.epochs);
    assert.equal(claimed.fromBalance, 0n);
    assert.equal(claimed.fromEpochs, first.weight);
    assert.equal(await nonce(), sent + 2, "the sweep and the claim");
    // What is left is the swept allowance and the second license's network fee, which no weight can claim.
    assert.equal(await poolBalance(), 0n);
    assert.equal(await poolEth(), await reserved());
  });

  it("`seed --claim` claims the balance and its weight in the finished epoch, and exits", async () => {
    await swarm.buyLicense(content.contentId, SECOND_LEECHER);
    await downloadAndSettle(SECOND_LEECHER);
    const earned = await payouts(swarm.account(SECOND_LEECHER).address);
    assert.equal(earned.epochs.length, 1);
    const [epoch] = earned.epochs;
    await swarm.chain.increaseTime(Number(await pool("epochDuration")));
    assert.ok((await pool("currentEpoch")) > epoch, "the epoch of the second credits is over");
    // Its share of the epoch is its weight there: the network-fee part of the bytes it served.
    const share = earned.weight;
    assert.ok(share > 0n);
    const total = earned.total + share;

    const before = await ethBalance();
    const { code, output } = await runCli(CLI, [
      "--claim",
      "--key",
      swarm.chain.accounts[SEEDER].privateKey,
      ...chainArgs(swarm),
      "--db",
      join(swarm.dir, "cli-seeder.sqlite"),
    ]);
    assert.equal(code, 0, output);
    assert.ok(output.includes(`claimed ${formatEther(total)} ETH (${total} wei)`), output);

    const hash = /\(tx (0x[0-9a-f]{64})\)/.exec(output)![1] as Hash;
    const receipt = await swarm.publicClient.getTransactionReceipt({ hash });
    const [claimed] = parseEventLogs({ abi: rebatePoolAbi, eventName: "Claimed", logs: receipt.logs });
    assert.equal(claimed.args.seeder, seederAddress);
    assert.equal(claimed.args.fromBalance, earned.total);
    assert.equal(claimed.args.fromEpochs, share);
    const shares = parseEventLogs({ abi: rebatePoolAbi, eventName: "EpochShareClaimed", logs: receipt.logs });
    assert.deepEqual(
      shares.map((s) => s.args.epoch),
      [epoch],
    );
    assert.equal((await ethBalance()) - before + (await gasCost(hash)), total);
    assert.equal(await poolBalance(), 0n);
    assert.equal(await poolEth(), await reserved(), "only the surplus and the open weight are left");

    const sent = await nonce();
    assert.equal((await seeder.claim()).hash, null, "nothing is left");
    assert.equal(await nonce(), sent);
  });
});
