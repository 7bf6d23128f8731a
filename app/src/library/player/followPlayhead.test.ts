import { describe, expect, it } from "vitest";
import { playheadWindow } from "./followPlayhead.ts";

const FILE = { pieceLength: 65_536, fileOffset: 0, fileLength: 1_000 * 65_536 };

describe("playheadWindow", () => {
  it("covers from a few pieces behind the playhead to ten seconds ahead", () => {
    // 1,000 pieces over 100 s: 10 pieces a second; 80 s is piece 800.
    expect(playheadWindow(FILE, { seconds: 80, duration: 100 })).toEqual([796, 900]);
  });

  it("stays within the file at its start and its end", () => {
    expect(playheadWindow(FILE, { seconds: 0, duration: 100 })).toEqual([0, 100]);
    expect(playheadWindow(FILE, { seconds: 99, duration: 100 })).toEqual([986, 999]);
  });

  it("counts pieces from the file's place in a torrent of several files", () => {
    expect(playheadWindow({ ...FILE, fileOffset: 10 * 65_536 }, { seconds: 0, duration: 100 })).toEqual([10, 110]);
  });
});
