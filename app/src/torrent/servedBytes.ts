/**
 * The file data a torrent served its peers. WebTorrent's own `uploaded` counts every byte written to a connection
 * (handshakes, bitfields, extension messages: the payment protocol's terms, vouchers and receipts), so a tab that
 * served nothing would still show kilobytes; a wire's `upload` event fires for piece data only.
 */
import type { Torrent, TorrentWire } from "./webtorrentTypes.ts";

const served = new WeakMap<Torrent, number>();

/** Counts the piece data sent on one of the torrent's wires, from now on. */
export function countServedBytes(torrent: Torrent, wire: TorrentWire): void {
  wire.on("upload", (bytes: number) => served.set(torrent, (served.get(torrent) ?? 0) + bytes));
}

export function servedBytes(torrent: Torrent): number {
  return served.get(torrent) ?? 0;
}
