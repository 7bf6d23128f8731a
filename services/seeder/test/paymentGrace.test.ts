/**
 * Payment off the critical path (issue 20): the seeder asks for a checkpoint's voucher when its bytes reach it and
 * goes on sending meanwhile, but never more than `PAYMENT_GRACE` (δ) past the checkpoint without a stored voucher
 * covering it. Three leechers of the same 40 MiB content (checkpoints at 10, 30 and 40 MiB) from one seeder at once:
 * one that never pays, one that answers with a voucher short of the checkpoint, and an honest one.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Address } from "viem";
import { FIRST_CHECKPOINT, amountFor } from "@web3torrent/sdk/checkpointSchedule";
import {
  LeecherSession,
  PAYMENT_GRACE,
  RefusalReason,
  type LeecherSessionOptions,
  type RefusalMessage,
  type SeederLedger,
  type VoucherRequestMessage,
  type W3tPayMessage,
} from "@web3torrent/sdk/wire/index";
import type { Seeder } from "../src/seeder.ts";
import { MiB, startSwarm, type Published, type Swarm } from "../src/testing.ts";
import { SilentSession, seederRefusal } from "./leechers.ts";

const PRICE = 10n ** 12n;
const SEEDER = 2;
const VOUCHER_TIMEOUT_MS = 2_000;
/** How far short of the seeder's request the short-paying leecher signs: bytes it did receive. */
const SHORT = BigInt(MiB);

/** Answers each request with a valid voucher (and receipt) for a MiB less than asked: early, but short. */
class ShortSession extends LeecherSession {
  override answer(ledger: SeederLedger, request: VoucherRequestMessage): Promise<W3tPayMessage[]> {
    return super.answer(ledger, {
      ...request,
      cumulativeBytes: request.cumulativeBytes - SHORT,
      voucherBytes: request.voucherBytes! - SHORT,
    });
  }
}

/** Records, for every voucher it signs, the bytes it had received from that seeder at that moment. */
class WatchedSession extends LeecherSession {
  readonly signed: { voucherBytes: bigint; received: bigint; asked: bigint }[] = [];
  override async answer(ledger: SeederLedger, request: VoucherRequestMessage): Promise<W3tPayMessage[]> {
    const received = ledger.received;
    const messages = await super.answer(ledger, request);
    for (const m of messages)
      if (m.type === "voucher") this.signed.push({ voucherBytes: m.cumulativeBytes, received, asked: request.voucherBytes! });
    return messages;
  }
}

interface Leecher<S extends LeecherSession> {
  session: S;
  escrowId: bigint;
  refused: Promise<{ refusal: RefusalMessage; receivedThen: bigint }>;
}

describe("the seeder's grace past a checkpoint", () => {
  let swarm: Swarm;
  let content: Published;
  let seeder: Seeder;
  let silent: Leecher<SilentSession>;
  let short: Leecher<ShortSession>;
  let honest: Leecher<WatchedSession>;
  let honestDone: Promise<void>;

  async function leecher<S extends LeecherSession>(
    index: number,
    Session: new (o: LeecherSessionOptions) => S,
  ): Promise<Leecher<S> & { torrent: ReturnType<Swarm["attach"]> }> {
    await swarm.buyLicense(content.contentId, index);
    const options = await swarm.escrowSession(content, index, PRICE);
    const session = new Session(options);
    const refused = seederRefusal(session);
    const torrent = swarm.attach(swarm.client(), content.infoHash, session);
    return { session, escrowId: options.escrowId, refused, torrent };
  }

  /** What the seeder's store holds for a leecher's escrow: its voucher, and the bound it recorded before sending. */
  function stored(escrowId: bigint) {
    return seeder.store.get(`escrow:${escrowId}`)!;
  }

  function received(session: LeecherSession): bigint {
    return session.ledgers.get(seeder.address as Address)?.received ?? 0n;
  }

  before(async () => {
    swarm = await startSwarm();
    ({ content, seeder } = await swarm.seeded("grace.bin", 40 * MiB, {
      seeder: { accountIndex: SEEDER, pricePerMiB: PRICE, voucherTimeoutMs: VOUCHER_TIMEOUT_MS },
    }));
    silent = await leecher(13, SilentSession);
    short = await leecher(12, ShortSession);
    const watched = await leecher(11, WatchedSession);
    honest = watched;
    honestDone = new Promise((resolve) =>
      (watched.torrent as unknown as { once(e: "done", f: () => void): void }).once("done", () => resolve()),
    );
  });
  after(() => swarm.stop());

  it("a leecher that never pays gets at most one interval plus δ, then nothing", async () => {
    const { refusal, receivedThen } = await silent.refused;
    assert.equal(refusal.reason, RefusalReason.Timeout, refusal.message);
    // It kept requesting: the seeder went on for δ past the checkpoint while waiting, and not one block further.
    assert.equal(receivedThen, FIRST_CHECKPOINT + PAYMENT_GRACE, "the first interval plus δ");
    const row = stored(silent.escrowId);
    assert.equal(row.voucherBytes, 0n);
    assert.ok(row.sentBound <= FIRST_CHECKPOINT + PAYMENT_GRACE, `the seeder recorded ${row.sentBound} bytes sent without a voucher`);
    await honestDone;
    assert.equal(received(silent.session), receivedThen, "nothing after the refusal");
  });

  it("a voucher asked early but short of the checkpoint does not let the seeder pass checkpoint plus δ", async () => {
    const { refusal, receivedThen } = await short.refused;
    assert.equal(refusal.reason, RefusalReason.Timeout, refusal.message);
    const row = stored(short.escrowId);
    assert.ok(row.voucherBytes > 0n && row.voucherBytes < FIRST_CHECKPOINT, `the short voucher (${row.voucherBytes} bytes) was stored`);
    assert.equal(receivedThen, FIRST_CHECKPOINT + PAYMENT_GRACE, "served up to checkpoint plus δ while the voucher came, not past it");
    assert.ok(row.sentBound <= FIRST_CHECKPOINT + PAYMENT_GRACE, `the seeder recorded ${row.sentBound} bytes sent`);
    await honestDone;
    assert.equal(received(short.session), receivedThen, "nothing after the refusal");
  });

  it("serves the honest leecher in full, which signs only for bytes it received", async () => {
    await honestDone;
    const ledger = honest.session.ledgers.get(seeder.address as Address)!;
    assert.equal(ledger.refusal, null);
    assert.equal(ledger.received, content.size);
    assert.ok(honest.session.signed.length >= 3, "a voucher at 10, 30 and 40 MiB");
    for (const { voucherBytes, received, asked } of honest.session.signed) {
      assert.ok(voucherBytes <= received, `signed ${voucherBytes} bytes having received ${received}`);
      assert.ok(voucherBytes <= asked, `signed ${voucherBytes} bytes, asked ${asked}`);
    }
    await honest.session.settle();
    assert.equal(ledger.ackedVoucherBytes, content.size);
    assert.equal(stored(honest.escrowId).voucherAmount, amountFor(content.size, PRICE));
  });
});
