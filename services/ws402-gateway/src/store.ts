/**
 * Durable state of the gateway in Node's built-in SQLite: the latest acknowledged receipt of every session, the
 * settlements still to make (with their retry schedule), and the on-chain ids of the configured resources.
 *
 * A receipt is acknowledged to the client only after it is written here, so a gateway killed at any moment
 * restarts with every receipt it acknowledged. WAL with synchronous=NORMAL keeps each write durable across a
 * process crash without an fsync per receipt (an OS crash may lose the last moments; see the README).
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { Address, Hex } from "viem";

/** open: metered (live or waiting for a reconnect); settling: ended, settlement pending; the rest are final. */
export type SessionState = "open" | "settling" | "settled" | "reclaimed" | "failed";

export interface SessionRecord {
  sessionId: bigint;
  resourceId: string;
  user: Address;
  sessionKey: Address;
  maxSeconds: number;
  pricePerSecond: bigint;
  state: SessionState;
  /** Seconds of the latest acknowledged receipt (0 with no receipt). */
  elapsedSeconds: number;
  signature: Hex | null;
  endReason: string | null;
  settleAttempts: number;
  nextAttemptAt: number | null;
  lastError: string | null;
  txHash: Hex | null;
  openedAt: number;
  updatedAt: number;
}

export interface SettlementOutcome {
  txHash: Hex | null;
  chargedSeconds: number;
  paid: bigint;
  refunded: bigint;
}

interface SessionRow {
  session_id: string;
  resource_id: string;
  user: string;
  session_key: string;
  max_seconds: number;
  price_per_second: string;
  state: SessionState;
  elapsed_seconds: number;
  signature: string | null;
  end_reason: string | null;
  settle_attempts: number;
  next_attempt_at: number | null;
  last_error: string | null;
  tx_hash: string | null;
  opened_at: number;
  updated_at: number;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS resources (
    resource_id TEXT NOT NULL,
    chain_id    INTEGER NOT NULL,
    contract    TEXT NOT NULL,
    on_chain_id TEXT NOT NULL,
    PRIMARY KEY (resource_id, chain_id, contract)
  ) STRICT;
  CREATE TABLE IF NOT EXISTS sessions (
    session_id       TEXT PRIMARY KEY,
    resource_id      TEXT NOT NULL,
    user             TEXT NOT NULL,
    session_key      TEXT NOT NULL,
    max_seconds      INTEGER NOT NULL,
    price_per_second TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('open', 'settling', 'settled', 'reclaimed', 'failed')),
    elapsed_seconds  INTEGER NOT NULL DEFAULT 0,
    signature        TEXT,
    end_reason       TEXT,
    settle_attempts  INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER,
    last_error       TEXT,
    tx_hash          TEXT,
    charged_seconds  INTEGER,
    paid             TEXT,
    refunded         TEXT,
    opened_at        INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX IF NOT EXISTS sessions_by_state ON sessions (state);
  CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT;
`;

/** Meta key naming the chain and deployment the database belongs to. */
const DEPLOYMENT_KEY = "deployment";

function toRecord(row: SessionRow): SessionRecord {
  return {
    sessionId: BigInt(row.session_id),
    resourceId: row.resource_id,
    user: row.user as Address,
    sessionKey: row.session_key as Address,
    maxSeconds: row.max_seconds,
    pricePerSecond: BigInt(row.price_per_second),
    state: row.state,
    elapsedSeconds: row.elapsed_seconds,
    signature: row.signature as Hex | null,
    endReason: row.end_reason,
    settleAttempts: row.settle_attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    txHash: row.tx_hash as Hex | null,
    openedAt: row.opened_at,
    updatedAt: row.updated_at,
  };
}

export class Store {
  readonly #db: DatabaseSync;
  readonly #statements: Record<string, StatementSync>;

  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.#db = new DatabaseSync(path);
    this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;");
    this.#db.exec(SCHEMA);
    const prepare = (sql: string) => this.#db.prepare(sql);
    this.#statements = {
      getResource: prepare("SELECT on_chain_id FROM resources WHERE resource_id = ? AND chain_id = ? AND contract = ?"),
      putResource: prepare(
        "INSERT INTO resources (resource_id, chain_id, contract, on_chain_id) VALUES (?, ?, ?, ?) " +
          "ON CONFLICT (resource_id, chain_id, contract) DO UPDATE SET on_chain_id = excluded.on_chain_id",
      ),
      insertSession: prepare(
        "INSERT INTO sessions (session_id, resource_id, user, session_key, max_seconds, price_per_second, state, opened_at, updated_at) " +
          "VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?) ON CONFLICT (session_id) DO NOTHING",
      ),
      getSession: prepare("SELECT * FROM sessions WHERE session_id = ?"),
      byState: prepare("SELECT * FROM sessions WHERE state = ? ORDER BY opened_at"),
      recordReceipt: prepare(
        "UPDATE sessions SET elapsed_seconds = ?, signature = ?, updated_at = ? " +
          "WHERE session_id = ? AND state = 'open' AND elapsed_seconds <= ?",
      ),
      beginSettlement: prepare(
        "UPDATE sessions SET state = 'settling', end_reason = ?, next_attempt_at = ?, updated_at = ? " +
          "WHERE session_id = ? AND state = 'open'",
      ),
      recordAttempt: prepare(
        "UPDATE sessions SET settle_attempts = settle_attempts + 1, last_error = ?, next_attempt_at = ?, updated_at = ? WHERE session_id = ?",
      ),
      recordTxHash: prepare("UPDATE sessions SET tx_hash = ?, updated_at = ? WHERE session_id = ?"),
      markSettled: prepare(
        "UPDATE sessions SET state = 'settled', tx_hash = COALESCE(?, tx_hash), charged_seconds = ?, paid = ?, refunded = ?, " +
          "next_attempt_at = NULL, last_error = NULL, updated_at = ? WHERE session_id = ?",
      ),
      markFinal: prepare("UPDATE sessions SET state = ?, last_error = ?, next_attempt_at = NULL, updated_at = ? WHERE session_id = ?"),
      counts: prepare("SELECT state, COUNT(*) AS n FROM sessions GROUP BY state"),
      getMeta: prepare("SELECT value FROM meta WHERE key = ?"),
      putMeta: prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
    };
  }

  /**
   * Binds the database to one deployment (chain id, contract, genesis block) on first use; afterwards returns the
   * deployment it is bound to, so that sessions of one chain are never settled against another (session ids
   * restart at 1 on a fresh local chain).
   */
  bindDeployment(deployment: string): string {
    const row = this.#statements.getMeta.get(DEPLOYMENT_KEY) as { value: string } | undefined;
    if (row) return row.value;
    this.#statements.putMeta.run(DEPLOYMENT_KEY, deployment);
    return deployment;
  }

  getOnChainResourceId(resourceId: string, chainId: number, contract: Address): bigint | undefined {
    const row = this.#statements.getResource.get(resourceId, chainId, contract.toLowerCase()) as { on_chain_id: string } | undefined;
    return row ? BigInt(row.on_chain_id) : undefined;
  }

  setOnChainResourceId(resourceId: string, chainId: number, contract: Address, onChainId: bigint): void {
    this.#statements.putResource.run(resourceId, chainId, contract.toLowerCase(), onChainId.toString());
  }

  /** Records a newly started session (state open). Does nothing if the session is already known. */
  insertSession(s: Pick<SessionRecord, "sessionId" | "resourceId" | "user" | "sessionKey" | "maxSeconds" | "pricePerSecond">): void {
    const now = Date.now();
    this.#statements.insertSession.run(
      s.sessionId.toString(),
      s.resourceId,
      s.user,
      s.sessionKey,
      s.maxSeconds,
      s.pricePerSecond.toString(),
      now,
      now,
    );
  }

  getSession(sessionId: bigint): SessionRecord | undefined {
    const row = this.#statements.getSession.get(sessionId.toString()) as SessionRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  sessionsIn(state: SessionState): SessionRecord[] {
    return (this.#statements.byState.all(state) as unknown as SessionRow[]).map(toRecord);
  }

  /** Stores a receipt of an open session if it does not go backwards; returns whether it was stored. */
  recordReceipt(sessionId: bigint, elapsedSeconds: number, signature: Hex): boolean {
    const result = this.#statements.recordReceipt.run(elapsedSeconds, signature, Date.now(), sessionId.toString(), elapsedSeconds);
    return result.changes === 1;
  }

  /** Moves an open session to settling; returns false if it was not open. */
  beginSettlement(sessionId: bigint, reason: string): boolean {
    const now = Date.now();
    return this.#statements.beginSettlement.run(reason, now, now, sessionId.toString()).changes === 1;
  }

  recordAttempt(sessionId: bigint, error: string | null, nextAttemptAt: number | null): void {
    this.#statements.recordAttempt.run(error, nextAttemptAt, Date.now(), sessionId.toString());
  }

  recordTxHash(sessionId: bigint, txHash: Hex): void {
    this.#statements.recordTxHash.run(txHash, Date.now(), sessionId.toString());
  }

  markSettled(sessionId: bigint, outcome: SettlementOutcome): void {
    this.#statements.markSettled.run(
      outcome.txHash,
      outcome.chargedSeconds,
      outcome.paid.toString(),
      outcome.refunded.toString(),
      Date.now(),
      sessionId.toString(),
    );
  }

  /** A settlement that will never be made: the user reclaimed, or the chain does not know the session. */
  markFinal(sessionId: bigint, state: "reclaimed" | "failed", reason: string): void {
    this.#statements.markFinal.run(state, reason, Date.now(), sessionId.toString());
  }

  countsByState(): Record<SessionState, number> {
    const counts: Record<SessionState, number> = { open: 0, settling: 0, settled: 0, reclaimed: 0, failed: 0 };
    for (const row of this.#statements.counts.all() as { state: SessionState; n: number }[]) counts[row.state] = row.n;
    return counts;
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}
