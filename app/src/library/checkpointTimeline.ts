/**
 * The checkpoints of a download with their amounts (at the escrow's price cap: the most they can cost), and where
 * the download stands: which are paid on-chain (redeemed vouchers or released checkpoints), which are covered by a
 * voucher the session key signed but no seeder redeemed yet, which one is due next for the bytes received.
 */
import { amountFor, checkpoints, CheckpointMode } from "@web3torrent/sdk/checkpointSchedule";

export interface TimelineStep {
  index: number;
  cumulativeBytes: bigint;
  cumulativeAmount: bigint;
  state: "paid" | "signed" | "due" | "pending";
}

export function checkpointTimeline(
  mode: number,
  maxBytes: bigint,
  pricePerMiB: bigint,
  paidBytes: bigint,
  receivedBytes: bigint,
  signedBytes = 0n,
): TimelineStep[] {
  const m = mode === CheckpointMode.Upfront ? CheckpointMode.Upfront : CheckpointMode.Exponential;
  let dueMarked = false;
  return checkpoints(m, maxBytes).map((cumulativeBytes, index) => {
    let state: TimelineStep["state"] = "pending";
    if (paidBytes >= cumulativeBytes) state = "paid";
    else if (signedBytes >= cumulativeBytes) state = "signed";
    else if (!dueMarked && (m === CheckpointMode.Upfront || receivedBytes > 0n)) {
      dueMarked = true;
      state = "due";
    }
    return { index, cumulativeBytes, cumulativeAmount: amountFor(cumulativeBytes, pricePerMiB), state };
  });
}
