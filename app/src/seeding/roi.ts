/** Return on a license: what seeding it earned against what it cost, in basis points (null without a cost). */
export function roiBps(earned: bigint, cost: bigint): bigint | null {
  return cost === 0n ? null : ((earned - cost) * 10_000n) / cost;
}

export function formatRoi(bps: bigint | null): string {
  if (bps === null) return "—";
  const pct = Number(bps) / 100;
  return `${pct >= 0 ? "+" : ""}${pct.toFixed(1)}%`;
}
