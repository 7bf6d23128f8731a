/**
 * What one hostile WebSocket client may cost the tracker: a small payload limit, announces and swarms per socket,
 * and a bounded number of swarms for unregistered content. Legitimate peers are served meanwhile; the attacker is
 * told why it is refused.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { WebSocket } from "ws";
import { startTracker, type Tracker } from "../src/tracker.ts";
import { DEFAULT_MAX_PAYLOAD_BYTES, MAX_REFUSALS_PER_SOCKET } from "../src/trackerLimits.ts";

const peerId = (n: number) => `-W3T000-${String(n).padStart(12, "0")}`;
/** A distinct 20-byte infohash (as the WebSocket protocol sends it: a latin1 string). */
const infoHash = (n: number) => Buffer.from(n.toString(16).padStart(40, "0"), "hex").toString("latin1");

const open = new Set<WebSocket>();

async function connect(tracker: Tracker) {
  const socket = new WebSocket(tracker.url);
  open.add(socket);
  await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
  const messages: Record<string, unknown>[] = [];
  socket.on("message", (data) => messages.push(JSON.parse(String(data))));
  return { socket, messages };
}

function announce(socket: WebSocket, id: string, hash: string, padding = "") {
  socket.send(
    JSON.stringify({
      action: "announce",
      info_hash: hash,
      peer_id: id,
      event: "started",
      numwant: 0,
      uploaded: 0,
      downloaded: 0,
      left: 0,
      padding,
    }),
  );
}

const until = async (check: () => boolean, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};
const failures = (messages: Record<string, unknown>[]) => messages.filter((m) => m["failure reason"]).map((m) => m["failure reason"]);
const answered = (messages: Record<string, unknown>[]) => messages.filter((m) => m.action === "announce" && !m["failure reason"]).length;

async function withTracker(options: Parameters<typeof startTracker>[0], run: (tracker: Tracker) => Promise<void>) {
  const tracker = await startTracker(options);
  try {
    await run(tracker);
  } finally {
    for (const socket of open) socket.terminate();
    open.clear();
    await tracker.close();
  }
}

describe("tracker limits for one hostile client", () => {
  it("closes a socket sending a message over the payload limit (1009) and keeps serving others", () =>
    withTracker({}, async (tracker) => {
      const attacker = await connect(tracker);
      const closed = new Promise<number>((resolve) => attacker.socket.once("close", resolve));
      announce(attacker.socket, peerId(1), infoHash(1), "x".repeat(8 * 1024 * 1024));
      assert.equal(await closed, 1009);
      const peer = await connect(tracker);
      announce(peer.socket, peerId(2), infoHash(2), "x".repeat(DEFAULT_MAX_PAYLOAD_BYTES / 2));
      await until(() => answered(peer.messages) === 1);
      assert.equal((await (await fetch(tracker.statsUrl)).json()).torrents, 1);
      peer.socket.close();
    }));

  it("refuses announces beyond a socket's rate, with a failure reason, while other sockets are served", () =>
    withTracker({ limits: { announceBurst: 5, announcesPerSecond: 1 } }, async (tracker) => {
      const attacker = await connect(tracker);
      for (let i = 0; i < 20; i++) announce(attacker.socket, peerId(1), infoHash(1));
      await until(() => attacker.messages.length === 20);
      assert.equal(answered(attacker.messages), 5);
      assert.deepEqual(new Set(failures(attacker.messages)), new Set(["too many announces: at most 1 per second per connection"]));
      const peer = await connect(tracker);
      announce(peer.socket, peerId(2), infoHash(1));
      await until(() => peer.messages.length === 1);
      assert.equal(answered(peer.messages), 1);
      assert.equal(tracker.refused.rate, 15);
      attacker.socket.close();
      peer.socket.close();
    }));

  it("closes a socket that keeps announcing after its refusals (1008)", () =>
    withTracker({ limits: { announceBurst: 5, announcesPerSecond: 1 } }, async (tracker) => {
      const attacker = await connect(tracker);
      const closed = new Promise<number>((resolve) => attacker.socket.once("close", resolve));
      for (let i = 0; i < MAX_REFUSALS_PER_SOCKET + 50; i++) announce(attacker.socket, peerId(1), infoHash(1));
      assert.equal(await closed, 1008);
      assert.equal(failures(attacker.messages).length, MAX_REFUSALS_PER_SOCKET);
    }));

  it("one socket cannot create more swarms than its limit", () =>
    withTracker({ limits: { maxSwarmsPerSocket: 10 } }, async (tracker) => {
      const attacker = await connect(tracker);
      for (let i = 0; i < 50; i++) announce(attacker.socket, peerId(1), infoHash(i));
      await until(() => attacker.messages.length === 50);
      assert.equal(Object.keys(tracker.swarms()).length, 10);
      assert.deepEqual(new Set(failures(attacker.messages)), new Set(["too many swarms: at most 10 per connection"]));
      // Swarms it already joined are still served.
      announce(attacker.socket, peerId(1), infoHash(3));
      await until(() => attacker.messages.length === 51);
      assert.equal(attacker.messages[50]!["failure reason"], undefined);
      attacker.socket.close();
    }));

  it("bounds swarms of unregistered content across sockets, serves registered content, and frees empty swarms", () =>
    withTracker(
      { limits: { maxSwarmsPerSocket: 15, maxUnregisteredSwarms: 20, isRegistered: (hash) => hash === "f".repeat(40) } },
      async (tracker) => {
        const first = await connect(tracker);
        const second = await connect(tracker);
        for (let i = 0; i < 15; i++) announce(first.socket, peerId(1), infoHash(i));
        await until(() => first.messages.length === 15);
        for (let i = 100; i < 115; i++) announce(second.socket, peerId(2), infoHash(i));
        await until(() => second.messages.length === 15);
        assert.equal(Object.keys(tracker.swarms()).length, 20);
        assert.deepEqual(new Set(failures(second.messages)), new Set(["too many swarms of unregistered content: at most 20"]));
        const registered = await connect(tracker);
        announce(registered.socket, peerId(3), Buffer.from("f".repeat(40), "hex").toString("latin1"));
        await until(() => registered.messages.length === 1);
        assert.equal(answered(registered.messages), 1);
        // The first socket leaves: its swarms empty out and are deleted, so new content can have a swarm again.
        first.socket.close();
        await until(() => Object.keys(tracker.swarms()).length <= 6);
        announce(second.socket, peerId(2), infoHash(200));
        await until(() => second.messages.length === 16);
        assert.equal(second.messages[15]!["failure reason"], undefined);
        second.socket.close();
        registered.socket.close();
      },
    ));

  it("a socket dropped with answers still being sent is closed once (no listener piling up per failed send)", () =>
    withTracker({}, async (tracker) => {
      const warnings: Error[] = [];
      const onWarning = (warning: Error) => warnings.push(warning);
      process.on("warning", onWarning);
      try {
        for (let round = 0; round < 5; round++) {
          const { socket } = await connect(tracker);
          for (let i = 0; i < 100; i++) announce(socket, peerId(round), infoHash(round * 1000 + i));
          await new Promise((resolve) => setTimeout(resolve, 5));
          socket.terminate();
        }
        await until(() => Object.keys(tracker.swarms()).length === 0);
        await new Promise((resolve) => setTimeout(resolve, 100));
      } finally {
        process.off("warning", onWarning);
      }
      assert.deepEqual(
        warnings.map((w) => `${w.name}: ${w.message}`),
        [],
      );
    }));
});
