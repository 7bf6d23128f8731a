/** The checkpoints of an escrow: bytes, cumulative amount, paid / due / pending. */
import { Eth } from "../format/Eth.tsx";
import { formatBytes } from "../format/formatBytes.ts";
import { checkpointTimeline } from "./checkpointTimeline.ts";

export function CheckpointTimeline({
  mode,
  maxBytes,
  pricePerMiB,
  paidBytes,
  receivedBytes,
  signedBytes = 0n,
}: {
  mode: number;
  maxBytes: bigint;
  pricePerMiB: bigint;
  paidBytes: bigint;
  receivedBytes: bigint;
  signedBytes?: bigint;
}) {
  const steps = checkpointTimeline(mode, maxBytes, pricePerMiB, paidBytes, receivedBytes, signedBytes);
  return (
    <ol className="timeline" data-testid="checkpoint-timeline">
      {steps.map((step) => (
        <li key={step.index} className={step.state} data-state={step.state} data-bytes={step.cumulativeBytes.toString()}>
          <span className="dot" aria-hidden />
          <span>
            {mode === 1 ? "Upfront" : `Checkpoint ${step.index + 1}`} at {formatBytes(step.cumulativeBytes)}
          </span>
          <span>
            ≤ <Eth wei={step.cumulativeAmount} /> · {step.state === "signed" ? "voucher signed, not yet redeemed" : step.state}
          </span>
        </li>
      ))}
    </ol>
  );
}
