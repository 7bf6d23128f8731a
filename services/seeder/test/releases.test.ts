/**
 * A download paid "a transaction per checkpoint", over WebRTC on loopback (real tracker, devchain): the leecher's
 * wallet sends the escrow's `release` at each checkpoint instead of the session key signing a voucher, the seeder
 * checks each release on-chain before it sends more, and it never redeems what was released. A leecher that claims
 * a release it did not make is refused like one that forges a voucher. A finished paid download uploads nothing.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Hash } from "viem";
import { CheckpointMode, FIRST_CHECKPOINT, amountFor, checkpoints } from "@web3torrent/sdk/checkpointSchedule";
import { checkpointEscrowAbi } from "@web3torrent/sdk/generated/contracts";
import { magnetURI } from "@web3torrent/sdk/infohash";
import type { PaidDownload } from "@web3torrent/sdk/paidDownload";
import { LeecherSession, RefusalReason } from "@web3torrent/sdk/wire/index";
import type { Seeder } from "../src/seeder.ts";
import { MiB, startSwarm, type Published, type Swarm } from "../src/testing.ts";
import { seederRefusal } from "./leechers.ts";

const PRICE = 10n ** 12n; // wei per MiB
const SEEDER = 2;
const LEECHER = 3;
const LIAR = 4;
const SIZE = 24 * MiB; // checkpoints at 10 MiB and 24 MiB

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

describe("a download paid by a release transaction per checkpoint", () => {
  let swarm: Swarm;
  let content: Published;
  let file: string;
  let seeder: Seeder;
  let paid: PaidDownload;

  before(async () => {
    swarm = await startSwarm();
    ({ file, content, seeder } = await swarm.seeded("series.bin", SIZE, {
      licensees: [LEECHER, LIAR],
      seeder: { accountIndex: SEEDER, pricePerMiB: PRICE },
    }));
  });
  after(() => swarm.stop());

  it("downloads the file, the wallet releasing each checkpoint on-chain and the session key signing receipts only", async () => {
    const released: bigint[] = [];
    seeder.on("released", (e) => released.push(e.release.cumulativeBytes));
    // A cap above the seeder's price: each release must pay the seeder's price, not the cap.
    const download = await swarm.download(content, LEECHER, { pricePerMiBCap: 2n * PRICE, payment: "transactions" });
    paid = download.paid;
    await paid.done;
    assert.equal(sha256(download.path), sha256(file));

    const schedule = checkpoints(CheckpointMode.Exponential, content.size);
    assert.deepEqual(schedule, [FIRST_CHECKPOINT, content.size]);
    assert.deepEqual(
      paid.session.releases.map((r) => [r.cumulativeBytes, r.state]),
      schedule.map((bytes) => [bytes, "mined"]),
    );
    assert.deepEqual(released, schedule, "the seeder verified each release before serving on");
    const [ledger] = paid.session.ledgers.values();
    assert.equal(ledger.voucher, null, "no voucher was signed");
    assert.equal(ledger.receipt?.cumulativeBytes, content.size, "receipts were signed silently");
    assert.equal(ledger.ackedVoucherBytes, content.size);

    // On-chain: one CheckpointReleased per checkpoint, in the leecher's own transactions.
    const events = await swarm.publicClient.getContractEvents({
      address: swarm.contracts.escrow,
      abi: checkpointEscrowAbi,
      eventName: "CheckpointReleased",
      args: { escrowId: paid.escrowId! },
      fromBlock: 0n,
    });
    assert.deepEqual(
      events.map((e) => e.args.cumulativeBytes),
      schedule,
    );
    assert.deepEqual(
      events.map((e) => e.transactionHash),
      paid.session.releases.map((r) => r.txHash),
    );
    const row = seeder.store.get(`escrow:${paid.escrowId}`)!;
    assert.equal(row.voucherSignature, null);
    assert.equal(row.releaseTx, paid.session.releases.at(-1)!.txHash, "stored like an acknowledged voucher");
  });

  it("pays the seeder its price for the bytes it served, with nothing left to redeem", async () => {
    const { redeemed, submitted } = await seeder.flush();
    assert.deepEqual(redeemed, [], "released checkpoints are never redeemed again");
    assert.equal(submitted.length, 1, "the receipts still earn rebates");
    const onChain = await seeder.chain.redeemedBy(paid.escrowId!);
    assert.equal(onChain.amount, amountFor(content.size, PRICE));
    const earnings = await seeder.earnings();
    assert.equal(earnings.redeemed, onChain.amount);
    assert.equal(earnings.pendingVouchers, 0n);
    assert.equal(await seeder.chain.credited(swarm.account(LEECHER).address, content.contentId), content.size);
  });

  it("refunds the rest of the deposit in the seeder's settlement once it closes cooperatively", async () => {
    await paid.close();
    const { waived, refunded: refundedEscrows } = await seeder.flush();
    assert.deepEqual(waived, [paid.escrowId]);
    assert.deepEqual(refundedEscrows, [paid.escrowId], "the only paid seeder waived: it sends the refund, not the leecher");
    const refunded = await swarm.refund(paid.escrowId!);
    assert.equal(refunded.amount, paid.deposit - amountFor(content.size, PRICE));
    assert.equal(await seeder.chain.remaining(paid.escrowId!), 0n);
  });

  it("uploads nothing from the finished download to a plain WebTorrent client", async () => {
    const urls = swarm.announce();
    const plain = swarm.client().add(magnetURI(content.infoHash, urls), { announce: urls, path: join(swarm.dir, "plain") });
    const plainId = plain.client.peerId as string;
    type Wire = { peerId: string; peerInterested: boolean; amChoking: boolean; uploaded: number };
    const leecherWire = () => (paid.torrent as unknown as { wires: Wire[] }).wires.find((w) => w.peerId === plainId);
    // The plain client finds the finished leecher and asks it for pieces ...
    await new Promise<void>((resolve) => {
      const check = () => (leecherWire()?.peerInterested ? resolve() : setTimeout(check, 50));
      check();
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // ... and gets none: the sdk's leecher never unchokes it.
    assert.equal(leecherWire()!.amChoking, true);
    assert.equal(leecherWire()!.uploaded, 0);
    assert.equal(plain.downloaded, 0);
  });

  it("refuses and chokes a leecher that claims a release it never made", async () => {
    const options = await swarm.escrowSession(content, LIAR, PRICE);
    const { escrowId } = options;
    // The liar's "wallet" mines nothing and makes up a transaction hash.
    const session = new LeecherSession({
      ...options,
      payment: "transactions",
      release: async () => `0x${"12".repeat(32)}` as Hash,
    });
    const refusedBySeeder = seederRefusal(session);
    const seederRefused = new Promise<string>((resolve) => seeder.once("refused", (e) => resolve(e.reason)));
    swarm.attach(swarm.client(), content.infoHash, session);
    const { refusal } = await refusedBySeeder;
    assert.equal(refusal.reason, RefusalReason.NoRelease, refusal.message);
    assert.equal(await seederRefused, RefusalReason.NoRelease);
    const [ledger] = session.ledgers.values();
    assert.equal(ledger.received, FIRST_CHECKPOINT, "it got the first interval on credit and nothing more");
    assert.equal((await seeder.chain.redeemedBy(escrowId)).amount, 0n);
  });
});
