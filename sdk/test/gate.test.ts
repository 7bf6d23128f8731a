/**
 * The send gate of the seeder's extension and the signing rules of the leecher's session, on a stand-in wire:
 * no block leaves before the hello is accepted or past the paid allowance, and the leecher signs only for what
 * it received.
 */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, it } from "node:test";
import { FIRST_CHECKPOINT, amountFor } from "../src/checkpointSchedule.ts";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { SessionKey } from "../src/sessionKey.ts";
import { signAdmission } from "../src/wire/proofs.ts";
import { PAYMENT_GRACE, ServiceAccount } from "../src/wire/accounting.ts";
import { LeecherSession } from "../src/wire/leecherSession.ts";
import { RefusalReason, W3T_PAY, decodeMessage, encodeMessage, type PaymentStrategy, type W3tPayMessage } from "../src/wire/messages.ts";
import { MAX_HELD_BLOCKS, seederExtension, type SeederBackend, type SeederTerms } from "../src/wire/seederExtension.ts";
import type { LeecherSessionOptions } from "../src/wire/leecherSession.ts";
import type { PayWire } from "../src/wire/wire.ts";

const BLOCK = 16 * 1024;
/** Blocks a leecher paying by vouchers is sent past a checkpoint while its voucher comes back. */
const GRACE_BLOCKS = Number(PAYMENT_GRACE) / BLOCK;
const PRICE = 10n ** 12n;
const ESCROW = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const POOL = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
const LEECHER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const SEEDER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const INFOHASH = "11".repeat(20);
const SEEDER_PEER = "22".repeat(20);
const LEECHER_PEER = "33".repeat(20);
const NONCE = `0x${"55".repeat(32)}` as const;

/** The calls a seeder makes on its wire, recorded. */
class FakeWire extends EventEmitter {
  readonly peerId = LEECHER_PEER;
  amChoking = true;
  peerInterested = true;
  hasFast = true;
  destroyed = false;
  downloaded = 0;
  peerExtendedMapping: Record<string, number> = { [W3T_PAY]: 1 };
  extendedHandshake: Record<string, unknown> = {};
  sentBlocks = 0;
  rejected = 0;
  sent: W3tPayMessage[] = [];
  unchoke(): void {
    this.amChoking = false;
  }
  choke(): void {
    this.amChoking = true;
  }
  piece(): void {
    this.sentBlocks++;
  }
  reject(): void {
    this.rejected++;
  }
  destroy(): void {
    this.destroyed = true;
  }
  extended(_ext: string | number, payload: Uint8Array): void {
    this.sent.push(decodeMessage(payload));
  }
}

const terms: SeederTerms = {
  chainId: 31337,
  market: POOL,
  escrow: ESCROW,
  rebatePool: POOL,
  contentId: 1n,
  seeder: SEEDER,
  pricePerMiB: PRICE,
  firstCheckpoint: FIRST_CHECKPOINT,
  modes: ["exponential", "upfront"],
  voucherTimeoutMs: 50,
  acceptsReleases: false,
  releaseTimeoutMs: 50,
};

function setup(
  sessionKey: SessionKey,
  size = 4n * FIRST_CHECKPOINT,
  {
    termsOverride = {},
    storeRelease,
    stores = {},
  }: {
    termsOverride?: Partial<SeederTerms>;
    storeRelease?: SeederBackend["storeRelease"];
    stores?: Partial<Pick<SeederBackend, "storeVoucher" | "storeReceipt" | "secure">>;
  } = {},
) {
  const account = new ServiceAccount({
    key: "escrow:1",
    leecher: LEECHER,
    sessionKey: sessionKey.address,
    contentId: 1n,
    escrowId: 1n,
    mode: "exponential",
    maxBytes: size,
    pricePerMiB: PRICE,
    priceCapPerMiB: PRICE,
    delegation: { expiry: 1n, signature: "0x00" },
  });
  const stored: string[] = [];
  const backend: SeederBackend = {
    admit: async () => ({ account }),
    storeVoucher: async (_a, v) => {
      stored.push(`voucher ${v.cumulativeBytes}`);
    },
    storeReceipt: async (_a, r) => {
      stored.push(`receipt ${r.cumulativeBytes}`);
    },
    storeRelease,
    ...stores,
  };
  const Extension = seederExtension({
    terms: { ...terms, ...termsOverride },
    backend,
    identity: { signer: privateKeyToAccount(generatePrivateKey()), delegation: null },
    localPeer: { infoHash: INFOHASH, peerId: SEEDER_PEER },
  });
  const wire = new FakeWire();
  const ext = new Extension(wire as unknown as PayWire);
  return { wire, ext, account, stored };
}

/** The leecher's hello on `wire`, its proof signing the nonce of the terms the seeder sent there. */
async function hello(key: SessionKey, wire: FakeWire, payment: PaymentStrategy = "vouchers"): Promise<W3tPayMessage> {
  const terms = wire.sent.find((m) => m.type === "terms");
  assert.ok(terms?.type === "terms", "the seeder sent its terms");
  const binding = { infoHash: INFOHASH, seederPeerId: SEEDER_PEER, leecherPeerId: LEECHER_PEER };
  return {
    type: "hello",
    account: LEECHER,
    escrowId: 1n,
    sessionKey: key.address,
    delegation: { expiry: 1n, signature: "0x00" },
    payment,
    nonce: `0x${"44".repeat(32)}`,
    proof: await signAdmission(key, terms.chainId, binding, terms.nonce),
  };
}
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
/** Waits (a few seconds at most) until `check` holds. */
async function until(check: () => boolean): Promise<void> {
  for (let waited = 0; !check(); waited += 5) {
    assert.ok(waited < 5_000, "timed out");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
const serve = (wire: FakeWire, blocks: number) => {
  for (let i = 0; i < blocks; i++) (wire as unknown as PayWire).piece(0, 0, new Uint8Array(BLOCK));
};

/** The leecher's side of escrow 1 (the whole content, exponential, at the seeder's price), signing with `key`. */
function leecherOptions(key: SessionKey): LeecherSessionOptions {
  return {
    chainId: terms.chainId,
    contracts: { market: POOL, escrow: ESCROW, rebatePool: POOL },
    contentId: 1n,
    account: LEECHER,
    escrowId: 1n,
    mode: "exponential",
    maxBytes: 4n * FIRST_CHECKPOINT,
    pricePerMiBCap: PRICE,
    sessionKey: key,
    delegation: { account: LEECHER, sessionKey: key.address, expiry: 1n, signature: "0x00" },
  };
}

type Gate = ReturnType<typeof setup>;

/** A w3t_pay leecher's handshake and hello; resolves once the seeder admitted it (the proof checked, the identity signed). */
async function admit({ wire, ext }: Gate, key: SessionKey, payment: PaymentStrategy = "vouchers"): Promise<void> {
  ext.onExtendedHandshake?.({ m: { [W3T_PAY]: 1 } });
  ext.onMessage?.(encodeMessage(await hello(key, wire, payment)));
  await until(() => !wire.amChoking);
}

/** The leecher pays the first checkpoint: its receipt, then its voucher, signed by `key`. */
async function payFirstCheckpoint({ ext }: Gate, key: SessionKey): Promise<void> {
  const ctx = { chainId: terms.chainId, escrow: ESCROW, rebatePool: POOL } as const;
  const voucher = {
    escrowId: 1n,
    seeder: SEEDER,
    cumulativeBytes: FIRST_CHECKPOINT,
    cumulativeAmount: amountFor(FIRST_CHECKPOINT, PRICE),
  } as const;
  const receipt = { leecher: LEECHER, seeder: SEEDER, contentId: 1n, cumulativeBytes: FIRST_CHECKPOINT } as const;
  ext.onMessage?.(encodeMessage({ type: "receipt", ...receipt, signature: await key.signReceipt(ctx, receipt) }));
  ext.onMessage?.(encodeMessage({ type: "voucher", ...voucher, signature: await key.signVoucher(ctx, voucher) }));
}

describe("the seeder's send gate", () => {
  it("announces as its BEP 10 reqq the number of requests it can hold at a checkpoint", () => {
    const { wire } = setup(SessionKey.generate());
    assert.equal(wire.extendedHandshake.reqq, MAX_HELD_BLOCKS);
  });

  it("never unchokes nor sends a block to a peer that did not say hello", () => {
    const { wire, ext } = setup(SessionKey.generate());
    ext.onExtendedHandshake?.({ m: {} }); // a plain peer: no w3t_pay in its handshake
    (wire as unknown as PayWire).unchoke();
    serve(wire, 3);
    assert.equal(wire.amChoking, true);
    assert.equal(wire.sentBlocks, 0);
    assert.equal(wire.rejected, 3);
    assert.deepEqual(wire.sent, []);
  });

  it("asks at the first checkpoint, serves δ more, holds, and resumes once the voucher and receipt are stored", async () => {
    const key = SessionKey.generate();
    const { wire, ext, stored } = setup(key);
    ext.onExtendedHandshake?.({ m: { [W3T_PAY]: 1 } });
    assert.equal(wire.sent[0].type, "terms");
    ext.onMessage?.(encodeMessage(await hello(key, wire)));
    await until(() => !wire.amChoking); // admitted: the proof checked, the identity signed
    assert.equal(wire.amChoking, false);

    const perCheckpoint = Number(FIRST_CHECKPOINT) / BLOCK;
    serve(wire, perCheckpoint);
    const request = wire.sent.at(-1)!;
    serve(wire, GRACE_BLOCKS + 5);
    assert.equal(wire.sentBlocks, perCheckpoint + GRACE_BLOCKS, "not one block past the checkpoint plus δ: 5 are held");
    assert.equal(wire.sent.filter((m) => m.type === "voucher_request").length, 1, "asked once, at the checkpoint");
    assert.deepEqual(request, {
      type: "voucher_request",
      cumulativeBytes: FIRST_CHECKPOINT,
      voucherBytes: FIRST_CHECKPOINT,
      voucherAmount: amountFor(FIRST_CHECKPOINT, PRICE),
    });

    const session = new LeecherSession(leecherOptions(key));
    const ledger = session.ledgerFor({ ...terms, type: "terms", nonce: NONCE });
    ledger.received = FIRST_CHECKPOINT;
    const answer = await session.answer(ledger, request as never);
    assert.deepEqual(
      answer.map((m) => m.type),
      ["voucher", "receipt"],
    );
    for (const message of answer) ext.onMessage?.(encodeMessage(message));
    await tick();
    await tick();
    assert.deepEqual(stored, [`voucher ${FIRST_CHECKPOINT}`, `receipt ${FIRST_CHECKPOINT}`]);
    assert.equal(wire.sentBlocks, perCheckpoint + GRACE_BLOCKS + 5, "the held blocks went out once both were stored");
    assert.deepEqual(wire.sent.filter((m) => m.type === "ack").length, 2);
    serve(wire, 1);
    assert.equal(wire.sentBlocks, perCheckpoint + GRACE_BLOCKS + 6);
  });

  it("acknowledges a stored voucher at once and holds at voucher + δ, without a timer, until the seeder secured the next interval", async () => {
    const key = SessionKey.generate();
    // The seeder's reservation on-chain: resolved when the test says so.
    const securing: ((refusal: null) => void)[] = [];
    const gate = setup(key, 4n * FIRST_CHECKPOINT, { stores: { secure: () => new Promise((done) => securing.push(done)) } });
    const { wire } = gate;
    await admit(gate, key);
    const limit = Number(FIRST_CHECKPOINT) / BLOCK + GRACE_BLOCKS;
    serve(wire, limit + 5);
    await payFirstCheckpoint(gate, key);
    await until(() => securing.length > 0);
    assert.equal(wire.sent.filter((m) => m.type === "ack").length, 2, "both acknowledged while the reservation is under way");
    // Longer than the voucher timeout (50 ms): the wait is the seeder's, the peer is not refused for it.
    await new Promise((resolve) => setTimeout(resolve, 120));
    assert.equal(wire.sentBlocks, limit, "not one block past voucher + δ before the next interval is secured");
    assert.equal(wire.sent.filter((m) => m.type === "refusal").length, 0);
    assert.equal(wire.sent.filter((m) => m.type === "voucher_request").length, 1, "nothing more asked of the peer");
    securing.shift()!(null);
    await until(() => wire.sentBlocks === limit + 5);
    serve(wire, 1);
    assert.equal(wire.sentBlocks, limit + 6, "served on into the secured interval");
  });

  it("refuses the peer when the seeder cannot secure the next interval", async () => {
    const key = SessionKey.generate();
    const gate = setup(key, 4n * FIRST_CHECKPOINT, {
      stores: { secure: async () => ({ reason: RefusalReason.EscrowExhausted, message: "drained" }) },
    });
    const { wire } = gate;
    await admit(gate, key);
    const limit = Number(FIRST_CHECKPOINT) / BLOCK + GRACE_BLOCKS;
    serve(wire, limit + 5);
    await payFirstCheckpoint(gate, key);
    await until(() => wire.sent.some((m) => m.type === "refusal"));
    const refusal = wire.sent.find((m) => m.type === "refusal");
    assert.equal(refusal?.type === "refusal" && refusal.reason, RefusalReason.EscrowExhausted);
    assert.equal(wire.sentBlocks, limit, "nothing past voucher + δ");
    assert.equal(wire.amChoking, true);
  });

  it("sends no ack and no block past the checkpoint until the backend has stored the receipt and the voucher", async () => {
    const key = SessionKey.generate();
    // Each store resolves only when the test says so: a durable write still under way.
    const pending: { what: string; done: () => void }[] = [];
    const held = (what: string) => new Promise<void>((done) => pending.push({ what, done }));
    const gate = setup(key, 4n * FIRST_CHECKPOINT, {
      stores: { storeVoucher: () => held("voucher"), storeReceipt: () => held("receipt") },
    });
    const { wire } = gate;
    await admit(gate, key);
    const limit = Number(FIRST_CHECKPOINT) / BLOCK + GRACE_BLOCKS;
    serve(wire, limit + 5);
    assert.equal(wire.sentBlocks, limit);
    const acks = () => wire.sent.filter((m) => m.type === "ack").length;

    await payFirstCheckpoint(gate, key);
    await until(() => pending.length > 0);
    assert.deepEqual(
      pending.map((p) => p.what),
      ["receipt"],
      "one message at a time: the voucher waits for the receipt's store",
    );
    assert.equal(acks(), 0, "no ack before the receipt is stored");
    pending.shift()!.done();
    await until(() => pending.length > 0);
    assert.deepEqual(
      pending.map((p) => p.what),
      ["voucher"],
    );
    assert.equal(acks(), 1, "the receipt is acknowledged once stored");
    assert.equal(wire.sentBlocks, limit, "no block while the voucher is being stored");
    pending.shift()!.done();
    await until(() => acks() === 2);
    assert.equal(wire.sentBlocks, limit + 5, "the held blocks go out once the voucher is stored");
  });

  it("refuses a peer that does not pay within the timeout, for good", async () => {
    const key = SessionKey.generate();
    const gate = setup(key);
    const { wire } = gate;
    await admit(gate, key);
    serve(wire, Number(FIRST_CHECKPOINT) / BLOCK + GRACE_BLOCKS);
    serve(wire, 3); // held while the voucher is due ...
    await new Promise((resolve) => setTimeout(resolve, terms.voucherTimeoutMs + 20));
    const refusal = wire.sent.at(-1)!;
    assert.equal(refusal.type === "refusal" && refusal.reason, RefusalReason.Timeout);
    assert.equal(wire.rejected, 3, "... and rejected at the timeout");
    (wire as unknown as PayWire).unchoke();
    serve(wire, 1);
    assert.equal(wire.amChoking, true);
    assert.equal(wire.sentBlocks, Number(FIRST_CHECKPOINT) / BLOCK + GRACE_BLOCKS);
  });
});

describe("the leecher's signing rules", () => {
  const key = SessionKey.generate();
  const options = leecherOptions(key);

  it("signs a voucher for the bytes received, not the bytes claimed", async () => {
    const session = new LeecherSession({ ...options, mode: "exponential" });
    const ledger = session.ledgerFor({ ...terms, type: "terms", nonce: NONCE });
    ledger.received = FIRST_CHECKPOINT / 2n;
    const [voucher, receipt] = await session.answer(ledger, {
      type: "voucher_request",
      cumulativeBytes: FIRST_CHECKPOINT,
      voucherBytes: FIRST_CHECKPOINT,
      voucherAmount: 1n,
    });
    assert.equal(voucher.type === "voucher" && voucher.cumulativeBytes, FIRST_CHECKPOINT / 2n);
    assert.equal(voucher.type === "voucher" && voucher.cumulativeAmount, amountFor(FIRST_CHECKPOINT / 2n, PRICE));
    assert.equal(receipt.type === "receipt" && receipt.cumulativeBytes, FIRST_CHECKPOINT / 2n);
  });

  it("pays nothing more to the seeders that sent part of a piece that failed its hash check", async () => {
    const session = new LeecherSession({ ...options, mode: "exponential" });
    const honest = session.ledgerFor({ ...terms, type: "terms", nonce: NONCE });
    const liar = session.ledgerFor({ ...terms, type: "terms", nonce: NONCE, seeder: POOL });
    const refusedOnItsWire: string[] = [];
    liar.refusers.add((refusal) => refusedOnItsWire.push(refusal.reason));
    session.blockReceived(honest, 0, FIRST_CHECKPOINT / 2n);
    session.blockReceived(liar, 1, FIRST_CHECKPOINT);
    session.blockReceived(honest, 2, FIRST_CHECKPOINT / 2n);
    session.pieceVerified(0);
    session.pieceFailed(1);
    assert.deepEqual(refusedOnItsWire, [RefusalReason.BadData], "refused on its live wire at once");
    const request = {
      type: "voucher_request" as const,
      cumulativeBytes: FIRST_CHECKPOINT,
      voucherBytes: FIRST_CHECKPOINT,
      voucherAmount: 1n,
    };
    const [refusal, ...more] = await session.answer(liar, request);
    assert.equal(refusal.type === "refusal" && refusal.reason, RefusalReason.BadData);
    assert.deepEqual(more, [], "no voucher and no receipt for the seeder of bad data");
    assert.equal(liar.voucher, null);
    const [voucher] = await session.answer(honest, request);
    assert.equal(voucher.type === "voucher" && voucher.cumulativeBytes, FIRST_CHECKPOINT, "the other seeder is paid as before");
    assert.equal(await session.settle(0), true, "a refused seeder is not waited for");
  });

  it("refuses terms above its price cap, and a second upfront seeder", async () => {
    const session = new LeecherSession({ ...options, mode: "upfront" });
    assert.equal(session.checkTerms({ ...terms, type: "terms", nonce: NONCE, pricePerMiB: PRICE + 1n })?.reason, RefusalReason.Price);
    const first = session.ledgerFor({ ...terms, type: "terms", nonce: NONCE });
    const second = session.ledgerFor({ ...terms, type: "terms", nonce: NONCE, seeder: POOL });
    const request = { type: "voucher_request" as const, cumulativeBytes: 0n, voucherBytes: options.maxBytes, voucherAmount: 1n };
    const [upfront] = await session.answer(first, request);
    assert.equal(upfront.type === "voucher" && upfront.cumulativeAmount, amountFor(options.maxBytes, PRICE));
    const [refusal] = await session.answer(second, request);
    assert.equal(refusal.type === "refusal" && refusal.reason, RefusalReason.UpfrontTaken);
  });
});

describe("checkpoints paid by on-chain releases", () => {
  const TX = `0x${"cd".repeat(32)}` as const;
  const released = (cumulativeBytes: bigint): W3tPayMessage => ({
    type: "released",
    escrowId: 1n,
    seeder: SEEDER,
    cumulativeBytes,
    txHash: TX,
  });
  const accepting = { acceptsReleases: true, voucherTimeoutMs: 20, releaseTimeoutMs: 5_000 };

  /** A seeder that accepts releases, with a leecher paying by transactions at its first checkpoint (5 blocks held). */
  async function atFirstCheckpoint(storeRelease: SeederBackend["storeRelease"], termsOverride: Partial<SeederTerms> = accepting) {
    const key = SessionKey.generate();
    const setupResult = setup(key, 4n * FIRST_CHECKPOINT, { termsOverride, storeRelease });
    await admit(setupResult, key, "transactions");
    serve(setupResult.wire, Number(FIRST_CHECKPOINT) / BLOCK + 5);
    return { ...setupResult, key };
  }

  it("waits the release timeout, not the voucher's, and resumes once the backend verified and stored the release", async () => {
    const verified: bigint[] = [];
    const { wire, ext, account, key } = await atFirstCheckpoint(async (_a, r) => {
      verified.push(r.cumulativeBytes);
      return { redeemed: amountFor(r.cumulativeBytes, PRICE) };
    });
    await new Promise((resolve) => setTimeout(resolve, 3 * accepting.voucherTimeoutMs));
    assert.ok(!wire.sent.some((m) => m.type === "refusal"), "a wallet prompt gets the longer release timeout");
    const receipt = await key.signReceipt(
      { chainId: terms.chainId, escrow: ESCROW, rebatePool: POOL },
      { leecher: LEECHER, seeder: SEEDER, contentId: 1n, cumulativeBytes: FIRST_CHECKPOINT },
    );
    ext.onMessage?.(encodeMessage(released(FIRST_CHECKPOINT)));
    ext.onMessage?.(
      encodeMessage({
        type: "receipt",
        leecher: LEECHER,
        seeder: SEEDER,
        contentId: 1n,
        cumulativeBytes: FIRST_CHECKPOINT,
        signature: receipt,
      }),
    );
    await tick();
    await tick();
    await tick();
    assert.deepEqual(verified, [FIRST_CHECKPOINT]);
    assert.equal(account.voucherBytes, FIRST_CHECKPOINT);
    assert.equal(account.voucherAmount, amountFor(FIRST_CHECKPOINT, PRICE), "the amount stored is what the chain paid");
    assert.equal(wire.sentBlocks, Number(FIRST_CHECKPOINT) / BLOCK + 5, "the held blocks went out");
    assert.ok(wire.sent.some((m) => m.type === "ack" && m.voucherBytes === FIRST_CHECKPOINT));
  });

  it("refuses and chokes a peer whose release the chain does not show, like a forged voucher", async () => {
    const { wire, ext } = await atFirstCheckpoint(async () => ({
      refusal: { reason: RefusalReason.NoRelease, message: "nothing released" },
    }));
    ext.onMessage?.(encodeMessage(released(FIRST_CHECKPOINT)));
    await tick();
    await tick();
    const refusal = wire.sent.at(-1)!;
    assert.equal(refusal.type === "refusal" && refusal.reason, RefusalReason.NoRelease);
    assert.equal(wire.amChoking, true);
    assert.equal(wire.rejected, 5, "the held blocks are dropped");
    assert.equal(wire.sentBlocks, Number(FIRST_CHECKPOINT) / BLOCK);
  });

  it("refuses a release that is not a checkpoint of the escrow without asking the chain", async () => {
    let asked = false;
    const { wire, ext } = await atFirstCheckpoint(async () => {
      asked = true;
      return { redeemed: 0n };
    });
    ext.onMessage?.(encodeMessage(released(FIRST_CHECKPOINT - BigInt(BLOCK))));
    await tick();
    const refusal = wire.sent.at(-1)!;
    assert.equal(refusal.type === "refusal" && refusal.reason, RefusalReason.BadAmount);
    assert.equal(asked, false);
  });

  it("refuses releases when its terms do not accept them", async () => {
    const { wire, ext } = await atFirstCheckpoint(undefined, { acceptsReleases: false });
    ext.onMessage?.(encodeMessage(released(FIRST_CHECKPOINT)));
    await tick();
    const refusal = wire.sent.at(-1)!;
    assert.equal(refusal.type === "refusal" && refusal.reason, RefusalReason.Terms);
    assert.equal(wire.amChoking, true);
  });
});

describe("the leecher paying by transactions", () => {
  const key = SessionKey.generate();
  const TX = `0x${"ef".repeat(32)}` as const;
  const request = (bytes: bigint) => ({
    type: "voucher_request" as const,
    cumulativeBytes: bytes,
    voucherBytes: bytes,
    voucherAmount: amountFor(bytes, PRICE),
  });

  function session(release: LeecherSessionOptions["release"]) {
    const s = new LeecherSession({ ...leecherOptions(key), payment: "transactions", release });
    const ledger = s.ledgerFor({ ...terms, type: "terms", nonce: NONCE, acceptsReleases: true });
    const sent: W3tPayMessage[] = [];
    ledger.senders.add((m) => sent.push(m));
    return { s, ledger, sent };
  }

  it("refuses a seeder that takes vouchers only, and says it pays by transactions in its hello", async () => {
    const { s } = session(async () => TX);
    assert.equal(s.checkTerms({ ...terms, type: "terms", nonce: NONCE, acceptsReleases: false })?.reason, RefusalReason.Terms);
    assert.equal(s.checkTerms({ ...terms, type: "terms", nonce: NONCE, acceptsReleases: true }), null);
    const binding = { infoHash: INFOHASH, seederPeerId: SEEDER_PEER, leecherPeerId: LEECHER_PEER };
    assert.equal((await s.hello(binding, NONCE, `0x${"44".repeat(32)}`)).payment, "transactions");
  });

  it("releases the last checkpoint its received bytes reached, signs only the receipt silently, and sends released once mined", async () => {
    const asked: bigint[] = [];
    const { s, ledger, sent } = session(async (r) => {
      asked.push(r.cumulativeBytes);
      return TX;
    });
    ledger.received = FIRST_CHECKPOINT + 5n; // a little past the checkpoint
    const answer = await s.answer(ledger, request(FIRST_CHECKPOINT + 5n));
    assert.deepEqual(
      answer.map((m) => m.type),
      ["receipt"],
      "no voucher: the wallet pays",
    );
    await tick();
    assert.deepEqual(asked, [FIRST_CHECKPOINT], "only a checkpoint of the schedule can be released");
    assert.deepEqual(sent, [{ type: "released", escrowId: 1n, seeder: SEEDER, cumulativeBytes: FIRST_CHECKPOINT, txHash: TX }]);
    assert.deepEqual(
      s.releases.map((r) => r.state),
      ["mined"],
    );
    await s.answer(ledger, request(FIRST_CHECKPOINT + 5n));
    await tick();
    assert.deepEqual(asked, [FIRST_CHECKPOINT], "the same checkpoint is not released twice");
  });

  it("pauses when the wallet declines (no more prompts), and asks again on resume", async () => {
    let decline = true;
    const asked: bigint[] = [];
    const { s, ledger, sent } = session(async (r) => {
      asked.push(r.cumulativeBytes);
      if (decline) throw Object.assign(new Error("User rejected the request."), { cause: { code: 4001 } });
      return TX;
    });
    ledger.received = FIRST_CHECKPOINT;
    await s.answer(ledger, request(FIRST_CHECKPOINT));
    await tick();
    assert.equal(s.paused?.release.state, "declined");
    assert.match(s.paused!.message, /declined.*close the escrow/s);
    await s.answer(ledger, request(FIRST_CHECKPOINT));
    await tick();
    assert.deepEqual(asked, [FIRST_CHECKPOINT], "paused: the wallet is not asked again by itself");
    assert.equal(sent.length, 0, "nothing was sent to the seeder");
    decline = false;
    s.resume();
    await tick();
    assert.equal(s.paused, null);
    assert.deepEqual(asked, [FIRST_CHECKPOINT, FIRST_CHECKPOINT]);
    assert.deepEqual(
      s.releases.map((r) => r.state),
      ["declined", "mined"],
    );
    assert.equal(sent[0]?.type, "released");
  });
});
