/**
 * The seed's scenarios end to end: a real gateway, a real chain, the sdk client over a real WebSocket. Each
 * settlement is checked to the wei against the seconds of the last receipt the gateway acknowledged.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Ws402Client, Ws402Usage } from "@web3torrent/sdk";
import type { Gateway } from "../src/index.ts";
import { eventually, FAST_SETTINGS, openClient, PRICE_PER_SECOND, setup, sleep, waitForOutcome, type TestEnv } from "./helpers.ts";

describe("WS402 scenarios", () => {
  let env: TestEnv;
  let gateway: Gateway;

  before(async () => {
    env = await setup();
    gateway = await env.startGateway();
  });
  after(() => env.stop());

  /** Balances of the user and the payout address around one session's settlement. */
  async function settleAndMeasure(client: Ws402Client, userAddress: `0x${string}`, end: () => Promise<unknown>) {
    const userBefore = await env.balance(userAddress);
    const payoutBefore = await env.balance(env.payoutAddress);
    await end();
    const outcome = await waitForOutcome(env, client.sessionId);
    assert.equal(outcome.status, "settled");
    if (outcome.status !== "settled") throw new Error("unreachable");
    return {
      outcome,
      userGain: (await env.balance(userAddress)) - userBefore,
      payoutGain: (await env.balance(env.payoutAddress)) - payoutBefore,
    };
  }

  it("quick preview: a short look refunds almost the whole deposit, exact to the wei", async () => {
    const user = env.user(3).account.address;
    const client = await openClient(env, gateway, 3, { maxSeconds: 600 });
    const deposit = client.deposit!.deposit;
    assert.equal(deposit, 600n * PRICE_PER_SECOND);
    const usages: Ws402Usage[] = [];
    client.on("usage", (u) => usages.push(u));
    const access = await client.connect();
    assert.match(access.url, /\/api\/resource\/doc\?token=w3t_/);
    const pdf = await fetch(access.url);
    assert.equal(pdf.status, 200);
    assert.equal(pdf.headers.get("content-type"), "application/pdf");
    assert.equal((await pdf.text()).slice(0, 8), "%PDF-1.4");

    await eventually(() => client.acknowledgedSeconds >= 1, 10_000, "a receipt for 1 s");
    const acknowledged = client.acknowledgedSeconds;
    const { outcome, userGain, payoutGain } = await settleAndMeasure(client, user, () => client.close());

    assert.ok(usages.length >= 2, "usage updates arrive");
    usages.forEach((u, i) => {
      assert.equal(u.maxSeconds, 600);
      assert.equal(u.consumed, BigInt(u.elapsedSeconds) * PRICE_PER_SECOND, "consumed is the elapsed seconds at the session's price");
      assert.equal(u.remaining, deposit - u.consumed, "remaining is the rest of the deposit");
      if (i === 0) return;
      assert.ok(u.elapsedSeconds >= usages[i - 1]!.elapsedSeconds, "elapsed time never goes back");
      // One update per interval (a timer never fires early; a millisecond of clock rounding is allowed).
      assert.ok(u.at - usages[i - 1]!.at >= FAST_SETTINGS.usageIntervalMs - 5, `updates ${u.at - usages[i - 1]!.at} ms apart`);
    });
    assert.equal(client.ended?.reason, "client_closed");
    assert.ok(outcome.elapsedSeconds >= BigInt(acknowledged), "settled with at least the acknowledged receipt");
    assert.equal(outcome.elapsedSeconds, BigInt(client.ended!.elapsedSeconds), "settled with the receipt the gateway announced");
    assert.ok(outcome.elapsedSeconds <= BigInt(client.connectedSeconds + 2), "never more than the time connected + tolerance");
    const charged = outcome.elapsedSeconds * PRICE_PER_SECOND;
    assert.equal(outcome.paidToProvider, charged);
    assert.equal(outcome.refundedToUser, deposit - charged);
    assert.equal(payoutGain, charged, "the provider's payout receives exactly the seconds used");
    assert.equal(userGain, deposit - charged, "the user gets the rest back without sending a transaction");
    assert.ok(outcome.refundedToUser * 100n >= deposit * 98n, "a quick preview refunds at least 98%");
  });

  it("full use: a session that uses every paid second refunds nothing", async () => {
    const user = env.user(4).account.address;
    const client = await openClient(env, gateway, 4, { maxSeconds: 2 });
    const deposit = client.deposit!.deposit;
    const { outcome, userGain, payoutGain } = await settleAndMeasure(client, user, async () => {
      const access = await client.connect();
      await eventually(() => client.ended, 15_000, "the deposit to run out");
      const after = await fetch(access.url);
      assert.equal(after.status, 402, "no access once the paid time is over");
    });
    assert.equal(client.ended!.reason, "deposit_exhausted");
    assert.equal(outcome.elapsedSeconds, 2n);
    assert.equal(outcome.paidToProvider, deposit);
    assert.equal(outcome.refundedToUser, 0n);
    assert.equal(payoutGain, deposit);
    assert.equal(userGain, 0n);
  });

  it("dropped connection: the unused time is refunded after the reconnect grace, without the client", async () => {
    const user = env.user(5).account.address;
    const client = await openClient(env, gateway, 5, { maxSeconds: 300, autoReconnect: false });
    const deposit = client.deposit!.deposit;
    await client.connect();
    await eventually(() => client.acknowledgedSeconds >= 2, 10_000, "a receipt for 2 s");
    const { outcome, userGain, payoutGain } = await settleAndMeasure(client, user, async () => client.disconnect());
    const charged = outcome.elapsedSeconds * PRICE_PER_SECOND;
    assert.ok(outcome.elapsedSeconds >= 2n && outcome.elapsedSeconds <= BigInt(client.connectedSeconds + 2));
    assert.equal(outcome.elapsedSeconds, BigInt(client.acknowledgedSeconds), "settled with the last acknowledged receipt");
    assert.equal(payoutGain, charged);
    assert.equal(userGain, deposit - charged, "the unused time comes back");
  });

  it("a reconnect within the grace resumes the same session, and the gap is not charged", async () => {
    const client = await openClient(env, gateway, 6, { maxSeconds: 300 });
    const startedBefore = gateway.metrics().sessionsStarted as number;
    const first = await client.connect();
    await eventually(() => client.acknowledgedSeconds >= 1, 10_000, "a receipt for 1 s");
    client.disconnect();
    await eventually(() => client.state === "disconnected", 5_000, "the disconnect");
    const suspended = await fetch(first.url);
    assert.equal(suspended.status, 402);
    assert.equal(((await suspended.json()) as { error: { code: string } }).error.code, "session_suspended");

    const gapStart = Date.now();
    await sleep(300);
    const second = await client.connect();
    const gapMs = Date.now() - gapStart;
    assert.equal(second.token, first.token, "the session keeps its token");
    assert.equal((await fetch(second.url)).status, 200);
    await eventually(() => client.acknowledgedSeconds >= 2, 10_000, "a receipt for 2 s");
    await client.close();
    const outcome = await waitForOutcome(env, client.sessionId);
    assert.equal(outcome.status, "settled");
    if (outcome.status !== "settled") return;
    // The gateway counted only connected time: the receipt is bounded by the client's connected seconds.
    assert.ok(
      outcome.elapsedSeconds <= BigInt(client.connectedSeconds + 2),
      `charged ${outcome.elapsedSeconds} s, connected ${client.connectedSeconds} s, gap ${gapMs} ms`,
    );
    assert.equal(gateway.metrics().sessionsStarted, startedBefore + 1, "the resume did not start a new session");
  });

  it("a reconnect after the grace is too late: the session was settled without the client and is not resumed", async () => {
    const client = await openClient(env, gateway, 7, { maxSeconds: 300, autoReconnect: false });
    const { url } = await client.connect();
    await eventually(() => client.acknowledgedSeconds >= 1, 10_000, "a receipt for 1 s");
    client.disconnect();
    const outcome = await waitForOutcome(env, client.sessionId);
    assert.equal(outcome.status, "settled");
    if (outcome.status !== "settled") return;
    assert.ok(
      outcome.elapsedSeconds >= BigInt(client.acknowledgedSeconds) && outcome.elapsedSeconds <= BigInt(client.connectedSeconds + 2),
    );
    await assert.rejects(client.connect(), (error: { code?: string }) => error.code === "session_ended");
    const refused = await fetch(url);
    assert.equal(refused.status, 402);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, "token_expired");
  });
});
