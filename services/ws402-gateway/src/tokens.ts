/**
 * HTTP access tokens. A token is 192 random bits, bound to one session and one resource, and valid only while
 * that session is live (metered on a connected WebSocket). The registry is the only authority: a token it did not
 * issue is invalid, and a token of an ended session is expired from that moment.
 */
import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { WS402_HTTP_ERRORS, type Ws402HttpErrorCode } from "@web3torrent/sdk/ws402/protocol";

const TOKEN_PREFIX = "w3t_";
const TOKEN_BYTES = 24;
/** Longest token accepted for lookup: anything longer cannot have been issued. */
const MAX_TOKEN_LENGTH = 64;

export interface TokenHolder {
  readonly sessionId: bigint;
  readonly resourceId: string;
  /** True while the session is metered on a connected WebSocket. */
  isLive(): boolean;
  /** True while access is held because no receipt covers the time used so far (the meter is stopped meanwhile). */
  readonly awaitingReceipt: boolean;
  /** Keeps a response serving this session's resource, to cut it off when the session stops. */
  track(response: ServerResponse): void;
}

interface Entry {
  holder: TokenHolder;
  /** When the session ended; the token is refused from then on. */
  endedAt?: number;
}

export type TokenCheck = { ok: true; holder: TokenHolder } | { ok: false; code: Ws402HttpErrorCode; reason: string };

export class TokenRegistry {
  readonly #entries = new Map<string, Entry>();
  readonly #bySession = new Map<bigint, string>();
  readonly #endedRetentionMs: number;

  constructor(endedRetentionMs: number) {
    this.#endedRetentionMs = endedRetentionMs;
  }

  /** The token of a session, issuing one on first call (a resumed session keeps its token). */
  tokenFor(holder: TokenHolder): string {
    const existing = this.#bySession.get(holder.sessionId);
    if (existing) {
      this.#entries.get(existing)!.holder = holder;
      return existing;
    }
    const token = TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString("base64url");
    this.#entries.set(token, { holder });
    this.#bySession.set(holder.sessionId, token);
    return token;
  }

  /** Ends the session's token at once. */
  revoke(sessionId: bigint, now = Date.now()): void {
    const token = this.#bySession.get(sessionId);
    if (!token) return;
    this.#bySession.delete(sessionId);
    const entry = this.#entries.get(token);
    if (entry) entry.endedAt = now;
  }

  check(token: string | null, resourceId: string): TokenCheck {
    if (!token)
      return { ok: false, code: WS402_HTTP_ERRORS.tokenMissing, reason: "This resource needs an access token from a paid WS402 session." };
    const entry = token.length <= MAX_TOKEN_LENGTH ? this.#entries.get(token) : undefined;
    if (!entry) return { ok: false, code: WS402_HTTP_ERRORS.tokenInvalid, reason: "This token was not issued by this gateway." };
    if (entry.endedAt !== undefined) {
      return { ok: false, code: WS402_HTTP_ERRORS.tokenExpired, reason: "The session of this token has ended; open a new session." };
    }
    if (entry.holder.resourceId !== resourceId) {
      return { ok: false, code: WS402_HTTP_ERRORS.tokenWrongResource, reason: "This token grants access to another resource." };
    }
    if (entry.holder.awaitingReceipt) {
      return {
        ok: false,
        code: WS402_HTTP_ERRORS.receiptOverdue,
        reason: "No usage receipt covers the time used so far: access resumes once the session key signs one.",
      };
    }
    if (!entry.holder.isLive()) {
      return {
        ok: false,
        code: WS402_HTTP_ERRORS.sessionSuspended,
        reason: "The session of this token is disconnected; reconnect its WebSocket to resume.",
      };
    }
    return { ok: true, holder: entry.holder };
  }

  /** Forgets ended tokens older than the retention (they then answer "invalid" instead of "expired"). */
  sweep(now = Date.now()): void {
    for (const [token, entry] of this.#entries) {
      if (entry.endedAt !== undefined && now - entry.endedAt > this.#endedRetentionMs) this.#entries.delete(token);
    }
  }

  get size(): number {
    return this.#bySession.size;
  }
}
