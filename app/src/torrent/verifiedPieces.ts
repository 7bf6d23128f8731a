/// <reference path="./pieceLength.d.ts" />
/**
 * The verified-piece record of each torrent, kept in this origin's storage and handed back to WebTorrent at add
 * (`client.add(id, { bitfield })`), as a desktop client keeps its resume data. Without it WebTorrent reads and
 * hashes every piece from its browser store (the Origin Private File System in Chromium) once the metadata arrives,
 * which costs seconds before the first block of a video is asked for. With a bitfield of the right size it trusts
 * the record and hashes one piece per file the record claims; a wrong claim there re-verifies the whole file.
 *
 * A torrent never recorded starts with an all-zero bitfield: nothing is hashed and nothing is trusted, since this
 * app verified none of its pieces. Its size follows the piece length that create-torrent (WebTorrent's, the
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

/**
 * What to pass as `bitfield` when adding the torrent: its record, or an all-zero bitfield if it has none. Undefined
 * (WebTorrent hashes its store, as without records) when the record is unknown: a write that failed, or no storage.
 */
export function startupBitfield(infoHash: string, size: number, storage?: Storage): Uint8Array | undefined {
  let stored: string | null;
  try {
    stored = (storage ?? localStorage).getItem(recordKey(infoHash));
  } catch {
    return undefined;
  }
  if (stored === null) return freshBitfield(size);
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
