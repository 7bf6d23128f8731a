/**
 * One way to read an error from a wallet, viem, a contract or a service: its one-line summary, the first cause that
 * matches, its EIP-1193 code and whether the user declined it. Everything walks causes with viem's own `walk`.
 */
import { BaseError, UserRejectedRequestError } from "viem";

/** EIP-1193: the user rejected the request in the wallet. */
export const USER_REJECTED_CODE = 4001;
/** EIP-3085: the wallet does not know the chain asked for. */
export const UNKNOWN_CHAIN_CODE = 4902;

/**
 * The error itself or the first of its causes that matches, else null. viem exports `walk` only as a method of its
 * BaseError; the method reads nothing of `this` but its `cause` chain, so it walks plain errors the same way.
 */
export function findCause(error: unknown, match: (cause: unknown) => boolean): unknown {
  return BaseError.prototype.walk.call(error, match);
}

/** The first numeric `code` along the cause chain (an EIP-1193 or JSON-RPC code), else undefined. */
export function errorCode(error: unknown): number | undefined {
  const found = findCause(error, (e) => typeof (e as { code?: unknown } | null)?.code === "number");
  return found === null ? undefined : (found as { code: number }).code;
}

/** Whether the wallet's "the user rejected the request" is the error or one of its causes. */
export function isUserRejection(error: unknown): boolean {
  return (
    findCause(
      error,
      (e) => e instanceof UserRejectedRequestError || (e as { name?: unknown } | null)?.name === "UserRejectedRequestError",
    ) !== null || errorCode(error) === USER_REJECTED_CODE
  );
}

/** One line for a log or a CLI: viem's `shortMessage` (without its details and docs links), else the message's first line. */
export function shortMessage(error: unknown): string {
  if (error instanceof BaseError) return error.shortMessage;
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0];
}
