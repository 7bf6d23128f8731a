/**
 * Coalesced writes: what a wire sends within one turn of the event loop leaves as one chunk, so as one data-channel
 * message, up to `MAX_COALESCED_BYTES`.
 *
 * Why: bittorrent-protocol hands its transport every message as a chunk of its own, and a piece's 13-byte header
 * apart from its block, and simple-peer sends each chunk with `RTCDataChannel.send`. In Node (@roamhq/wrtc) that call
 * is synchronous: it blocks the event loop until WebRTC's own threads take the message, 0.3-1 ms each on a quiet
 * 2-core machine and longer on a busy one, where those threads wait for a core. A seeder made two such calls per
 * 16 KiB block and a leecher one per request, and the waits were most of both processes' CPU profile. Coalesced, a
 * seeder makes one call per block or fewer and a leecher one per turn; `npm run bench:p2p` prints each process's CPU
 * time per GiB.
 *
 * The byte stream is unchanged (BitTorrent frames its own messages), so any peer reads it, and so is its order: every
 * write of the wire goes through the same buffer, and its end flushes the buffer first. A message waits at most until
 * the end of the turn it was written in (Node's `setImmediate`; a microtask in a browser, whose `send` does not block).
 */

/** The part of a bittorrent-protocol Wire (a streamx Duplex) that coalescing replaces: its readable side's `push`. */
export interface PushingWire {
  push(chunk: Uint8Array | null): boolean;
}

/**
 * The most bytes sent as one chunk: four 16 KiB blocks with their headers fit, and it stays well below the smallest
 * message size WebRTC implementations accept (64 KiB in the oldest; 256 KiB in Chromium and libwebrtc).
 */
export const MAX_COALESCED_BYTES = 64 * 1024;

const COALESCED = Symbol.for("w3t.coalescedWrites");

const endOfTurn: (flush: () => void) => void = typeof setImmediate === "function" ? (flush) => setImmediate(flush) : queueMicrotask;

/** Coalesces the writes of `wire` from now on (once; later calls, and a wire that is no stream, do nothing). */
export function coalesceWrites(wire: object): void {
  const target = wire as PushingWire & { [COALESCED]?: true };
  if (target[COALESCED] || typeof target.push !== "function") return;
  target[COALESCED] = true;
  const push = target.push.bind(target);
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending.length === 0) return;
    const chunk = pending.length === 1 ? pending[0]! : concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    push(chunk);
  };
  target.push = (chunk) => {
    if (chunk === null) {
      flush();
      return push(null);
    }
    if (pendingBytes + chunk.length > MAX_COALESCED_BYTES) flush();
    pending.push(chunk);
    pendingBytes += chunk.length;
    if (!scheduled) {
      scheduled = true;
      endOfTurn(flush);
    }
    return true;
  };
}

function concat(chunks: Uint8Array[], bytes: number): Uint8Array {
  const joined = new Uint8Array(bytes);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.length;
  }
  return joined;
}
