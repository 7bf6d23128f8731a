/** ETH amounts for reading: a few significant decimals, never rounded up to more than the real value. */
import { formatEther } from "viem";

const MAX_DECIMALS = 6;

export function formatEth(wei: bigint, maxDecimals = MAX_DECIMALS): string {
  const negative = wei < 0n;
  const full = formatEther(negative ? -wei : wei);
  const [whole, fraction = ""] = full.split(".");
  let shown = fraction.slice(0, maxDecimals).replace(/0+$/, "");
  // Tiny amounts keep their first significant digits instead of showing as 0.
  if (shown === "" && /[1-9]/.test(fraction)) {
    const firstDigit = fraction.search(/[1-9]/);
    shown = fraction.slice(0, firstDigit + 3).replace(/0+$/, "");
  }
  const truncated = shown.length < fraction.replace(/0+$/, "").length;
  return `${negative ? "-" : ""}${truncated ? "≈" : ""}${whole}${shown ? `.${shown}` : ""}`;
}
