/** The most a buyer accepts to pay: the quoted total plus the slippage tolerance, rounded down. */
export const MAX_SLIPPAGE_BPS = 5_000n;

export function maxTotalFor(total: bigint, slippageBps: bigint): bigint {
  if (slippageBps < 0n || slippageBps > MAX_SLIPPAGE_BPS) throw new RangeError(`slippage must be 0–${Number(MAX_SLIPPAGE_BPS) / 100}%`);
  return (total * (10_000n + slippageBps)) / 10_000n;
}

/** "1.5" (percent, as typed) → 150 bps; null when it is not a percentage in range. */
export function parseSlippagePercent(text: string): bigint | null {
  if (!/^\d+(\.\d{1,2})?$/.test(text.trim())) return null;
  const [whole, fraction = ""] = text.trim().split(".");
  const bps = BigInt(whole) * 100n + BigInt(fraction.padEnd(2, "0"));
  return bps <= MAX_SLIPPAGE_BPS ? bps : null;
}
