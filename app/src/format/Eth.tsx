/** An amount in ETH, with its exact wei on hover (and in `data-wei` for tools and tests). */
import { formatEth } from "./formatEth.ts";

export function Eth({ wei, unit = true }: { wei: bigint; unit?: boolean }) {
  return (
    <span className="eth" title={`${wei.toString()} wei`} data-wei={wei.toString()}>
      {formatEth(wei)}
      {unit && " ETH"}
    </span>
  );
}
