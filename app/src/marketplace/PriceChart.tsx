/**
 * The price history of a content as a small line chart: the price of the next license against licenses sold, fees
 * included (`priced`), as the card's prices are.
 */
import type { PricePoint } from "../data/types.ts";
import { formatEth } from "../format/formatEth.ts";

const WIDTH = 240;
const HEIGHT = 64;
const PAD = 4;

export function PriceChart({
  basePrice,
  points,
  current,
  priced,
}: {
  basePrice: bigint;
  points: PricePoint[];
  /** The next license's curve price now. */
  current: bigint | null;
  /** A curve price with the content's fees added. */
  priced: (curvePrice: bigint) => bigint;
}) {
  // Start at the base price (supply 0), one point per purchase at the price of the next license.
  const series: { x: bigint; y: bigint }[] = [
    { x: 0n, y: priced(basePrice) },
    ...points.map((p) => ({ x: p.supply, y: priced(p.nextPrice) })),
  ];
  const now = current === null ? null : priced(current);
  if (now !== null && series[series.length - 1].y !== now) series.push({ x: series[series.length - 1].x + 1n, y: now });
  const maxX = series.reduce((m, p) => (p.x > m ? p.x : m), 1n);
  const maxY = series.reduce((m, p) => (p.y > m ? p.y : m), 1n);
  const minY = series.reduce((m, p) => (p.y < m ? p.y : m), maxY);
  const spanY = maxY - minY || 1n;
  const coords = series.map((p) => {
    const x = PAD + (Number(p.x) / Number(maxX)) * (WIDTH - 2 * PAD);
    const y = HEIGHT - PAD - (Number(p.y - minY) / Number(spanY)) * (HEIGHT - 2 * PAD);
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
  return (
    <figure className="price-chart" data-testid="price-chart" data-points={points.length}>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width="100%" height={HEIGHT} role="img" aria-label="Price history">
        <polyline points={coords.join(" ")} fill="none" stroke="currentColor" strokeWidth="2" />
        {coords.map((c, i) => {
          const [cx, cy] = c.split(",");
          return <circle key={i} cx={cx} cy={cy} r="2.5" />;
        })}
      </svg>
      <figcaption>
        {points.length === 0
          ? "No sales yet"
          : `${points.length} sale${points.length === 1 ? "" : "s"} · price with fees ${formatEth(minY)} → ${formatEth(maxY)} ETH`}
      </figcaption>
    </figure>
  );
}
