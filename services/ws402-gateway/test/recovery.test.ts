/**
 * Failures of the gateway itself, with the gateway as a child process (src/main.ts):
 * - killed mid-session (SIGKILL), it restarts from its sqlite store and settles with the last receipt it had
 *   acknowledged; a client that reconnects within the grace resumes instead;
 * - if it never comes back, the user's requestClose and, after the grace period, reclaim return the whole deposit;
 * - if the user asks the contract to close while the gateway is alive, the gateway settles at once, so the
 *   provider is paid for what was signed.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { readWs402Session, WS402_SESSION_STATUS } from "@web3torrent/sdk";
import type { Gateway } from "../src/index.ts";
import {
  eventually,
  freePort,
  openClient,
  openDeposit,
  PRICE_PER_SECOND,
  RawClient,
  setup,
  sleep,
  spawnGateway,
  waitForOutcome,
  type GatewayProcess,
  type TestEnv,
} from "./helpers.ts";

/** The contract's grace period in the local deployment parameters (deploy/parameters/local.json). */
const GRACE_PERIOD_SECONDS = 60;

describe("WS402 gateway failures", () => {
  let env: TestEnv;
  const children: GatewayProcess[] = [];

  before(async () => {
    env = await setup();
  });
  after(async () => {
    await Promise.all(children.map((child) => child.kill()));
    await env.stop();
  });

  async function spawn(configPath: string): Promise<GatewayProcess> {
    const child = await spawnGateway(configPath, env.providerKey);
    children.push(child);
    return child;
  }

  it("killed mid-session, it restarts and settles with the last receipt it acknowledged", async () => {
    const configPath = env.writeConfig({ port: await freePort(), database: `${env.dir}/killed.sqlite` });
    const first = await spawn(configPath);
    const schema = await (await fetch(first.schemaUrl("doc"))).json();
    const deposit = await openDeposit(env, schema, 3, 600);
    const client = await RawClient.connect(schema);
    await client.prove(deposit.sessionKey, deposit.sessionId);
    for (const seconds of [0, 1, 2]) {
      if (seconds > 0) await sleep(1_050);
      await client.receipt(deposit.sessionKey, deposit.sessionId, seconds);
      assert.equal((await client.next("receipt_accepted")).elapsedSeconds, seconds);
    }
    const payoutBefore = await env.balance(env.payoutAddress);
    const userBefore = await env.balance(env.user(3).account.address);

    await first.kill("SIGKILL");
    await client.waitClosed();
    const whileDown = await readWs402Session(env.publicClient, env.chain.contracts.WS402Deposits, deposit.sessionId);
    assert.equal(whileDown.status, WS402_SESSION_STATUS.open, "still open on-chain while the gateway is down");

    await spawn(configPath);
    const outcome = await waitForOutcome(env, deposit.sessionId);
    assert.equal(outcome.status, "settled");
    if (outcome.status !== "settled") return;
    assert.equal(outcome.elapsedSeconds, 2n, "the last acknowledged receipt");
    assert.equal(outcome.paidToProvider, 2n * PRICE_PER_SECOND);
    assert.equal(outcome.refundedToUser, 598n * PRICE_PER_SECOND);
    assert.equal((await env.balance(env.payoutAddress)) - payoutBefore, 2n * PRICE_PER_SECOND);
    assert.equal((await env.balance(env.user(3).account.address)) - userBefore, 598n * PRICE_PER_SECOND);
  });

  it("killed mid-session, a client that reconnects within the grace resumes its session on the restarted gateway", async () => {
    const port = await freePort();
    const configPath = env.writeConfig({ port, database: `${env.dir}/resumed.sqlite`, reconnectGraceMs: 20_000 });
    const first = await spawn(configPath);
    const client = await openClient(env, first, 4, { maxSeconds: 600 });
    const before = await client.connect();
    await eventually(() => client.acknowledgedSeconds >= 1, 10_000, "a receipt for 1 s");
    const acknowledged = client.acknowledgedSeconds;

    await first.kill("SIGKILL");
    await eventually(() => client.state === "reconnecting", 5_000, "the client to notice");
    await spawn(configPath);
    await eventually(() => client.state === "live", 15_000, "the client to resume");
    const after = client.access!;
    assert.notEqual(after.token, before.token, "a restarted gateway issues a new token");
    assert.equal((await fetch(before.url, { method: "HEAD" })).status, 402, "the old token died with the old process");
    assert.equal((await fetch(after.url, { method: "HEAD" })).status, 200);
    await eventually(() => client.acknowledgedSeconds > acknowledged, 10_000, "receipts after the restart");

    await client.close();
    const outcome = await waitForOutcome(env, client.sessionId);
    assert.equal(outcome.status, "settled");
    if (outcome.status !== "settled") return;
    assert.ok(outcome.elapsedSeconds > BigInt(acknowledged), "the seconds after the restart count too");
    assert.ok(outcome.elapsedSeconds <= BigInt(client.connectedSeconds + 2));
  });

  it("the provider never settles: requestClose, then reclaim after the grace period, returns the whole deposit", async () => {
    const configPath = env.writeConfig({ port: await freePort(), database: `${env.dir}/gone.sqlite` });
    const gateway = await spawn(configPath);
    const client = await openClient(env, gateway, 5, { maxSeconds: 600, autoReconnect: false });
    await client.connect();
    await eventually(() => client.acknowledgedSeconds >= 1, 10_000, "a receipt for 1 s");
    await gateway.kill("SIGKILL");
    await eventually(() => client.state === "disconnected", 5_000, "the client to notice");

    const user = env.user(5).account.address;
    const before = await env.balance(user);
    await assert.rejects(client.close(), /not connected/);
    const { deadline, txHash: closeTx } = await client.requestClose();
    await assert.rejects(client.reclaim(), /GracePeriodNotOver/, "not before the grace period is over");
    await env.chain.increaseTime(GRACE_PERIOD_SECONDS);
    const latest = await env.publicClient.getBlock();
    assert.ok(latest.timestamp >= BigInt(deadline));
    const { amount, txHash: reclaimTx } = await client.reclaim();
    assert.equal(amount, client.deposit!.deposit, "the whole deposit");

    const gas = async (hash: `0x${string}`) => {
      const receipt = await env.publicClient.getTransactionReceipt({ hash });
      return receipt.gasUsed * receipt.effectiveGasPrice;
    };
    const spentOnGas = (await gas(closeTx)) + (await gas(reclaimTx));
    assert.equal((await env.balance(user)) - before, amount - spentOnGas, "to the wei, less the gas of the two transactions");
    const outcome = await client.outcome();
    assert.deepEqual(outcome && outcome.status, "reclaimed");
  });

  it("a close requested on-chain while the gateway is alive is settled at once with the latest receipt", async () => {
    const gateway: Gateway = await env.startGateway({ database: `${env.dir}/watch.sqlite` });
    const client = await openClient(env, gateway, 6, { maxSeconds: 600 });
    await client.connect();
    await eventually(() => client.acknowledgedSeconds >= 1, 10_000, "a receipt for 1 s");
    await client.requestClose();
    const outcome = await waitForOutcome(env, client.sessionId);
    assert.equal(outcome.status, "settled", "the provider settled within the grace period");
    if (outcome.status !== "settled") return;
    assert.ok(outcome.elapsedSeconds >= 1n);
    assert.equal(outcome.paidToProvider, outcome.elapsedSeconds * PRICE_PER_SECOND);
    await env.chain.increaseTime(GRACE_PERIOD_SECONDS);
    await assert.rejects(client.reclaim(), /SessionNotOpen/, "nothing left to reclaim");
  });
});
