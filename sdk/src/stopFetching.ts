/**
 * Stops a WebTorrent download from asking for more, so that what it received can be counted once and for all: no
 * piece is selected any more (the whole-file selection, the streams' and the playhead's alike), no new peer is
 * taken, and the blocks already requested are let land; those still out after the wait are cancelled, and a block
 * that comes after its cancel is neither counted nor paid (`RequestedBlocks` in ./wire/leecherExtension.ts).
 *
 * WebTorrent 3.0.x (as pinned in package-lock.json) has no public "deselect everything": `deselect()` leaves the
 * stream selections, which only their own iterators remove. So this empties the selection list and the critical
 * pieces it keeps, `_selections` and `_critical`; requests are made only from selections, so none follows.
 */

/** The part of a WebTorrent wire this uses. */
export interface FetchingWire {
  readonly destroyed?: boolean;
  /** Blocks requested and not received. */
  readonly requests: readonly { piece: number; offset: number; length: number }[];
  cancel(index: number, offset: number, length: number): void;
}

/** The part of a WebTorrent torrent this uses, private fields of webtorrent 3.0.x included. */
export interface FetchingTorrent {
  readonly wires: readonly FetchingWire[];
  pause(): void;
  _selections: { clear(): void };
  _critical: boolean[];
}

/** How often the wait looks at the wires' outstanding requests. */
const POLL_MS = 20;

/**
 * Asks for nothing more, waits up to `landingMs` for the blocks in flight, then cancels the rest. Resolves with the
 * number of blocks cancelled (their bytes, if they still come, are not counted).
 */
export async function stopFetching(torrent: FetchingTorrent, landingMs: number): Promise<number> {
  torrent.pause();
  torrent._selections.clear();
  torrent._critical = [];
  const live = () => torrent.wires.filter((w) => !w.destroyed && w.requests.length > 0);
  for (const deadline = Date.now() + landingMs; live().length > 0 && Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  let cancelled = 0;
  for (const wire of live()) {
    for (const { piece, offset, length } of [...wire.requests]) {
      wire.cancel(piece, offset, length);
      cancelled++;
    }
  }
  return cancelled;
}
