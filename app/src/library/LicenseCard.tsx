/** One owned license: what it is, its status in the download flow, and the way to download, save and seed it. */
import type { ContentRecord } from "../data/types.ts";
import { formatBytes } from "../format/formatBytes.ts";
import type { AppTorrent } from "../torrent/TorrentContext.tsx";
import { DownloadPanel } from "./DownloadPanel.tsx";
import { downloadStatus } from "./downloadStatus.ts";

export function LicenseCard({ content, balance, torrent }: { content: ContentRecord; balance: bigint; torrent: AppTorrent | undefined }) {
  const status = downloadStatus(torrent);
  return (
    <article className="card" data-testid={`license-${content.contentId}`} data-status={status}>
      <header className="card-header">
        <h3>{content.metadata.name}</h3>
        <span className={`badge ${status === "seeding" || status === "completed" ? "badge-ok" : ""}`} data-testid="download-status">
          {status}
        </span>
      </header>
      <p className="muted">
        {formatBytes(content.size)} · {balance.toString()} license{balance === 1n ? "" : "s"} · content #{content.contentId.toString()}
      </p>
      <DownloadPanel content={content} entry={torrent} />
    </article>
  );
}
