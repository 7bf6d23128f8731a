/**
 * Shared set-up of the RebatePool test files (`test/RebatePool.*.test.ts`): one network connection, the
 * constants and the fixtures they all use.
 */
import assert from "node:assert/strict";
import { network } from "hardhat";
import { parseEther, parseEventLogs, type Address, type ContractEventName, type Hash } from "viem";
import { DAY, LeecherSession, buy, deployPoolAndMarket, lowerAddresses, registerContent, type Pool } from "./rebate.ts";

export const { viem, networkHelpers } = await network.create();
export const { time, loadFixture } = networkHelpers;

/** Deep equality that ignores the letter case of addresses. */
export function same(actual: unknown, expected: unknown) {
  assert.deepEqual(lowerAddresses(actual), lowerAddresses(expected));
}

/** Deliberately not a round number, so per-byte payouts round. */
export const SIZE = 1_000_003n;
export const BASE_PRICE = parseEther("1");
/** The 20% bounty fee of the base price: a license's rebate allowance. */
export const ALLOWANCE = parseEther("0.2");
/** The 10% network fee of the base price: paid into the epoch pool, a license's weight budget. */
export const NETWORK_FEE = parseEther("0.1");
export const DELEGATION_LIFETIME = 400n * DAY;

export async function deployFixture() {
  const [owner, publisher, leecher, seeder, seeder2, other, leecher2] = await viem.getWalletClients();
  const publicClient = await viem.getPublicClient();
  const chainId = await publicClient.getChainId();
  const { pool, market } = await deployPoolAndMarket(viem, owner.account.address, { uri: "ipfs://w3t/{id}" });
  const contentId = await registerContent(market, publisher, { size: SIZE, basePrice: BASE_PRICE });
  const domain = { chainId, pool: pool.address };
  return {
    owner,
    publisher,
    leecher,
    seeder,
    seeder2,
    other,
    leecher2,
    publicClient,
    chainId,
    pool,
    market,
    contentId,
    domain,
  };
}

/** The leecher holds a license with a 0.2 ETH allowance (and 0.1 ETH network fee in the pool) and has delegated a
 * session key. */
export async function licensedFixture() {
  const f = await deployFixture();
  await buy(f.market, f.leecher, f.contentId);
  const expiry = BigInt(await time.latest()) + DELEGATION_LIFETIME;
  const session = new LeecherSession(f.leecher, f.leecher.account.address, expiry, f.domain);
  return { ...f, expiry, session };
}

export async function logsOf<const TName extends ContractEventName<Pool["abi"]>>(
  publicClient: Awaited<ReturnType<typeof viem.getPublicClient>>,
  pool: Pool,
  hash: Hash,
  eventName: TName,
) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  return parseEventLogs({ abi: pool.abi, logs: receipt.logs, eventName });
}

/** Any address other than the pool's: the chain id's low bits padded (only used as data to hash). */
export function chainIdAddress(chainId: number): Address {
  return `0x${chainId.toString(16).padStart(40, "0")}` as Address;
}
