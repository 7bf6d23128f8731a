/**
 * Shared set-up of the LicenseMarket test files (`test/LicenseMarket.*.test.ts`): one network connection, the
 * constants and the fixtures they all use.
 */
import assert from "node:assert/strict";
import { network } from "hardhat";
import { BaseError, ContractFunctionRevertedError, getAddress, keccak256, parseEther, toHex, type Address, type Hex } from "viem";
import { CurveKind } from "@web3torrent/sdk/bondingCurve";
import type { ContractReturnType, WalletClient } from "@nomicfoundation/hardhat-viem/types";
import { registrationCommitment } from "@web3torrent/sdk/market";
import { registerAs, TEST_SALT, type ContentParams } from "./registration.ts";

export const { viem, networkHelpers } = await network.create();
export const publicClient = await viem.getPublicClient();

export const NETWORK_FEE_BPS = 500; // 5%
export const DEFAULT_URI = "ipfs://w3t-default/{id}.json";
export const MAX_UINT64 = 2n ** 64n - 1n;
export const PANIC_ARITHMETIC = 0x11n;
/** A public chain's minimum commitment age (the deployment default): the clock jumps over it. */
export const MIN_COMMITMENT_AGE = 60n;

export const infohash = (label: string): Hex => keccak256(toHex(label));

/** Content 1 of the fixture: linear, capped at 5, soulbound, 10% bounty. */
export function linearParams(payout: Address) {
  return {
    infohash: infohash("linear"),
    size: 1_048_576n,
    payout,
    basePrice: parseEther("0.01"),
    curve: CurveKind.Linear,
    growth: parseEther("0.001"),
    maxSupply: 5n,
    bountyFeeBps: 1_000,
    transferable: false,
    metadataURI: "ipfs://meta-linear",
  };
}

/** Content 2 of the fixture: exponential +5% per license, unlimited, transferable, no bounty. */
export function exponentialParams(payout: Address) {
  return {
    infohash: infohash("exponential"),
    size: 7_340_032n,
    payout,
    basePrice: parseEther("0.01"),
    curve: CurveKind.Exponential,
    growth: 500n,
    maxSupply: 0n,
    bountyFeeBps: 0,
    transferable: true,
    metadataURI: "ipfs://meta-exponential",
  };
}

export async function deployMarket() {
  const [owner, publisher, buyer, other, payout] = await viem.getWalletClients();
  const pool = await viem.deployContract("RebatePoolStub");
  const market = await viem.deployContract("LicenseMarket", [
    owner.account.address,
    pool.address,
    NETWORK_FEE_BPS,
    DEFAULT_URI,
    MIN_COMMITMENT_AGE,
  ]);
  await register(market, linearParams(payout.account.address), publisher);
  await register(market, exponentialParams(payout.account.address), publisher);
  return { market, pool, owner, publisher, buyer, other, payout };
}

export type Fixture = Awaited<ReturnType<typeof deployMarket>>;
export type Market = ContractReturnType<"LicenseMarket">;

/** Both steps of a registration from `publisher`, through the sdk's helper; returns the new content id. */
export function register(market: Market, p: ContentParams, publisher: WalletClient) {
  return registerAs(market.address, publisher, p);
}

/** Step 1 for tests that send the reveal themselves: commits with TEST_SALT and moves the clock past the minimum. */
export async function commitFor(market: Market, infohash_: Hex, publisher: WalletClient) {
  await market.write.commit([registrationCommitment(infohash_, publisher.account.address, TEST_SALT)], {
    account: publisher.account,
  });
  await networkHelpers.time.increase(MIN_COMMITMENT_AGE);
}

/** Buys `quantity` of `contentId` at the current quote, exactly paid. Returns the quote. */
export async function buyAtQuote(f: Fixture, contentId: bigint, quantity: bigint, from = f.buyer, recipient?: Address) {
  const [curve, networkFee, bountyFee, total] = await f.market.read.quote([contentId, quantity]);
  await f.market.write.buy([contentId, quantity, recipient ?? from.account.address, total], {
    account: from.account,
    value: total,
  });
  return { curvePrice: curve, networkFee, bountyFee, total };
}

/**
 * Withdraws as `account`, which must be owed exactly `owed`: it receives that much from the market, the event says
 * so, nothing stays owed to it, and withdrawing again reverts NothingToWithdraw.
 */
export async function withdrawExactly(f: Fixture, account: Fixture["payout"], owed: bigint) {
  const { market } = f;
  assert.equal(await market.read.proceeds([account.account.address]), owed);
  const tx = market.write.withdrawProceeds({ account: account.account });
  await viem.assertions.balancesHaveChanged(tx, [
    { address: account.account.address, amount: owed },
    { address: market.address, amount: -owed },
  ]);
  await viem.assertions.emitWithArgs(tx, market, "ProceedsWithdrawn", [getAddress(account.account.address), owed]);
  assert.equal(await market.read.proceeds([account.account.address]), 0n);
  await viem.assertions.revertWithCustomError(market.write.withdrawProceeds({ account: account.account }), market, "NothingToWithdraw");
}

/** The Panic code of a reverted call, or undefined when it did not revert with a panic. */
export function panicCode(err: unknown): bigint | undefined {
  if (!(err instanceof BaseError)) return undefined;
  const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError)) return undefined;
  return reverted.data?.errorName === "Panic" ? (reverted.data.args?.[0] as bigint) : undefined;
}
