/**
 * The gateway's pieces on their own: configuration, message parsing, signature rules, tokens, the durable store
 * and the demo PDF. (Everything else is tested against the real chain in the other files.)
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { hashTypedData, hexToBytes, toHex, type Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { usageTypes, ws402Domain } from "@web3torrent/sdk/eip712";
import { paymentProofTypes, ws402GatewayDomain } from "@web3torrent/sdk/ws402/protocol";
import { applyEnvironment, ConfigError, parseConfig } from "../src/config.ts";
import { buildPdf } from "../src/demoPdf.ts";
import { parseClientMessage } from "../src/messages.ts";
import { recoverPublicKey, recoverSigner, SignatureVerifier, verifySignature, withRecoveryByte } from "../src/signatures.ts";
import { Store } from "../src/store.ts";
import { TokenRegistry, type TokenHolder } from "../src/tokens.ts";

const CONTRACT: Address = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const RESOURCE = { id: "doc", path: "doc.pdf", mimeType: "application/pdf", pricePerSecond: "5", estimatedSeconds: 600 };

describe("config", () => {
  it("applies defaults, resolves paths against the file's folder and reads prices as wei", () => {
    const config = parseConfig({ resources: [RESOURCE] }, "/srv/gateway");
    assert.equal(config.gateway.usageIntervalMs, 3_000, "usage updates every 3 s by default");
    assert.equal(config.gateway.port, 4020);
    assert.equal(config.gateway.database, "/srv/gateway/data/ws402-gateway.sqlite");
    assert.equal(config.resources[0]!.path, "/srv/gateway/doc.pdf");
    assert.equal(config.resources[0]!.pricePerSecond, 5n);
  });

  it("rejects bad resources with every problem named", () => {
    assert.throws(
      () => parseConfig({ resources: [{ ...RESOURCE, id: "../etc", pricePerSecond: "0", mimeType: "pdf" }, RESOURCE] }, "/"),
      (error: Error) =>
        error instanceof ConfigError &&
        /resources\.0\.id/.test(error.message) &&
        /pricePerSecond/.test(error.message) &&
        /mimeType/.test(error.message),
    );
    assert.throws(() => parseConfig({ resources: [RESOURCE, RESOURCE] }, "/"), /unique/);
    assert.throws(() => parseConfig({ resources: [] }, "/"), ConfigError);
    assert.throws(() => parseConfig({ resources: [RESOURCE], surprise: 1 }, "/"), ConfigError);
    assert.throws(() => parseConfig({ resources: [{ ...RESOURCE, pricePerSecond: (2n ** 128n).toString() }] }, "/"), /2\^128/);
  });

  it("takes deployment overrides from the environment", () => {
    const config = applyEnvironment(parseConfig({ resources: [RESOURCE] }, "/srv"), {
      W3T_GATEWAY_PORT: "5000",
      W3T_RPC_URL: "http://10.0.0.1:8545",
      W3T_WS402_CONTRACT: CONTRACT.toLowerCase(),
    });
    assert.equal(config.gateway.port, 5000);
    assert.equal(config.chain.rpcUrl, "http://10.0.0.1:8545");
    assert.equal(config.chain.contract, CONTRACT, "addresses are checksummed");
    assert.throws(() => applyEnvironment(config, { W3T_GATEWAY_PORT: "http" }), ConfigError);
  });
});

describe("client messages", () => {
  const signature = `0x${"ab".repeat(65)}`;

  it("accepts the three client messages", () => {
    assert.deepEqual(parseClientMessage(JSON.stringify({ type: "payment_proof", sessionId: "12", signature })), {
      ok: true,
      message: { type: "payment_proof", sessionId: "12", signature },
    });
    assert.equal(parseClientMessage(JSON.stringify({ type: "usage_receipt", sessionId: "1", elapsedSeconds: 3, signature })).ok, true);
    assert.equal(parseClientMessage('{"type":"end_session"}').ok, true);
  });

  it("names what is wrong", () => {
    const code = (data: string) => {
      const result = parseClientMessage(data);
      return result.ok ? "ok" : result.code;
    };
    assert.equal(code("{"), "malformed_json");
    assert.equal(code("null"), "invalid_message");
    assert.equal(code('"text"'), "invalid_message");
    assert.equal(code('{"kind":"x"}'), "invalid_message");
    assert.equal(code('{"type":"__proto__"}'), "unknown_type");
    assert.equal(code('{"type":"toString"}'), "unknown_type");
    assert.equal(code(JSON.stringify({ type: "payment_proof", sessionId: "0", signature })), "invalid_message");
    assert.equal(code(JSON.stringify({ type: "payment_proof", sessionId: "01", signature })), "invalid_message");
    assert.equal(code(JSON.stringify({ type: "payment_proof", sessionId: (2n ** 256n).toString(), signature })), "invalid_message");
    assert.equal(code(JSON.stringify({ type: "usage_receipt", sessionId: "1", elapsedSeconds: 1.5, signature })), "invalid_message");
    assert.equal(code(JSON.stringify({ type: "usage_receipt", sessionId: "1", elapsedSeconds: -1, signature })), "invalid_message");
    assert.equal(code(JSON.stringify({ type: "end_session", extra: true })), "invalid_message");
  });
});

describe("signatures", () => {
  const key = generatePrivateKey();
  const account = privateKeyToAccount(key);
  const verifier = new SignatureVerifier(31337, CONTRACT);
  const usage = (sessionId: bigint, elapsedSeconds: bigint) =>
    account.signTypedData({
      domain: ws402Domain(31337, CONTRACT),
      types: usageTypes,
      primaryType: "Usage",
      message: { sessionId, elapsedSeconds },
    });

  it("the fast Usage digest equals the EIP-712 hash of the sdk's types", () => {
    for (const [sessionId, elapsed] of [
      [1n, 0n],
      [2n ** 200n, 4_294_967_295n],
      [77n, 3n],
    ] as const) {
      assert.equal(
        verifier.usageDigest(sessionId, elapsed),
        hashTypedData({
          domain: ws402Domain(31337, CONTRACT),
          types: usageTypes,
          primaryType: "Usage",
          message: { sessionId, elapsedSeconds: elapsed },
        }),
      );
    }
  });

  it("recovers the session key of a receipt and of a proof", async () => {
    assert.equal(verifier.usageSigner(9n, 42, await usage(9n, 42n)), account.address);
    assert.notEqual(verifier.usageSigner(9n, 43, await usage(9n, 42n)), account.address, "bound to the seconds");
    assert.notEqual(verifier.usageSigner(10n, 42, await usage(9n, 42n)), account.address, "bound to the session");
    const proof = { sessionId: 9n, resourceId: 1n, provider: CONTRACT, challenge: toHex(1n, { size: 32 }) };
    const proofSignature = await account.signTypedData({
      domain: ws402GatewayDomain(31337, CONTRACT),
      types: paymentProofTypes,
      primaryType: "PaymentProof",
      message: proof,
    });
    assert.equal(verifier.proofSigner(proof, proofSignature), account.address);
    assert.notEqual(
      verifier.proofSigner({ ...proof, challenge: toHex(2n, { size: 32 }) }, proofSignature),
      account.address,
      "bound to the challenge",
    );
    assert.notEqual(new SignatureVerifier(1, CONTRACT).usageSigner(9n, 42, await usage(9n, 42n)), account.address, "bound to the chain");
  });

  it("rejects what OpenZeppelin's ECDSA rejects: high s, v other than 27/28, wrong length, r = 0", async () => {
    const good = await usage(1n, 1n);
    const digest = verifier.usageDigest(1n, 1n);
    const bytes = hexToBytes(good);
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const highS = new Uint8Array(bytes);
    highS.set(hexToBytes(toHex(n - BigInt(toHex(bytes.subarray(32, 64))), { size: 32 })), 32);
    highS[64] = bytes[64] === 27 ? 28 : 27;
    assert.equal(recoverSigner(digest, toHex(highS)), undefined);
    const lowV = new Uint8Array(bytes);
    lowV[64] = bytes[64]! - 27;
    assert.equal(recoverSigner(digest, toHex(lowV)), undefined);
    assert.equal(recoverSigner(digest, good.slice(0, 130)), undefined);
    assert.equal(recoverSigner(digest, `0x${"00".repeat(64)}1b`), undefined);
    assert.equal(recoverSigner(digest, "not hex"), undefined);
    assert.equal(recoverSigner(digest, good), account.address);
  });

  it("verifies receipts with the proof's public key, and fixes a flipped v for the contract", async () => {
    const good = await usage(1n, 1n);
    const digest = verifier.usageDigest(1n, 1n);
    const publicKey = recoverPublicKey(digest, good)!;
    const flipped = `${good.slice(0, 130)}${good.endsWith("1b") ? "1c" : "1b"}` as `0x${string}`;
    assert.equal(verifySignature(digest, good, publicKey), true);
    assert.equal(verifySignature(digest, flipped, publicKey), true, "r and s are the key's signature whatever v says");
    assert.notEqual(recoverSigner(digest, flipped), account.address, "but the contract would recover another address");
    assert.equal(withRecoveryByte(digest, flipped, account.address), good, "so v is fixed before settling");
    assert.equal(withRecoveryByte(digest, good, account.address), good);
    assert.equal(verifySignature(verifier.usageDigest(1n, 2n), good, publicKey), false, "bound to the seconds");
    const other = privateKeyToAccount(generatePrivateKey());
    const otherSignature = await other.signTypedData({
      domain: ws402Domain(31337, CONTRACT),
      types: usageTypes,
      primaryType: "Usage",
      message: { sessionId: 1n, elapsedSeconds: 1n },
    });
    assert.equal(verifySignature(digest, good, recoverPublicKey(digest, otherSignature)!), false, "another key");
    assert.equal(withRecoveryByte(digest, good, CONTRACT), undefined, "no v makes another signer's signature valid");
  });
});

describe("tokens", () => {
  const holder = (sessionId: bigint, resourceId = "doc", live = true, awaitingReceipt = false): TokenHolder => ({
    sessionId,
    resourceId,
    isLive: () => live && !awaitingReceipt,
    awaitingReceipt,
    track: () => {},
  });

  it("issues one unguessable token per session, valid for its resource while live", () => {
    const tokens = new TokenRegistry(60_000);
    const a = tokens.tokenFor(holder(1n));
    assert.equal(tokens.tokenFor(holder(1n)), a, "a resumed session keeps its token");
    assert.notEqual(tokens.tokenFor(holder(2n)), a);
    assert.match(a, /^w3t_[A-Za-z0-9_-]{32}$/);
    assert.equal(tokens.check(a, "doc").ok, true);
    const code = (token: string | null, resource = "doc") => {
      const result = tokens.check(token, resource);
      return result.ok ? "ok" : result.code;
    };
    assert.equal(code(null), "token_missing");
    assert.equal(code(""), "token_missing");
    assert.equal(code("w3t_guess"), "token_invalid");
    assert.equal(code(a, "clip"), "token_wrong_resource");
    tokens.tokenFor(holder(3n, "doc", false));
    assert.equal(code(tokens.tokenFor(holder(3n, "doc", false))), "session_suspended");
    assert.equal(code(tokens.tokenFor(holder(4n, "doc", true, true))), "receipt_overdue", "held until a receipt covers the time used");
  });

  it("a revoked token is expired at once, and forgotten after the retention", () => {
    const tokens = new TokenRegistry(1_000);
    const a = tokens.tokenFor(holder(1n));
    tokens.revoke(1n, 10_000);
    const expired = tokens.check(a, "doc");
    assert.equal(expired.ok ? "ok" : expired.code, "token_expired");
    tokens.sweep(11_001);
    const forgotten = tokens.check(a, "doc");
    assert.equal(forgotten.ok ? "ok" : forgotten.code, "token_invalid");
    assert.notEqual(tokens.tokenFor(holder(1n)), a, "never reissued");
  });
});

describe("store", () => {
  it("keeps the latest receipt and pending settlements across a reopen; receipts never go backwards", () => {
    const dir = mkdtempSync(join(tmpdir(), "ws402-store-"));
    try {
      const path = join(dir, "state.sqlite");
      const store = new Store(path);
      const session = { sessionId: 7n, resourceId: "doc", user: CONTRACT, sessionKey: CONTRACT, maxSeconds: 600, pricePerSecond: 5n };
      store.insertSession(session);
      store.insertSession({ ...session, maxSeconds: 1 });
      assert.equal(store.recordReceipt(7n, 3, "0x03"), true);
      assert.equal(store.recordReceipt(7n, 2, "0x02"), false, "backwards is not stored");
      assert.equal(store.recordReceipt(7n, 5, "0x05"), true);
      store.insertSession({ ...session, sessionId: 8n });
      assert.equal(store.beginSettlement(8n, "client_closed"), true);
      assert.equal(store.recordReceipt(8n, 1, "0x01"), false, "no receipt after the session ended");
      store.setOnChainResourceId("doc", 31337, CONTRACT, 4n);
      assert.equal(store.bindDeployment("31337:a:0x01"), "31337:a:0x01");
      store.close();

      const reopened = new Store(path);
      const open = reopened.sessionsIn("open");
      assert.equal(open.length, 1);
      assert.equal(open[0]!.elapsedSeconds, 5);
      assert.equal(open[0]!.signature, "0x05");
      assert.equal(open[0]!.maxSeconds, 600, "the first insert wins");
      assert.deepEqual(
        reopened.sessionsIn("settling").map((s) => s.sessionId),
        [8n],
      );
      assert.equal(reopened.beginSettlement(8n, "again"), false, "a session ends once");
      assert.equal(reopened.getOnChainResourceId("doc", 31337, CONTRACT), 4n);
      assert.equal(reopened.getOnChainResourceId("doc", 1, CONTRACT), undefined);
      assert.equal(reopened.bindDeployment("31337:a:0x02"), "31337:a:0x01", "bound to the first deployment for good");
      reopened.markSettled(8n, { txHash: "0xab", chargedSeconds: 0, paid: 0n, refunded: 3000n });
      assert.deepEqual(reopened.countsByState(), { open: 1, settling: 0, settled: 1, reclaimed: 0, failed: 0 });
      reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("demo PDF", () => {
  it("is a valid PDF: every cross-reference offset points at its object, startxref at the table", () => {
    const pdf = buildPdf("Title (with parentheses) \\ and é", ["line one", "line (two)"]);
    const text = pdf.toString("latin1");
    assert.ok(text.startsWith("%PDF-1.4\n"));
    assert.ok(text.endsWith("%%EOF\n"));
    const startxref = Number(/startxref\n(\d+)\n/.exec(text)![1]);
    assert.equal(text.slice(startxref, startxref + 4), "xref");
    const table = text.slice(startxref).split("\n");
    const count = Number(table[1]!.split(" ")[1]);
    assert.equal(count, 6);
    for (let object = 1; object < count; object++) {
      const entry = table[2 + object]!;
      assert.equal(entry.length, 19, "20 bytes with the newline");
      const offset = Number(entry.slice(0, 10));
      assert.equal(text.slice(offset, offset + `${object} 0 obj`.length), `${object} 0 obj`);
    }
    const length = Number(/\/Length (\d+)/.exec(text)![1]);
    const stream = text.indexOf("stream\n") + "stream\n".length;
    assert.equal(text.slice(stream + length, stream + length + "\nendstream".length), "\nendstream");
    assert.match(text, /\(Title \\\(with parentheses\\\) \\\\ and \?\) Tj/);
    assert.ok(pdf.length < 4_096, "small enough to generate at every start");
  });
});
