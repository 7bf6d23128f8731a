/**
 * Which licensed files play in the page: by MIME type when one is known, else by the file name's extension. The
 * list is what browsers play natively (MP4/H.264+AAC, WebM/VP8/VP9+Opus/Vorbis, MP3, Ogg, …); anything else keeps
 * only the download-and-save path.
 */
export type MediaKind = "video" | "audio";

const BY_EXTENSION: Record<string, MediaKind> = {
  mp4: "video",
  m4v: "video",
  webm: "video",
  mov: "video",
  ogv: "video",
  mp3: "audio",
  m4a: "audio",
  aac: "audio",
  ogg: "audio",
  oga: "audio",
  opus: "audio",
  weba: "audio",
  flac: "audio",
  wav: "audio",
};

export function mediaKindOf(name: string, mimeType?: string | null): MediaKind | null {
  const type = mimeType?.split(";")[0].trim().toLowerCase();
  if (type?.startsWith("video/")) return "video";
  if (type?.startsWith("audio/")) return "audio";
  const extension = /\.([a-z0-9]+)$/i.exec(name.trim())?.[1]?.toLowerCase();
  return extension ? (BY_EXTENSION[extension] ?? null) : null;
}

/** m:ss (h:mm:ss past an hour) of a duration in seconds. */
export function formatPlayTime(seconds: number): string {
  const total = Math.max(0, Math.floor(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** Seconds actually played by a media element (its `played` ranges), seeks not counted twice. */
export function playedSeconds(played: TimeRanges): number {
  let total = 0;
  for (let i = 0; i < played.length; i++) total += played.end(i) - played.start(i);
  return total;
}
