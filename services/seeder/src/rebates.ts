/**
 * The seeder's rebates: `claim` takes the pool balance its receipts earned and its shares of every finished epoch, in
 * one `RebatePool.claim` (nothing to claim, no transaction); before it, `sweepExpired` sweeps into the epoch pool the
 * unearned allowances of the licenses this seeder served that have expired, in one `sweepMany`.
 */
import { parseEventLogs, type Address, type Hash } from "viem";
import { rebatePoolAbi } from "@web3torrent/sdk/generated/contracts";
import { shortMessage } from "@web3torrent/sdk/errors";
import { readRebateClaims } from "@web3torrent/sdk/rebateClaims";
import type { SeederChain } from "./chain.ts";
import type { SeederStore } from "./store.ts";

export interface SweepResult {
  /** The licenses whose expired allowances were swept. */
  licenses: { licensee: Address; contentId: bigint }[];
  /** Wei moved into the epoch pool. */
  amount: bigint;
  hash: Hash;
}

export interface ClaimResult {
  /** Wei paid to the seeder: `fromBalance + fromEpochs` of the `Claimed` event; 0 when there was nothing to claim. */
  paid: bigint;
  /** The balance paid: what the seeder's receipts earned from licenses' allowances. */
  fromBalance: bigint;
  /** The shares of finished epochs' pools paid. */
  fromEpochs: bigint;
  /** The finished epochs claimed. */
  epochs: bigint[];
  /** The claim transaction; null when there was nothing to claim (no transaction was sent). */
  hash: Hash | null;
  /** The sweep sent before the claim, if any license this seeder served had an expired allowance left. */
  swept: SweepResult | null;
}

export interface ClaimOptions {
  /** Sweep the expired allowances of the licenses this seeder served first. Default true. */
  sweep?: boolean;
}

/** What the rebates need from their seeder. */
export interface RebatesHost {
  chain: SeederChain;
  store: SeederStore;
  rebatePool: Address;
  /** Where the pool's events for this seeder are searched from. */
  startBlock: bigint;
  log: (line: string) => void;
  /** The seeder's events: "claimed", "settlement-error" (a failed sweep). */
  emit: (event: string, payload: unknown) => void;
}

export class Rebates {
  readonly #chain: SeederChain;
  readonly #store: SeederStore;
  readonly #address: Address;
  readonly #pool: Address;
  readonly #startBlock: bigint;
  readonly #log: (line: string) => void;
  readonly #emit: (event: string, payload: unknown) => void;

  constructor(host: RebatesHost) {
    this.#chain = host.chain;
    this.#store = host.store;
    this.#address = host.chain.address;
    this.#pool = host.rebatePool;
    this.#startBlock = host.startBlock;
    this.#log = host.log;
    this.#emit = host.emit;
  }

  /** Claims what the seeder can claim, after sweeping (`sweep`) the expired allowances it served. */
  async claim(sweep: boolean): Promise<ClaimResult> {
    // The sweep only funds epoch pools; a failed one must not keep the seeder from its claim.
    const swept = sweep
      ? await this.sweepExpired().catch((error: Error) => {
          this.#fail("sweeping expired allowances", error);
          return null;
        })
      : null;
    const claims = await readRebateClaims(this.#chain.publicClient, {
      pool: this.#pool,
      seeder: this.#address,
      fromBlock: this.#startBlock,
    });
    // The result (and the "claimed" event) tells the caller; the CLI prints it once.
    if (claims.claimable === 0n) {
      return { paid: 0n, fromBalance: 0n, fromEpochs: 0n, epochs: [], hash: null, swept };
    }
    const hash = await this.#chain.claimRebates(claims.claimableEpochs);
    const receipt = await this.#chain.publicClient.getTransactionReceipt({ hash });
    const [claimed] = parseEventLogs({ abi: rebatePoolAbi, eventName: "Claimed", logs: receipt.logs });
    const { fromBalance, fromEpochs } = claimed.args;
    const result: ClaimResult = { paid: fromBalance + fromEpochs, fromBalance, fromEpochs, epochs: claims.claimableEpochs, hash, swept };
    this.#emit("claimed", result);
    return result;
  }

  /**
   * Sweeps, in one `sweepMany`, the unearned allowances of the licenses this seeder served (as stored) that have
   * expired, into the pool's carry. Since issue 12 a seeder's share of an epoch is exactly its weight (the network-fee
   * part of its bytes), so a sweep raises no share: it only moves the unearned allowance into the surplus the pool's
   * owner releases (`--no-sweep` saves its gas). Only licenses with something left and past their expiry on the chain's clock are swept, so the
   * transaction does not revert unless someone sweeps one of them first.
   */
  async sweepExpired(): Promise<SweepResult | null> {
    const served = new Map<string, { licensee: Address; contentId: bigint }>();
    for (const row of this.#store.all()) served.set(`${row.leecher}:${row.contentId}`, { licensee: row.leecher, contentId: row.contentId });
    if (served.size === 0) return null;
    const [now, expiry] = await Promise.all([this.#chain.now(), this.#chain.allowanceExpiry()]);
    const expired: { licensee: Address; contentId: bigint }[] = [];
    for (const license of served.values()) {
      const { remaining, fundedAt } = await this.#chain.allowance(license.licensee, license.contentId);
      if (remaining > 0n && now >= fundedAt + expiry) expired.push(license);
    }
    if (expired.length === 0) return null;
    const hash = await this.#chain.sweepMany(expired);
    const receipt = await this.#chain.publicClient.getTransactionReceipt({ hash });
    const amount = parseEventLogs({ abi: rebatePoolAbi, eventName: "AllowanceSwept", logs: receipt.logs }).reduce(
      (sum, l) => sum + l.args.amount,
      0n,
    );
    this.#log(`swept ${amount} wei of expired allowances of ${expired.length} license(s) into the epoch pool (tx ${hash})`);
    return { licenses: expired, amount, hash };
  }

  #fail(what: string, error: Error): void {
    this.#log(`${what} failed: ${shortMessage(error)}`);
    this.#emit("settlement-error", { what, error });
  }
}
