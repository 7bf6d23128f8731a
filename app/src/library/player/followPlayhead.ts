/**
 * Fetching follows the playhead. WebTorrent's stream gives the pieces an element reads priority 1 and marks the
 * next ones critical, but a seek leaves the previous read's selection in place until the browser drops it, and
 * equal priorities take turns: the pieces between the old position and the new one keep arriving first. This
 * keeps a window of the pieces from a keyframe interval behind the playhead to AHEAD_SECONDS ahead of it at a higher
 * priority, moved on every seek and as playback advances, so the viewer's next seconds always come first.
 *
 * A seek reads in two steps: the element first reads its index (a WebM's Cues, a non-faststart MP4's moov: at the
 * file's end), then the keyframe before the target, which the index tells. So while a seek is on, the file's end
 * comes first, and the whole file's fetch (in order from the old position) waits: each piece asked for is one more
 * for the seeder to send before the ones the element waits for.
 *
 * It uses the torrent's own stream-selection calls (`_select`/`_deselect` with isStreamSelection: public
 * `select()` would merge the window into the whole-file selection and raise all of it), from webtorrent 3.0.x as
 * pinned in package-lock.json.
 */
import type { Torrent, TorrentFile } from "../../torrent/webtorrentTypes.ts";

/** Above WebTorrent's stream selections (1) and the whole-file download (0). */
const PLAYHEAD_PRIORITY = 2;
/** A seek's index read, above the window. */
const INDEX_PRIORITY = 3;
const AHEAD_SECONDS = 10;
/** Room for the keyframe a seek resumes from: up to a keyframe interval (2 s is common) before the target. */
const BEHIND_SECONDS = 2;
/** Where a media file keeps its index when it is not at the start. */
const INDEX_BYTES = 64 * 1024;

interface SelectableTorrent extends Torrent {
  destroyed?: boolean;
  /** The whole-file (non-stream) selections, public. */
  select(from: number, to: number, priority: number): void;
  deselect(from: number, to: number): void;
  _select(from: number, to: number, priority: number, notify: undefined, isStreamSelection: true): void;
  _deselect(from: number, to: number, isStreamSelection: true): void;
}

/** The pieces of `file` from `behind` seconds before `seconds` to `ahead` seconds after it (bytes spread evenly over the duration). */
export function playheadWindow(
  { pieceLength, fileOffset, fileLength }: { pieceLength: number; fileOffset: number; fileLength: number },
  {
    seconds,
    duration,
    ahead = AHEAD_SECONDS,
    behind = BEHIND_SECONDS,
  }: { seconds: number; duration: number; ahead?: number; behind?: number },
): [number, number] {
  const last = Math.floor((fileOffset + fileLength - 1) / pieceLength);
  const pieceAt = (t: number) =>
    Math.min(last, Math.floor((fileOffset + (Math.min(Math.max(t, 0), duration) / duration) * fileLength) / pieceLength));
  return [pieceAt(seconds - behind), pieceAt(seconds + ahead)];
}

/** The pieces of `file`'s last INDEX_BYTES. */
export function indexPieces({
  pieceLength,
  fileOffset,
  fileLength,
}: {
  pieceLength: number;
  fileOffset: number;
  fileLength: number;
}): [number, number] {
  const end = fileOffset + fileLength;
  return [Math.floor(Math.max(fileOffset, end - INDEX_BYTES) / pieceLength), Math.floor((end - 1) / pieceLength)];
}

/** Starts following `media`'s playhead in `torrent`; returns the function that stops it. */
export function followPlayhead(torrent: Torrent, file: TorrentFile, media: HTMLMediaElement): () => void {
  const t = torrent as SelectableTorrent;
  const fileOffset = (file as TorrentFile & { offset?: number }).offset ?? 0;
  const place = { pieceLength: t.pieceLength, fileOffset, fileLength: file.length };
  let current: [number, number] | null = null;

  const move = (force: boolean) => {
    if (t.destroyed || !Number.isFinite(media.duration) || media.duration <= 0 || t.pieces.length === 0) return;
    const next = playheadWindow(place, { seconds: media.currentTime, duration: media.duration });
    // Moved once the playhead is past the middle of the window (or left it), not at every timeupdate.
    if (!force && current && next[0] >= current[0] && next[0] - current[0] < (current[1] - current[0]) / 2) return;
    if (current) t._deselect(current[0], current[1], true);
    t._select(next[0], next[1], PLAYHEAD_PRIORITY, undefined, true);
    current = next;
  };
  let seeking: { index: [number, number] } | null = null;
  const onSeeking = () => {
    if (t.destroyed || t.pieces.length === 0) return;
    if (!seeking) {
      const index = indexPieces(place);
      t._select(index[0], index[1], INDEX_PRIORITY, undefined, true);
      if (!t.done) t.deselect(0, t.pieces.length - 1);
      seeking = { index };
    }
    move(true);
  };
  const seeked = () => {
    if (!seeking) return;
    if (!t.destroyed) {
      t._deselect(seeking.index[0], seeking.index[1], true);
      if (!t.done) t.select(0, t.pieces.length - 1, 0);
    }
    seeking = null;
  };
  const onSeeked = () => {
    seeked();
    move(true);
  };
  const onTime = () => {
    if (!media.seeking) move(false);
  };
  media.addEventListener("seeking", onSeeking);
  media.addEventListener("seeked", onSeeked);
  media.addEventListener("timeupdate", onTime);
  media.addEventListener("loadedmetadata", onTime);
  return () => {
    media.removeEventListener("seeking", onSeeking);
    media.removeEventListener("seeked", onSeeked);
    media.removeEventListener("timeupdate", onTime);
    media.removeEventListener("loadedmetadata", onTime);
    seeked();
    if (current && !t.destroyed) t._deselect(current[0], current[1], true);
    current = null;
  };
}
