/** One torrent this tab seeds: file data served, peers, speed; stop seeding. */
import { formatBytes, formatRate } from "../format/formatBytes.ts";
import type { AppTorrent } from "../torrent/TorrentContext.tsx";
import { servedBytes } from "../torrent/servedBytes.ts";
import { useTorrentStats } from "../torrent/useTorrentStats.ts";

export function SeededTorrentRow({ entry, onStop }: { entry: AppTorrent; onStop: () => void }) {
  const stats = useTorrentStats(entry.torrent);
  // Read on each sample's render: the count grows outside React.
  const served = stats ? servedBytes(entry.torrent) : 0;
  return (
    <tr data-testid={`seeded-${entry.infoHash}`}>
      <td>
        {entry.name}
        {entry.contentId !== null && <span className="muted"> #{entry.contentId.toString()}</span>}
      </td>
      <td>{entry.status}</td>
      <td data-testid="uploaded" data-bytes={served}>
        {formatBytes(served)}
      </td>
      <td>{stats?.numPeers ?? 0}</td>
      <td>{formatRate(stats?.uploadSpeed ?? 0)}</td>
      <td>
        <button type="button" className="secondary" onClick={onStop}>
          Stop
        </button>
      </td>
    </tr>
  );
}
