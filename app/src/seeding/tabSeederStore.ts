/**
 * What this tab's seeder holds, in localStorage so a reload loses nothing it acknowledged: the latest voucher per
 * escrow (or the latest checkpoint released on-chain, verified) and the latest receipt per (leecher, content), each
 * with what the chain needs to pay it.
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
      return { vouchers: {}, receipts: {}, ...(JSON.parse(localStorage.getItem(this.#key) ?? "{}") as Partial<Snapshot>) };
    } catch {
      return { vouchers: {}, receipts: {} };
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
