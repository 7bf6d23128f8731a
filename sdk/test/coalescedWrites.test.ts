/**
 * Coalesced writes: the messages a wire writes in one turn reach its transport as one chunk (one data-channel send),
 * never longer than the limit, in order and byte for byte what the peer's plain wire parses.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Wire from "bittorrent-protocol";
import { MAX_COALESCED_BYTES, coalesceWrites } from "../src/wire/coalescedWrites.ts";

const INFO_HASH = "ab".repeat(20);
const BLOCK = 16 * 1024;
const PIECE_HEADER = 13;
const REQUEST_BYTES = 17;

interface TestWire {
  handshake(infoHash: string, peerId: string): void;
  unchoke(): void;
  request(index: number, offset: number, length: number, cb: (error: Error | null) => void): void;
  piece(index: number, offset: number, buffer: Uint8Array): void;
  end(): void;
  pipe(destination: TestWire): TestWire;
  write(chunk: Uint8Array): boolean;
  on(event: string, listener: (...args: never[]) => void): void;
  once(event: string, listener: (...args: never[]) => void): void;
}

const newWire = () => new (Wire as unknown as new () => TestWire)();
const turn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * A wire (coalesced or not) connected to a plain one, both past the handshake and the sender unchoked; `chunks` are
 * the sizes of the chunks that reached the receiver's transport side.
 */
async function connected(coalesced: boolean) {
  const sender = newWire();
  const receiver = newWire();
  const chunks: number[] = [];
  const write = receiver.write.bind(receiver);
  receiver.write = (chunk) => {
    chunks.push(chunk.length);
    return write(chunk);
  };
  if (coalesced) coalesceWrites(sender);
  sender.pipe(receiver).pipe(sender);
  const unchoked = new Promise((resolve) => sender.once("unchoke", resolve));
  sender.handshake(INFO_HASH, "01".repeat(20));
  receiver.handshake(INFO_HASH, "02".repeat(20));
  receiver.unchoke();
  await unchoked;
  await turn();
  chunks.length = 0;
  return { sender, receiver, chunks };
}

function block(seed: number): Uint8Array {
  return Uint8Array.from({ length: BLOCK }, (_, i) => (i * 31 + seed) & 0xff);
}

describe("coalesced writes", () => {
  it("sends a piece's header and block as one chunk, where a plain wire sends two", async () => {
    for (const coalesced of [false, true]) {
      const { sender, receiver, chunks } = await connected(coalesced);
      const received = new Promise<Uint8Array>((resolve) => receiver.once("piece", (_i: number, _o: number, b: Uint8Array) => resolve(b)));
      sender.piece(3, BLOCK, block(1));
      assert.deepEqual(await received, block(1));
      assert.deepEqual(chunks, coalesced ? [PIECE_HEADER + BLOCK] : [PIECE_HEADER, BLOCK]);
    }
  });

  it("sends the requests of one turn as one chunk, parsed by the peer in order", async () => {
    const { sender, receiver, chunks } = await connected(true);
    const requests: number[] = [];
    receiver.on("request", (index: number) => requests.push(index));
    for (let index = 0; index < 20; index++) sender.request(index, 0, BLOCK, () => {});
    await turn();
    await turn();
    assert.deepEqual(requests, [...Array(20).keys()]);
    assert.deepEqual(chunks, [20 * REQUEST_BYTES]);
  });

  it("never sends a chunk longer than the limit, and the blocks arrive whole and in order", async () => {
    const { sender, receiver, chunks } = await connected(true);
    const count = 10;
    const pieces: { index: number; block: Uint8Array }[] = [];
    const all = new Promise<void>((resolve) =>
      receiver.on("piece", (index: number, _offset: number, b: Uint8Array) => {
        pieces.push({ index, block: b });
        if (pieces.length === count) resolve();
      }),
    );
    for (let index = 0; index < count; index++) sender.piece(index, 0, block(index));
    await all;
    assert.deepEqual(
      pieces.map((p) => p.index),
      [...Array(count).keys()],
    );
    for (const { index, block: b } of pieces) assert.deepEqual(b, block(index));
    assert.ok(
      chunks.every((size) => size <= MAX_COALESCED_BYTES),
      `chunks: ${chunks}`,
    );
    assert.equal(
      chunks.reduce((a, b) => a + b, 0),
      count * (PIECE_HEADER + BLOCK),
    );
    assert.ok(chunks.length < count, `${chunks.length} chunks for ${count} pieces`);
  });

  it("sends what is pending before the wire's end", async () => {
    const { sender, receiver } = await connected(true);
    const requests: number[] = [];
    receiver.on("request", (index: number) => requests.push(index));
    const ended = new Promise((resolve) => receiver.once("end", resolve));
    sender.request(7, 0, BLOCK, () => {});
    sender.end();
    await ended;
    assert.deepEqual(requests, [7]);
  });
});
