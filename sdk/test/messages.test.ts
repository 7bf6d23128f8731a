/**
 * The w3t_pay message codec: every message round-trips; anything else is refused with the reason the peer is told.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  MAX_MESSAGE_BYTES,
  RefusalReason,
  WireMessageError,
  decodeMessage,
  encodeMessage,
  type W3tPayMessage,
} from "../src/wire/messages.ts";

const A = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const B = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const SIG = `0x${"ab".repeat(65)}` as const;
const TX = `0x${"cd".repeat(32)}` as const;
const NONCE = `0x${"ef".repeat(32)}` as const;
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function refusedWith(bytes: Uint8Array, reason: RefusalReason): void {
  assert.throws(
    () => decodeMessage(bytes),
    (error: unknown) => error instanceof WireMessageError && error.reason === reason,
  );
}

const messages: W3tPayMessage[] = [
  {
    type: "terms",
    chainId: 31337,
    market: A,
    escrow: B,
    rebatePool: A,
    contentId: 7n,
    seeder: B,
    pricePerMiB: 10n ** 12n,
    firstCheckpoint: 10n * 2n ** 20n,
    modes: ["exponential", "upfront"],
    voucherTimeoutMs: 30_000,
    acceptsReleases: true,
    releaseTimeoutMs: 300_000,
    nonce: NONCE,
  },
  {
    type: "hello",
    account: A,
    escrowId: 3n,
    sessionKey: B,
    delegation: { expiry: 1_900_000_000n, signature: SIG },
    payment: "vouchers",
    nonce: NONCE,
    proof: SIG,
  },
  {
    type: "hello",
    account: A,
    escrowId: null,
    sessionKey: B,
    delegation: { expiry: 1n, signature: `0x${"01".repeat(300)}` },
    payment: "transactions",
    nonce: NONCE,
    proof: SIG,
  },
  { type: "identity", signer: A, delegation: null, signature: SIG },
  { type: "identity", signer: B, delegation: { expiry: 1_900_000_000n, signature: SIG }, signature: SIG },
  { type: "voucher_request", cumulativeBytes: 31457280n, voucherBytes: 31457280n, voucherAmount: 30n * 10n ** 12n },
  { type: "voucher_request", cumulativeBytes: 10485760n, voucherBytes: null, voucherAmount: null },
  { type: "voucher", escrowId: 3n, seeder: B, cumulativeBytes: 2n ** 70n, cumulativeAmount: 2n ** 255n, signature: SIG },
  { type: "released", escrowId: 3n, seeder: B, cumulativeBytes: 2n ** 70n, txHash: TX },
  { type: "receipt", leecher: A, seeder: B, contentId: 7n, cumulativeBytes: 10485760n, signature: SIG },
  { type: "ack", voucherBytes: 10485760n, receiptBytes: 10485760n },
  { type: "close", escrowId: 2n ** 200n, signature: SIG },
  { type: "refusal", reason: RefusalReason.Timeout, message: "no voucher within 30000 ms" },
];

describe("w3t_pay messages", () => {
  it("round-trip every message type, integers above 2^53 included", () => {
    for (const message of messages) assert.deepEqual(decodeMessage(encodeMessage(message)), message);
  });

  it("normalise addresses to their checksum and signatures to lower case", () => {
    const decoded = decodeMessage(encode({ v: 3, type: "ack", voucherBytes: "0", receiptBytes: "1" }));
    assert.deepEqual(decoded, { type: "ack", voucherBytes: 0n, receiptBytes: 1n });
    const receipt = decodeMessage(
      encode({
        v: 3,
        type: "receipt",
        leecher: A.toLowerCase(),
        seeder: B,
        contentId: "1",
        cumulativeBytes: "1",
        signature: SIG.toUpperCase().replace("0X", "0x"),
      }),
    );
    assert.equal(receipt.type === "receipt" && receipt.leecher, A);
    assert.equal(receipt.type === "receipt" && receipt.signature, SIG);
  });

  it("refuse oversized messages before parsing them", () => {
    refusedWith(new Uint8Array(MAX_MESSAGE_BYTES + 1).fill(0x20), RefusalReason.Oversized);
    assert.throws(
      () => encodeMessage({ type: "refusal", reason: RefusalReason.Malformed, message: "x".repeat(MAX_MESSAGE_BYTES) }),
      WireMessageError,
    );
  });

  it("refuse what is not a JSON object", () => {
    refusedWith(new Uint8Array([0xff, 0xfe]), RefusalReason.Malformed);
    refusedWith(encode([1, 2]), RefusalReason.Malformed);
    refusedWith(encode("hello"), RefusalReason.Malformed);
    refusedWith(encode(null), RefusalReason.Malformed);
  });

  it("refuse other versions and unknown types", () => {
    refusedWith(encode({ v: 1, type: "ack", voucherBytes: "0", receiptBytes: "0" }), RefusalReason.Version); // version 1: before on-chain releases
    refusedWith(encode({ v: 2, type: "ack", voucherBytes: "0", receiptBytes: "0" }), RefusalReason.Version); // version 2: before the wire's proofs
    refusedWith(encode({ type: "ack", voucherBytes: "0", receiptBytes: "0" }), RefusalReason.Version);
    refusedWith(encode({ v: 3, type: "gimme" }), RefusalReason.Malformed);
    refusedWith(encode({ v: 3, type: "__proto__" }), RefusalReason.Malformed);
  });

  it("refuse unknown, missing and malformed fields", () => {
    const ack = { v: 3, type: "ack", voucherBytes: "1", receiptBytes: "1" };
    refusedWith(encode({ ...ack, extra: 1 }), RefusalReason.Malformed);
    refusedWith(encode({ v: 3, type: "ack", voucherBytes: "1" }), RefusalReason.Malformed);
    for (const bad of ["01", "-1", "1.5", "1e3", "", " 1", 1, null]) {
      refusedWith(encode({ ...ack, voucherBytes: bad }), RefusalReason.Malformed);
    }
    refusedWith(encode({ ...ack, voucherBytes: (2n ** 256n).toString() }), RefusalReason.Malformed);
    const receipt = { v: 3, type: "receipt", leecher: A, seeder: B, contentId: "1", cumulativeBytes: "1", signature: SIG };
    refusedWith(encode({ ...receipt, leecher: "0x1234" }), RefusalReason.Malformed);
    refusedWith(encode({ ...receipt, signature: `0x${"ab".repeat(64)}` }), RefusalReason.Malformed);
    const hello = {
      v: 3,
      type: "hello",
      account: A,
      escrowId: "1",
      sessionKey: B,
      delegation: { expiry: "1", signature: SIG },
      payment: "vouchers",
      nonce: NONCE,
      proof: SIG,
    };
    refusedWith(encode({ ...hello, delegation: { expiry: (2n ** 64n).toString(), signature: SIG } }), RefusalReason.Malformed);
    refusedWith(encode({ ...hello, delegation: { expiry: "1", signature: SIG, account: A } }), RefusalReason.Malformed);
    refusedWith(encode({ ...hello, delegation: { expiry: "1", signature: `0x${"ab".repeat(1025)}` } }), RefusalReason.Malformed);
    refusedWith(
      encode({ v: 3, type: "voucher_request", cumulativeBytes: "1", voucherBytes: "1", voucherAmount: null }),
      RefusalReason.Malformed,
    );
    refusedWith(encode({ v: 3, type: "refusal", reason: "because", message: "" }), RefusalReason.Malformed);
    const terms = JSON.parse(new TextDecoder().decode(encodeMessage(messages[0])));
    refusedWith(encode({ ...terms, modes: ["exponential", "exponential"] }), RefusalReason.Malformed);
    refusedWith(encode({ ...terms, modes: [] }), RefusalReason.Malformed);
    refusedWith(encode({ ...terms, chainId: 0 }), RefusalReason.Malformed);
  });

  it("refuse a voucher or terms with a malformed signature, number, address or mode", () => {
    const voucher = JSON.parse(new TextDecoder().decode(encodeMessage(messages[7])));
    for (const bad of [`0x${"ab".repeat(64)}`, `0x${"ab".repeat(66)}`, `0x${"zz".repeat(65)}`, "ab".repeat(65), null]) {
      refusedWith(encode({ ...voucher, signature: bad }), RefusalReason.Malformed);
    }
    for (const field of ["escrowId", "cumulativeBytes", "cumulativeAmount"]) {
      for (const bad of ["-1", "0x10", 5, (2n ** 256n).toString()])
        refusedWith(encode({ ...voucher, [field]: bad }), RefusalReason.Malformed);
    }
    refusedWith(encode({ ...voucher, seeder: "0x1234" }), RefusalReason.Malformed);
    const { signature: _signature, ...unsigned } = voucher;
    refusedWith(encode(unsigned), RefusalReason.Malformed);
    const terms = JSON.parse(new TextDecoder().decode(encodeMessage(messages[0])));
    for (const field of ["market", "escrow", "rebatePool", "seeder"])
      refusedWith(encode({ ...terms, [field]: "0xabc" }), RefusalReason.Malformed);
    refusedWith(encode({ ...terms, modes: ["exponential", "streaming"] }), RefusalReason.Malformed);
    refusedWith(encode({ ...terms, pricePerMiB: "-1" }), RefusalReason.Malformed);
    refusedWith(encode({ ...terms, voucherTimeoutMs: 0 }), RefusalReason.Malformed);
  });

  it("refuse a hello without its nonce or its proof, and an identity without a valid signature", () => {
    const hello = JSON.parse(new TextDecoder().decode(encodeMessage(messages[1])));
    const { nonce: _nonce, ...withoutNonce } = hello;
    refusedWith(encode(withoutNonce), RefusalReason.Malformed);
    const { proof: _proof, ...withoutProof } = hello;
    refusedWith(encode(withoutProof), RefusalReason.Malformed);
    refusedWith(encode({ ...hello, nonce: `0x${"ef".repeat(31)}` }), RefusalReason.Malformed);
    refusedWith(encode({ ...hello, proof: `0x${"ab".repeat(64)}` }), RefusalReason.Malformed);
    const terms = JSON.parse(new TextDecoder().decode(encodeMessage(messages[0])));
    refusedWith(encode({ ...terms, nonce: "0x" }), RefusalReason.Malformed);
    const identity = JSON.parse(new TextDecoder().decode(encodeMessage(messages[3])));
    refusedWith(encode({ ...identity, signature: "0x00" }), RefusalReason.Malformed);
    refusedWith(encode({ ...identity, signer: "0x1234" }), RefusalReason.Malformed);
    refusedWith(encode({ ...identity, delegation: { expiry: "1" } }), RefusalReason.Malformed);
  });

  it("refuse a hello without a known payment strategy", () => {
    const hello = JSON.parse(new TextDecoder().decode(encodeMessage(messages[1])));
    const { payment: _payment, ...withoutPayment } = hello;
    refusedWith(encode(withoutPayment), RefusalReason.Malformed);
    for (const bad of ["voucher", "TRANSACTIONS", "", 1, null, true])
      refusedWith(encode({ ...hello, payment: bad }), RefusalReason.Malformed);
  });

  it("refuse terms that do not say whether releases are accepted, or with a release timeout out of range", () => {
    const terms = JSON.parse(new TextDecoder().decode(encodeMessage(messages[0])));
    const { acceptsReleases: _accepts, ...withoutAccepts } = terms;
    refusedWith(encode(withoutAccepts), RefusalReason.Malformed);
    const { releaseTimeoutMs: _timeout, ...withoutTimeout } = terms;
    refusedWith(encode(withoutTimeout), RefusalReason.Malformed);
    for (const bad of ["true", 1, null]) refusedWith(encode({ ...terms, acceptsReleases: bad }), RefusalReason.Malformed);
    for (const bad of [0, -1, 1.5, "300000", 24 * 60 * 60 * 1000 + 1])
      refusedWith(encode({ ...terms, releaseTimeoutMs: bad }), RefusalReason.Malformed);
  });

  it("accept a released message with its transaction hash, normalised to lower case", () => {
    const decoded = decodeMessage(
      encode({
        v: 3,
        type: "released",
        escrowId: "7",
        seeder: B.toLowerCase(),
        cumulativeBytes: "10485760",
        txHash: TX.toUpperCase().replace("0X", "0x"),
      }),
    );
    assert.deepEqual(decoded, { type: "released", escrowId: 7n, seeder: B, cumulativeBytes: 10485760n, txHash: TX });
  });

  it("refuse a released message with a malformed transaction hash, number or address, or extra fields", () => {
    const released = { v: 3, type: "released", escrowId: "7", seeder: B, cumulativeBytes: "10485760", txHash: TX };
    for (const bad of [`0x${"cd".repeat(31)}`, `0x${"cd".repeat(33)}`, `0x${"zz".repeat(32)}`, "cd".repeat(32), "", null, 7]) {
      refusedWith(encode({ ...released, txHash: bad }), RefusalReason.Malformed);
    }
    refusedWith(encode({ ...released, escrowId: "-1" }), RefusalReason.Malformed);
    refusedWith(encode({ ...released, cumulativeBytes: 10485760 }), RefusalReason.Malformed);
    refusedWith(encode({ ...released, cumulativeBytes: (2n ** 256n).toString() }), RefusalReason.Malformed);
    refusedWith(encode({ ...released, seeder: "0x1234" }), RefusalReason.Malformed);
    refusedWith(encode({ ...released, amount: "1" }), RefusalReason.Malformed);
    refusedWith(encode({ ...released, signature: SIG }), RefusalReason.Malformed);
    const { txHash: _tx, ...withoutHash } = released;
    refusedWith(encode(withoutHash), RefusalReason.Malformed);
    refusedWith(encode({ ...released, v: 1 }), RefusalReason.Version);
  });

  it("refuse a close without the session key's 65-byte signature, with a malformed escrow id or extra fields", () => {
    const close = { v: 3, type: "close", escrowId: "7", signature: SIG };
    assert.deepEqual(decodeMessage(encode(close)), { type: "close", escrowId: 7n, signature: SIG });
    for (const bad of [`0x${"ab".repeat(64)}`, `0x${"ab".repeat(66)}`, "", null]) {
      refusedWith(encode({ ...close, signature: bad }), RefusalReason.Malformed);
    }
    refusedWith(encode({ ...close, escrowId: 7 }), RefusalReason.Malformed);
    refusedWith(encode({ ...close, escrowId: null }), RefusalReason.Malformed);
    refusedWith(encode({ ...close, seeder: B }), RefusalReason.Malformed);
    const { signature: _sig, ...unsigned } = close;
    refusedWith(encode(unsigned), RefusalReason.Malformed);
  });
});
