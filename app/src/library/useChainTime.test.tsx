// @vitest-environment jsdom
import { act, renderHook } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

/** A chain that mines nothing: its latest block stays the same whatever the time. */
const IDLE_BLOCK = { timestamp: 2_000_000_000n };
vi.mock("wagmi", () => ({ useBlock: () => ({ data: IDLE_BLOCK }) }));
vi.mock("../config/ConfigContext.tsx", () => ({ useAppConfig: () => ({ chainId: 31337 }) }));

const { chainNow, useChainTime } = await import("./useChainTime.ts");

describe("useChainTime", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    // The devchain's clock is ahead of the wall clock (tests move it forward), as after a time jump.
    vi.setSystemTime(1_900_000_000_000);
  });
  afterEach(() => vi.useRealTimers());

  it("moves on a chain that mines nothing, so a window counts down and ends", () => {
    const { result } = renderHook(() => useChainTime());
    expect(result.current).toBe(2_000_000_000n);
    act(() => vi.advanceTimersByTime(5_000));
    expect(result.current).toBe(2_000_000_005n);
    act(() => vi.advanceTimersByTime(120_000));
    expect(result.current).toBe(2_000_000_125n);
  });

  it("follows the wall clock when the latest block is older than it, never the block's stale time", () => {
    expect(chainNow(1_000n, 5_000_000, 5_000_000)).toBe(5_000n);
  });

  it("is never behind the chain's latest block", () => {
    expect(chainNow(9_000n, 1_000_000, 1_000_000)).toBe(9_000n);
    expect(chainNow(9_000n, 1_000_000, 1_003_999)).toBe(9_003n);
  });
});
