/**
 * Bad input on the WebSocket, message by message with a raw client: each is answered with an `error` message (a
 * frame too large to read at all gets the 1009 close the WebSocket protocol defines), and the gateway carries on
 * serving and settling other sessions.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { hexToBytes, toHex, type Hex } from "viem";
import type { Ws402Deposit, Ws402SchemaDocument } from "@web3torrent/sdk";
import type { Gateway } from "../src/index.ts";
import {
  fetchSchema,
  freshKey,
  openClient,
  openDeposit,
  PRICE_PER_SECOND,
  RawClient,
  setup,
  sleep,
  waitForOutcome,
  type TestEnv,
} from "./helpers.ts";

const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** The same signature with s replaced by n - s (and v flipped): valid for ecrecover, rejected by OpenZeppelin. */
function malleate(signature: Hex): Hex {
  const bytes = hexToBytes(signature);
  const s = BigInt(toHex(bytes.subarray(32, 64)));
  bytes.set(hexToBytes(toHex(SECP256K1_ORDER - s, { size: 32 })), 32);
  bytes[64] = bytes[64] === 27 ? 28 : 27;
  return toHex(bytes);
}

describe("WS402 bad input", () => {
  let env: TestEnv;
  let gateway: Gateway;
  let schema: Ws402SchemaDocument;
  let clipSchema: Ws402SchemaDocument;
  /** A session of user 3 on "doc", used by several tests. */
  let mine: Ws402Deposit;

  before(async () => {
    env = await setup();
    gateway = await env.startGateway({ maxProtocolErrors: 8, maxMessageBytes: 2_048 });
    schema = await fetchSchema(gateway, "doc");
    clipSchema = await fetchSchema(gateway, "clip");
    mine = await openDeposit(env, schema, 3, 600);
  });
  after(() => env.stop());

  async function expectError(client: RawClient, code: string): Promise<void> {
    const error = await client.next("error");
    assert.equal(error.code, code, error.reason);
    assert.ok(error.reason.length > 0);
  }

  it("malformed JSON, non-objects, unknown types, bad fields and binary frames: an error each, the connection stays", async () => {
    const client = await RawClient.connect(schema);
    await client.challenge();
    client.send("{not json");
    await expectError(client, "malformed_json");
    client.send("[1,2,3]");
    await expectError(client, "invalid_message");
    client.send({ type: "teleport" });
    await expectError(client, "unknown_type");
    client.send({ type: "payment_proof", sessionId: "1", signature: "0x1234" });
    await expectError(client, "invalid_message");
    client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await expectError(client, "invalid_message");
    assert.equal(client.closed, undefined, "still connected after 5 bad messages (limit 8)");
    // The connection still works: a valid proof starts the session.
    const deposit = await openDeposit(env, schema, 9, 60);
    const started = await client.prove(deposit.sessionKey, deposit.sessionId);
    assert.equal(started.sessionId, deposit.sessionId.toString());
    client.ws.close(4000);
  });

  it("too many bad messages close the connection", async () => {
    const client = await RawClient.connect(schema);
    await client.challenge();
    for (let i = 0; i < 8; i++) client.send("nope");
    await expectError(client, "malformed_json");
    const closed = await client.waitClosed();
    assert.equal(closed.code, 1008);
    assert.ok(client.messages.some((m) => m.type === "error" && m.code === "too_many_errors"));
  });

  it("an oversized message is answered with message_too_large and the connection stays; a huge frame is cut off (1009)", async () => {
    const client = await RawClient.connect(schema);
    await client.challenge();
    // Over maxMessageBytes (2,048 here): read, refused with an error message, nothing else happens.
    client.send({ type: "usage_receipt", padding: "x".repeat(4 * 1024) });
    await expectError(client, "message_too_large");
    const deposit = await openDeposit(env, schema, 10, 60);
    const started = await client.prove(deposit.sessionKey, deposit.sessionId);
    assert.equal(started.sessionId, deposit.sessionId.toString(), "the connection still works after the oversized message");
    // Beyond what the gateway reads at all (64 KiB): the WebSocket layer cuts the connection before buffering it.
    client.send({ type: "usage_receipt", padding: "x".repeat(128 * 1024) });
    const closed = await client.waitClosed();
    assert.equal(closed.code, 1009);
    assert.equal((await fetch(`${gateway.url}/healthz`)).status, 200);
  });

  it("an unknown resource in the URL is answered and closed", async () => {
    const client = await RawClient.connect(schema, schema.websocketEndpoint.replace("resourceId=doc", "resourceId=ghost"));
    await expectError(client, "unknown_resource");
    assert.equal((await client.waitClosed()).code, 1008);
  });

  it("receipts before a proof are refused", async () => {
    const client = await RawClient.connect(schema);
    await client.challenge();
    await client.receipt(mine.sessionKey, mine.sessionId, 0);
    await expectError(client, "proof_required");
    client.close();
  });

  it("a proof for someone else's session (signed with another key) is refused", async () => {
    const client = await RawClient.connect(schema);
    const challenge = await client.challenge();
    client.send({
      type: "payment_proof",
      sessionId: mine.sessionId.toString(),
      signature: await client.signProof(freshKey(), mine.sessionId, challenge),
    });
    await expectError(client, "invalid_proof");
    client.close();
  });

  it("a proof replayed on another connection is refused: it answers one challenge only", async () => {
    const first = await RawClient.connect(schema);
    const signature = await first.signProof(mine.sessionKey, mine.sessionId, await first.challenge());
    first.close();
    const second = await RawClient.connect(schema);
    await second.challenge();
    second.send({ type: "payment_proof", sessionId: mine.sessionId.toString(), signature });
    await expectError(second, "invalid_proof");
    second.close();
  });

  it("a proof for a session that does not exist, or pays for another resource, is refused", async () => {
    const client = await RawClient.connect(schema);
    const challenge = await client.challenge();
    client.send({ type: "payment_proof", sessionId: "999999", signature: await client.signProof(mine.sessionKey, 999999n, challenge) });
    await expectError(client, "session_not_found");
    const clipSession = await openDeposit(env, clipSchema, 4, 30);
    client.send({
      type: "payment_proof",
      sessionId: clipSession.sessionId.toString(),
      signature: await client.signProof(clipSession.sessionKey, clipSession.sessionId, challenge),
    });
    await expectError(client, "session_wrong_resource");
    client.close();
  });

  it("receipts signed by the wrong key, malleated, going backwards, running ahead or naming another session are refused", async () => {
    const deposit = await openDeposit(env, schema, 5, 600);
    const client = await RawClient.connect(schema);
    await client.prove(deposit.sessionKey, deposit.sessionId);
    const id = deposit.sessionId.toString();

    await client.receipt(freshKey(), deposit.sessionId, 0);
    await expectError(client, "invalid_receipt_signature");

    await sleep(1_100);
    await client.receipt(deposit.sessionKey, deposit.sessionId, 1);
    assert.equal((await client.next("receipt_accepted")).elapsedSeconds, 1);

    const good = await client.signUsage(deposit.sessionKey, deposit.sessionId, 1);
    client.send({ type: "usage_receipt", sessionId: id, elapsedSeconds: 1, signature: malleate(good) });
    await expectError(client, "invalid_receipt_signature");
    const zeroV = toHex(hexToBytes(good).map((byte, index) => (index === 64 ? byte - 27 : byte)));
    client.send({ type: "usage_receipt", sessionId: id, elapsedSeconds: 1, signature: zeroV });
    await expectError(client, "invalid_receipt_signature");

    await client.receipt(deposit.sessionKey, deposit.sessionId, 0);
    await expectError(client, "receipt_backwards");

    await client.receipt(deposit.sessionKey, deposit.sessionId, 500);
    await expectError(client, "receipt_ahead");

    client.send({
      type: "usage_receipt",
      sessionId: mine.sessionId.toString(),
      elapsedSeconds: 1,
      signature: await client.signUsage(mine.sessionKey, mine.sessionId, 1),
    });
    await expectError(client, "wrong_session");

    // A genuine receipt whose v byte was flipped is the key's signature all the same: accepted, and settled with
    // the v the contract needs. None of the refused ones changed what is owed.
    await sleep(1_000);
    const second = await client.signUsage(deposit.sessionKey, deposit.sessionId, 2);
    const flippedV = toHex(hexToBytes(second).map((byte, index) => (index === 64 ? (byte === 27 ? 28 : 27) : byte)));
    client.send({ type: "usage_receipt", sessionId: id, elapsedSeconds: 2, signature: flippedV });
    assert.equal((await client.next("receipt_accepted")).elapsedSeconds, 2);
    client.send({ type: "end_session" });
    const ended = await client.next("session_ended");
    assert.equal(ended.elapsedSeconds, 2);
    const outcome = await waitForOutcome(env, deposit.sessionId);
    assert.equal(outcome.status, "settled");
    if (outcome.status === "settled") assert.equal(outcome.paidToProvider, 2n * PRICE_PER_SECOND);
  });

  it("a second proof on a proven connection is refused; a proof on another connection takes the session over", async () => {
    const deposit = await openDeposit(env, schema, 6, 600);
    const first = await RawClient.connect(schema);
    await first.prove(deposit.sessionKey, deposit.sessionId);
    first.send({
      type: "payment_proof",
      sessionId: deposit.sessionId.toString(),
      signature: await first.signProof(deposit.sessionKey, deposit.sessionId, `0x${"00".repeat(32)}`),
    });
    await expectError(first, "already_proven");

    const second = await RawClient.connect(schema);
    const started = await second.prove(deposit.sessionKey, deposit.sessionId);
    assert.equal(started.resumed, true);
    assert.equal((await first.waitClosed()).code, 4002);
    second.send({ type: "end_session" });
    await second.next("session_ended");
    // An ended session cannot be started again.
    const third = await RawClient.connect(schema);
    const challenge = await third.challenge();
    third.send({
      type: "payment_proof",
      sessionId: deposit.sessionId.toString(),
      signature: await third.signProof(deposit.sessionKey, deposit.sessionId, challenge),
    });
    const error = await third.next("error");
    assert.ok(["session_ended", "session_not_open"].includes(error.code), error.code);
    third.close();
  });

  it("a connection that sends no receipts misses its heartbeat and its session is settled for what was signed (nothing)", async () => {
    const deposit = await openDeposit(env, schema, 7, 60);
    const client = await RawClient.connect(schema);
    await client.prove(deposit.sessionKey, deposit.sessionId);
    await expectError(client, "heartbeat_timeout");
    assert.equal((await client.waitClosed()).code, 4001);
    const outcome = await waitForOutcome(env, deposit.sessionId);
    assert.equal(outcome.status, "settled");
    if (outcome.status === "settled") {
      assert.equal(outcome.elapsedSeconds, 0n);
      assert.equal(outcome.refundedToUser, 60n * PRICE_PER_SECOND);
    }
  });

  it("a connection that never proves anything is closed after the proof timeout", { timeout: 20_000 }, async () => {
    const quiet = await env.startGateway({ proofTimeoutMs: 300, database: `${env.dir}/quiet.sqlite` });
    const client = await RawClient.connect(await fetchSchema(quiet, "doc"));
    await expectError(client, "proof_timeout");
    assert.equal((await client.waitClosed()).code, 4004);
  });

  it("after all of that, the gateway still serves a full session end to end", async () => {
    const client = await openClient(env, gateway, 8, { maxSeconds: 100 });
    const { url } = await client.connect();
    assert.equal((await fetch(url, { method: "HEAD" })).status, 200);
    await client.close();
    assert.equal((await waitForOutcome(env, client.sessionId)).status, "settled");
    const metrics = gateway.metrics() as { protocolErrors: number; receiptsRejected: number };
    assert.ok(metrics.protocolErrors >= 15);
    assert.ok(metrics.receiptsRejected >= 6);
  });
});
