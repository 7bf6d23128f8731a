/**
 * The seeder's settlement: what it stored goes on-chain in batches. Vouchers worth more than what was redeemed are
 * redeemed (`redeemBatch`), receipts above what the pool credited are submitted (`submitReceipts`), and the escrows the
 * leecher closed are ended (`settleClose`, or close, waiver and refund one by one). A batch the contract reverts goes
 * again one item at a time, so that one bad item does not hold up the others. The `Seeder` runs one at a time.
 */
import type { Address, Hash } from "viem";
import { shortMessage } from "@web3torrent/sdk/errors";
import type { ServiceAccount } from "@web3torrent/sdk/wire/index";
import type { SignedReceipt } from "@web3torrent/sdk/eip712";
import { EscrowStatus, type SeederChain, type SignedVoucher } from "./chain.ts";
import type { AccountRow, SeederStore } from "./store.ts";

export interface SettlementResult {
  redeemed: { escrowIds: bigint[]; hash: Hash }[];
  submitted: { count: number; hash: Hash }[];
  waived: bigint[];
  /** Escrows this settlement ended with the leecher's refund (in our `settleClose`, or by `refund`). */
  refunded: bigint[];
}

/** What the settlement needs from its seeder. */
export interface SettlerHost {
  chain: SeederChain;
  store: SeederStore;
  log: (line: string) => void;
  /** The seeder's events: "redeemed", "submitted", "waived", "refunded", "settlement-error". */
  emit: (event: string, payload: unknown) => void;
  /** The account served under a store key, if any: serving stops once its leecher closed. */
  accountOf: (key: string) => ServiceAccount | undefined;
}

export class Settler {
  readonly #chain: SeederChain;
  readonly #store: SeederStore;
  readonly #address: Address;
  readonly #log: (line: string) => void;
  readonly #emit: (event: string, payload: unknown) => void;
  readonly #accountOf: (key: string) => ServiceAccount | undefined;

  constructor(host: SettlerHost) {
    this.#chain = host.chain;
    this.#store = host.store;
    this.#address = host.chain.address;
    this.#log = host.log;
    this.#emit = host.emit;
    this.#accountOf = host.accountOf;
  }

  /**
   * Redeems, then (unless `redeemOnly`) submits receipts and ends closed escrows; a step that fails is reported
   * ("settlement-error") and does not keep the next from running.
   */
  async settle(redeemOnly: boolean): Promise<SettlementResult> {
    const result: SettlementResult = { redeemed: [], submitted: [], waived: [], refunded: [] };
    await this.redeem(result).catch((error: Error) => this.#fail("redeeming vouchers", error));
    if (!redeemOnly) {
      await this.submitReceipts(result).catch((error: Error) => this.#fail("submitting receipts", error));
      await this.waive(result).catch((error: Error) => this.#fail("closing escrows", error));
    }
    return result;
  }

  #fail(what: string, error: Error): void {
    this.#log(`${what} failed: ${shortMessage(error)}`);
    this.#emit("settlement-error", { what, error });
  }

  async redeem(result: SettlementResult): Promise<void> {
    const now = await this.#chain.now();
    const ready: AccountRow[] = [];
    for (const row of this.#store.unredeemed()) {
      // The leecher closed with its signed Close: the last voucher goes in the same transaction (#waive).
      if (row.closeSignature) continue;
      const escrowId = row.escrowId!;
      const [{ amount, waived, reserved }, e, remaining] = await Promise.all([
        this.#chain.redeemedBy(escrowId),
        this.#chain.escrow(escrowId),
        this.#chain.remaining(escrowId),
      ]);
      if (amount !== row.redeemedAmount) this.#store.setRedeemed(row.key, amount);
      const redeemable = e.status === EscrowStatus.Open || (e.status === EscrowStatus.Closing && now < e.closesAt);
      if (!redeemable || waived) {
        this.#store.setFinished(row.key);
        if (row.voucherAmount > amount) this.#log(`escrow ${escrowId}: ${row.voucherAmount - amount} wei can no longer be redeemed`);
        continue;
      }
      if (row.voucherAmount <= amount || remaining + reserved === 0n) continue;
      ready.push({ ...row, redeemedAmount: amount });
    }
    if (ready.length === 0) return;
    const vouchers = ready.map((row): SignedVoucher => ({
      escrowId: row.escrowId!,
      seeder: this.#address,
      cumulativeBytes: row.voucherBytes,
      cumulativeAmount: row.voucherAmount,
      signature: row.voucherSignature!,
    }));
    // One transaction for the batch. The escrow skips (VoucherSkipped) a voucher that someone else redeemed first
    // or whose escrow expired or ran dry meanwhile, so a front-runner cannot void it; only a voucher the contract
    // refuses outright (a bad one stored by mistake) reverts the batch, and then the others go one by one.
    const batches = await this.#batchElseOneByOne(
      ready,
      vouchers,
      (batch) => this.#chain.redeemBatch(batch),
      (v) => `voucher of escrow ${v.escrowId} not redeemed`,
    );
    for (const { rows, hash } of batches) {
      for (const row of rows) {
        const { amount } = await this.#chain.redeemedBy(row.escrowId!);
        this.#store.setRedeemed(row.key, amount);
        if (amount === row.redeemedAmount) {
          this.#log(`voucher of escrow ${row.escrowId} skipped by the batch: nothing more to redeem`);
          continue;
        }
        this.#emit("redeemed", { escrowId: row.escrowId!, amount: amount - row.redeemedAmount, total: amount, hash });
      }
      result.redeemed.push({ escrowIds: rows.map((r) => r.escrowId!), hash });
      this.#log(`redeemed ${rows.length} voucher(s) (tx ${hash})`);
    }
  }

  async submitReceipts(result: SettlementResult): Promise<void> {
    const now = await this.#chain.now();
    // Receipts are cumulative per (leecher, seeder, content): the largest one stored supersedes the others.
    const best = new Map<string, AccountRow>();
    for (const row of this.#store.unsubmitted()) {
      const license = `${row.leecher}:${row.contentId}`;
      const current = best.get(license);
      if (!current || row.receiptBytes > current.receiptBytes) best.set(license, row);
    }
    const ready: AccountRow[] = [];
    for (const row of best.values()) {
      const credited = await this.#chain.credited(row.leecher, row.contentId);
      if (credited >= row.receiptBytes) {
        this.#markSubmitted(row, credited);
        continue;
      }
      if (row.delegationExpiry < now) {
        this.#log(`receipt of ${row.leecher} for content ${row.contentId} lost: its delegation expired`);
        this.#markSubmitted(row, row.receiptBytes);
        continue;
      }
      if (!(await this.#chain.hasLicense(row.leecher, row.contentId))) {
        this.#log(`receipt of ${row.leecher} for content ${row.contentId} refused by the pool: no license any more`);
        this.#markSubmitted(row, row.receiptBytes);
        continue;
      }
      ready.push(row);
    }
    if (ready.length === 0) return;
    const args = ready.map((row): SignedReceipt => ({
      leecher: row.leecher,
      contentId: row.contentId,
      cumulativeBytes: row.receiptBytes,
      sessionKey: row.sessionKey,
      delegationExpiry: row.delegationExpiry,
      delegationSig: row.delegationSignature,
      receiptSig: row.receiptSignature!,
    }));
    // As for vouchers: the pool skips (ReceiptSkipped) what others made void; a receipt it refuses reverts the batch.
    const batches = await this.#batchElseOneByOne(
      ready,
      args,
      (batch) => this.#chain.submitReceipts(batch),
      (r) => `receipt of ${r.leecher} not submitted`,
    );
    for (const { rows, hash } of batches) {
      for (const row of rows) this.#markSubmitted(row, row.receiptBytes);
      result.submitted.push({ count: rows.length, hash });
      this.#emit("submitted", { count: rows.length, hash });
      this.#log(`submitted ${rows.length} receipt(s) to the rebate pool (tx ${hash})`);
    }
  }

  /** Marks every stored receipt of the row's license up to `bytes` as credited. */
  #markSubmitted(row: AccountRow, bytes: bigint): void {
    for (const other of this.#store.unsubmitted()) {
      if (other.leecher === row.leecher && other.contentId === row.contentId && other.receiptBytes <= bytes) {
        this.#store.setSubmitted(other.key, other.receiptBytes);
      }
    }
  }

  /**
   * Ends the escrows the leecher closed (by transaction, or by its signed Close that we submit): our last voucher,
   * the close, our waiver and — when every paid seeder has waived — the leecher's refund, in one `settleClose` where
   * we hold a voucher; after the challenge window, the refund that no one else sent.
   */
  async waive(result: SettlementResult): Promise<void> {
    for (const row of this.#store.open()) {
      const escrowId = row.escrowId!;
      let e = await this.#chain.escrow(escrowId);
      if (e.status === EscrowStatus.Closed) {
        this.#store.setFinished(row.key);
        continue;
      }
      if (e.status === EscrowStatus.Open && !row.closeSignature) continue;
      if (e.status === EscrowStatus.Closing && !row.closeSignature && row.voucherAmount > row.redeemedAmount) continue;
      // The leecher is done: what it still downloads would never be paid. Stop serving.
      this.#accountOf(row.key)?.close();
      if (e.status === EscrowStatus.Closing && (await this.#chain.now()) >= e.closesAt) {
        await this.#chain.refund(escrowId);
        this.#store.setFinished(row.key);
        result.refunded.push(escrowId);
        this.#emit("refunded", { escrowId });
        this.#log(`escrow ${escrowId}: challenge window over, the leecher refunded`);
        continue;
      }
      const { amount, waived } = await this.#chain.redeemedBy(escrowId);
      if (row.voucherSignature && !waived) {
        const voucher: SignedVoucher = {
          escrowId,
          seeder: this.#address,
          cumulativeBytes: row.voucherBytes,
          cumulativeAmount: row.voucherAmount,
          signature: row.voucherSignature,
        };
        await this.#chain.settleClose(voucher, row.closeSignature ?? "0x");
      } else {
        if (e.status === EscrowStatus.Open) await this.#chain.closeWithSignature(escrowId, row.closeSignature!);
        if (amount > 0n && !waived) await this.#chain.waiveChallenge(escrowId);
        e = await this.#chain.escrow(escrowId);
        if (e.status === EscrowStatus.Closing && e.seeders > 0 && e.seeders === e.waivers) await this.#chain.refund(escrowId);
      }
      const after = await this.#chain.redeemedBy(escrowId);
      if (after.amount !== row.redeemedAmount) this.#store.setRedeemed(row.key, after.amount);
      if (after.waived && !waived) {
        result.waived.push(escrowId);
        this.#emit("waived", { escrowId });
        this.#log(`escrow ${escrowId}: challenge window waived`);
      }
      e = await this.#chain.escrow(escrowId);
      if (e.status === EscrowStatus.Closed) {
        this.#store.setFinished(row.key);
        result.refunded.push(escrowId);
        this.#emit("refunded", { escrowId });
        this.#log(`escrow ${escrowId}: the leecher refunded in our settlement`);
      }
    }
  }

  /**
   * Sends `items` (one per row) in one transaction; if the batch reverts, each alone, logging those that fail.
   * Resolves with the rows each mined transaction settled.
   */
  async #batchElseOneByOne<T>(
    rows: AccountRow[],
    items: T[],
    send: (batch: T[]) => Promise<Hash>,
    describe: (item: T) => string,
  ): Promise<{ rows: AccountRow[]; hash: Hash }[]> {
    // Why the batch failed matters only item by item: the retries below log it.
    const all = await send(items).catch(() => null);
    if (all) return [{ rows, hash: all }];
    const single: { rows: AccountRow[]; hash: Hash }[] = [];
    for (let i = 0; i < items.length; i++) {
      const hash = await send([items[i]]).catch((error: Error) => {
        this.#log(`${describe(items[i])}: ${shortMessage(error)}`);
        return null;
      });
      if (hash) single.push({ rows: [rows[i]], hash });
    }
    return single;
  }
}
