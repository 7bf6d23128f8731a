/**
 * The Play control of a licensed video or audio file and its player: plays while the paid download runs, shows
 * which parts arrived and where the playhead is, and on Stop settles the escrow and says what the viewing cost:
 * "watched 4:12, received 31 MiB, paid …, refunded …".
 */
import { useState } from "react";
import type { ContentRecord } from "../../data/types.ts";
import { ErrorNotice } from "../../errors/ErrorNotice.tsx";
import { Eth } from "../../format/Eth.tsx";
import type { AppTorrent } from "../../torrent/TorrentContext.tsx";
import { TxProgress } from "../../tx/TxProgress.tsx";
import type { useDownload } from "../useDownload.ts";
import { usePlayback } from "../usePlayback.ts";
import { ArrivedBar } from "./ArrivedBar.tsx";
import { formatPlayTime, mediaKindOf, type MediaKind } from "./mediaKind.ts";

const MiB = 1_048_576;

/** Bytes in MiB to the KiB (what the vouchers carry, within half a KiB), the exact count on hover and in `data-bytes`. */
function Bytes({ bytes, testId }: { bytes: bigint; testId: string }) {
  return (
    <span data-testid={testId} data-bytes={String(bytes)} title={`${bytes.toLocaleString("en")} bytes`}>
      {(Number(bytes) / MiB).toFixed(3)} MiB
    </span>
  );
}

const STATUS = {
  idle: "",
  starting: "Starting: the download begins, the player follows as the first bytes arrive…",
  playing: "",
  closing: "Stopping: the last blocks land, then your session key pays each seeder for exactly what it sent and signs the Close…",
  refunding: "Settling: the seeders redeem their last vouchers with your signed Close and refund the rest to you, no prompt needed…",
  settled: "",
  failed: "",
} as const;

/** When no seeder could take the signed Close, the wallet closes the escrow and takes the refund. */
const WALLET_STATUS = {
  ...STATUS,
  closing: "No seeder is reachable to settle: close the escrow in your wallet…",
  refunding: "Waiting for the seeders' last redemptions, then taking the refund…",
} as const;

interface PlayerProps {
  content: ContentRecord;
  entry: AppTorrent | undefined;
  download: ReturnType<typeof useDownload>;
  startDownload: () => Promise<unknown>;
}

/** Nothing for a file the browser cannot play: the download-and-save path stays the only one. */
export function MediaPlayer(props: PlayerProps) {
  const kind = mediaKindOf(props.content.metadata.name);
  return kind ? <Player {...props} kind={kind} /> : null;
}

function Player({ entry, download, startDownload, kind }: PlayerProps & { kind: MediaKind }) {
  const playback = usePlayback({ entry, download, startDownload });
  const [position, setPosition] = useState(0);
  const Element = kind;
  const active = playback.phase === "starting" || playback.phase === "playing";
  const summary = playback.summary;
  const paidOnChain = summary?.escrow?.payments.reduce((sum, p) => sum + p.paid, 0n) ?? 0n;
  const bytesOnChain = [...(summary?.escrow?.paidBytesBySeeder.values() ?? [])].reduce((sum, b) => sum + b, 0n);
  const status = playback.closedBy === "wallet" ? WALLET_STATUS : STATUS;

  return (
    <div className="player" data-testid="player" data-phase={playback.phase}>
      <Element
        ref={(media: HTMLMediaElement | null) => {
          playback.element.current = media;
        }}
        controls
        playsInline
        hidden={!active}
        data-testid="media"
        onTimeUpdate={(e) => {
          const media = e.currentTarget;
          setPosition(media.duration > 0 ? media.currentTime / media.duration : 0);
        }}
      />
      {active && playback.torrent && playback.torrent.pieces.length > 0 && <ArrivedBar torrent={playback.torrent} position={position} />}
      {status[playback.phase] && (
        <p className="muted" role="status">
          {status[playback.phase]}
        </p>
      )}
      {playback.mutedByBrowser && active && <p className="muted">Muted: the browser blocks sound until you unmute in the player.</p>}
      {playback.error && <ErrorNotice error={{ kind: "unknown", title: "Cannot play", message: playback.error }} />}
      <TxProgress state={playback.actions} />
      {playback.actions.error && <ErrorNotice error={playback.actions.error} onDismiss={playback.actions.reset} />}
      <div className="notice-actions">
        {!active ? (
          <button type="button" onClick={playback.play} data-testid="play">
            ▶ Play{entry ? "" : " (starts the paid download)"}
          </button>
        ) : (
          <button type="button" className="secondary" onClick={playback.stop} data-testid="stop-watching">
            {entry?.status === "downloading" ? "Stop watching (pay for what arrived, refund the rest)" : "Stop"}
          </button>
        )}
      </div>
      {summary && (playback.phase === "settled" || playback.phase === "refunding") && (
        <>
          <p data-testid="watch-summary" data-settled={playback.phase === "settled"}>
            Watched {formatPlayTime(summary.watchedSeconds)}, received <Bytes bytes={summary.receivedBytes} testId="watch-received" />
            {(summary.paid || summary.escrow) && (
              <>
                , paid{" "}
                <span data-testid="watch-paid" data-bytes={String(summary.paid?.paidBytes ?? bytesOnChain)}>
                  <Eth wei={summary.paid?.paidAmount ?? paidOnChain} />
                </span>
                {summary.escrow?.refunded != null && (
                  <>
                    , refunded{" "}
                    <span data-testid="watch-refund">
                      <Eth wei={summary.escrow.refunded} />
                    </span>
                  </>
                )}
              </>
            )}
            .
          </p>
          {summary.escrow && summary.escrow.payments.length > 0 && (
            <p className="muted" data-testid="watch-onchain">
              On-chain: the seeders redeemed <Bytes bytes={bytesOnChain} testId="watch-redeemed" /> for <Eth wei={paidOnChain} /> of your{" "}
              <Eth wei={summary.escrow.deposit} /> deposit
              {summary.escrow.refunded != null ? (
                <>
                  ; the escrow refunded <Eth wei={summary.escrow.refunded} /> to you.
                </>
              ) : (
                "; the refund follows."
              )}
            </p>
          )}
        </>
      )}
    </div>
  );
}
