/**
 * The checkpoints of an escrow: bytes, what the seeders charge for them (at their own prices, when this tab knows
 * them), the escrow's cap as the most they may cost, paid / signed / due / pending.
 */
import { amountFor } from "@web3torrent/sdk/checkpointSchedule";
import { Eth } from "../format/Eth.tsx";
import { formatBytes } from "../format/formatBytes.ts";
import { checkpointTimeline, type TimelineRelease, type TimelineStep } from "./checkpointTimeline.ts";

const STATE_TEXT: Record<TimelineStep["state"], string> = {
  paid: "paid",
  signed: "voucher signed, not yet redeemed",
  releasing: "release transaction waiting in your wallet",
  declined: "release declined: approve it to resume, or close the escrow",
  due: "due",
  pending: "pending",
  unused: "not paid: the escrow is closed",
};

export function CheckpointTimeline({
  mode,
  maxBytes,
  pricePerMiB,
  paidBytes,
  receivedBytes,
  signedBytes = 0n,
  releases = [],
  escrowOpen = true,
  seederPrices = [],
}: {
  mode: number;
  maxBytes: bigint;
  pricePerMiB: bigint;
  paidBytes: bigint;
  receivedBytes: bigint;
  signedBytes?: bigint;
  releases?: TimelineRelease[];
  /** False once the escrow is closing or closed: nothing is due any more. */
  escrowOpen?: boolean;
  /** The prices per MiB of the seeders serving this download, as their terms said. */
  seederPrices?: bigint[];
}) {
  const lowest = seederPrices.length ? seederPrices.reduce((a, b) => (b < a ? b : a)) : null;
  const highest = seederPrices.length ? seederPrices.reduce((a, b) => (b > a ? b : a)) : null;
  const steps = checkpointTimeline(mode, maxBytes, pricePerMiB, paidBytes, receivedBytes, signedBytes, releases, escrowOpen);
  return (
    <ol className="timeline" data-testid="checkpoint-timeline">
      {steps.map((step) => (
        <li key={step.index} className={step.state} data-state={step.state} data-bytes={step.cumulativeBytes.toString()}>
          <span className="dot" aria-hidden />
          <span>
            {mode === 1 ? "Upfront" : `Checkpoint ${step.index + 1}`} at {formatBytes(step.cumulativeBytes)}
          </span>
          <span>
            {lowest !== null && highest !== null && (
              <span data-testid="charged">
                <Eth wei={amountFor(step.cumulativeBytes, lowest)} />
                {highest !== lowest && (
                  <>
                    {" "}
                    to <Eth wei={amountFor(step.cumulativeBytes, highest)} />
                  </>
                )}{" "}
                at the seeders' price ·{" "}
              </span>
            )}
            <span className="muted" data-testid="cap">
              cap <Eth wei={step.cumulativeAmount} />
            </span>{" "}
            · {STATE_TEXT[step.state]}
          </span>
        </li>
      ))}
    </ol>
  );
}
