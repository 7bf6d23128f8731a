/**
 * The checkpoints of a download with their amounts, and where the download stands: which are paid (by the
 * seeders' redeemed vouchers or released checkpoints), which one is due next for the bytes received so far.
 */
import { amountFor, checkpoints, CheckpointMode } from "@web3torrent/sdk/checkpointSchedule";

export interface TimelineStep {
  index: number;
  cumulativeBytes: bigint;
  cumulativeAmount: bigint;
  state: "paid" | "due" | "pending";
}

export function checkpointTimeline(mode: number, maxBytes: bigint, pricePerMiB: bigint, paidBytes: bigint, receivedBytes: bigint): TimelineStep[] {
  const m = mode === CheckpointMode.Upfront ? CheckpointMode.Upfront : CheckpointMode.Exponential;
  let dueMarked = false;
  return checkpoints(m, maxBytes).map((cumulativeBytes, index) => {
    let state: TimelineStep["state"] = "pending";
    if (paidBytes >= cumulativeBytes) state = "paid";
    else if (!dueMarked && (m === CheckpointMode.Upfront || receivedBytes > 0n)) {
      dueMarked = true;
      state = "due";
    }
    return { index, cumulativeBytes, cumulativeAmount: amountFor(cumulativeBytes, pricePerMiB), state };
  });
}
