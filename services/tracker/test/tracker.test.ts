/**
 * The tracker: serves WebSocket announces and statistics, sends a leecher's WebRTC offers to seeders first, reads a
 * magnet peer's unknown `left` as incomplete, and survives garbage.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { WebSocket } from "ws";
import { startTracker, type Tracker } from "../src/tracker.ts";

const INFO_HASH = "a".repeat(20);
const peerId = (n: number) => `-W3T000-${String(n).padStart(12, "0")}`;

/** A bare WebSocket tracker client. */
async function connect(tracker: Tracker) {
  const socket = new WebSocket(tracker.url);
  await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
  const messages: Record<string, unknown>[] = [];
  socket.on("message", (data) => messages.push(JSON.parse(String(data))));
  return { socket, messages };
}

function announce(socket: WebSocket, id: string, left: number | null, offers = 0) {
  socket.send(
    JSON.stringify({
      action: "announce",
      info_hash: INFO_HASH,
      peer_id: id,
      event: "started",
      numwant: offers,
      uploaded: 0,
      downloaded: 0,
      left,
      offers: Array.from({ length: offers }, (_, i) => ({
        offer: { type: "offer", sdp: `sdp-${id}-${i}` },
        offer_id: `${i}`.repeat(20).slice(0, 20),
      })),
    }),
  );
}

const until = async (check: () => boolean) => {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 10));
};

describe("the tracker", () => {
  let tracker: Tracker;
  before(async () => {
    tracker = await startTracker();
  });
  after(() => tracker.close());

  it("answers statistics over HTTP", async () => {
    const response = await fetch(tracker.statsUrl);
    assert.equal(response.status, 200);
    assert.equal(typeof (await response.json()).torrents, "number");
  });

  it("forwards a leecher's offers to seeders before other leechers, and reads left: null as a leecher", async () => {
    const seeder = await connect(tracker);
    const leechers = await Promise.all([1, 2, 3, 4, 5, 6].map(() => connect(tracker)));
    const newcomer = await connect(tracker);
    try {
      announce(seeder.socket, peerId(1), 0);
      for (const [i, l] of leechers.entries()) announce(l.socket, peerId(10 + i), null);
      await until(() => tracker.swarms()[Buffer.from(INFO_HASH).toString("hex")] === 7);

      announce(newcomer.socket, peerId(99), null, 1); // one offer: it must go to the seeder
      const gotOffer = (c: { messages: Record<string, unknown>[] }) => c.messages.some((m) => m.offer);
      await until(() => [seeder, ...leechers].some(gotOffer));
      assert.ok(gotOffer(seeder), "the seeder got the offer");
      assert.ok(!leechers.some(gotOffer), "no leecher did");
    } finally {
      for (const client of [seeder, newcomer, ...leechers]) client.socket.close();
    }
  });

  it("does not cross offers between two peers (WebRTC glare)", async () => {
    const a = await connect(tracker);
    const b = await connect(tracker);
    try {
      const infoHash = "b".repeat(20);
      const send = (socket: WebSocket, id: string, left: number) =>
        socket.send(
          JSON.stringify({
            action: "announce",
            info_hash: infoHash,
            peer_id: id,
            event: "started",
            numwant: 1,
            uploaded: 0,
            downloaded: 0,
            left,
            offers: [{ offer: { type: "offer", sdp: `sdp-${id}` }, offer_id: "x".repeat(20) }],
          }),
        );
      send(a.socket, peerId(201), 0);
      await until(() => a.messages.length === 1); // A's announce answered: nobody else to offer to
      send(b.socket, peerId(202), 100);
      await until(() => a.messages.some((m) => m.offer)); // B's offer reached A, which will answer it
      send(a.socket, peerId(201), 0); // A announces again, with an offer of its own
      await until(() => a.messages.filter((m) => m.action === "announce" && !m.offer).length === 2);
      assert.ok(!b.messages.some((m) => m.offer), "A's offer was not sent to B, whose offer A is answering");
    } finally {
      a.socket.close();
      b.socket.close();
    }
  });

  it("keeps running when a client sends garbage", async () => {
    const client = await connect(tracker);
    client.socket.send("not json");
    client.socket.send(JSON.stringify({ action: "announce", info_hash: "short" }));
    await until(() => client.messages.length === 2);
    assert.ok(client.messages.every((m) => typeof m["failure reason"] === "string"));
    client.socket.close();
    assert.equal((await fetch(tracker.statsUrl)).status, 200);
  });
});
