// @vitest-environment jsdom
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebTorrent from "webtorrent";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshBitfield, keepVerifiedPieces, startupBitfield, type StoreRoot } from "./verifiedPieces.ts";
import type { Torrent } from "./webtorrentTypes.ts";

// 40 pieces of 16 KiB (create-torrent's default piece length at this size), the last one short.
const CONTENT = Uint8Array.from({ length: 39 * 16_384 + 1_000 }, (_, i) => (i * 7 + (i >> 9)) % 251);
const NAME = "clip.bin";

const client = new WebTorrent({ dht: false, tracker: false, lsd: false, utp: false, webSeeds: false, natUpnp: false, natPmp: false });
let torrentFile: Uint8Array;
let infoHash: string;
let dir: string;

/**
 * Stand-ins for the Origin Private File System's root, which jsdom lacks; the content itself is in a folder of this
 * machine's file system (WebTorrent's Node store), where the browser's store would keep it.
 */
function rootWith(...names: string[]): Promise<StoreRoot> {
  return Promise.resolve({
    async *keys() {
      yield* names;
    },
  });
}
const NO_FOLDERS = rootWith("other - 0123abcd");

/** The page's Storage (jsdom's localStorage), emptied for each test. */
function freshStorage(): Storage {
  localStorage.clear();
  return localStorage;
}

/** Adds the torrent over the content in `path` (or an empty store), counts the pieces hashed at startup. */
async function add(path: string, bitfield: Uint8Array | undefined, storage: Storage) {
  let hashed = 0;
  const torrent = client.add(torrentFile, { path, bitfield, announce: [] }) as unknown as Torrent;
  torrent.on("verified", () => hashed++);
  keepVerifiedPieces(torrent, storage);
  await new Promise((resolve) => torrent.once("ready", resolve));
  const claimed = Array.from({ length: torrent.pieces.length }, (_, i) => torrent.bitfield!.get(i)).filter(Boolean).length;
  await new Promise<void>((resolve) => torrent.destroy({}, () => resolve()));
  return { hashed, claimed, pieces: torrent.pieces.length };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "verified-pieces-"));
  writeFileSync(join(dir, NAME), CONTENT);
  const seeded = await new Promise<Torrent & { torrentFile: Uint8Array }>((resolve) =>
    client.seed(Buffer.from(CONTENT), { name: NAME, announce: [] }, (t: never) => resolve(t)),
  );
  torrentFile = seeded.torrentFile;
  infoHash = seeded.infoHash;
  await new Promise<void>((resolve) => seeded.destroy({}, () => resolve()));
});

afterAll(async () => {
  await new Promise<void>((resolve) => client.destroy(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

describe("the verified-piece record", () => {
  it("starts a torrent never recorded with an all-zero bitfield of its size: nothing hashed, nothing trusted", async () => {
    const storage = freshStorage();
    const bitfield = await startupBitfield(infoHash, CONTENT.length, storage, NO_FOLDERS);
    expect(bitfield).toEqual(new Uint8Array(5));
    // The content is on disk, but this app never verified it: it is neither hashed nor trusted.
    expect(await add(dir, bitfield, storage)).toEqual({ hashed: 0, claimed: 0, pieces: 40 });
  });

  it("hashes a store that holds the torrent's folder but no record: what it holds is neither fetched nor paid again", async () => {
    const storage = freshStorage();
    const folder = `${NAME} - ${infoHash.slice(0, 8)}`;
    expect(await startupBitfield(infoHash, CONTENT.length, storage, rootWith(folder))).toBeUndefined();
    expect(await add(dir, undefined, storage)).toEqual({ hashed: 40, claimed: 40, pieces: 40 });
    // A root that cannot be read may hold it too.
    const unreadable: Promise<StoreRoot> = Promise.resolve({
      keys: () => ({
        [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new DOMException("denied", "SecurityError")) }),
      }),
    });
    expect(await startupBitfield(infoHash, CONTENT.length, freshStorage(), unreadable)).toBeUndefined();
  });

  it("without a bitfield WebTorrent hashes every piece of its store (the cost the record saves)", async () => {
    expect(await add(dir, undefined, freshStorage())).toEqual({ hashed: 40, claimed: 40, pieces: 40 });
  });

  it("writes what verifies and hands it back: a true record is spot-checked, not hashed again", async () => {
    const storage = freshStorage();
    await add(dir, undefined, storage);
    const record = await startupBitfield(infoHash, CONTENT.length, storage, NO_FOLDERS);
    expect(record).toEqual(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff));
    expect(await add(dir, record, storage)).toEqual({ hashed: 1, claimed: 40, pieces: 40 });
  });

  it("a record that lies (the store was emptied) fails the spot check: the file is re-verified and the record cleared", async () => {
    const storage = freshStorage();
    await add(dir, undefined, storage);
    const empty = mkdtempSync(join(tmpdir(), "verified-pieces-empty-"));
    try {
      expect(await add(empty, await startupBitfield(infoHash, CONTENT.length, storage, NO_FOLDERS), storage)).toEqual({
        hashed: 0,
        claimed: 0,
        pieces: 40,
      });
      expect(await startupBitfield(infoHash, CONTENT.length, storage, NO_FOLDERS)).toEqual(new Uint8Array(5));
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("a record that cannot be written (storage full) is left unknown: the next add hashes the store", async () => {
    const storage = freshStorage();
    // Room for the record's key and an empty value (the unknown mark), not for the bitfield.
    const key = `w3t.verifiedPieces.${infoHash}`;
    storage.setItem("filler", "x".repeat(5_000_000 - "filler".length - key.length - 4));
    await add(dir, undefined, storage);
    expect(storage.getItem(key)).toBe("");
    expect(await startupBitfield(infoHash, CONTENT.length, storage, NO_FOLDERS)).toBeUndefined();
    expect(await add(dir, undefined, storage)).toEqual({ hashed: 40, claimed: 40, pieces: 40 });
  });

  it("sizes a fresh bitfield by create-torrent's piece length for the content's size", () => {
    // 48 MiB: 64 KiB pieces, 768 of them, 96 bytes.
    expect(freshBitfield(48 * 1024 * 1024).length).toBe(96);
    expect(freshBitfield(39 * 16_384 + 1_000).length).toBe(5);
  });
});
