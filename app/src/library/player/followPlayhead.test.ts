import { describe, expect, it } from "vitest";
import type { Torrent, TorrentFile } from "../../torrent/webtorrentTypes.ts";
import { followPlayhead, indexPieces, playheadWindow } from "./followPlayhead.ts";

const FILE = { pieceLength: 65_536, fileOffset: 0, fileLength: 1_000 * 65_536 };

describe("playheadWindow", () => {
  it("covers from a keyframe interval (2 s) behind the playhead to ten seconds ahead", () => {
    // 1,000 pieces over 100 s: 10 pieces a second; 80 s is piece 800.
    expect(playheadWindow(FILE, { seconds: 80, duration: 100 })).toEqual([780, 900]);
  });

  it("stays within the file at its start and its end", () => {
    expect(playheadWindow(FILE, { seconds: 0, duration: 100 })).toEqual([0, 100]);
    expect(playheadWindow(FILE, { seconds: 99, duration: 100 })).toEqual([970, 999]);
  });

  it("counts pieces from the file's place in a torrent of several files", () => {
    expect(playheadWindow({ ...FILE, fileOffset: 10 * 65_536 }, { seconds: 0, duration: 100 })).toEqual([10, 110]);
  });
});

describe("indexPieces", () => {
  it("is the pieces of the file's last 64 KiB, where a media file keeps its index when not at the start", () => {
    expect(indexPieces(FILE)).toEqual([999, 999]);
    expect(indexPieces({ ...FILE, fileOffset: 1_000 })).toEqual([999, 1_000]);
  });
});

describe("followPlayhead on a seek", () => {
  type Call = [string, number, number, number?];

  function setUp() {
    const calls: Call[] = [];
    const torrent = {
      pieces: new Array(1_000),
      pieceLength: FILE.pieceLength,
      done: false,
      select: (from: number, to: number, priority: number) => calls.push(["select", from, to, priority]),
      deselect: (from: number, to: number) => calls.push(["deselect", from, to]),
      _select: (from: number, to: number, priority: number) => calls.push(["_select", from, to, priority]),
      _deselect: (from: number, to: number) => calls.push(["_deselect", from, to]),
    } as unknown as Torrent;
    const media = Object.assign(new EventTarget(), { currentTime: 10, duration: 100, seeking: false }) as unknown as HTMLMediaElement;
    const file = { length: FILE.fileLength, offset: 0 } as unknown as TorrentFile;
    const stop = followPlayhead(torrent, file, media);
    const seek = (to: number) => {
      Object.assign(media, { currentTime: to, seeking: true });
      media.dispatchEvent(new Event("seeking"));
    };
    const seeked = () => {
      Object.assign(media, { seeking: false });
      media.dispatchEvent(new Event("seeked"));
    };
    return { calls, seek, seeked, stop };
  }

  it("asks for the file's end first, then the window from 2 s before the target, and lets the whole file wait", () => {
    const { calls, seek } = setUp();
    seek(80);
    expect(calls).toEqual([
      ["_select", 999, 999, 3],
      ["deselect", 0, 999],
      ["_select", 780, 900, 2],
    ]);
  });

  it("once the element has its frame, drops the file's end and resumes the whole file", () => {
    const { calls, seek, seeked } = setUp();
    seek(80);
    calls.length = 0;
    seeked();
    expect(calls).toEqual([
      ["_deselect", 999, 999],
      ["select", 0, 999, 0],
      ["_deselect", 780, 900],
      ["_select", 780, 900, 2],
    ]);
  });

  it("resumes the whole file when it stops following during a seek", () => {
    const { calls, seek, stop } = setUp();
    seek(80);
    calls.length = 0;
    stop();
    expect(calls).toEqual([
      ["_deselect", 999, 999],
      ["select", 0, 999, 0],
      ["_deselect", 780, 900],
    ]);
  });
});
