/**
 * The LicenseMarket calls a publisher and a buyer make, with viem (browser and Node): register a content (commit,
 * wait, reveal), buy a license at the quoted price (the quote is the slippage limit).
 */
import {
  BaseError,
  ContractFunctionRevertedError,
  encodeAbiParameters,
  keccak256,
  parseEventLogs,
  toHex,
  type Account,
  type Address,
  type Hex,
  type PublicClient,
  type WalletClient,
} from "viem";
import { licenseMarketAbi } from "./generated/contracts.ts";
import { CurveKind } from "./bondingCurve.ts";
import { writeAndWait } from "./transactions.ts";

export interface ContentRegistration {
  infohash: Hex;
  size: bigint;
  payout: Address;
  basePrice: bigint;
  curve?: CurveKind;
  /** Linear: wei per license. Exponential: basis points per license. */
  growth?: bigint;
  maxSupply?: bigint;
  bountyFeeBps?: number;
  transferable?: boolean;
  metadataURI?: string;
}

/** Where a registration is: what the Publish page and the `publish` command show. */
export type RegistrationStep = { step: "committing" } | { step: "waiting"; seconds: number; readyAt: bigint } | { step: "registering" };

export interface RegistrationOptions {
  onProgress?: (step: RegistrationStep) => void;
  /**
   * Resolves once a block mined next carries a timestamp of at least `readyAt`. By default: the wall clock, as a
   * chain that mines nothing keeps its latest timestamp still and stamps the next block with the current time.
   * In-process test chains pass a clock jump instead.
   */
  waitUntil?: (readyAt: bigint) => Promise<void>;
  /** The commitment's secret; a fresh random one by default (only tests fix it). */
  salt?: Hex;
}

/**
 * The commitment `LicenseMarket.makeCommitment(infohash, publisher, salt)`: `publisher` is the account that sends
 * the reveal, so a reveal copied by any other account finds no commitment.
 */
export function registrationCommitment(infohash: Hex, publisher: Address, salt: Hex): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "bytes32" }, { type: "bytes32" }, { type: "bytes32" }],
      [infohash, toHex(BigInt(publisher), { size: 32 }), salt],
    ),
  );
}

/** A random 32-byte salt from the platform's CSPRNG. */
export function randomSalt(): Hex {
  return toHex(crypto.getRandomValues(new Uint8Array(32)));
}

/**
 * Registers a content from `account` in the market's two steps, and returns its id: commits to (infohash,
 * publisher, a random salt), waits the market's `minCommitmentAge`, then registers with the salt. A registration
 * seen in the mempool is then worthless to anyone who copies it.
 */
export async function registerContent(
  publicClient: PublicClient,
  walletClient: WalletClient,
  account: Account | Address,
  market: Address,
  c: ContentRegistration,
  options: RegistrationOptions = {},
): Promise<bigint> {
  const publisher = typeof account === "string" ? account : account.address;
  const salt = options.salt ?? randomSalt();
  const minAge = await publicClient.readContract({ address: market, abi: licenseMarketAbi, functionName: "minCommitmentAge" });

  const params = {
    infohash: c.infohash,
    size: c.size,
    payout: c.payout,
    basePrice: c.basePrice,
    curve: c.curve ?? CurveKind.Linear,
    growth: c.growth ?? 0n,
    maxSupply: c.maxSupply ?? 0n,
    bountyFeeBps: c.bountyFeeBps ?? 0,
    transferable: c.transferable ?? false,
    metadataURI: c.metadataURI ?? "",
  };
  const reveal = () =>
    // The pending block carries the current time; the latest one, on a chain that mined nothing since the commit,
    // still carries the commit's.
    publicClient.simulateContract({
      blockTag: "pending",
      account,
      address: market,
      abi: licenseMarketAbi,
      functionName: "registerContent",
      args: [params, salt],
    });
  // The market checks the parameters before the commitment: a reveal refused for anything but the missing
  // commitment would be refused after it too, so it fails here, before the wallet is asked for anything.
  await reveal().catch((err: unknown) => {
    if (revertName(err) !== "CommitmentNotFound") throw err;
  });

  options.onProgress?.({ step: "committing" });
  const { receipt: committed } = await writeAndWait(
    { publicClient, walletClient },
    {
      account,
      address: market,
      abi: licenseMarketAbi,
      functionName: "commit",
      args: [registrationCommitment(c.infohash, publisher, salt)],
    },
  );
  if (committed.status !== "success") throw new Error(`the registration's commitment failed (transaction ${committed.transactionHash})`);
  const committedAt = (await publicClient.getBlock({ blockNumber: committed.blockNumber })).timestamp;
  const readyAt = committedAt + minAge;

  options.onProgress?.({ step: "waiting", seconds: Number(minAge), readyAt });
  await (options.waitUntil ?? wallClockWait(committedAt))(readyAt);

  options.onProgress?.({ step: "registering" });
  const { request } = await untilMature(reveal);
  const hash = await walletClient.writeContract(request as never);
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`registering the content failed (transaction ${hash})`);
  const [registered] = parseEventLogs({ abi: licenseMarketAbi, eventName: "ContentRegistered", logs: receipt.logs });
  return registered.args.contentId;
}

/** The custom error a contract call reverted with, if any. */
function revertName(err: unknown): string | undefined {
  const reverted = err instanceof BaseError ? err.walk((e) => e instanceof ContractFunctionRevertedError) : null;
  return reverted instanceof ContractFunctionRevertedError ? reverted.data?.errorName : undefined;
}

/** How long a reveal is retried while the chain's clock still says `CommitmentTooNew`. */
const MATURITY_RETRY_MS = 1000;
const MATURITY_RETRIES = 120;

/**
 * Runs `simulate` until the commitment is old enough for the chain: a chain whose blocks ran ahead of the wall clock
 * (many blocks in a second, each one second later than the last) stamps its next block with the wall clock only once
 * the wall clock has caught up with it.
 */
async function untilMature<T>(simulate: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await simulate();
    } catch (err) {
      if (revertName(err) !== "CommitmentTooNew" || attempt >= MATURITY_RETRIES) throw err;
      await new Promise((resolve) => setTimeout(resolve, MATURITY_RETRY_MS));
    }
  }
}

/**
 * Waits by the wall clock until the chain's clock, as it stood at the commit block (`committedAt`, read just now),
 * reaches `readyAt`. A chain whose clock runs ahead of the wall clock is followed by its offset; one that lags makes
 * this wait a little longer than needed.
 */
function wallClockWait(committedAt: bigint): (readyAt: bigint) => Promise<void> {
  const offsetMs = Number(committedAt) * 1000 - Date.now();
  return (readyAt) => {
    const ms = Number(readyAt) * 1000 - (Date.now() + offsetMs);
    return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
  };
}

/** Buys `quantity` licenses for `recipient` (default: the buyer) at the current quote; returns the total paid. */
export async function buyLicense(
  publicClient: PublicClient,
  walletClient: WalletClient,
  account: Account | Address,
  market: Address,
  contentId: bigint,
  recipient?: Address,
  quantity = 1n,
): Promise<bigint> {
  const [, , , total] = await publicClient.readContract({
    address: market,
    abi: licenseMarketAbi,
    functionName: "quote",
    args: [contentId, quantity],
  });
  const buyer = typeof account === "string" ? account : account.address;
  const { hash, receipt } = await writeAndWait(
    { publicClient, walletClient },
    {
      account,
      address: market,
      abi: licenseMarketAbi,
      functionName: "buy",
      args: [contentId, quantity, recipient ?? buyer, total],
      value: total,
    },
  );
  if (receipt.status !== "success") throw new Error(`buying a license failed (transaction ${hash})`);
  return total;
}
