/**
 * A licensed leecher downloads from a headless seeder over WebRTC (loopback, real tracker, devchain) and pays it
 * checkpoint by checkpoint with session-key vouchers; the seeder redeems them and submits the receipts.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { after, before, describe, it } from "node:test";
import { parseEventLogs } from "viem";
import { CheckpointMode, amountFor, checkpoints } from "@web3torrent/sdk/checkpointSchedule";
import { checkpointEscrowAbi, rebatePoolAbi } from "@web3torrent/sdk/generated/contracts";
import type { PaidDownload } from "@web3torrent/sdk/paidDownload";
import type { Seeder } from "../src/seeder.ts";
import { MiB, startSwarm, type Published, type Swarm } from "../src/testing.ts";

const PRICE = 10n ** 12n; // wei per MiB
const PRICE_CAP = 2n * PRICE;
const SEEDER = 2;
const LEECHER = 3;

async function sha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function download(swarm: Swarm, content: Published, leecherIndex: number, pricePerMiBCap: bigint, mode?: "exponential" | "upfront") {
  return swarm.download(content, leecherIndex, { pricePerMiBCap, mode });
}

/** Closes the escrow as the leecher, lets the seeder waive its window, refunds; returns the refunded amount. */
async function closeAndRefund(swarm: Swarm, seeder: Seeder, paid: PaidDownload, leecherIndex: number): Promise<bigint> {
  await paid.close();
  const { waived } = await seeder.flush();
  assert.deepEqual(waived, [paid.escrowId], "the seeder closes cooperatively once it has redeemed everything");
  const wallet = swarm.wallet(leecherIndex);
  const hash = await wallet.writeContract({
    address: swarm.contracts.escrow,
    abi: checkpointEscrowAbi,
    functionName: "refund",
    args: [paid.escrowId!],
  });
  const receipt = await swarm.publicClient.waitForTransactionReceipt({ hash });
  const [refunded] = parseEventLogs({ abi: checkpointEscrowAbi, eventName: "EscrowRefunded", logs: receipt.logs });
  assert.equal(refunded.args.leecher, wallet.account.address);
  return refunded.args.amount;
}

describe("a paid download (exponential checkpoints)", () => {
  let swarm: Swarm;
  let content: Published;
  let file: string;
  let seeder: Seeder;
  let paid: PaidDownload;
  let downloaded: string;
  const checkpointsSeen: bigint[] = [];

  before(async () => {
    swarm = await startSwarm();
    file = swarm.file("film.bin", 160 * MiB);
    content = await swarm.publish(file);
    await swarm.buyLicense(content.contentId, LEECHER);
    seeder = await swarm.startSeeder({ accountIndex: SEEDER, pricePerMiB: PRICE });
    await seeder.seed(file);
    seeder.on("checkpoint", ({ served }) => checkpointsSeen.push(served));
  });
  after(() => swarm.stop());

  it("completes a 160 MiB download that crosses the checkpoints at 10, 30, 70 and 150 MiB", async () => {
    ({ paid, path: downloaded } = await download(swarm, content, LEECHER, PRICE_CAP));
    let rejected = 0;
    paid.torrent.on("wire", (wire) => wire.on("reject", () => rejected++));
    await paid.done;
    assert.equal(await sha256(downloaded), await sha256(file));
    const schedule = checkpoints(CheckpointMode.Exponential, content.size);
    assert.deepEqual(schedule, [10n, 30n, 70n, 150n, 160n].map((m) => m * BigInt(MiB)));
    assert.deepEqual(checkpointsSeen, schedule, "the seeder stopped at every checkpoint and asked for a voucher");
    const [ledger] = paid.session.ledgers.values();
    assert.equal(ledger.received, content.size);
    assert.equal(ledger.ackedVoucherBytes, content.size, "the last voucher covers the whole file");
    assert.equal(rejected, 0, "the leecher kept within the seeder's reqq: every request was held at a checkpoint, none rejected");
  });

  it("lets the seeder redeem exactly the bytes it served times its price", async () => {
    await seeder.flush();
    const redeemed = await seeder.chain.redeemedBy(paid.escrowId!);
    const served = seeder.store.get(`escrow:${paid.escrowId}`)!.served;
    assert.equal(served, content.size);
    assert.equal(redeemed.amount, amountFor(served, PRICE));
    const earnings = await seeder.earnings();
    assert.equal(earnings.redeemed, redeemed.amount);
    assert.equal(earnings.pendingVouchers, 0n);
  });

  it("refunds the leecher the rest of its deposit", async () => {
    const refunded = await closeAndRefund(swarm, seeder, paid, LEECHER);
    assert.equal(paid.deposit, amountFor(content.size, PRICE_CAP));
    assert.equal(refunded, paid.deposit - amountFor(content.size, PRICE));
  });

  it("gets the receipts credited in the rebate pool for the bytes served", async () => {
    const leecher = swarm.account(LEECHER).address;
    const credited = await seeder.chain.credited(leecher, content.contentId);
    assert.equal(credited, content.size);
    const [, bytesCredited] = await swarm.publicClient.readContract({
      address: swarm.contracts.rebatePool,
      abi: rebatePoolAbi,
      functionName: "allowance",
      args: [leecher, content.contentId],
    });
    assert.equal(bytesCredited, content.size);
    // The whole file was credited against this license, so the seeder earned its whole rebate allowance.
    const logs = await swarm.publicClient.getContractEvents({
      address: swarm.contracts.rebatePool,
      abi: rebatePoolAbi,
      eventName: "AllowanceFunded",
      args: { licensee: leecher, contentId: content.contentId },
      fromBlock: 0n,
    });
    assert.equal(await seeder.chain.rebateBalance(), logs[0].args.amount);
  });
});

describe("a paid download (upfront)", () => {
  let swarm: Swarm;

  before(async () => {
    swarm = await startSwarm();
  });
  after(() => swarm.stop());

  it("pays the whole deposit before the first byte, then serves the file and credits its receipts", async () => {
    const file = swarm.file("album.bin", 24 * MiB);
    const content = await swarm.publish(file);
    await swarm.buyLicense(content.contentId, LEECHER);
    const seeder = await swarm.startSeeder({ accountIndex: SEEDER, pricePerMiB: PRICE });
    await seeder.seed(file);
    const served: bigint[] = [];
    seeder.on("checkpoint", (e) => served.push(e.served));

    const { paid, path } = await download(swarm, content, LEECHER, PRICE, "upfront");
    await paid.done;
    assert.equal(await sha256(path), await sha256(file));
    assert.equal(served[0], 0n, "the seeder asked for the upfront voucher before sending anything");
    const [ledger] = paid.session.ledgers.values();
    assert.equal(ledger.voucher!.cumulativeBytes, content.size);
    assert.equal(ledger.voucher!.cumulativeAmount, paid.deposit);

    await seeder.flush();
    assert.equal((await seeder.chain.redeemedBy(paid.escrowId!)).amount, paid.deposit);
    assert.equal(await seeder.chain.credited(swarm.account(LEECHER).address, content.contentId), content.size);
    assert.equal(await closeAndRefund(swarm, seeder, paid, LEECHER), 0n);
  });
});

describe("free seeding", () => {
  let swarm: Swarm;

  before(async () => {
    swarm = await startSwarm();
  });
  after(() => swarm.stop());

  it("serves a licensed peer without an escrow and earns rebates with its receipts", async () => {
    const file = swarm.file("lecture.bin", 24 * MiB);
    const content = await swarm.publish(file);
    await swarm.buyLicense(content.contentId, LEECHER);
    const seeder = await swarm.startSeeder({ accountIndex: SEEDER, pricePerMiB: 0n });
    await seeder.seed(file);
    const receipts: bigint[] = [];
    seeder.on("receipt", (e) => receipts.push(e.receipt.cumulativeBytes));

    const { paid, path } = await download(swarm, content, LEECHER, 0n);
    await paid.done;
    assert.equal(paid.escrowId, null);
    assert.equal(await sha256(path), await sha256(file));
    assert.deepEqual(receipts, [10n * BigInt(MiB), content.size], "a receipt at each checkpoint");

    const { submitted } = await seeder.flush();
    assert.equal(submitted.length, 1);
    assert.equal(await seeder.chain.credited(swarm.account(LEECHER).address, content.contentId), content.size);
    assert.ok((await seeder.chain.rebateBalance()) > 0n);
    assert.equal((await seeder.earnings()).redeemed, 0n);
  });
});
