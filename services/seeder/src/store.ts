/**
 * The seeder's durable state in Node's built-in SQLite (`node:sqlite`): one row per paying account (an escrow, or a
 * licence served free) with the latest voucher and receipt the seeder acknowledged — both are cumulative, so the
 * latest is all that can be redeemed — and what has been redeemed and submitted on-chain. A checkpoint the leecher
 * released on-chain (verified against the chain) takes the voucher's place with no signature: it is already paid,
 * and the amount stored is the seeder's redeemed total, so nothing is redeemed for it.
 *
 * Every write is a committed transaction with `synchronous = FULL` before the call returns, so a voucher the seeder
 * acknowledged survives a crash (SIGKILL, power loss) and is redeemed after the restart.
 *
 * One exception: `sent_bound`, the bound on bytes sent that the seeder records before sending past it (once per MiB)
 * and from which a restart resumes, is committed with `synchronous = NORMAL`. It then survives a crash of the
 * process, not of the machine: a power loss may lose the bounds written since the last FULL commit (the latest
 * voucher or receipt, whose sync also makes the bounds before it durable), so the seeder may serve on credit again
 * what it sent since that payment, at most one interval plus δ. Only the seeder risks it (no leecher pays for bytes
 * it did not receive), and the fsync it saves was the seeder's largest cost per block: 3-10 ms every MiB, on the
 * event loop that sends the blocks.
 */
import { DatabaseSync } from "node:sqlite";
import type { Address, Hex } from "viem";

export interface AccountRow {
  key: string;
  leecher: Address;
  contentId: bigint;
  escrowId: bigint | null;
  sessionKey: Address;
  mode: "exponential" | "upfront";
  maxBytes: bigint;
  pricePerMiB: bigint;
  priceCapPerMiB: bigint;
  delegationExpiry: bigint;
  delegationSignature: Hex;
  /** Bytes sent on the account, as stored with the latest payment. */
  served: bigint;
  /** At least the bytes sent on the account, recorded before they were sent (never lowered). */
  sentBound: bigint;
  voucherBytes: bigint;
  voucherAmount: bigint;
  voucherSignature: Hex | null;
  /** The leecher's release transaction, when the latest payment is an on-chain release rather than a voucher. */
  releaseTx: Hex | null;
  receiptBytes: bigint;
  receiptSignature: Hex | null;
  /** What the escrow has paid this seeder for this account, as last seen on-chain. */
  redeemedAmount: bigint;
  /** Receipt bytes the rebate pool has credited, as last seen on-chain. */
  submittedBytes: bigint;
  /** The session key's signed `Close(escrowId)`, when the leecher ended the download that way. */
  closeSignature: Hex | null;
  /** The escrow needs nothing more from this seeder (closed, refunded, or our window waived). */
  finished: boolean;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS accounts (
  key TEXT PRIMARY KEY,
  leecher TEXT NOT NULL,
  content_id TEXT NOT NULL,
  escrow_id TEXT,
  session_key TEXT NOT NULL,
  mode TEXT NOT NULL,
  max_bytes TEXT NOT NULL,
  price_per_mib TEXT NOT NULL,
  price_cap_per_mib TEXT NOT NULL,
  delegation_expiry TEXT NOT NULL,
  delegation_signature TEXT NOT NULL,
  served TEXT NOT NULL DEFAULT '0',
  sent_bound TEXT NOT NULL DEFAULT '0',
  voucher_bytes TEXT NOT NULL DEFAULT '0',
  voucher_amount TEXT NOT NULL DEFAULT '0',
  voucher_signature TEXT,
  release_tx TEXT,
  receipt_bytes TEXT NOT NULL DEFAULT '0',
  receipt_signature TEXT,
  redeemed_amount TEXT NOT NULL DEFAULT '0',
  submitted_bytes TEXT NOT NULL DEFAULT '0',
  finished INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS accounts_by_license ON accounts (leecher, content_id);
`;

/**
 * `column < ?` for decimal strings without leading zeros (uint256 values do not fit SQLite's 64-bit integers);
 * binds the value three times.
 */
function decimalLess(column: string): string {
  return `(length(${column}) < length(?) OR (length(${column}) = length(?) AND ${column} < ?))`;
}

type Row = Record<string, string | number | null>;

function fromRow(r: Row): AccountRow {
  const big = (k: string) => BigInt(r[k] as string);
  return {
    key: r.key as string,
    leecher: r.leecher as Address,
    contentId: big("content_id"),
    escrowId: r.escrow_id === null ? null : big("escrow_id"),
    sessionKey: r.session_key as Address,
    mode: r.mode as AccountRow["mode"],
    maxBytes: big("max_bytes"),
    pricePerMiB: big("price_per_mib"),
    priceCapPerMiB: big("price_cap_per_mib"),
    delegationExpiry: big("delegation_expiry"),
    delegationSignature: r.delegation_signature as Hex,
    served: big("served"),
    sentBound: big("sent_bound"),
    voucherBytes: big("voucher_bytes"),
    voucherAmount: big("voucher_amount"),
    voucherSignature: r.voucher_signature as Hex | null,
    releaseTx: (r.release_tx ?? null) as Hex | null,
    receiptBytes: big("receipt_bytes"),
    receiptSignature: r.receipt_signature as Hex | null,
    redeemedAmount: big("redeemed_amount"),
    submittedBytes: big("submitted_bytes"),
    closeSignature: (r.close_signature ?? null) as Hex | null,
    finished: r.finished === 1,
  };
}

export type NewAccount = Pick<
  AccountRow,
  | "key"
  | "leecher"
  | "contentId"
  | "escrowId"
  | "sessionKey"
  | "mode"
  | "maxBytes"
  | "pricePerMiB"
  | "priceCapPerMiB"
  | "delegationExpiry"
  | "delegationSignature"
>;

export class SeederStore {
  readonly #db: DatabaseSync;

  constructor(path: string) {
    this.#db = new DatabaseSync(path);
    this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;");
    this.#db.exec(SCHEMA);
    // Stores written before on-chain releases were accepted lack their column.
    const columns = this.#db.prepare("PRAGMA table_info(accounts)").all() as { name: string }[];
    if (!columns.some((c) => c.name === "release_tx")) this.#db.exec("ALTER TABLE accounts ADD COLUMN release_tx TEXT");
    // ... and before the leecher's signed Close.
    if (!columns.some((c) => c.name === "close_signature")) this.#db.exec("ALTER TABLE accounts ADD COLUMN close_signature TEXT");
    // ... and before the bound on bytes sent was recorded.
    if (!columns.some((c) => c.name === "sent_bound"))
      this.#db.exec("ALTER TABLE accounts ADD COLUMN sent_bound TEXT NOT NULL DEFAULT '0'");
  }

  get(key: string): AccountRow | null {
    const row = this.#db.prepare("SELECT * FROM accounts WHERE key = ?").get(key) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  /** Creates the account, or refreshes the session key and delegation of an existing one (a new hello). */
  upsert(account: NewAccount): AccountRow {
    this.#db
      .prepare(
        `INSERT INTO accounts (key, leecher, content_id, escrow_id, session_key, mode, max_bytes, price_per_mib,
           price_cap_per_mib, delegation_expiry, delegation_signature, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET session_key = excluded.session_key, delegation_expiry = excluded.delegation_expiry,
           delegation_signature = excluded.delegation_signature, updated_at = excluded.updated_at`,
      )
      .run(
        account.key,
        account.leecher,
        account.contentId.toString(),
        account.escrowId === null ? null : account.escrowId.toString(),
        account.sessionKey,
        account.mode,
        account.maxBytes.toString(),
        account.pricePerMiB.toString(),
        account.priceCapPerMiB.toString(),
        account.delegationExpiry.toString(),
        account.delegationSignature,
        Date.now(),
      );
    return this.get(account.key)!;
  }

  /** Stores a newer voucher (and the bytes served so far); committed when this returns. */
  saveVoucher(key: string, served: bigint, bytes: bigint, amount: bigint, signature: Hex): void {
    this.#db
      .prepare(
        `UPDATE accounts SET voucher_bytes = ?, voucher_amount = ?, voucher_signature = ?, release_tx = NULL, served = ?, updated_at = ?
         WHERE key = ? AND ${decimalLess("voucher_bytes")}`,
      )
      .run(
        bytes.toString(),
        amount.toString(),
        signature,
        served.toString(),
        Date.now(),
        key,
        bytes.toString(),
        bytes.toString(),
        bytes.toString(),
      );
  }

  /**
   * Stores a verified on-chain release of checkpoint `bytes` (and the bytes served so far) in the voucher's place:
   * `redeemed` is the seeder's total paid by the escrow, as read on-chain; committed when this returns.
   */
  saveRelease(key: string, served: bigint, bytes: bigint, redeemed: bigint, txHash: Hex): void {
    this.#db
      .prepare(
        `UPDATE accounts SET voucher_bytes = ?, voucher_amount = ?, voucher_signature = NULL, release_tx = ?, redeemed_amount = ?,
           served = ?, updated_at = ?
         WHERE key = ? AND ${decimalLess("voucher_bytes")}`,
      )
      .run(
        bytes.toString(),
        redeemed.toString(),
        txHash,
        redeemed.toString(),
        served.toString(),
        Date.now(),
        key,
        bytes.toString(),
        bytes.toString(),
        bytes.toString(),
      );
  }

  /**
   * Stores a newer receipt and the bytes served so far, which then are also the bound on bytes sent (exact now: the
   * next block raises it again before it leaves); committed when this returns.
   */
  saveReceipt(key: string, served: bigint, bytes: bigint, signature: Hex): void {
    this.#db
      .prepare(
        `UPDATE accounts SET receipt_bytes = ?, receipt_signature = ?, served = ?, sent_bound = ?, updated_at = ?
         WHERE key = ? AND ${decimalLess("receipt_bytes")}`,
      )
      .run(
        bytes.toString(),
        signature,
        served.toString(),
        served.toString(),
        Date.now(),
        key,
        bytes.toString(),
        bytes.toString(),
        bytes.toString(),
      );
  }

  /**
   * Raises the bound on bytes sent on the account to `bytes` (never lowers it); committed when this returns, durable
   * against a crash of the process (see the header for a power loss).
   */
  saveSentBound(key: string, bytes: bigint): void {
    this.#db.exec("PRAGMA synchronous = NORMAL");
    try {
      this.#db
        .prepare(`UPDATE accounts SET sent_bound = ?, updated_at = ? WHERE key = ? AND ${decimalLess("sent_bound")}`)
        .run(bytes.toString(), Date.now(), key, bytes.toString(), bytes.toString(), bytes.toString());
    } finally {
      this.#db.exec("PRAGMA synchronous = FULL");
    }
  }

  /** Stores the leecher's signed Close; committed when this returns. */
  saveClose(key: string, signature: Hex): void {
    this.#db.prepare("UPDATE accounts SET close_signature = ?, updated_at = ? WHERE key = ?").run(signature, Date.now(), key);
  }

  setRedeemed(key: string, amount: bigint): void {
    this.#db.prepare("UPDATE accounts SET redeemed_amount = ?, updated_at = ? WHERE key = ?").run(amount.toString(), Date.now(), key);
  }

  setSubmitted(key: string, bytes: bigint): void {
    this.#db.prepare("UPDATE accounts SET submitted_bytes = ?, updated_at = ? WHERE key = ?").run(bytes.toString(), Date.now(), key);
  }

  setFinished(key: string): void {
    this.#db.prepare("UPDATE accounts SET finished = 1, updated_at = ? WHERE key = ?").run(Date.now(), key);
  }

  /** Paid accounts whose latest voucher is worth more than what was redeemed. */
  unredeemed(): AccountRow[] {
    const rows = this.#db
      .prepare(
        `SELECT * FROM accounts WHERE escrow_id IS NOT NULL AND finished = 0 AND voucher_signature IS NOT NULL
         ORDER BY updated_at`,
      )
      .all() as Row[];
    return rows.map(fromRow).filter((a) => a.voucherAmount > a.redeemedAmount);
  }

  /** Accounts whose latest receipt attests more than what the pool credited. */
  unsubmitted(): AccountRow[] {
    const rows = this.#db.prepare("SELECT * FROM accounts WHERE receipt_signature IS NOT NULL ORDER BY updated_at").all() as Row[];
    return rows.map(fromRow).filter((a) => a.receiptBytes > a.submittedBytes);
  }

  /**
   * Paid accounts not finished with something redeemed or the leecher's signed Close (candidates for a cooperative
   * close and for the refund).
   */
  open(): AccountRow[] {
    const rows = this.#db
      .prepare(
        "SELECT * FROM accounts WHERE escrow_id IS NOT NULL AND finished = 0 AND (redeemed_amount != '0' OR close_signature IS NOT NULL)",
      )
      .all() as Row[];
    return rows.map(fromRow);
  }

  /**
   * A free account of the license under another session key whose delegation lasts past `now` (seconds) and that
   * may have been sent bytes no receipt attests; null when none.
   */
  unattestedFree(leecher: Address, contentId: bigint, sessionKey: Address, now: bigint): AccountRow | null {
    const rows = this.#db
      .prepare("SELECT * FROM accounts WHERE escrow_id IS NULL AND leecher = ? AND content_id = ? AND session_key != ?")
      .all(leecher, contentId.toString(), sessionKey) as Row[];
    return rows.map(fromRow).find((a) => a.delegationExpiry > now && (a.served > a.receiptBytes || a.sentBound > a.receiptBytes)) ?? null;
  }

  all(): AccountRow[] {
    return (this.#db.prepare("SELECT * FROM accounts ORDER BY updated_at").all() as Row[]).map(fromRow);
  }

  close(): void {
    this.#db.close();
  }
}
