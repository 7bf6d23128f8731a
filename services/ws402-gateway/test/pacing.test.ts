/**
 * A client that never signs is not served for free: bytes go out only while its receipts keep pace with the time
 * used, so the provider loses at most one usage interval plus the receipt tolerance; a re-proof on a new connection
 * does not restore access until a receipt covers the time used so far.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Ws402SchemaDocument } from "@web3torrent/sdk";
import { WS402_HTTP_ERRORS } from "@web3torrent/sdk/ws402/protocol";
import type { Gateway } from "../src/index.ts";
import { eventually, fetchSchema, openDeposit, RawClient, setup, sleep, type TestEnv } from "./helpers.ts";

const USAGE_INTERVAL_MS = 200;
const TOLERANCE_SECONDS = 1;
/** Longer than the unpaid allowance, so that it is the pace, not the heartbeat, that stops a silent client. */
const HEARTBEAT_MS = 6_000;
/** What the provider may serve unpaid: one usage interval plus the receipt tolerance. */
const ALLOWANCE_MS = USAGE_INTERVAL_MS + TOLERANCE_SECONDS * 1_000;
/** Scheduling slack on a loaded machine. */
const SLACK_MS = 700;

describe("WS402 pacing: receipts keep pace with the time served", () => {
  let env: TestEnv;
  let gateway: Gateway;
  let schema: Ws402SchemaDocument;

  before(async () => {
    env = await setup();
    gateway = await env.startGateway({
      usageIntervalMs: USAGE_INTERVAL_MS,
      receiptToleranceSeconds: TOLERANCE_SECONDS,
      heartbeatTimeoutMs: HEARTBEAT_MS,
      reconnectGraceMs: 30_000,
    });
    schema = await fetchSchema(gateway, "doc");
  });
  after(() => env.stop());

  /** The answer to a request with the token; status 0 when the gateway cut the response off (pacing holds it). */
  const status = async (url: string) => {
    const response = await fetch(url).catch(() => null);
    if (!response) return { status: 0, error: undefined };
    if (response.status === 402)
      return { status: 402, error: ((await response.json()) as { error: { code: string; reason: string } }).error };
    const whole = await response.arrayBuffer().then(
      () => true,
      () => false,
    );
    return { status: whole ? response.status : 0, error: undefined };
  };

  it("refuses the token of a client that sends no receipt once one usage interval plus the tolerance has run unpaid, and says why", async () => {
    const deposit = await openDeposit(env, schema, 4, 600);
    const client = await RawClient.connect(schema);
    await client.prove(deposit.sessionKey, deposit.sessionId);
    const access = await client.next("http_access_granted");
    const grantedAt = Date.now();
    assert.equal((await status(access.url)).status, 200, "served at first, on credit");

    const refused = await eventually(async () => {
      const s = await status(access.url);
      return s.status === 402 && s;
    }, HEARTBEAT_MS + 5_000);
    const after = Date.now() - grantedAt;
    assert.ok(after <= ALLOWANCE_MS + SLACK_MS, `served ${after} ms without a receipt (allowance ${ALLOWANCE_MS} ms)`);
    assert.equal(refused.status, 402);
    assert.equal(refused.error?.code, WS402_HTTP_ERRORS.receiptOverdue, refused.error?.reason ?? "no error in the 402");
    assert.match(refused.error!.reason, /receipt/);
    client.close();
  });

  it("does not restore access on a re-proof over a new connection until a receipt covers the time used so far", async () => {
    const deposit = await openDeposit(env, schema, 5, 600);
    const first = await RawClient.connect(schema);
    await first.prove(deposit.sessionKey, deposit.sessionId);
    const access = await first.next("http_access_granted");
    await eventually(async () => (await status(access.url)).status === 402, HEARTBEAT_MS + 5_000);

    // Take the session over on a new connection, as a client that never signs would, again and again.
    const second = await RawClient.connect(schema);
    const started = await second.prove(deposit.sessionKey, deposit.sessionId);
    await sleep(ALLOWANCE_MS);
    assert.equal(
      second.messages.some((m) => m.type === "http_access_granted"),
      false,
      "no access granted on a re-proof alone",
    );
    assert.notEqual((await status(access.url)).status, 200, "the token still refused");

    await second.receipt(deposit.sessionKey, deposit.sessionId, started.elapsedSeconds);
    const restored = await second.next("http_access_granted");
    assert.equal((await status(restored.url)).status, 200, "served again once a receipt covers the time used");
    second.close();
    first.close();
  });
});
