/**
 * Failures of the gateway itself, with the gateway as a child process (src/main.ts):
 * - killed mid-session (SIGKILL), it restarts from its sqlite store and settles with the last receipt it had
 *   acknowledged — every session it had open, and every settlement it had not got mined; a client that reconnects
 *   within the grace resumes instead;
 * - if it does not come back in time, the user's requestClose and, after the grace period, reclaim return the whole
 *   deposit; the gateway restarted later records the session as reclaimed instead of settling it;
 * - if the user asks the contract to close while the gateway is alive, the gateway settles at once, so the
 *   provider is paid for what was signed.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, it } from "node:test";
import type { Hex } from "viem";
import { freePort } from "@web3torrent/devchain/freePort";
import { readWs402Session, WS402_SESSION_STATUS } from "@web3torrent/sdk";
import type { Gateway } from "../src/index.ts";
import {
  CLIP_PRICE_PER_SECOND,
  eventually,
  fetchSchema,
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

/** A session's row in a stopped gateway's database: what the gateway had made durable when it died. */
function storedSession(database: string, sessionId: bigint): { state: string; elapsed_seconds: number; tx_hash: Hex | null } {
  const db = new DatabaseSync(database);
  try {
    return db.prepare("SELECT state, elapsed_seconds, tx_hash FROM sessions WHERE session_id = ?").get(sessionId.toString()) as never;
  } finally {
    db.close();
  }
}

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

  it("killed with several sessions open and a settlement not yet mined, it restarts and settles every one", async () => {
    const database = `${env.dir}/many.sqlite`;
    // A long heartbeat: the sessions stay open until the kill without a receipt loop in the test.
    const configPath = env.writeConfig({ port: await freePort(), database, heartbeatTimeoutMs: 60_000 });
    const first = await spawn(configPath);
    const doc = await fetchSchema(first, "doc");
    const clip = await fetchSchema(first, "clip");
    const sessions = [
      { schema: doc, deposit: await openDeposit(env, doc, 7, 600), seconds: 2, price: PRICE_PER_SECOND, maxSeconds: 600n },
      { schema: clip, deposit: await openDeposit(env, clip, 8, 60), seconds: 1, price: CLIP_PRICE_PER_SECOND, maxSeconds: 60n },
      { schema: doc, deposit: await openDeposit(env, doc, 9, 300), seconds: 1, price: PRICE_PER_SECOND, maxSeconds: 300n },
    ];
    const clients = await Promise.all(sessions.map(({ schema }) => RawClient.connect(schema)));
    for (const [index, { deposit, seconds }] of sessions.entries()) {
      const client = clients[index]!;
      await client.prove(deposit.sessionKey, deposit.sessionId);
      // Receipts may run ahead of the gateway's count by the tolerance (2 s): no need to wait for the seconds.
      await client.receipt(deposit.sessionKey, deposit.sessionId, seconds);
      assert.equal((await client.next("receipt_accepted")).elapsedSeconds, seconds);
    }

    // The third session ends while the chain does not mine: its settlement is sent but never mined, and is lost
    // with the process (dropped from the node's pool below), as a transaction can be lost in a crash.
    const ended = sessions[2]!;
    await env.publicClient.request({ method: "evm_setAutomine" as never, params: [false] as never });
    try {
      clients[2]!.send({ type: "end_session" });
      assert.equal((await clients[2]!.next("session_ended")).elapsedSeconds, ended.seconds);
      const sent = await eventually(
        () => storedSession(database, ended.deposit.sessionId).tx_hash ?? undefined,
        15_000,
        "the settlement to be sent",
      );
      await first.kill("SIGKILL");
      assert.equal(await env.publicClient.request({ method: "hardhat_dropTransaction" as never, params: [sent] as never }), true);
    } finally {
      await env.publicClient.request({ method: "evm_setAutomine" as never, params: [true] as never });
    }
    await Promise.all(clients.map((client) => client.waitClosed()));

    // What the dead gateway left: two open sessions with their receipts, one settlement pending.
    assert.deepEqual(
      sessions.map(({ deposit }) => {
        const row = storedSession(database, deposit.sessionId);
        return [row.state, row.elapsed_seconds];
      }),
      [
        ["open", 2],
        ["open", 1],
        ["settling", 1],
      ],
    );
    for (const { deposit } of sessions) {
      const onChain = await readWs402Session(env.publicClient, env.chain.contracts.WS402Deposits, deposit.sessionId);
      assert.equal(onChain.status, WS402_SESSION_STATUS.open, "nothing settled while the gateway is down");
    }

    await spawn(configPath);
    for (const { deposit, seconds, price, maxSeconds } of sessions) {
      const outcome = await waitForOutcome(env, deposit.sessionId);
      assert.equal(outcome.status, "settled");
      if (outcome.status !== "settled") return;
      assert.equal(outcome.elapsedSeconds, BigInt(seconds), `session ${deposit.sessionId}: the last acknowledged receipt`);
      assert.equal(outcome.paidToProvider, BigInt(seconds) * price);
      assert.equal(outcome.refundedToUser, (maxSeconds - BigInt(seconds)) * price);
    }
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
    // session_started makes the client live; the new token follows in http_access_granted.
    await eventually(
      () => client.state === "live" && client.access?.token !== before.token,
      15_000,
      "the client to resume with a new token",
    );
    const after = client.access!;
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

    // The gateway comes back after all: it had the session open, finds it reclaimed, and records that once
    // instead of retrying a settlement that can never be made.
    const back = await spawn(configPath);
    const metrics = async () =>
      (await (await fetch(`${back.url}/metrics`)).json()) as {
        settlementsReclaimed: number;
        settlementsPending: number;
        settlementsFailed: number;
      };
    await eventually(
      async () => (await metrics()).settlementsReclaimed === 1,
      15_000,
      "the restarted gateway to find the session reclaimed",
    );
    assert.equal(storedSession(`${env.dir}/gone.sqlite`, client.sessionId).state, "reclaimed");
    const final = await metrics();
    assert.equal(final.settlementsPending, 0);
    assert.equal(final.settlementsFailed, 0);
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
