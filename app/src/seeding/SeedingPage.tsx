/**
 * Seeding and earnings: what this tab seeds (bytes uploaded, peers), what seeding earned on-chain (escrow
 * payments, rebates from buyers' allowances, shares of epoch pools), the claim, and ROI against license costs.
 */
import { useContents } from "../data/useContents.ts";
import { usePurchases } from "../data/useLicenses.ts";
import { ErrorNotice } from "../errors/ErrorNotice.tsx";
import { Eth } from "../format/Eth.tsx";
import { formatBytes } from "../format/formatBytes.ts";
import { useTorrents } from "../torrent/TorrentContext.tsx";
import { TxProgress } from "../tx/TxProgress.tsx";
import { RequireWallet } from "../wallet/RequireWallet.tsx";
import { useWallet } from "../wallet/useWallet.ts";
import { formatRoi, roiBps } from "./roi.ts";
import { SeededTorrentRow } from "./SeededTorrentRow.tsx";
import { TabSeederPanel } from "./TabSeederPanel.tsx";
import { useClaimRebates } from "./useClaimRebates.ts";
import { useSeedLocalFile } from "./useSeedLocalFile.ts";
import { useSeederEarnings } from "./useSeederEarnings.ts";

export function SeedingPage() {
  const { address } = useWallet();
  const { torrents, remove } = useTorrents();
  const earnings = useSeederEarnings(address);
  const purchases = usePurchases(address);
  const contents = useContents();
  const claim = useClaimRebates();
  const local = useSeedLocalFile();
  // Only what the user chose to seed (published, "Seed it", a local file): a finished download does not upload.
  const seeded = torrents.filter((t) => t.status === "seeding");
  const names = new Map(contents.data?.contents.map((c) => [c.contentId, c.metadata.name]));
  const cost = new Map<bigint, bigint>();
  for (const p of purchases.data ?? []) cost.set(p.contentId, (cost.get(p.contentId) ?? 0n) + p.total);
  const e = earnings.data;

  return (
    <section>
      <h1>Seeding</h1>
      <p className="lead">
        Seeders are paid per checkpoint by leechers' escrows and earn rebates: each byte credited pays the buyer's bounty fee per byte at
        once, and after its epoch the network-fee part of the bytes (your weight) from the epoch's pool, which the buyers' network fees
        funded.
      </p>

      <div className="card">
        <h2>Seeded from this tab</h2>
        {seeded.length === 0 ? (
          <p className="muted">Nothing yet. Publish a file, finish a download, or pick a file you already have.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Content</th>
                <th>Status</th>
                <th title="File data sent to peers (protocol messages not counted)">Served</th>
                <th>Peers</th>
                <th>Speed</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {seeded.map((t) => (
                <SeededTorrentRow key={t.infoHash} entry={t} onStop={() => remove(t.infoHash)} />
              ))}
            </tbody>
          </table>
        )}
        <label className="file-picker">
          Seed a file you have (it must match a published content)
          <input type="file" onChange={(ev) => ev.target.files?.[0] && local.seed(ev.target.files[0])} data-testid="seed-file" />
        </label>
        {local.phase === "hashing" && <p role="status">Computing the infohash…</p>}
        {local.phase === "seeding" && (
          <p className="notice notice-ok" role="status">
            {local.message}
          </p>
        )}
        {(local.phase === "refused" || local.phase === "failed") && (
          <ErrorNotice
            error={{
              kind: "unknown",
              title: local.phase === "refused" ? "This file is not published" : "Could not seed the file",
              message: local.message ?? "",
            }}
            onDismiss={local.reset}
          />
        )}
      </div>

      <RequireWallet action="seed and see your earnings">
        <TabSeederPanel />
        {earnings.error && <ErrorNotice error={earnings.error} />}
        {e && (
          <>
            <div className="card" data-testid="earnings">
              <h2>Earnings</h2>
              <dl className="stats">
                <dt>Escrow payments (vouchers and checkpoints)</dt>
                <dd data-testid="escrow-earned">
                  <Eth wei={e.escrowEarned} />
                </dd>
                <dt>Rebates from buyers' allowances ({formatBytes(e.bytesCredited)} credited)</dt>
                <dd data-testid="rebates-earned">
                  <Eth wei={e.allowanceEarned} />
                </dd>
                <dt>Claimable now</dt>
                <dd data-testid="claimable">
                  <Eth wei={e.claimable} />
                </dd>
                <dt>Claimed so far</dt>
                <dd>
                  <Eth wei={e.claimed} />
                </dd>
              </dl>
              <TxProgress state={claim} />
              {claim.error && <ErrorNotice error={claim.error} onDismiss={claim.reset} />}
              <div className="notice-actions">
                <button
                  type="button"
                  disabled={e.claimable === 0n || claim.busy}
                  onClick={() => claim.claim(e.claimableEpochs)}
                  data-testid="claim"
                >
                  {claim.busy ? "Claiming…" : "Claim rebates"}
                </button>
              </div>
            </div>

            <div className="card">
              <h2>Rebate epochs</h2>
              {e.epochs.length === 0 ? (
                <p className="muted">No bytes credited yet: receipts from your leechers are credited when submitted on-chain.</p>
              ) : (
                <table data-testid="epochs">
                  <thead>
                    <tr>
                      <th>Epoch</th>
                      <th>Your bytes</th>
                      <th>Your weight / all</th>
                      <th>Pool</th>
                      <th>Your share</th>
                      <th>Status</th>
                    </tr>
                  </thead>
                  <tbody>
                    {e.epochs.map((ep) => (
                      <tr key={ep.epoch.toString()}>
                        <td>{ep.epoch.toString()}</td>
                        <td>{formatBytes(ep.bytes)}</td>
                        <td>
                          <Eth wei={ep.weight} /> / <Eth wei={ep.totalWeight} />
                        </td>
                        <td>
                          <Eth wei={ep.pool} />
                        </td>
                        <td>
                          <Eth wei={ep.share} />
                        </td>
                        <td>{ep.bytes === 0n ? "claimed" : !ep.finished ? "running" : ep.share > 0n ? "claimable" : "no share"}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </div>

            <div className="card">
              <h2>Return on licenses</h2>
              {e.byContent.length === 0 ? (
                <p className="muted">No earnings yet.</p>
              ) : (
                <table data-testid="roi">
                  <thead>
                    <tr>
                      <th>Content</th>
                      <th>Escrow</th>
                      <th>Rebates</th>
                      <th>License cost</th>
                      <th>ROI</th>
                    </tr>
                  </thead>
                  <tbody>
                    {e.byContent.map((c) => {
                      const paid = cost.get(c.contentId) ?? 0n;
                      return (
                        <tr key={c.contentId.toString()}>
                          <td>{names.get(c.contentId) ?? `#${c.contentId}`}</td>
                          <td>
                            <Eth wei={c.escrow} />
                          </td>
                          <td>
                            <Eth wei={c.rebates} />
                          </td>
                          <td>{paid === 0n ? "none bought" : <Eth wei={paid} />}</td>
                          <td>{formatRoi(roiBps(c.escrow + c.rebates, paid))}</td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              )}
            </div>
          </>
        )}
      </RequireWallet>
    </section>
  );
}
