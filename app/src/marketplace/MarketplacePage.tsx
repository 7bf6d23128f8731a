/** Every content on sale, priced by its curve; buying opens the dialog. */
import { useState } from "react";
import { useContents } from "../data/useContents.ts";
import { useLicenses } from "../data/useLicenses.ts";
import { ErrorNotice } from "../errors/ErrorNotice.tsx";
import { useWallet } from "../wallet/useWallet.ts";
import { BuyDialog } from "./BuyDialog.tsx";
import { ContentCard } from "./ContentCard.tsx";

export function MarketplacePage() {
  const contents = useContents();
  const { address } = useWallet();
  const licenses = useLicenses(address);
  const [buying, setBuying] = useState<bigint | null>(null);
  const owned = new Map((licenses.data ?? []).map((l) => [l.contentId, l.balance]));
  const selected = contents.data?.contents.find((c) => c.contentId === buying);

  return (
    <section>
      <h1>Marketplace</h1>
      <p className="lead">Licenses are priced on bonding curves: each sale raises the price of the next one.</p>
      {contents.data?.fallbackReason && (
        <p className="notice notice-warn" role="status">
          Reading the chain directly: {contents.data.fallbackReason}
        </p>
      )}
      {contents.isPending && <p className="muted">Loading contents…</p>}
      {contents.error && (
        <ErrorNotice error={contents.error}>
          <button type="button" onClick={() => contents.refetch()}>
            Retry
          </button>
        </ErrorNotice>
      )}
      {contents.data && contents.data.contents.length === 0 && (
        <div className="empty">
          <p>Nothing is published yet.</p>
          <a className="button" href="#/publish">
            Publish a file
          </a>
        </div>
      )}
      <div className="grid" data-testid="contents">
        {contents.data?.contents.map((content) => (
          <ContentCard
            key={content.contentId.toString()}
            content={content}
            networkFeeBps={contents.data.networkFeeBps}
            owned={owned.get(content.contentId) ?? 0n}
            onBuy={() => setBuying(content.contentId)}
          />
        ))}
      </div>
      {selected && <BuyDialog content={selected} onClose={() => setBuying(null)} />}
    </section>
  );
}
