/**
 * A license's download: start it, watch it (progress, speed, peers, the peer graph), save the file, seed it. The
 * statuses follow the flow available → downloading → completed → seeding.
 */
import { useState } from "react";
import type { ContentRecord } from "../data/types.ts";
import { ErrorNotice } from "../errors/ErrorNotice.tsx";
import { formatBytes, formatRate } from "../format/formatBytes.ts";
import { PeerGraph } from "../torrent/PeerGraph.tsx";
import { useTorrents, type AppTorrent } from "../torrent/TorrentContext.tsx";
import { useTorrentStats } from "../torrent/useTorrentStats.ts";
import { useDownload } from "./useDownload.ts";
import { saveTorrentFile } from "./useSaveFile.ts";

const PROBLEM_TITLES = {
  "no-tracker": "No tracker",
  "tracker-unreachable": "Tracker unreachable",
  "no-peers": "No peers yet",
  torrent: "Download problem",
} as const;

export function DownloadPanel({ content, entry }: { content: ContentRecord; entry: AppTorrent | undefined }) {
  const download = useDownload(content);
  const { update } = useTorrents();
  const stats = useTorrentStats(entry?.torrent);
  const [saveError, setSaveError] = useState<string | null>(null);

  return (
    <div className="download">
      {download.problem && (
        <ErrorNotice error={{ kind: "network", title: PROBLEM_TITLES[download.problem.kind], message: download.problem.message }} onDismiss={download.dismiss}>
          {(download.problem.kind === "torrent" || download.problem.kind === "no-tracker") && !entry && (
            <button type="button" onClick={download.start}>
              Retry
            </button>
          )}
        </ErrorNotice>
      )}
      {!entry ? (
        <button type="button" onClick={download.start} disabled={download.starting} data-testid="download">
          {download.starting ? "Starting…" : "Download"}
        </button>
      ) : (
        stats && (
          <div className="row">
            <div>
              <div className="progress" aria-label="progress">
                <div style={{ width: `${(stats.progress * 100).toFixed(1)}%` }} />
              </div>
              <dl className="stats" data-testid="download-stats" data-progress={stats.progress}>
                <dt>Progress</dt>
                <dd>{(stats.progress * 100).toFixed(1)}%</dd>
                <dt>Received</dt>
                <dd>
                  {formatBytes(stats.downloaded)} of {formatBytes(content.size)}
                </dd>
                <dt>Speed</dt>
                <dd>
                  ↓ {formatRate(stats.downloadSpeed)} · ↑ {formatRate(stats.uploadSpeed)}
                </dd>
                <dt>Peers</dt>
                <dd>{stats.numPeers}</dd>
              </dl>
              <div className="notice-actions">
                {stats.done && (
                  <button type="button" onClick={() => saveTorrentFile(entry.torrent).catch((e: Error) => setSaveError(e.message))} data-testid="save-file">
                    Save file
                  </button>
                )}
                {entry.status === "completed" && (
                  <button type="button" className="secondary" onClick={() => update(entry.infoHash, { status: "seeding" })} data-testid="start-seeding">
                    Seed it
                  </button>
                )}
              </div>
              {saveError && <ErrorNotice error={{ kind: "unknown", title: "Could not save", message: saveError }} onDismiss={() => setSaveError(null)} />}
            </div>
            <PeerGraph peers={stats.peers} />
          </div>
        )
      )}
    </div>
  );
}
