/**
 * What this tab's seeder holds, in localStorage so a reload loses nothing it acknowledged: the latest voucher per
 * escrow (or the latest checkpoint released on-chain, verified) and the latest receipt per (leecher, content), each
 * with what the chain needs to pay it; and per account the bound on bytes sent, recorded before they are sent, from
 * which a reloaded seeder resumes (so a reload grants no second interval on credit).
 */
import type { Address, Hex } from "viem";

export interface StoredVoucher {
  escrowId: string;
  seeder: Address;
  cumulativeBytes: string;
  cumulativeAmount: string;
  /** The session key's signature; null for a checkpoint the leecher released on-chain (already paid). */
  signature: Hex | null;
  /** The leecher's release transaction, for a checkpoint paid on-chain. */
  releaseTx?: Hex;
}

/** A stored voucher that can be redeemed: it carries the session key's signature. */
export type SignedStoredVoucher = StoredVoucher & { signature: Hex };

export interface StoredReceipt {
  leecher: Address;
  seeder: Address;
  contentId: string;
  cumulativeBytes: string;
  sessionKey: Address;
  delegationExpiry: string;
  delegationSig: Hex;
  receiptSig: Hex;
}

interface Snapshot {
  vouchers: Record<string, StoredVoucher>;
  receipts: Record<string, StoredReceipt>;
  /** Account key ("escrow:<id>", "free:...") to the bound on bytes sent on it, decimal. */
  sent: Record<string, string>;
}

const PREFIX = "w3t:tab-seeder:";

export class TabSeederStore {
  readonly #key: string;
  #listeners = new Set<() => void>();

  constructor(chainId: number, seeder: Address) {
    this.#key = `${PREFIX}${chainId}:${seeder.toLowerCase()}`;
  }

  #read(): Snapshot {
    try {
      return { vouchers: {}, receipts: {}, sent: {}, ...(JSON.parse(localStorage.getItem(this.#key) ?? "{}") as Partial<Snapshot>) };
    } catch {
      return { vouchers: {}, receipts: {}, sent: {} };
    }
  }

  #write(snapshot: Snapshot): void {
    localStorage.setItem(this.#key, JSON.stringify(snapshot));
    for (const listener of [...this.#listeners]) listener();
  }

  saveVoucher(voucher: StoredVoucher): void {
    const snapshot = this.#read();
    const current = snapshot.vouchers[voucher.escrowId];
    if (!current || BigInt(current.cumulativeAmount) < BigInt(voucher.cumulativeAmount)) {
      snapshot.vouchers[voucher.escrowId] = voucher;
      this.#write(snapshot);
    }
  }

  saveReceipt(receipt: StoredReceipt): void {
    const snapshot = this.#read();
    const key = `${receipt.leecher.toLowerCase()}:${receipt.contentId}`;
    const current = snapshot.receipts[key];
    if (!current || BigInt(current.cumulativeBytes) < BigInt(receipt.cumulativeBytes)) {
      snapshot.receipts[key] = receipt;
      this.#write(snapshot);
    }
  }

  /** Raises the bound on bytes sent on account `key` to `bytes` (never lowers it); stored when this returns. */
  saveSentBound(key: string, bytes: bigint): void {
    const snapshot = this.#read();
    if (BigInt(snapshot.sent[key] ?? "0") >= bytes) return;
    snapshot.sent[key] = bytes.toString();
    this.#write(snapshot);
  }

  /** The bound on bytes sent on account `key` (0 when none was recorded). */
  sentBound(key: string): bigint {
    return BigInt(this.#read().sent[key] ?? "0");
  }

  voucher(escrowId: bigint): StoredVoucher | undefined {
    return this.#read().vouchers[escrowId.toString()];
  }

  receipt(leecher: Address, contentId: bigint): StoredReceipt | undefined {
    return this.#read().receipts[`${leecher.toLowerCase()}:${contentId}`];
  }

  vouchers(): StoredVoucher[] {
    return Object.values(this.#read().vouchers);
  }

  receipts(): StoredReceipt[] {
    return Object.values(this.#read().receipts);
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
