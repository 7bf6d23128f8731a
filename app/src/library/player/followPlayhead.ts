/**
 * Fetching follows the playhead. WebTorrent's stream gives the pieces an element reads priority 1 and marks the
 * next ones critical, but a seek leaves the previous read's selection in place until the browser drops it, and
 * equal priorities take turns: the pieces between the old position and the new one keep arriving first. This
 * keeps a window of the pieces from just behind the playhead to AHEAD_SECONDS ahead of it at a higher priority, moved
 * on every seek and as playback advances, so the viewer's next seconds always come first.
 *
 * It uses the torrent's own stream-selection calls (`_select`/`_deselect` with isStreamSelection: public
 * `select()` would merge the window into the whole-file selection and raise all of it), from webtorrent 3.0.x as
 * pinned in package-lock.json.
 */
import type { Torrent, TorrentFile } from "../../torrent/webtorrentTypes.ts";

/** Above WebTorrent's stream selections (1) and the whole-file download (0). */
const PLAYHEAD_PRIORITY = 2;
const AHEAD_SECONDS = 10;
/** Room for a keyframe (cluster) that starts a little before the byte the time maps to. */
const BEHIND_PIECES = 4;

interface SelectableTorrent extends Torrent {
  destroyed?: boolean;
  _select(from: number, to: number, priority: number, notify: undefined, isStreamSelection: true): void;
  _deselect(from: number, to: number, isStreamSelection: true): void;
}

/** The pieces of `file` from `behind` pieces before `seconds` to `ahead` seconds after it (bytes spread evenly over the duration). */
export function playheadWindow(
  { pieceLength, fileOffset, fileLength }: { pieceLength: number; fileOffset: number; fileLength: number },
  {
    seconds,
    duration,
    ahead = AHEAD_SECONDS,
    behind = BEHIND_PIECES,
  }: { seconds: number; duration: number; ahead?: number; behind?: number },
): [number, number] {
  const first = Math.floor(fileOffset / pieceLength);
  const last = Math.floor((fileOffset + fileLength - 1) / pieceLength);
  const pieceAt = (t: number) =>
    Math.min(last, Math.floor((fileOffset + (Math.min(Math.max(t, 0), duration) / duration) * fileLength) / pieceLength));
  return [Math.max(first, pieceAt(seconds) - behind), pieceAt(seconds + ahead)];
}

/** Starts following `media`'s playhead in `torrent`; returns the function that stops it. */
export function followPlayhead(torrent: Torrent, file: TorrentFile, media: HTMLMediaElement): () => void {
  const t = torrent as SelectableTorrent;
  const fileOffset = (file as TorrentFile & { offset?: number }).offset ?? 0;
  let current: [number, number] | null = null;

  const move = (force: boolean) => {
    if (t.destroyed || !Number.isFinite(media.duration) || media.duration <= 0 || t.pieces.length === 0) return;
    const next = playheadWindow(
      { pieceLength: t.pieceLength, fileOffset, fileLength: file.length },
      { seconds: media.currentTime, duration: media.duration },
    );
    // Moved once the playhead is past the middle of the window (or left it), not at every timeupdate.
    if (!force && current && next[0] >= current[0] && next[0] - current[0] < (current[1] - current[0]) / 2) return;
    if (current) t._deselect(current[0], current[1], true);
    t._select(next[0], next[1], PLAYHEAD_PRIORITY, undefined, true);
    current = next;
  };
  const onSeeking = () => move(true);
  const onTime = () => move(false);
  media.addEventListener("seeking", onSeeking);
  media.addEventListener("timeupdate", onTime);
  media.addEventListener("loadedmetadata", onTime);
  return () => {
    media.removeEventListener("seeking", onSeeking);
    media.removeEventListener("timeupdate", onTime);
    media.removeEventListener("loadedmetadata", onTime);
    if (current && !t.destroyed) t._deselect(current[0], current[1], true);
    current = null;
  };
}
