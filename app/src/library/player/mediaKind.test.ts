import { describe, expect, it } from "vitest";
import { formatPlayTime, mediaKindOf } from "./mediaKind.ts";

describe("mediaKindOf", () => {
  it("plays video and audio named by their extension: MP4, WebM, MP3, Ogg", () => {
    expect(mediaKindOf("film.mp4")).toBe("video");
    expect(mediaKindOf("Film.WEBM")).toBe("video");
    expect(mediaKindOf("song.mp3")).toBe("audio");
    expect(mediaKindOf("song.ogg")).toBe("audio");
  });

  it("trusts a MIME type over the name", () => {
    expect(mediaKindOf("stream", "video/webm; codecs=vp9,opus")).toBe("video");
    expect(mediaKindOf("track.bin", "audio/mpeg")).toBe("audio");
  });

  it("offers no player for other files", () => {
    expect(mediaKindOf("web3torrent-demo-album.bin")).toBeNull();
    expect(mediaKindOf("notes.pdf", "application/pdf")).toBeNull();
    expect(mediaKindOf("README")).toBeNull();
  });
});

describe("formatPlayTime", () => {
  it("writes m:ss, and h:mm:ss past an hour", () => {
    expect(formatPlayTime(252.9)).toBe("4:12");
    expect(formatPlayTime(5)).toBe("0:05");
    expect(formatPlayTime(3_725)).toBe("1:02:05");
  });
});
