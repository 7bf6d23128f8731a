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

  it("has one step, due at once, in upfront mode", () => {
    expect(checkpointTimeline(1, 5n * MIB, 10n, 0n, 0n)).toEqual([{ index: 0, cumulativeBytes: 5n * MIB, cumulativeAmount: 50n, state: "due" }]);
  });
});
