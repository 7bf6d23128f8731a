/**
 * The checkpoints of a download with their amounts (at the escrow's price cap: the most they can cost), and where
 * the download stands: which are paid on-chain (redeemed vouchers or released checkpoints), which are covered by a
 * voucher the session key signed but no seeder redeemed yet, which wait on a release transaction in the wallet or
 * were declined there (paying by transactions), which one is due next for the bytes received.
 */
import { amountFor, checkpoints, CheckpointMode } from "@web3torrent/sdk/checkpointSchedule";

export interface TimelineStep {
  index: number;
  cumulativeBytes: bigint;
  cumulativeAmount: bigint;
  state: "paid" | "signed" | "releasing" | "declined" | "due" | "pending" | "unused";
}

/** A release transaction of the download's session, as the timeline needs it. */
export interface TimelineRelease {
  cumulativeBytes: bigint;
  state: "pending" | "mined" | "declined" | "failed";
}

/** The latest release asked for each checkpoint (a declined one may be approved later). */
function latestReleases(releases: TimelineRelease[]): Map<bigint, TimelineRelease["state"]> {
  const latest = new Map<bigint, TimelineRelease["state"]>();
  for (const r of releases) latest.set(r.cumulativeBytes, r.state);
  return latest;
}

export function checkpointTimeline(
  mode: number,
  maxBytes: bigint,
  pricePerMiB: bigint,
  paidBytes: bigint,
  receivedBytes: bigint,
  signedBytes = 0n,
  releases: TimelineRelease[] = [],
  escrowOpen = true,
): TimelineStep[] {
  const m = mode === CheckpointMode.Upfront ? CheckpointMode.Upfront : CheckpointMode.Exponential;
  const released = latestReleases(releases);
  let dueMarked = false;
  return checkpoints(m, maxBytes).map((cumulativeBytes, index) => {
    let state: TimelineStep["state"] = "pending";
    const release = released.get(cumulativeBytes);
    if (paidBytes >= cumulativeBytes || release === "mined") state = "paid";
    else if (signedBytes >= cumulativeBytes) state = "signed";
    else if (release === "pending") state = "releasing";
    else if (release === "declined" || release === "failed") state = "declined";
    else if (!dueMarked && (m === CheckpointMode.Upfront || receivedBytes > 0n)) {
      dueMarked = true;
      state = "due";
    }
    if (state === "releasing" || state === "declined") dueMarked = true;
    // A closing or closed escrow pays nothing more: what was not reached is not due (a free seeder left it unpaid).
    if (!escrowOpen && (state === "due" || state === "pending")) state = "unused";
    return { index, cumulativeBytes, cumulativeAmount: amountFor(cumulativeBytes, pricePerMiB), state };
  });
}
