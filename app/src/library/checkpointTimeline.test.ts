import { describe, expect, it } from "vitest";
import { MIB } from "@web3torrent/sdk/checkpointSchedule";
import { checkpointTimeline } from "./checkpointTimeline.ts";

describe("checkpointTimeline", () => {
  it("lists 10, 30, 70 MiB then the end, priced per MiB, and marks paid and due", () => {
    const steps = checkpointTimeline(0, 100n * MIB, 1000n, 30n * MIB, 42n * MIB);
    expect(steps.map((s) => s.cumulativeBytes / MIB)).toEqual([10n, 30n, 70n, 100n]);
    expect(steps.map((s) => s.cumulativeAmount)).toEqual([10_000n, 30_000n, 70_000n, 100_000n]);
    expect(steps.map((s) => s.state)).toEqual(["paid", "paid", "due", "pending"]);
  });

  it("marks checkpoints covered by a signed voucher that no seeder redeemed yet", () => {
    const steps = checkpointTimeline(0, 25n * MIB, 1n, 10n * MIB, 25n * MIB, 25n * MIB);
    expect(steps.map((s) => s.state)).toEqual(["paid", "signed"]);
  });

  it("marks nothing due on a closed escrow whose seeder was free: the unreached checkpoints are unused", () => {
    const steps = checkpointTimeline(0, 25n * MIB, 1n, 0n, 25n * MIB, 0n, [], false);
    expect(steps.map((s) => s.state)).toEqual(["unused", "unused"]);
    const partly = checkpointTimeline(0, 100n * MIB, 1000n, 30n * MIB, 42n * MIB, 0n, [], false);
    expect(partly.map((s) => s.state)).toEqual(["paid", "paid", "unused", "unused"]);
  });

  it("has one step, due at once, in upfront mode", () => {
    expect(checkpointTimeline(1, 5n * MIB, 10n, 0n, 0n)).toEqual([
      { index: 0, cumulativeBytes: 5n * MIB, cumulativeAmount: 50n, state: "due" },
    ]);
  });
});

describe("checkpointTimeline paid by transactions", () => {
  it("marks a checkpoint whose release waits in the wallet, then one declined there, and paid once mined", () => {
    const pending = checkpointTimeline(0, 25n * MIB, 1n, 0n, 10n * MIB, 0n, [{ cumulativeBytes: 10n * MIB, state: "pending" }]);
    expect(pending.map((s) => s.state)).toEqual(["releasing", "pending"]);
    const declined = checkpointTimeline(0, 25n * MIB, 1n, 0n, 10n * MIB, 0n, [{ cumulativeBytes: 10n * MIB, state: "declined" }]);
    expect(declined.map((s) => s.state)).toEqual(["declined", "pending"]);
    const approvedLater = checkpointTimeline(0, 25n * MIB, 1n, 0n, 12n * MIB, 0n, [
      { cumulativeBytes: 10n * MIB, state: "declined" },
      { cumulativeBytes: 10n * MIB, state: "mined" },
    ]);
    expect(approvedLater.map((s) => s.state)).toEqual(["paid", "due"]);
  });
});
