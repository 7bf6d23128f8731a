/**
 * A licensed leecher downloads from a headless seeder over WebRTC (loopback, real tracker, devchain) and pays it
 * checkpoint by checkpoint with session-key vouchers; the seeder redeems them and submits the receipts.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { after, before, describe, it } from "node:test";
import { parseEventLogs } from "viem";
import { CheckpointMode, FIRST_CHECKPOINT, amountFor, checkpoints } from "@web3torrent/sdk/checkpointSchedule";
import { checkpointEscrowAbi, rebatePoolAbi } from "@web3torrent/sdk/generated/contracts";
import type { DownloadKey, PaidDownload } from "@web3torrent/sdk/paidDownload";
import { SessionKey, signDelegation } from "@web3torrent/sdk/sessionKey";
import { LeecherSession, RefusalReason } from "@web3torrent/sdk/wire/index";
import type { Seeder } from "../src/seeder.ts";
import { MiB, startSwarm, type Published, type Swarm } from "../src/testing.ts";
import { seederRefusal } from "./leechers.ts";

const PRICE = 10n ** 12n; // wei per MiB
const PRICE_CAP = 2n * PRICE;
const SEEDER = 2;
const LEECHER = 3;
const UNLICENSED = 8;
const MISDELEGATED = 9;

async function sha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function download(swarm: Swarm, content: Published, leecherIndex: number, pricePerMiBCap: bigint, mode?: "exponential" | "upfront") {
  return swarm.download(content, leecherIndex, { pricePerMiBCap, mode });
}

/** The leecher's refund of escrow `escrowId`. */
async function refundOf(swarm: Swarm, escrowId: bigint, leecherIndex: number): Promise<bigint> {
  const refunded = await swarm.refund(escrowId);
  assert.equal(refunded.leecher, swarm.wallet(leecherIndex).account.address);
  return refunded.amount;
}

/**
 * Closes the escrow as the leecher (a wallet transaction); the seeder waives its window and, the only paid seeder,
 * refunds the leecher in its settlement: no refund transaction of the leecher. Returns the refunded amount.
 */
async function closeAndRefund(swarm: Swarm, seeder: Seeder, paid: PaidDownload, leecherIndex: number): Promise<bigint> {
  await paid.close();
  const { waived, refunded } = await seeder.flush();
  assert.deepEqual(waived, [paid.escrowId], "the seeder closes cooperatively once it has redeemed everything");
  assert.deepEqual(refunded, [paid.escrowId], "every paid seeder waived: the seeder sends the refund");
  return refundOf(swarm, paid.escrowId!, leecherIndex);
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
    ({ file, content, seeder } = await swarm.seeded("film.bin", 160 * MiB, {
      licensees: [LEECHER],
      seeder: { accountIndex: SEEDER, pricePerMiB: PRICE },
    }));
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
    assert.deepEqual(
      schedule,
      [10n, 30n, 70n, 150n, 160n].map((m) => m * BigInt(MiB)),
    );
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

  it("registers a fresh key per escrow: the day-long delegated key signs no voucher the escrow pays", async () => {
    const { sessionKey: delegated, escrowKey } = paid.session.options;
    const e = await seeder.chain.escrow(paid.escrowId!);
    assert.ok(escrowKey, "the download made its own escrow key");
    assert.equal(e.sessionKey, escrowKey.address, "the escrow registered the download's own key");
    assert.notEqual(e.sessionKey, delegated.address, "not the delegated key the wallet signed for the day");
    const voucher = {
      escrowId: paid.escrowId!,
      seeder: swarm.account(UNLICENSED).address,
      cumulativeBytes: content.size,
      cumulativeAmount: amountFor(content.size, PRICE),
    };
    const signature = await delegated.signVoucher(paid.session.signingContext, voucher);
    await assert.rejects(
      swarm.publicClient.simulateContract({
        address: swarm.contracts.escrow,
        abi: checkpointEscrowAbi,
        functionName: "redeem",
        args: [voucher, signature],
        account: swarm.account(UNLICENSED),
      }),
      /InvalidVoucherSignature/,
      "a voucher by the delegated key (what script that stole it would sign) does not pay",
    );
  });

  it("refunds the leecher the rest of its deposit when its session key signs Close: no wallet prompt", async () => {
    const refundedEvent = new Promise<{ escrowId: bigint }>((resolve) => seeder.once("refunded", resolve));
    assert.equal(await paid.session.sendClose(), 1, "the Close goes to the one paid seeder");
    assert.deepEqual(await refundedEvent, { escrowId: paid.escrowId });
    assert.equal(paid.deposit, amountFor(content.size, PRICE_CAP));
    assert.equal(await refundOf(swarm, paid.escrowId!, LEECHER), paid.deposit - amountFor(content.size, PRICE));
    const logs = await swarm.publicClient.getContractEvents({
      address: swarm.contracts.escrow,
      abi: checkpointEscrowAbi,
      eventName: "CloseSignatureUsed",
      args: { escrowId: paid.escrowId! },
      fromBlock: 0n,
    });
    assert.equal(logs[0].args.submitter, seeder.address, "the seeder submitted the leecher's Close");
    const leecher = swarm.account(LEECHER).address;
    const leecherTxs = await swarm.publicClient.getTransactionCount({ address: leecher });
    assert.equal(leecherTxs, 2, "the leecher's wallet sent the license purchase and the escrow's open, nothing else");
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

  /**
   * What the seeder holds after serving `leecherIndex` `bytes` on an escrow of its own: an acknowledged voucher and
   * receipt, stored as the w3t_pay backend stores them (signed by a session key the wallet delegated and the escrow
   * registered). `signer` signs the voucher instead, to forge it.
   */
  async function storedPayment(leecherIndex: number, bytes: bigint, signer?: SessionKey) {
    await swarm.buyLicense(content.contentId, leecherIndex);
    const wallet = swarm.wallet(leecherIndex);
    const key = await swarm.downloadKey(leecherIndex);
    const escrowId = await swarm.openEscrow(content, leecherIndex, key.sessionKey.address, PRICE);
    const ctx = { chainId: swarm.chain.chainId, escrow: swarm.contracts.escrow, rebatePool: swarm.contracts.rebatePool };
    const voucher = { escrowId, seeder: seeder.address, cumulativeBytes: bytes, cumulativeAmount: amountFor(bytes, PRICE) };
    const receipt = { leecher: wallet.account.address, seeder: seeder.address, contentId: content.contentId, cumulativeBytes: bytes };
    const row = `escrow:${escrowId}`;
    seeder.store.upsert({
      key: row,
      leecher: wallet.account.address,
      contentId: content.contentId,
      escrowId,
      sessionKey: key.sessionKey.address,
      mode: "exponential",
      maxBytes: content.size,
      pricePerMiB: PRICE,
      priceCapPerMiB: PRICE,
      delegationExpiry: key.delegation.expiry,
      delegationSignature: key.delegation.signature,
    });
    seeder.store.saveVoucher(row, bytes, bytes, voucher.cumulativeAmount, await (signer ?? key.sessionKey).signVoucher(ctx, voucher));
    seeder.store.saveReceipt(row, bytes, bytes, await key.sessionKey.signReceipt(ctx, receipt));
    return { escrowId, leecher: wallet.account.address, amount: voucher.cumulativeAmount };
  }

  it("redeems the vouchers of several escrows in one transaction and submits their receipts in another", async () => {
    const bytes = 3n * FIRST_CHECKPOINT;
    const payments = [await storedPayment(4, bytes), await storedPayment(5, bytes)];
    const { redeemed, submitted } = await seeder.flush();

    assert.equal(redeemed.length, 1, "one redeemBatch for both escrows");
    assert.deepEqual(new Set(redeemed[0].escrowIds), new Set(payments.map((p) => p.escrowId)));
    const redemptions = parseEventLogs({
      abi: checkpointEscrowAbi,
      eventName: "VoucherRedeemed",
      logs: (await swarm.publicClient.getTransactionReceipt({ hash: redeemed[0].hash })).logs,
    });
    assert.deepEqual(new Set(redemptions.map((e) => e.args.escrowId)), new Set(payments.map((p) => p.escrowId)));
    for (const p of payments) assert.equal((await seeder.chain.redeemedBy(p.escrowId)).amount, p.amount);

    assert.deepEqual(
      submitted.map((s) => s.count),
      [2],
      "one submitReceipts for both licenses",
    );
    const credits = parseEventLogs({
      abi: rebatePoolAbi,
      eventName: "ReceiptCredited",
      logs: (await swarm.publicClient.getTransactionReceipt({ hash: submitted[0].hash })).logs,
    });
    assert.deepEqual(new Set(credits.map((e) => e.args.leecher)), new Set(payments.map((p) => p.leecher)));
    for (const p of payments) assert.equal(await seeder.chain.credited(p.leecher, content.contentId), bytes);
  });

  it("redeems the good vouchers one by one when a bad one makes the batch revert", async () => {
    const good = await storedPayment(6, FIRST_CHECKPOINT);
    const forged = await storedPayment(7, FIRST_CHECKPOINT, SessionKey.generate());
    const { redeemed } = await seeder.flush();
    assert.deepEqual(
      redeemed.map((r) => r.escrowIds),
      [[good.escrowId]],
      "the good voucher alone, in its own transaction",
    );
    assert.equal((await seeder.chain.redeemedBy(good.escrowId)).amount, good.amount);
    assert.equal((await seeder.chain.redeemedBy(forged.escrowId)).amount, 0n);
  });
});

describe("a paid download (upfront)", () => {
  let swarm: Swarm;

  before(async () => {
    swarm = await startSwarm();
  });
  after(() => swarm.stop());

  it("pays the whole deposit before the first byte, then serves the file and credits its receipts", async () => {
    const { file, content, seeder } = await swarm.seeded("album.bin", 24 * MiB, {
      licensees: [LEECHER],
      seeder: { accountIndex: SEEDER, pricePerMiB: PRICE },
    });
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
  let content: Published;
  let file: string;
  let seeder: Seeder;

  before(async () => {
    swarm = await startSwarm();
    ({ file, content, seeder } = await swarm.seeded("lecture.bin", 24 * MiB, { seeder: { accountIndex: SEEDER, pricePerMiB: 0n } }));
  });
  after(() => swarm.stop());

  it("serves a licensed peer without an escrow and earns rebates with its receipts", async () => {
    await swarm.buyLicense(content.contentId, LEECHER);
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

  /**
   * Lets test account `index` ask the free seeder for the content with the sdk's leecher (no escrow, as for any free
   * download; `delegation` replaces the wallet's); resolves with the seeder's verdict on its hello — "admitted", or
   * the refusal reason — once the peer has been told.
   */
  async function helloFrom(index: number, delegation?: (key: DownloadKey) => Promise<DownloadKey["delegation"]>) {
    const wallet = swarm.wallet(index);
    const options = await swarm.freeSession(content, index);
    const session = new LeecherSession(delegation ? { ...options, delegation: await delegation(options) } : options);
    // The seeder's events name a peer by the end of its peer id: this client's, not an earlier test's peer.
    const client = swarm.client();
    const peer = (client.peerId as string).slice(-8);
    const verdict = new Promise<string>((resolve) => {
      seeder.on("admitted", (e) => e.peer === peer && resolve("admitted"));
      seeder.on("refused", (e) => e.peer === peer && resolve(e.reason));
    });
    const told = seederRefusal(session);
    swarm.attach(client, content.infoHash, session);
    const reason = await verdict;
    if (reason !== "admitted") assert.equal((await told).refusal.reason, reason, "the peer is told why");
    return { reason, received: session.receivedTotal, stored: seeder.store.all().some((row) => row.leecher === wallet.account.address) };
  }

  it("still refuses a peer without a license: free content is free of charge, not of license", async () => {
    assert.deepEqual(await helloFrom(UNLICENSED), { reason: RefusalReason.NoLicense, received: 0n, stored: false });
  });

  it("refuses a licensed peer whose session key another wallet delegated: its receipts would earn nothing", async () => {
    await swarm.buyLicense(content.contentId, MISDELEGATED);
    const other = swarm.wallet(UNLICENSED);
    const forged = (key: DownloadKey) =>
      signDelegation(
        other,
        other.account,
        { chainId: swarm.chain.chainId, rebatePool: swarm.contracts.rebatePool },
        key.sessionKey.address,
        key.delegation.expiry,
      );
    assert.deepEqual(await helloFrom(MISDELEGATED, forged), { reason: RefusalReason.BadDelegation, received: 0n, stored: false });
  });
});
