/**
 * Registration for the TypeScript contract tests, through the sdk's two-step `registerContent` as every publisher
 * registers (commit, wait, reveal); the test chain's clock jumps to the commitment's maturity instead of waiting.
 */
import { keccak256, publicActions, toHex, type Address, type Hex } from "viem";
import type { WalletClient } from "@nomicfoundation/hardhat-viem/types";
import { registerContent, type ContentRegistration } from "@web3torrent/sdk/market";
import type { CurveKind } from "@web3torrent/sdk/bondingCurve";

/** What the test markets are deployed with: the smallest age the market accepts, so the clock moves least. */
export const MIN_COMMITMENT_AGE = 1n;

/** A fixed salt for tests that send the reveal themselves. */
export const TEST_SALT: Hex = keccak256(toHex("w3t test registration salt"));

/** `registerContent`'s first argument as the tests write it (the curve as a plain number). */
export type ContentParams = Omit<ContentRegistration, "curve"> & { curve?: CurveKind | number };

/** Registers `params` from `publisher` in two steps and returns the content id. */
export async function registerAs(market: Address, publisher: WalletClient, params: ContentParams, salt?: Hex): Promise<bigint> {
  const client = publisher.extend(publicActions);
  return registerContent(client as never, publisher as never, publisher.account, market, params as ContentRegistration, {
    waitUntil: clockJump(publisher),
    salt,
  });
}

/** Mines a block at `readyAt` unless the chain is already there: the reveal's block comes after it. */
export function clockJump(client: WalletClient): (readyAt: bigint) => Promise<void> {
  const rpc = client.request as unknown as (args: { method: string; params?: unknown[] }) => Promise<unknown>;
  return async (readyAt) => {
    const latest = await rpc({ method: "eth_getBlockByNumber", params: ["latest", false] });
    if (readyAt <= BigInt((latest as { timestamp: Hex }).timestamp)) return;
    await rpc({ method: "evm_setNextBlockTimestamp", params: [toHex(readyAt)] });
    await rpc({ method: "evm_mine" });
  };
}
