/**
 * Publishing: pick a file (its torrent is created here and seeded from this tab), set the license curve and fees,
 * register it on-chain in two steps (commit, wait, register: a registration cannot be copied from the mempool).
 * The page shows the first prices the curve will charge before anything is signed.
 */
import { useState } from "react";
import { nextPrice } from "@web3torrent/sdk/bondingCurve";
import { useAppConfig } from "../config/ConfigContext.tsx";
import { metadataURI } from "../data/parseMetadata.ts";
import { ErrorNotice } from "../errors/ErrorNotice.tsx";
import { Eth } from "../format/Eth.tsx";
import { formatBytes } from "../format/formatBytes.ts";
import { useTorrents } from "../torrent/TorrentContext.tsx";
import { RequireWallet } from "../wallet/RequireWallet.tsx";
import { useWallet } from "../wallet/useWallet.ts";
import { infohashToBytes32, magnetURI } from "@web3torrent/sdk/infohash";
import { ProceedsCard } from "./ProceedsCard.tsx";
import { RegistrationProgress } from "./RegistrationProgress.tsx";
import { DEFAULT_FORM, nameForPickedFile, validatePublishForm, type PublishForm } from "./publishParams.ts";
import { useCreateTorrent } from "./useCreateTorrent.ts";
import { useRegisterContent } from "./useRegisterContent.ts";

const PREVIEW_LICENSES = [0n, 1n, 9n, 99n];

export function PublishPage() {
  const config = useAppConfig();
  const { address } = useWallet();
  const [form, setForm] = useState<PublishForm>(DEFAULT_FORM);
  const [touched, setTouched] = useState(false);
  const [publishedId, setPublishedId] = useState<bigint | null>(null);
  const [seedError, setSeedError] = useState<string | null>(null);
  /** The name of the last file picked, which the page put in Name itself. */
  const [pickedName, setPickedName] = useState<string | null>(null);
  const torrent = useCreateTorrent();
  const tx = useRegisterContent();
  const { seedContent, clientError } = useTorrents();
  const v = validatePublishForm(form, address);
  const set = (patch: Partial<PublishForm>) => setForm((f) => ({ ...f, ...patch }));
  const created = torrent.created;
  const ready = torrent.phase === "ready" && created && !created.existingContentId && Object.keys(v.errors).length === 0;

  async function onFile(file: File | undefined) {
    setPublishedId(null);
    tx.reset();
    if (!file) return;
    setForm((f) => ({ ...f, name: nameForPickedFile(f.name, pickedName, file.name) }));
    setPickedName(file.name);
    await torrent.create(file);
  }

  async function publish() {
    setTouched(true);
    if (!ready || !created || v.basePrice === null || v.growth === null || v.maxSupply === null || v.bountyFeeBps === null || !v.payout)
      return;
    const magnet = magnetURI(created.infoHash, config.trackerUrls, created.name);
    const contentId = await tx.register({
      infohash: infohashToBytes32(created.infoHash),
      size: created.size,
      payout: v.payout,
      basePrice: v.basePrice,
      curve: v.curve,
      growth: v.growth,
      maxSupply: v.maxSupply,
      bountyFeeBps: v.bountyFeeBps,
      transferable: form.transferable,
      metadataURI: metadataURI({ name: form.name.trim(), description: form.description.trim(), magnet }),
    });
    if (contentId !== undefined) {
      setPublishedId(contentId);
      await seedContent(created.file, contentId, form.name.trim()).catch((error: Error) => setSeedError(error.message));
    }
  }

  const error = (field: keyof PublishForm) => (touched && v.errors[field] ? <span className="field-error">{v.errors[field]}</span> : null);

  return (
    <section>
      <h1>Publish</h1>
      <p className="lead">Publish a file: its torrent is created in this tab, which seeds it while it stays open.</p>
      <ProceedsCard />
      <div className="card">
        <label className="file-picker">
          File
          <input type="file" onChange={(e) => onFile(e.target.files?.[0])} data-testid="publish-file" />
        </label>
        {torrent.phase === "hashing" && <p role="status">Creating the torrent (hashing pieces)…</p>}
        {torrent.phase === "failed" && (
          <ErrorNotice
            error={{ kind: "unknown", title: "Could not create the torrent", message: torrent.error?.message ?? "" }}
            onDismiss={torrent.reset}
          />
        )}
        {clientError && (
          <ErrorNotice
            error={{
              kind: "network",
              title: "WebTorrent",
              message: `${clientError}. The tracker may be unreachable: the file stays seeded here and peers connect when it is back.`,
            }}
          />
        )}
        {created && (
          <dl className="torrent-facts" data-testid="torrent-facts">
            <dt>Infohash</dt>
            <dd>
              <code data-testid="infohash">{created.infoHash}</code>
            </dd>
            <dt>Size</dt>
            <dd>{formatBytes(created.size)}</dd>
            <dt>Seeding</dt>
            <dd>
              from this tab once registered, to licensed peers only
              {config.trackerUrls.length ? ` (tracker ${config.trackerUrls.join(", ")})` : " (no tracker configured)"}
            </dd>
          </dl>
        )}
        {created?.existingContentId && (
          <div className="notice notice-warn" role="status" data-testid="already-published">
            This file is already published as content #{created.existingContentId.toString()}. It is seeded from this tab.{" "}
            <a href="#/marketplace">See it in the marketplace</a>
          </div>
        )}
      </div>

      <div className="card form-grid">
        <label className="wide">
          Name
          <input value={form.name} onChange={(e) => set({ name: e.target.value })} data-testid="publish-name" />
          {error("name")}
        </label>
        <label className="wide">
          Description
          <textarea value={form.description} onChange={(e) => set({ description: e.target.value })} rows={2} />
        </label>
        <label>
          Price curve
          <select
            value={form.curve}
            onChange={(e) => set({ curve: e.target.value as PublishForm["curve"], growth: e.target.value === "linear" ? "0.001" : "5" })}
            data-testid="publish-curve"
          >
            <option value="linear">Linear: base + slope × sold</option>
            <option value="exponential">Exponential: base × (1 + g)^sold</option>
          </select>
        </label>
        <label>
          Base price (ETH)
          <input
            value={form.basePriceEth}
            onChange={(e) => set({ basePriceEth: e.target.value })}
            inputMode="decimal"
            data-testid="publish-base"
          />
          {error("basePriceEth")}
        </label>
        <label>
          {form.curve === "linear" ? "Slope (ETH per license sold)" : "Growth (% per license sold)"}
          <input value={form.growth} onChange={(e) => set({ growth: e.target.value })} inputMode="decimal" data-testid="publish-growth" />
          {error("growth")}
        </label>
        <label>
          Max supply (empty: unlimited)
          <input value={form.maxSupply} onChange={(e) => set({ maxSupply: e.target.value })} inputMode="numeric" />
          {error("maxSupply")}
        </label>
        <label>
          Bounty fee for seeders (%)
          <input
            value={form.bountyFeePercent}
            onChange={(e) => set({ bountyFeePercent: e.target.value })}
            inputMode="decimal"
            data-testid="publish-bounty"
          />
          {error("bountyFeePercent")}
        </label>
        <label>
          Payout address (empty: you)
          <input value={form.payout} onChange={(e) => set({ payout: e.target.value })} placeholder={address ?? "0x…"} />
          {error("payout")}
        </label>
        <label className="checkbox">
          <input type="checkbox" checked={form.transferable} onChange={(e) => set({ transferable: e.target.checked })} />
          Licenses may be transferred (soulbound otherwise)
        </label>
      </div>

      {v.basePrice !== null && v.growth !== null && (
        <p className="muted" data-testid="curve-preview">
          Curve prices:{" "}
          {PREVIEW_LICENSES.map((n, i) => {
            let price: bigint | null = null;
            try {
              price = nextPrice(v.curve, v.basePrice!, v.growth!, n);
            } catch {
              price = null;
            }
            return (
              <span key={n.toString()}>
                {i > 0 && " · "}license {(n + 1n).toString()}: {price === null ? "—" : <Eth wei={price} />}
              </span>
            );
          })}
        </p>
      )}

      <RegistrationProgress state={tx.state} />
      {tx.error && (
        <ErrorNotice error={tx.error} onDismiss={tx.reset}>
          <button type="button" onClick={publish}>
            Try again
          </button>
        </ErrorNotice>
      )}
      {seedError && (
        <ErrorNotice
          error={{ kind: "unknown", title: "Published, but not seeded from this tab", message: seedError }}
          onDismiss={() => setSeedError(null)}
        />
      )}
      {publishedId !== null ? (
        <div className="notice notice-ok" role="status" data-testid="published">
          <strong>Published as content #{publishedId.toString()}</strong>
          <p>Its licenses are on sale now, and this tab seeds it. Keep the tab open to serve downloads, or run the headless seeder.</p>
          <div className="notice-actions">
            <a className="button" href="#/marketplace">
              See it in the marketplace
            </a>
            <a className="button secondary" href="#/seeding">
              Seeding
            </a>
          </div>
        </div>
      ) : (
        <RequireWallet action="publish">
          <button
            type="button"
            onClick={publish}
            disabled={!created || !!created.existingContentId || tx.busy}
            data-testid="publish-submit"
          >
            {tx.busy ? "Publishing…" : "Register and publish"}
          </button>
        </RequireWallet>
      )}
    </section>
  );
}
