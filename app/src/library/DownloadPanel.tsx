/**
 * A license's download: choose how to pay (checkpoints with silent vouchers, a release transaction per checkpoint,
 * or upfront; the price cap), start it (one signature for the session key the first time, one deposit), watch it (progress, speed, peers, the peer graph, what each seeder was
 * signed), save the file and seed it. Statuses follow available → downloading → completed → seeding.
 */
import { useState } from "react";
import { parseEther } from "viem";
import type { ContentRecord } from "../data/types.ts";
import { ErrorNotice } from "../errors/ErrorNotice.tsx";
import { Eth } from "../format/Eth.tsx";
import { formatBytes, formatRate } from "../format/formatBytes.ts";
import { PeerGraph } from "../torrent/PeerGraph.tsx";
import { useTorrents, type AppTorrent } from "../torrent/TorrentContext.tsx";
import { useTorrentStats } from "../torrent/useTorrentStats.ts";
import { amountFor } from "@web3torrent/sdk/checkpointSchedule";
import { SeederPayments } from "./SeederPayments.tsx";
import { useDownload } from "./useDownload.ts";
import { useSessionLedgers } from "./useSessionLedgers.ts";
import { saveTorrentFile } from "./useSaveFile.ts";
import { useEscrowActions } from "./useEscrowActions.ts";
import { TxProgress } from "../tx/TxProgress.tsx";
import type { DownloadOptions } from "./useDownload.ts";
import { useAppConfig } from "../config/ConfigContext.tsx";
import { useWallet } from "../wallet/useWallet.ts";
import { DelegationNotice } from "./DelegationNotice.tsx";
import { loadDownloadKey, newDelegationExpiry } from "./downloadKey.ts";
import { MediaPlayer } from "./player/MediaPlayer.tsx";
import { useMyEscrows } from "./useMyEscrows.ts";

/** The three ways to pay seeders offered to the user. */
const PAYMENT_CHOICES = {
  vouchers: { mode: "exponential", payment: "vouchers" },
  transactions: { mode: "exponential", payment: "transactions" },
  upfront: { mode: "upfront", payment: "vouchers" },
} as const satisfies Record<string, Omit<DownloadOptions, "pricePerMiBCap">>;
type PaymentChoice = keyof typeof PAYMENT_CHOICES;

const PROBLEM_TITLES = {
  "no-tracker": "No tracker",
  "tracker-unreachable": "Tracker unreachable",
  "no-peers": "No peers yet",
  refused: "A seeder refused",
  torrent: "Download problem",
  wallet: "Could not start",
} as const;

const PHASES = {
  idle: "",
  authorising: "Sign the delegation in your wallet, once, to authorise this tab's session key…",
  depositing: "Confirm the deposit in your wallet…",
  downloading: "Downloading; seeders are paid at each checkpoint.",
  settling: "Complete; sending the final vouchers to the seeders…",
  done: "Complete: every seeder holds your signed vouchers for what it sent (signed, not yet redeemed: the escrow card shows what they redeemed). They redeem them as they close the escrow, and the rest of your deposit comes back without a prompt.",
  stopped: "Stopped. The seeders close the escrow with your session key's signature; what was not paid comes back without a prompt.",
  failed: "",
} as const;

/** A completed download once its escrow is settled: the vouchers are no longer only signed. */
const DONE_AND_SETTLED =
  "Complete and paid: the seeders redeemed your vouchers and the rest of your deposit came back (the escrow card shows the amounts).";

const DEFAULT_PRICE_CAP_ETH = "0.0001";

function parseCap(text: string): bigint | null {
  try {
    return /^\d*\.?\d+$/.test(text.trim()) ? parseEther(text.trim()) : null;
  } catch {
    return null;
  }
}

export function DownloadPanel({ content, entry }: { content: ContentRecord; entry: AppTorrent | undefined }) {
  const config = useAppConfig();
  const { address } = useWallet();
  const download = useDownload(content);
  const { remove, seedContent } = useTorrents();
  const [seeding, setSeeding] = useState(false);
  const stats = useTorrentStats(entry?.torrent);
  const ledgers = useSessionLedgers(entry?.session);
  const [choice, setChoice] = useState<PaymentChoice>("vouchers");
  const escrowActions = useEscrowActions();
  const [capText, setCapText] = useState(DEFAULT_PRICE_CAP_ETH);
  const [saveError, setSaveError] = useState<string | null>(null);
  const cap = parseCap(capText);
  // The same escrow record as the escrow card's (one query), so the panel and the card tell the same story.
  const escrows = useMyEscrows(address);
  const escrowId = download.download?.escrowId ?? entry?.escrowId;
  const settled = escrows.data?.find((e) => e.escrowId === escrowId)?.status === "Closed";

  /** Seeds the downloaded file through the seeder extension (the download's own torrent never uploads). */
  async function seedIt() {
    if (!entry) return;
    setSeeding(true);
    try {
      const file = entry.torrent.files[0];
      const copy = new File([await file.blob()], file.name);
      await remove(entry.infoHash);
      await seedContent(copy, content.contentId, content.metadata.name);
    } catch (error) {
      setSaveError((error as Error).message);
    } finally {
      setSeeding(false);
    }
  }
  const busy = download.phase === "authorising" || download.phase === "depositing";
  // The delegation the wallet would be asked for now (or the tab's, already signed), shown before the prompt.
  const storedKey = address ? loadDownloadKey(config.chainId, address) : null;
  const delegationExpiry = storedKey?.delegation.expiry ?? newDelegationExpiry();
  const start = (pricePerMiBCap: bigint) => download.start({ ...PAYMENT_CHOICES[choice], pricePerMiBCap, delegationExpiry });

  /**
   * The way out of a declined release: stop downloading; the seeders close the escrow with the session key's Close
   * (the rest is refunded). Only when no seeder is reachable does the wallet close it.
   */
  async function stopAndClose() {
    const escrowId = download.download?.escrowId;
    const { sent } = await download.stop();
    if (sent === 0 && escrowId !== null && escrowId !== undefined) await escrowActions.close(escrowId);
  }

  return (
    <div className="download">
      {download.problem && (
        <ErrorNotice
          error={
            download.problem.error ?? {
              kind: "network",
              title: download.problem.title ?? PROBLEM_TITLES[download.problem.kind],
              message: download.problem.message,
            }
          }
          onDismiss={download.dismiss}
        >
          {!entry && cap !== null && (
            <button type="button" onClick={() => start(cap)}>
              Try again
            </button>
          )}
        </ErrorNotice>
      )}
      {download.paused && (
        <ErrorNotice
          error={{
            kind: download.paused.release.state === "declined" ? "rejected" : "network",
            title: download.paused.release.state === "declined" ? "You declined a release" : "A release failed",
            message: download.paused.message,
          }}
        >
          <button type="button" onClick={download.resume} data-testid="approve-release">
            Approve the release
          </button>
          <button type="button" className="secondary" onClick={stopAndClose} disabled={escrowActions.busy} data-testid="stop-and-close">
            Stop and close the escrow
          </button>
        </ErrorNotice>
      )}
      <TxProgress state={escrowActions} />
      {escrowActions.error && <ErrorNotice error={escrowActions.error} onDismiss={escrowActions.reset} />}
      {PHASES[download.phase] && (
        <p className="muted" role="status" data-testid="download-phase" data-phase={download.phase}>
          {download.phase === "done" && settled ? DONE_AND_SETTLED : PHASES[download.phase]}
        </p>
      )}
      <MediaPlayer
        content={content}
        entry={entry}
        download={download}
        startDownload={async () => (cap !== null ? start(cap) : undefined)}
      />
      {!entry ? (
        <>
          <div className="form-grid">
            <label>
              Pay seeders
              <select value={choice} onChange={(e) => setChoice(e.target.value as PaymentChoice)} data-testid="download-mode">
                <option value="vouchers">At checkpoints (10, 30, 70 MiB …), signed silently</option>
                <option value="transactions">A wallet transaction per checkpoint</option>
                <option value="upfront">Upfront, all at once</option>
              </select>
            </label>
            <label>
              Price cap (ETH per MiB)
              <input value={capText} onChange={(e) => setCapText(e.target.value)} inputMode="decimal" data-testid="download-cap" />
            </label>
          </div>
          {cap !== null ? (
            <p className="muted">
              Deposit <Eth wei={amountFor(content.size, cap)} />: seeders are paid from it for the bytes you receive, the rest is refunded
              when you close the escrow.
            </p>
          ) : (
            <p className="field-error">Enter a price in ETH per MiB (0 for free seeders only).</p>
          )}
          {choice === "transactions" && (
            <p className="muted" data-testid="transactions-note">
              Your wallet asks you to confirm a release at each checkpoint of each seeder. A release pays the seeder its own price for the
              checkpoint, never more than your cap.
            </p>
          )}
          {address && <DelegationNotice account={address} expiry={delegationExpiry} signed={storedKey !== null} />}
          <button type="button" onClick={() => cap !== null && start(cap)} disabled={busy || cap === null} data-testid="download">
            {busy ? "Check your wallet…" : "Download"}
          </button>
        </>
      ) : (
        stats && (
          <div className="row">
            <div>
              <div className="progress" aria-label="progress">
                <div style={{ width: `${(stats.progress * 100).toFixed(1)}%` }} />
              </div>
              <dl
                className="stats"
                data-testid="download-stats"
                data-progress={stats.progress}
                data-downloaded={stats.downloaded}
                data-received={stats.received}
              >
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
              {entry.session && <SeederPayments ledgers={ledgers} />}
              {entry.status === "downloading" && download.download && (
                <button type="button" className="secondary" onClick={download.stop} data-testid="stop-download">
                  Stop downloading
                </button>
              )}
              <div className="notice-actions">
                {stats.done && (
                  <button
                    type="button"
                    onClick={() => saveTorrentFile(entry.torrent).catch((e: Error) => setSaveError(e.message))}
                    data-testid="save-file"
                  >
                    Save file
                  </button>
                )}
                {entry.status === "completed" && (download.phase === "done" || entry.settled || !entry.session) && (
                  <button type="button" className="secondary" onClick={seedIt} disabled={seeding} data-testid="start-seeding">
                    {seeding ? "Verifying…" : "Seed it"}
                  </button>
                )}
              </div>
              {saveError && (
                <ErrorNotice
                  error={{ kind: "unknown", title: "Could not save", message: saveError }}
                  onDismiss={() => setSaveError(null)}
                />
              )}
            </div>
            <PeerGraph peers={stats.peers} />
          </div>
        )
      )}
    </div>
  );
}
