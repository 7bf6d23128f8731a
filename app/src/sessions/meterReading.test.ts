import { describe, expect, it } from "vitest";
import { meterReading } from "./meterReading.ts";

const PRICE = 5_000_000_000_000n; // wei per second
const DEPOSIT = 300n * PRICE;
const usage = { elapsedSeconds: 15, maxSeconds: 300, consumed: 15n * PRICE, remaining: DEPOSIT - 15n * PRICE, at: 1_000_000 };

describe("meterReading", () => {
  it("ticks locally between usage updates while live, never past the deposit's time", () => {
    expect(meterReading({ live: true, now: 1_003_500, maxSeconds: 300, deposit: DEPOSIT, usage })).toMatchObject({
      seconds: 18,
      spent: 15n * PRICE,
      source: "usage",
    });
    expect(meterReading({ live: true, now: 1_000_000 + 400_000, maxSeconds: 300, usage }).seconds).toBe(300);
  });

  it("agrees with the settlement once the session ended: its seconds and amounts, not the last usage update", () => {
    const outcome = {
      status: "settled" as const,
      elapsedSeconds: 16n,
      paidToProvider: 16n * PRICE,
      refundedToUser: DEPOSIT - 16n * PRICE,
      txHash: "0x" as const,
    };
    const ended = { reason: "client_closed" as const, elapsedSeconds: 16, charged: 16n * PRICE, refund: DEPOSIT - 16n * PRICE };
    expect(meterReading({ live: false, now: 1_009_000, maxSeconds: 300, deposit: DEPOSIT, usage, ended, outcome })).toEqual({
      seconds: 16,
      maxSeconds: 300,
      spent: 16n * PRICE,
      remaining: DEPOSIT - 16n * PRICE,
      source: "settlement",
    });
  });

  it("shows the gateway's final account while the settlement is on its way", () => {
    const ended = { reason: "client_closed" as const, elapsedSeconds: 16, charged: 16n * PRICE, refund: DEPOSIT - 16n * PRICE };
    expect(meterReading({ live: false, now: 1_009_000, maxSeconds: 300, usage, ended })).toMatchObject({
      seconds: 16,
      spent: 16n * PRICE,
      source: "gateway-end",
    });
  });
});
