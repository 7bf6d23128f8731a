/**
 * The chain's time (unix seconds), for windows measured on-chain (challenge, grace). A chain mines a block only when
 * a transaction comes (a devchain, a quiet L2), so the latest block's timestamp can stand still for minutes while the
 * next block — the one a refund would land in — gets the time of its mining. The clock therefore moves with the wall
 * clock, bounded below by the chain: never behind the latest block, advanced by the wall time since it was seen.
 */
import { useEffect, useState } from "react";
import { useBlock } from "wagmi";
import { useAppConfig } from "../config/ConfigContext.tsx";

/** How often the clock moves on screen. */
export const CHAIN_CLOCK_TICK_MS = 1000;

/** The chain's time now: the wall clock, but never behind `blockTimestamp` plus the wall time since it was seen. */
export function chainNow(blockTimestamp: bigint, seenAtMs: number, wallNowMs: number): bigint {
  const sinceSeen = BigInt(Math.max(0, Math.floor((wallNowMs - seenAtMs) / 1000)));
  const fromBlock = blockTimestamp + sinceSeen;
  const wall = BigInt(Math.floor(wallNowMs / 1000));
  return wall > fromBlock ? wall : fromBlock;
}

export function useChainTime(): bigint | null {
  const { chainId } = useAppConfig();
  const block = useBlock({ chainId, watch: true });
  const timestamp = block.data?.timestamp ?? null;
  const [seenAtMs, setSeenAtMs] = useState(() => Date.now());
  const [wallNowMs, setWallNowMs] = useState(() => Date.now());
  useEffect(() => {
    const now = Date.now();
    setSeenAtMs(now);
    setWallNowMs(now);
  }, [timestamp]);
  useEffect(() => {
    const timer = setInterval(() => setWallNowMs(Date.now()), CHAIN_CLOCK_TICK_MS);
    return () => clearInterval(timer);
  }, []);
  return timestamp === null ? null : chainNow(timestamp, seenAtMs, wallNowMs);
}
