/** One content in the marketplace: what it is, its price now and next, growth, history, and the buy button. */
import { usePriceHistory } from "../data/usePriceHistory.ts";
import { formatGrowth, priceSummary, withFees } from "../data/pricing.ts";
import type { ContentRecord } from "../data/types.ts";
import { Eth } from "../format/Eth.tsx";
import { formatBytes } from "../format/formatBytes.ts";
import { PriceChart } from "./PriceChart.tsx";

export function ContentCard({
  content,
  networkFeeBps,
  owned,
  onBuy,
}: {
  content: ContentRecord;
  networkFeeBps: bigint;
  owned: bigint;
  onBuy: () => void;
}) {
  const summary = priceSummary(content, networkFeeBps);
  // Every price on the card is what a buyer pays: the curve price plus the network and bounty fees.
  const priced = (curvePrice: bigint) => withFees(curvePrice, networkFeeBps, BigInt(content.bountyFeeBps));
  const history = usePriceHistory(content.contentId);
  return (
    <article className="card content-card" data-testid={`content-${content.contentId}`} data-content-id={content.contentId.toString()}>
      <header>
        <h3>{content.metadata.name}</h3>
        {owned > 0n && <span className="badge badge-ok">Owned ×{owned.toString()}</span>}
        {!content.transferable && (
          <span className="badge" title="Licenses cannot be transferred">
            Soulbound
          </span>
        )}
      </header>
      {content.metadata.description && <p className="description">{content.metadata.description}</p>}
      <p className="muted">
        {formatBytes(content.size)} · {content.curve === 1 ? `exponential +${Number(content.growth) / 100}%/license` : "linear"} ·{" "}
        {content.supply.toString()}
        {content.maxSupply > 0n ? ` / ${content.maxSupply}` : ""} sold
      </p>
      <dl className="prices">
        <dt title="Curve price plus network and bounty fees">Price now</dt>
        <dd data-testid="current-price">{summary.current ? <Eth wei={summary.current.total} /> : "Sold out"}</dd>
        <dt title="What the buyer after you pays">Next price</dt>
        <dd data-testid="next-price">{summary.next ? <Eth wei={summary.next.total} /> : "—"}</dd>
        <dt>Since base</dt>
        <dd data-testid="growth" className={summary.growthBps > 0n ? "up" : ""}>
          {formatGrowth(summary.growthBps)}{" "}
          <span className="muted">
            (base <Eth wei={priced(content.basePrice)} />)
          </span>
        </dd>
      </dl>
      <PriceChart basePrice={content.basePrice} points={history.data ?? []} current={summary.current?.curvePrice ?? null} priced={priced} />
      <button type="button" onClick={onBuy} disabled={summary.soldOut || !summary.current} data-testid="buy">
        {summary.soldOut ? "Sold out" : owned > 0n ? "Buy another" : "Buy license"}
      </button>
    </article>
  );
}
