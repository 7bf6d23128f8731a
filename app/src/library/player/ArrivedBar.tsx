/**
 * Which parts of the file have arrived (verified pieces) and where the playhead is: the viewer sees the fetch
 * follow a seek. `data-have` lists the arrived piece ranges ("0-40,300-310"), for tools and tests.
 */
import { useEffect, useState } from "react";
import type { Torrent } from "../../torrent/webtorrentTypes.ts";

const REFRESH_MS = 200;

export function pieceRanges(torrent: Torrent): [number, number][] {
  const ranges: [number, number][] = [];
  if (!torrent.bitfield) return ranges;
  for (let i = 0; i < torrent.pieces.length; i++) {
    if (!torrent.bitfield.get(i)) continue;
    const last = ranges[ranges.length - 1];
    if (last && last[1] === i - 1) last[1] = i;
    else ranges.push([i, i]);
  }
  return ranges;
}

export function ArrivedBar({ torrent, position }: { torrent: Torrent; position: number }) {
  const [ranges, setRanges] = useState<[number, number][]>([]);
  useEffect(() => {
    const timer = setInterval(() => setRanges(pieceRanges(torrent)), REFRESH_MS);
    return () => clearInterval(timer);
  }, [torrent]);
  const count = Math.max(torrent.pieces.length, 1);
  return (
    <div
      className="arrived"
      role="img"
      aria-label="Parts of the file received"
      data-testid="arrived"
      data-pieces={torrent.pieces.length}
      data-have={ranges.map(([a, b]) => `${a}-${b}`).join(",")}
    >
      {ranges.map(([a, b]) => (
        <span key={a} style={{ left: `${(a / count) * 100}%`, width: `${((b - a + 1) / count) * 100}%` }} />
      ))}
      <i style={{ left: `${Math.min(position, 1) * 100}%` }} />
    </div>
  );
}
