/// <reference path="./pieceLength.d.ts" />
/**
 * The verified-piece record of each torrent, kept in this origin's storage and handed back to WebTorrent at add
 * (`client.add(id, { bitfield })`), as a desktop client keeps its resume data. Without it WebTorrent reads and
 * hashes every piece from its browser store (the Origin Private File System in Chromium) once the metadata arrives,
 * which costs seconds before the first block of a video is asked for. With a bitfield of the right size it trusts
 * the record and hashes one piece per file the record claims; a wrong claim there re-verifies the whole file.
 *
 * A torrent never recorded, of which the store holds nothing, starts with an all-zero bitfield: nothing is hashed and
 * nothing is trusted, since this app verified none of its pieces. Its size follows the piece length that create-torrent (WebTorrent's, the
 * seeder's and the CLI's) picks for the content's size; a torrent made with another piece length gets a bitfield of
 * another size, which WebTorrent ignores and hashes its store as before.
 */
import calcPieceLength from "piece-length";
import type { Torrent } from "./webtorrentTypes.ts";

const KEY_PREFIX = "w3t.verifiedPieces.";
/** The record of a torrent whose pieces this app verified but could not write down: its store must be hashed. */
const UNKNOWN = "";

function recordKey(infoHash: string): string {
  return KEY_PREFIX + infoHash.toLowerCase();
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array | null {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/** The bitfield bytes of a torrent of `size` bytes at create-torrent's default piece length, all zero. */
export function freshBitfield(size: number): Uint8Array {
  const pieces = Math.ceil(size / calcPieceLength(size));
  return new Uint8Array(Math.ceil(pieces / 8));
}

/** The part of the Origin Private File System's root directory read here. */
export interface StoreRoot {
  keys(): AsyncIterable<string>;
}

/**
 * Whether WebTorrent's browser store (fsa-chunk-store: a folder `<name> - <first 8 hex of the infohash>` in the
 * Origin Private File System) holds a folder of this torrent. A root that cannot be read counts as holding one.
 */
export async function storeHolds(infoHash: string, root?: Promise<StoreRoot>): Promise<boolean> {
  // TypeScript's DOM library does not declare the directory handle's async iteration (`keys()`), which Chromium has.
  const directory = root ?? (globalThis.navigator?.storage?.getDirectory?.() as unknown as Promise<StoreRoot> | undefined);
  // No Origin Private File System: WebTorrent keeps pieces in memory, so no earlier session left any.
  if (!directory) return false;
  const suffix = ` - ${infoHash.toLowerCase().slice(0, 8)}`;
  try {
    for await (const name of (await directory).keys()) if (name.endsWith(suffix)) return true;
    return false;
  } catch {
    return true;
  }
}

/**
 * What to pass as `bitfield` when adding the torrent: its record, or an all-zero bitfield if it has none and the
 * store holds nothing of it. Undefined (WebTorrent hashes its store, as without records) when the record is unknown
 * (a write that failed, no storage) or missing while the store holds the torrent's folder (downloaded before records
 * were kept, or the site's local storage cleared alone): trusting nothing there would fetch, and pay for, it again.
 */
export async function startupBitfield(
  infoHash: string,
  size: number,
  storage?: Storage,
  root?: Promise<StoreRoot>,
): Promise<Uint8Array | undefined> {
  let stored: string | null;
  try {
    stored = (storage ?? localStorage).getItem(recordKey(infoHash));
  } catch {
    return undefined;
  }
  if (stored === null) return (await storeHolds(infoHash, root)) ? undefined : freshBitfield(size);
  const bytes = fromBase64(stored);
  return bytes && bytes.length > 0 ? bytes : undefined;
}

/**
 * Keeps the torrent's record in step with WebTorrent's bitfield: written as each piece verifies, and once the
 * startup check is over (a claim it disproved is cleared then). Not throttled: a write is a few hundred bytes, and a
 * record that lagged the store would have the app fetch, and pay for, pieces it already holds. For the same reason
 * a write that fails (storage full) leaves the record unknown rather than stale.
 */
export function keepVerifiedPieces(torrent: Torrent, storage?: Storage): void {
  const write = () => {
    if (!torrent.bitfield) return;
    // Read here: a torrent added by magnet or torrent file knows its infohash only once parsed.
    const key = recordKey(torrent.infoHash);
    try {
      (storage ?? localStorage).setItem(key, toBase64(torrent.bitfield.buffer));
    } catch {
      try {
        (storage ?? localStorage).removeItem(key);
        (storage ?? localStorage).setItem(key, UNKNOWN);
      } catch {
        // No storage: the next add hashes the store. Not even the mark fits: it trusts nothing, fetches them again.
      }
    }
  };
  torrent.on("verified", write);
  torrent.on("ready", write);
}
