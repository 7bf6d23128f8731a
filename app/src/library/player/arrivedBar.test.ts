import { describe, expect, it } from "vitest";
import type { Torrent } from "../../torrent/webtorrentTypes.ts";
import { pieceRanges } from "./ArrivedBar.tsx";

function torrentWith(have: number[], pieces: number): Torrent {
  return { pieces: new Array(pieces).fill(null), bitfield: { get: (i: number) => have.includes(i) } } as unknown as Torrent;
}

describe("pieceRanges", () => {
  it("lists the arrived pieces as ranges: the start, and where a seek moved the fetch", () => {
    expect(pieceRanges(torrentWith([0, 1, 2, 3, 80, 81], 100))).toEqual([
      [0, 3],
      [80, 81],
    ]);
  });

  it("lists nothing before the torrent's metadata (no bitfield) or before the first piece", () => {
    expect(pieceRanges({ pieces: [] } as unknown as Torrent)).toEqual([]);
    expect(pieceRanges(torrentWith([], 10))).toEqual([]);
  });
});
