/**
 * One hostile client cannot starve the gateway: connections that have not proved a payment are limited per
 * address and in all, and closed after a short proof timeout; proven sessions, and reconnects that resume them, are
 * served throughout. The attacker connects from other loopback addresses (127.0.0.x) than the users (127.0.0.1).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { WebSocket } from "ws";
import type { Ws402SchemaDocument } from "@web3torrent/sdk";
import { addressKey } from "../src/connectionLimits.ts";
import type { Gateway } from "../src/index.ts";
import { eventually, fetchSchema, openClient, setup, sleep, type TestEnv } from "./helpers.ts";

/** Opens a WebSocket from `localAddress`; resolves with "open" or the HTTP status of a refused upgrade. */
function attempt(url: string, localAddress: string): Promise<{ ws: WebSocket; status: "open" } | { status: number; body: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { localAddress });
    ws.on("error", () => {});
    ws.once("open", () => resolve({ ws, status: "open" }));
    ws.once("unexpected-response", (_request, response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
  });
}

describe("WS402 connection limits", () => {
  let env: TestEnv;
  let gateway: Gateway;
  let schema: Ws402SchemaDocument;
  const sockets: WebSocket[] = [];

  before(async () => {
    env = await setup();
    gateway = await env.startGateway({ maxUnprovenPerAddress: 8, maxUnproven: 20, proofTimeoutMs: 1_000, reconnectGraceMs: 3_000 });
    schema = await fetchSchema(gateway, "doc");
  });
  after(async () => {
    for (const ws of sockets) ws.terminate();
    await env.stop();
  });

  async function flood(from: string, count: number) {
    const results = await Promise.all(Array.from({ length: count }, () => attempt(schema.websocketEndpoint, from)));
    for (const result of results) if ("ws" in result) sockets.push(result.ws);
    return results;
  }

  it("groups addresses as the limits count them: IPv4 alone, IPv4-mapped as IPv4, IPv6 by /64", () => {
    assert.equal(addressKey("10.0.0.7"), "10.0.0.7");
    assert.equal(addressKey("::ffff:10.0.0.7"), "10.0.0.7");
    assert.equal(addressKey("2001:db8:0:12:aaaa::1"), "2001:db8:0:12::/64");
    assert.equal(addressKey("2001:db8::1"), "2001:db8:0:0::/64");
  });

  it("one address gets at most its unproven slots (429 beyond), which the proof timeout frees", async () => {
    const results = await flood("127.0.0.2", 30);
    const opened = results.filter((r) => r.status === "open").length;
    const refused = results.filter((r) => r.status === 429);
    assert.equal(opened, 8);
    assert.equal(refused.length, 22);
    assert.match((refused[0] as { body: string }).body, /Too many connections without a payment proof from this address \(at most 8\)/);
    // The timeout closes them and gives the slots back.
    await eventually(() => gateway.metrics().unprovenConnections === 0, 5_000, "the proof timeout");
    const again = await flood("127.0.0.2", 1);
    assert.equal(again[0]!.status, "open");
  });

  it("while attackers keep every unproven slot full, a proven session keeps running and its reconnect resumes it", async () => {
    const client = await openClient(env, gateway, 4, { maxSeconds: 300 });
    const first = await client.connect();
    let attacking = true;
    const refusedStatuses = new Set<number>();
    // Reopens, from three addresses, whatever the proof timeout closes: 24 wanted, 20 unproven slots in all. The
    // user's reconnect arrives with every slot taken and evicts the oldest of the address holding the most.
    const attack = (async () => {
      while (attacking) {
        for (const from of ["127.0.0.3", "127.0.0.4", "127.0.0.5"]) {
          for (const result of await flood(from, 8)) if (typeof result.status === "number") refusedStatuses.add(result.status);
        }
        await sleep(100);
      }
    })();
    try {
      await eventually(() => (gateway.metrics().unprovenConnections as number) >= 19, 5_000, "the attack to fill the unproven slots");
      await eventually(() => client.acknowledgedSeconds >= 2, 10_000, "receipts during the attack");
      client.disconnect();
      await eventually(() => client.state === "disconnected", 5_000, "the disconnect");
      const second = await client.connect();
      assert.equal(second.token, first.token, "the reconnect resumed the session");
      await eventually(() => client.acknowledgedSeconds >= 3, 10_000, "receipts after the reconnect");
      assert.ok(
        refusedStatuses.size > 0 && [...refusedStatuses].every((status) => status === 429 || status === 503),
        `${[...refusedStatuses]}`,
      );
      assert.ok((gateway.metrics().unprovenConnections as number) <= 20);
      assert.ok((gateway.metrics().unprovenEvicted as number) >= 1, "the user's reconnect took an attacker's slot");
    } finally {
      attacking = false;
      await attack;
      await client.close();
    }
  });
});
