/**
 * The peer wire's message limits: a peer announcing a message longer than any valid one is dropped before the
 * message is buffered; valid messages of every size the protocol uses still pass.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Wire from "bittorrent-protocol";
import { MAX_PEER_MESSAGE_BYTES, WIRE_BLOCK_BYTES, guardWire } from "../src/wire/messageLimits.ts";
import { leecherExtension } from "../src/wire/leecherExtension.ts";
import type { LeecherSession } from "../src/wire/leecherSession.ts";

const INFO_HASH = "ab".repeat(20);
const EXTENDED = 20;
const MiB = 1024 * 1024;

interface TestWire {
  handshake(infoHash: string, peerId: string, extensions?: Record<string, boolean>): void;
  piece(index: number, offset: number, buffer: Uint8Array): void;
  on(event: string, listener: (...args: never[]) => void): void;
  once(event: string, listener: (...args: never[]) => void): void;
  write(data: Uint8Array): boolean;
  use(extension: unknown): void;
  destroyed: boolean;
  _bufferSize: number;
}

/** A wire that has received the attacker's handshake, so it is parsing messages. */
function victim(guarded: boolean): TestWire {
  const wire = new (Wire as unknown as new () => TestWire)();
  wire.on("error", () => {});
  wire.once("handshake", () => {
    if (guarded) guardWire(wire);
  });
  const handshake = new Uint8Array(68);
  handshake[0] = 19;
  handshake.set(new TextEncoder().encode("BitTorrent protocol"), 1);
  handshake[25] = 0x10; // BEP 10
  handshake.set(Buffer.from(INFO_HASH, "hex"), 28);
  handshake.set(Buffer.from("cd".repeat(20), "hex"), 48);
  wire.write(handshake);
  return wire;
}

function header(length: number, id: number): Uint8Array {
  const bytes = new Uint8Array(5);
  new DataView(bytes.buffer).setUint32(0, length);
  bytes[4] = id;
  return bytes;
}

/** Streams `total` bytes of an announced `length`-byte message in 64 KiB chunks, yielding between them as a socket does. */
async function flood(wire: TestWire, length: number, id: number, total: number): Promise<void> {
  wire.write(header(length, id));
  const chunk = new Uint8Array(64 * 1024);
  for (let sent = 0; sent < total && !wire.destroyed; sent += chunk.length) {
    wire.write(chunk);
    await tick();
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("peer wire message limits", () => {
  it("an unguarded wire buffers whatever length a peer announces (the attack)", async () => {
    const wire = victim(false);
    await flood(wire, 256 * MiB, EXTENDED, 8 * MiB);
    await tick();
    assert.equal(wire.destroyed, false);
    assert.ok(wire._bufferSize >= 8 * MiB - 64 * 1024, `buffered ${wire._bufferSize} bytes`);
  });

  it("a peer announcing a 256 MiB extended message is dropped before its body is buffered", async () => {
    const wire = victim(true);
    const refused: number[][] = [];
    wire.on("messageTooLong", (id: never, length: never, limit: never) => refused.push([id, length, limit]));
    await flood(wire, 256 * MiB, EXTENDED, 8 * MiB);
    await tick();
    assert.equal(wire.destroyed, true);
    assert.deepEqual(refused, [[EXTENDED, 256 * MiB, MAX_PEER_MESSAGE_BYTES[EXTENDED]]]);
    assert.ok(wire._bufferSize <= 64 * 1024, `buffered ${wire._bufferSize} bytes`);
  });

  it("a piece message longer than a 16 KiB block plus its header is dropped", async () => {
    const wire = victim(true);
    await flood(wire, 9 + WIRE_BLOCK_BYTES + 1, 7, 32 * 1024);
    await tick();
    assert.equal(wire.destroyed, true);
  });

  it("a short message padded up to a piece's length buffers no more than a piece; one byte more is dropped", async () => {
    // Up to a piece message's length the library takes a message unread, whatever its id: a padded `have` costs at
    // most what a block does. Past it, the id's own limit applies (a `have` is 5 bytes).
    const padded = victim(true);
    await flood(padded, 9 + WIRE_BLOCK_BYTES, 4, 9 + WIRE_BLOCK_BYTES);
    const longer = victim(true);
    await flood(longer, 9 + WIRE_BLOCK_BYTES + 1, 4, 32 * 1024);
    await tick();
    assert.equal(padded.destroyed, false);
    assert.ok(padded._bufferSize <= 9 + WIRE_BLOCK_BYTES, `buffered ${padded._bufferSize} bytes`);
    assert.equal(longer.destroyed, true);
    assert.ok(longer._bufferSize <= 64 * 1024, `buffered ${longer._bufferSize} bytes`);
  });

  it("a bitfield longer than the largest torrent's is dropped, and an unknown id is bounded too", async () => {
    const bitfield = victim(true);
    await flood(bitfield, MAX_PEER_MESSAGE_BYTES[5]! + 1, 5, 64 * 1024);
    const unknown = victim(true);
    await flood(unknown, 1 * MiB, 99, 64 * 1024);
    await tick();
    assert.equal(bitfield.destroyed, true);
    assert.equal(unknown.destroyed, true);
  });

  it("valid messages of the largest sizes still reach the wire, split across any chunking", async () => {
    const wire = victim(true);
    const seen: string[] = [];
    wire.on("keep-alive", () => seen.push("keep-alive"));
    wire.on("piece", (index: never, offset: never, buffer: never) =>
      seen.push(`piece ${index} ${offset} ${(buffer as Uint8Array).length}`),
    );
    wire.on("have", (index: never) => seen.push(`have ${index}`));
    wire.on("unchoke", () => seen.push("unchoke"));
    const block = new Uint8Array(9 + WIRE_BLOCK_BYTES);
    new DataView(block.buffer).setUint32(1, 3);
    new DataView(block.buffer).setUint32(5, WIRE_BLOCK_BYTES);
    block[0] = 7;
    const have = Uint8Array.of(0, 0, 0, 5, 4, 0, 0, 0, 9);
    const stream = Buffer.concat([
      new Uint8Array(4), // keep-alive
      Uint8Array.of(0, 0, 0, 1, 1), // unchoke
      header(block.length, 7).subarray(0, 4),
      block,
      have,
    ]);
    // Byte by byte for the headers, then the rest at once: the guard must not depend on chunk boundaries.
    for (let i = 0; i < 20; i++) wire.write(stream.subarray(i, i + 1));
    wire.write(stream.subarray(20));
    await tick();
    assert.equal(wire.destroyed, false);
    assert.deepEqual(seen, ["keep-alive", "unchoke", `piece 3 ${WIRE_BLOCK_BYTES} ${WIRE_BLOCK_BYTES}`, "have 9"]);
  });

  it("the w3t_pay extension guards the wire it is used on", async () => {
    const guarded = victim(false);
    guarded.use(
      leecherExtension({ wake() {}, wireClosed() {} } as unknown as LeecherSession, { infoHash: "00".repeat(20), peerId: "11".repeat(20) }),
    );
    await flood(guarded, 256 * MiB, EXTENDED, 1 * MiB);
    await tick();
    assert.equal(guarded.destroyed, true);
  });
});
