/**
 * What the session meter shows: the gateway's latest usage while the session runs (ticking locally between its
 * updates), and once it ends, the figures the session ended with: the settlement's (time charged, paid, refunded)
 * when it landed, else the gateway's final account. The meter and the outcome beside it then say the same.
 */
import type { Ws402Ended, Ws402Outcome, Ws402Usage } from "@web3torrent/sdk/ws402/index";

export interface MeterReading {
  seconds: number;
  maxSeconds: number;
  spent: bigint;
  /** What is left of the deposit (what comes back, once ended); undefined before the first usage update. */
  remaining: bigint | undefined;
  /** Where the figures come from. */
  source: "settlement" | "gateway-end" | "usage" | "none";
}

export function meterReading(s: {
  live: boolean;
  now: number;
  deposit?: bigint;
  maxSeconds?: number;
  usage?: Ws402Usage;
  ended?: Ws402Ended;
  outcome?: Ws402Outcome;
}): MeterReading {
  const maxSeconds = s.maxSeconds ?? s.usage?.maxSeconds ?? 0;
  if (s.outcome?.status === "settled") {
    const seconds = Number(s.outcome.elapsedSeconds);
    return { seconds, maxSeconds, spent: s.outcome.paidToProvider, remaining: s.outcome.refundedToUser, source: "settlement" };
  }
  if (s.ended)
    return { seconds: s.ended.elapsedSeconds, maxSeconds, spent: s.ended.charged, remaining: s.ended.refund, source: "gateway-end" };
  if (!s.usage) return { seconds: 0, maxSeconds, spent: 0n, remaining: s.deposit, source: "none" };
  // Between the gateway's usage updates (every few seconds) the clock ticks locally, never past the deposit's time.
  const ticked = s.usage.elapsedSeconds + (s.live ? Math.max(0, Math.floor((s.now - s.usage.at) / 1000)) : 0);
  return { seconds: Math.min(ticked, maxSeconds), maxSeconds, spent: s.usage.consumed, remaining: s.usage.remaining, source: "usage" };
}
