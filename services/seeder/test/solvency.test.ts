/**
 * Vouchers are not reservations: the leecher's key can sign the deposit to another address that redeems first. The
 * seeder serves its first interval only while the escrow's remaining deposit covers it, and every later interval only
 * once it has redeemed its voucher and reserved that interval in the escrow (`redeemAndReserve`), so a drain at the
 * worst moment — mined while it serves an interval — costs it at most one interval (+ δ, `PAYMENT_GRACE`). A peer whose deposit is all
 * reserved or paid out is still admitted by the seeder whose reservation pays its next interval.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { FIRST_CHECKPOINT, amountFor } from "@web3torrent/sdk/checkpointSchedule";
import { checkpointEscrowAbi } from "@web3torrent/sdk/generated/contracts";
import {
  LeecherSession,
  PAYMENT_GRACE,
  RefusalReason,
  type SeederLedger,
  type VoucherRequestMessage,
  type W3tPayMessage,
} from "@web3torrent/sdk/wire/index";
import type { Seeder } from "../src/seeder.ts";
import { MiB, startSwarm, type Published, type Swarm } from "../src/testing.ts";
import { seederRefusal } from "./leechers.ts";

const PRICE = 10n ** 12n;
const SEEDER = 2;
const LEECHER = 3;
const SYBIL = 6;
const SECOND_CHECKPOINT = 3n * FIRST_CHECKPOINT;
const MID_LEECHER = 5;
const MID_SYBIL = 7;
const RECONNECT_LEECHER = 8;
const RECONNECT_SYBIL = 9;

describe("a leecher that signs its deposit to a sybil seeder", () => {
  let swarm: Swarm;
  let content: Published;
  let seeder: Seeder;

  before(async () => {
    swarm = await startSwarm();
    // Checkpoints at 10, 30 and 40 MiB.
    ({ content, seeder } = await swarm.seeded("drained.bin", 40 * MiB, {
      licensees: [LEECHER],
      seeder: { accountIndex: SEEDER, pricePerMiB: PRICE },
    }));
  });
  after(() => swarm.stop());

  it("is refused at the checkpoint where the escrow no longer covers the voucher held plus the next interval: the seeder is paid all it served", async () => {
    const sybil = swarm.wallet(SYBIL);
    let drained = false;
    /** Right before paying the second checkpoint, has a sybil redeem the first interval's worth of the deposit. */
    class DrainingSession extends LeecherSession {
      override async answer(ledger: SeederLedger, request: VoucherRequestMessage): Promise<W3tPayMessage[]> {
        if (!drained && request.voucherBytes === SECOND_CHECKPOINT) {
          drained = true;
          const voucher = {
            escrowId: this.options.escrowId!,
            seeder: sybil.account.address,
            cumulativeBytes: FIRST_CHECKPOINT,
            cumulativeAmount: amountFor(FIRST_CHECKPOINT, PRICE),
          };
          const signature = await this.options.sessionKey.signVoucher(this.signingContext, voucher);
          const hash = await sybil.writeContract({
            address: swarm.contracts.escrow,
            abi: checkpointEscrowAbi,
            functionName: "redeem",
            args: [voucher, signature],
          });
          await swarm.publicClient.waitForTransactionReceipt({ hash });
        }
        return super.answer(ledger, request);
      }
    }
    const options = await swarm.escrowSession(content, LEECHER, PRICE);
    const { escrowId } = options;
    const session = new DrainingSession(options);
    const refused = seederRefusal(session);
    swarm.attach(swarm.client(), content.infoHash, session);
    const { refusal } = await refused;
    assert.equal(refusal.reason, RefusalReason.EscrowExhausted, refusal.message);
    const ledger = session.ledgers.get(seeder.address)!;
    // The seeder goes on for δ past a checkpoint while its voucher comes back, and not a block further.
    assert.ok(ledger.received >= SECOND_CHECKPOINT, `received ${ledger.received} bytes`);
    assert.ok(
      ledger.received <= SECOND_CHECKPOINT + PAYMENT_GRACE,
      `served ${ledger.received - SECOND_CHECKPOINT} bytes past the checkpoint the escrow cannot cover`,
    );

    await seeder.flush();
    const { amount } = await seeder.chain.redeemedBy(escrowId);
    assert.equal(amount, amountFor(SECOND_CHECKPOINT, PRICE), "the seeder redeemed everything up to the checkpoint: it lost at most δ");
  });

  it("loses nothing it served to a drain mined in the middle of an interval: its reservation pays the interval", async () => {
    await swarm.buyLicense(content.contentId, MID_LEECHER);
    const sybil = swarm.wallet(MID_SYBIL);
    let drain: Promise<unknown> | null = null;
    /** Halfway through the last interval (30 to 40 MiB), after the seeder checked and resumed, signs the whole
     * deposit to a sybil that redeems it. */
    class MidIntervalDrain extends LeecherSession {
      override blockReceived(ledger: SeederLedger, index: number, bytes: bigint): void {
        super.blockReceived(ledger, index, bytes);
        if (drain === null && ledger.received >= SECOND_CHECKPOINT + BigInt(4 * MiB)) drain = this.#drain();
      }
      async #drain(): Promise<unknown> {
        const voucher = {
          escrowId: this.options.escrowId!,
          seeder: sybil.account.address,
          cumulativeBytes: content.size,
          cumulativeAmount: amountFor(content.size, PRICE),
        };
        const signature = await this.options.sessionKey.signVoucher(this.signingContext, voucher);
        // Reverts DepositExhausted when nothing is left that the seeder did not reserve: the drain took nothing.
        return sybil
          .writeContract({ address: swarm.contracts.escrow, abi: checkpointEscrowAbi, functionName: "redeem", args: [voucher, signature] })
          .then((hash) => swarm.publicClient.waitForTransactionReceipt({ hash }))
          .catch((error: Error) => error);
      }
      override async answer(ledger: SeederLedger, request: VoucherRequestMessage): Promise<W3tPayMessage[]> {
        if (drain) await drain;
        return super.answer(ledger, request);
      }
    }
    const options = await swarm.escrowSession(content, MID_LEECHER, PRICE);
    const { escrowId } = options;
    const session = new MidIntervalDrain(options);
    const torrent = swarm.attach(swarm.client(), content.infoHash, session);
    await new Promise<void>((resolve) => torrent.once("done", () => resolve()));
    assert.ok(drain, "the sybil redeemed mid-interval");
    await drain;
    assert.ok(await session.settle(), "the leecher's last voucher reached the seeder");
    const served = session.ledgers.get(seeder.address)!.received;
    assert.equal(served, content.size);

    await seeder.flush();
    const { amount } = await seeder.chain.redeemedBy(escrowId);
    assert.equal(amount, amountFor(served, PRICE), "the seeder redeemed everything it served, the drain notwithstanding");
  });

  it("admits a new wire of a leecher whose deposit others drained while its own reservation covers the next interval", async () => {
    await swarm.buyLicense(content.contentId, RECONNECT_LEECHER);
    const sybil = swarm.wallet(RECONNECT_SYBIL);
    const options = await swarm.escrowSession(content, RECONNECT_LEECHER, PRICE);
    const { escrowId } = options;
    const session = new LeecherSession(options);
    let first: ReturnType<Swarm["attach"]> | null = null;
    // Once the seeder acknowledged the first voucher (its redemption and reservation mined), the leecher drops its
    // wire (before the reserved interval is served and paid) and its key signs the rest of the deposit to a sybil,
    // which redeems it: nothing is left that no seeder reserved.
    const drained = new Promise<void>((resolve, reject) => {
      let started = false;
      session.observer = {
        ack: (ledger) => {
          if (started || ledger.ackedVoucherBytes < FIRST_CHECKPOINT) return;
          started = true;
          first!.destroy();
          const voucher = {
            escrowId,
            seeder: sybil.account.address,
            cumulativeBytes: content.size,
            cumulativeAmount: amountFor(content.size, PRICE),
          };
          session.options.sessionKey
            .signVoucher(session.signingContext, voucher)
            .then((signature) =>
              sybil.writeContract({
                address: swarm.contracts.escrow,
                abi: checkpointEscrowAbi,
                functionName: "redeem",
                args: [voucher, signature],
              }),
            )
            .then((hash) => swarm.publicClient.waitForTransactionReceipt({ hash }))
            .then(() => resolve(), reject);
        },
      };
    });
    const admitted: unknown[] = [];
    const refusedAtHello: string[] = [];
    const onAdmitted = (e: { account: { escrowId: bigint | null } }) => e.account.escrowId === escrowId && admitted.push(e);
    const onRefused = (e: { account: unknown; message: string }) => e.account === null && refusedAtHello.push(e.message);
    seeder.on("admitted", onAdmitted);
    seeder.on("refused", onRefused);
    try {
      first = swarm.attach(swarm.client(), content.infoHash, session);
      await drained;
      const remaining = await seeder.chain.remaining(escrowId);
      assert.equal(remaining, 0n, "the sybil took everything unreserved");
      const { reserved } = await seeder.chain.redeemedBy(escrowId);
      assert.ok(reserved > 0n, "the seeder holds its reservation of the next interval");
      // The leecher reconnects: a new wire says hello.
      swarm.attach(swarm.client(), content.infoHash, session);
      const deadline = Date.now() + 60_000;
      while (admitted.length < 2 && refusedAtHello.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(refusedAtHello, [], "no wire refused at its hello");
      assert.equal(admitted.length, 2, "the new wire was admitted on the seeder's reservation");
    } finally {
      seeder.off("admitted", onAdmitted);
      seeder.off("refused", onRefused);
    }
  });
});
