/**
 * Turns anything thrown by a wallet, viem, a contract or a service into what the user reads: a kind (which the
 * UI maps to a way out), a title and a sentence. Contract reverts are decoded by name with their arguments.
 */
import { formatEth } from "../format/formatEth.ts";
import { BaseError, ContractFunctionRevertedError, InsufficientFundsError } from "viem";
import { UNKNOWN_CHAIN_CODE, errorCode, isUserRejection } from "@web3torrent/sdk/errors";

export type ErrorKind = "rejected" | "insufficient-funds" | "slippage" | "wrong-chain" | "no-wallet" | "revert" | "network" | "unknown";

export interface DescribedError {
  kind: ErrorKind;
  title: string;
  message: string;
  /** The contract's custom error name, when the chain reverted. */
  errorName?: string;
  args?: readonly unknown[];
}

function eth(value: unknown): string {
  return typeof value === "bigint" ? `${formatEth(value)} ETH` : String(value);
}

/** Messages for the custom errors a user can meet in the app; others fall back to their name. */
const REVERTS: Record<string, (args: readonly unknown[]) => Omit<DescribedError, "errorName" | "args">> = {
  SlippageExceeded: ([total, maxTotal]) => ({
    kind: "slippage",
    title: "The price moved past your slippage limit",
    message: `The purchase now costs ${eth(total)}, above your limit of ${eth(maxTotal)}. Nothing was charged. Refresh the quote to buy at the new price, or raise your slippage limit.`,
  }),
  InsufficientPayment: ([total, paid]) => ({
    kind: "insufficient-funds",
    title: "Not enough ETH sent",
    message: `The purchase costs ${eth(total)}, only ${eth(paid)} was sent.`,
  }),
  MaxSupplyExceeded: ([, quantity, remaining]) => ({
    kind: "revert",
    title: "Not enough licenses left",
    message: `You asked for ${String(quantity)}, only ${String(remaining)} remain.`,
  }),
  InfohashAlreadyRegistered: ([, contentId]) => ({
    kind: "revert",
    title: "This file is already published",
    message: `Its infohash is registered as content #${String(contentId)}. Open it in the marketplace instead.`,
  }),
  EnforcedPause: () => ({
    kind: "revert",
    title: "Paused",
    message: "The contract is paused by its admin: new purchases and registrations are stopped for now. Try again later.",
  }),
  NoLicense: () => ({
    kind: "revert",
    title: "No license",
    message: "This account holds no license for the content. Buy one in the marketplace first.",
  }),
  InsufficientDeposit: ([required, sent]) => ({
    kind: "insufficient-funds",
    title: "Deposit too small",
    message: `The deposit must be ${eth(required)}; ${eth(sent)} was sent.`,
  }),
  NothingToClaim: () => ({ kind: "revert", title: "Nothing to claim", message: "No rebates are claimable yet." }),
  NothingToWithdraw: () => ({ kind: "revert", title: "Nothing to withdraw", message: "No proceeds are owed to this account." }),
};

export function describeError(error: unknown): DescribedError {
  if (error instanceof BaseError) {
    const revert = error.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
    if (revert?.data?.errorName) {
      const { errorName, args = [] } = revert.data;
      const described = REVERTS[errorName]?.(args) ?? {
        kind: "revert" as const,
        title: "The transaction would fail",
        message: `The contract refused it: ${errorName}(${args.map((a) => String(a)).join(", ")}). Nothing was sent.`,
      };
      return { ...described, errorName, args };
    }
    if (isUserRejection(error)) {
      return rejected();
    }
    if (error.walk((e) => e instanceof InsufficientFundsError) || /insufficient funds/i.test(error.message)) {
      return insufficientFunds();
    }
    if (error.name === "ChainMismatchError" || errorCode(error) === UNKNOWN_CHAIN_CODE) {
      return { kind: "wrong-chain", title: "Wrong network", message: "Your wallet is on another network. Switch it to continue." };
    }
    if (error.name === "ProviderNotFoundError" || error.name === "ConnectorNotConnectedError") {
      return noWallet();
    }
    if (error.name === "HttpRequestError" || error.name === "TimeoutError") {
      return {
        kind: "network",
        title: "The network is unreachable",
        message: `${error.shortMessage} Check your connection and try again.`,
      };
    }
    if (revert) {
      return { kind: "revert", title: "The transaction would fail", message: revert.shortMessage };
    }
    return { kind: "unknown", title: "Something went wrong", message: error.shortMessage };
  }
  if (isUserRejection(error)) return rejected();
  const message = error instanceof Error ? error.message : String(error);
  if (/insufficient funds/i.test(message)) return insufficientFunds();
  return { kind: "unknown", title: "Something went wrong", message };
}

function rejected(): DescribedError {
  return {
    kind: "rejected",
    title: "You declined the request in your wallet",
    message: "Nothing was signed or sent. Try again when you are ready.",
  };
}

function insufficientFunds(): DescribedError {
  return {
    kind: "insufficient-funds",
    title: "Insufficient funds",
    message: "Your balance does not cover the amount plus gas. Add ETH to this account or use another one.",
  };
}

export function noWallet(): DescribedError {
  return {
    kind: "no-wallet",
    title: "No wallet found",
    message: "Install MetaMask (or another browser wallet), then reload this page.",
  };
}
