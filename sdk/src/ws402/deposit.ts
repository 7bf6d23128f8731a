/**
 * The on-chain side of a WS402 session, for the user's wallet: open the deposit with a fresh session key (the one
 * wallet transaction of a session), follow its settlement, and the way out when the gateway is gone —
 * `requestClose`, then `reclaim` the whole deposit once the grace period is over.
 */
import {
  parseEventLogs,
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";
import { getDeployment } from "../deployments.ts";
import { ws402DepositsAbi } from "../generated/contracts.ts";
import { writeAndWait } from "../transactions.ts";
import type { Ws402SchemaDocument } from "./protocol.ts";
import { Ws402Error } from "./errors.ts";

/** IWS402Deposits.SessionStatus. */
export const WS402_SESSION_STATUS = { none: 0, open: 1, settled: 2, reclaimed: 3 } as const;

export type Ws402WalletClient = WalletClient<Transport, Chain | undefined, Account>;

export interface Ws402Deposit {
  sessionId: bigint;
  /** The session key's private key: keep it (e.g. in sessionStorage) to resume the session after a reload. */
  sessionKey: Hex;
  sessionKeyAddress: Address;
  maxSeconds: number;
  deposit: bigint;
  txHash: Hex;
}

export interface OpenDepositParams {
  schema: Ws402SchemaDocument;
  walletClient: Ws402WalletClient;
  publicClient: PublicClient;
  /** Seconds to pay for at most; defaults to the schema's estimate. */
  maxSeconds?: number;
  /** A session key to use instead of a fresh one. */
  sessionKey?: Hex;
  /**
   * The WS402Deposits contract this client pays into (the app's configuration); defaults to the sdk's deployment on
   * the schema's chain. A schema naming another contract is refused: a gateway could name its own and keep the deposit.
   */
  deposits?: Address;
}

export interface Ws402SessionState {
  user: Address;
  status: number;
  sessionKey: Address;
  maxSeconds: number;
  pricePerSecond: bigint;
  /** Unix seconds from which the user may reclaim; 0 until requestClose. */
  closeDeadline: number;
}

export type Ws402Outcome =
  | { status: "settled"; elapsedSeconds: bigint; paidToProvider: bigint; refundedToUser: bigint; txHash: Hex }
  | { status: "reclaimed"; amount: bigint; txHash: Hex };

async function checkChain(walletClient: Ws402WalletClient, schema: Ws402SchemaDocument): Promise<void> {
  const chainId = await walletClient.getChainId();
  if (chainId !== schema.contract.chainId) {
    throw new Ws402Error("wrong_chain", `The wallet is on chain ${chainId}; this resource is paid on chain ${schema.contract.chainId}.`);
  }
}

/** The WS402Deposits contract the client knows for the schema's chain; refuses a schema that names another. */
function knownDeposits(schema: Ws402SchemaDocument, configured: Address | undefined): Address {
  let known = configured;
  if (!known) {
    try {
      known = getDeployment(schema.contract.chainId).contracts.WS402Deposits.address;
    } catch {
      throw new Ws402Error(
        "unknown_contract",
        `No WS402Deposits deployment is known on chain ${schema.contract.chainId}: configure the contract to pay into.`,
      );
    }
  }
  if (known.toLowerCase() !== schema.contract.address.toLowerCase()) {
    throw new Ws402Error(
      "unknown_contract",
      `The gateway asks for a deposit into ${schema.contract.address}, not the WS402Deposits contract ${known}: refused.`,
    );
  }
  return known;
}

/**
 * Opens a session: one wallet transaction depositing `pricePerSecond × maxSeconds` with a fresh session key, into
 * the WS402Deposits contract the client knows only.
 */
export async function openWs402Deposit({
  schema,
  walletClient,
  publicClient,
  maxSeconds,
  sessionKey,
  deposits,
}: OpenDepositParams): Promise<Ws402Deposit> {
  knownDeposits(schema, deposits);
  await checkChain(walletClient, schema);
  const seconds = maxSeconds ?? schema.pricing.estimatedSeconds;
  if (!Number.isInteger(seconds) || seconds <= 0 || seconds > 2 ** 32 - 1) {
    throw new Ws402Error("invalid_max_seconds", `maxSeconds must be a positive whole number of seconds, got ${seconds}.`);
  }
  const contract = schema.contract.address;
  const resourceId = BigInt(schema.contract.resourceId);
  const deposit = await publicClient.readContract({
    address: contract,
    abi: ws402DepositsAbi,
    functionName: "depositFor",
    args: [resourceId, seconds],
  });
  const quoted = BigInt(schema.pricing.pricePerSecond) * BigInt(seconds);
  if (deposit !== quoted) {
    throw new Ws402Error("price_changed", `The contract asks ${deposit} wei for ${seconds} s; the gateway quoted ${quoted} wei.`);
  }
  const key = sessionKey ?? generatePrivateKey();
  const sessionKeyAddress = privateKeyToAddress(key);
  const { hash: txHash, receipt } = await writeAndWait(
    { publicClient, walletClient },
    {
      account: walletClient.account,
      address: contract,
      abi: ws402DepositsAbi,
      functionName: "open",
      args: [resourceId, seconds, sessionKeyAddress],
      value: deposit,
    },
  );
  const [opened] = parseEventLogs({ abi: ws402DepositsAbi, eventName: "SessionOpened", logs: receipt.logs });
  if (receipt.status !== "success" || !opened) throw new Ws402Error("open_failed", `The open transaction ${txHash} failed.`);
  return { sessionId: opened.args.sessionId, sessionKey: key, sessionKeyAddress, maxSeconds: seconds, deposit, txHash };
}

export async function readWs402Session(publicClient: PublicClient, contract: Address, sessionId: bigint): Promise<Ws402SessionState> {
  const s = await publicClient.readContract({ address: contract, abi: ws402DepositsAbi, functionName: "session", args: [sessionId] });
  return {
    user: s.user,
    status: s.status,
    sessionKey: s.sessionKey,
    maxSeconds: s.maxSeconds,
    pricePerSecond: s.pricePerSecond,
    closeDeadline: Number(s.closeDeadline),
  };
}

/** Where event searches start: the contract's deployment block when the sdk knows it, else the genesis. */
function fromBlockOf(chainId: number | undefined, contract: Address): bigint {
  try {
    const deployed = getDeployment(chainId ?? 0).contracts.WS402Deposits;
    return deployed.address.toLowerCase() === contract.toLowerCase() ? BigInt(deployed.startBlock) : 0n;
  } catch {
    return 0n;
  }
}

/** How the session was closed on-chain, or undefined while it is open. */
export async function readWs402Outcome(
  publicClient: PublicClient,
  contract: Address,
  sessionId: bigint,
): Promise<Ws402Outcome | undefined> {
  const { status } = await readWs402Session(publicClient, contract, sessionId);
  if (status === WS402_SESSION_STATUS.settled) {
    const [event] = await publicClient.getContractEvents({
      address: contract,
      abi: ws402DepositsAbi,
      eventName: "SessionSettled",
      args: { sessionId },
      fromBlock: fromBlockOf(publicClient.chain?.id, contract),
    });
    if (!event) return undefined;
    const { elapsedSeconds, paidToProvider, refundedToUser } = event.args as {
      elapsedSeconds: bigint;
      paidToProvider: bigint;
      refundedToUser: bigint;
    };
    return { status: "settled", elapsedSeconds, paidToProvider, refundedToUser, txHash: event.transactionHash };
  }
  if (status === WS402_SESSION_STATUS.reclaimed) {
    const [event] = await publicClient.getContractEvents({
      address: contract,
      abi: ws402DepositsAbi,
      eventName: "SessionReclaimed",
      args: { sessionId },
      fromBlock: fromBlockOf(publicClient.chain?.id, contract),
    });
    if (!event) return undefined;
    return { status: "reclaimed", amount: event.args.amount!, txHash: event.transactionHash };
  }
  return undefined;
}

/** Polls until the session is settled or reclaimed (the gateway settles right after a session ends). */
export async function waitForWs402Outcome(
  publicClient: PublicClient,
  contract: Address,
  sessionId: bigint,
  { timeoutMs = 120_000, pollMs = 500 }: { timeoutMs?: number; pollMs?: number } = {},
): Promise<Ws402Outcome> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const outcome = await readWs402Outcome(publicClient, contract, sessionId);
    if (outcome) return outcome;
    if (Date.now() >= deadline) {
      throw new Ws402Error(
        "settlement_timeout",
        `Session ${sessionId} is still open after ${timeoutMs / 1000} s; the gateway may be gone (requestClose, then reclaim).`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/**
 * The way out when the gateway is gone: starts the contract's grace period, during which the provider may still
 * settle. Resolves with the unix time from which `reclaimWs402Deposit` works.
 */
export async function requestWs402Close(
  walletClient: Ws402WalletClient,
  publicClient: PublicClient,
  contract: Address,
  sessionId: bigint,
): Promise<{ deadline: number; txHash: Hex }> {
  const { hash: txHash, receipt } = await writeAndWait(
    { publicClient, walletClient },
    {
      account: walletClient.account,
      address: contract,
      abi: ws402DepositsAbi,
      functionName: "requestClose",
      args: [sessionId],
    },
  );
  const [event] = parseEventLogs({ abi: ws402DepositsAbi, eventName: "CloseRequested", logs: receipt.logs });
  if (receipt.status !== "success" || !event)
    throw new Ws402Error("request_close_failed", `The requestClose transaction ${txHash} failed.`);
  return { deadline: Number(event.args.deadline), txHash };
}

/** After the grace period: takes back the whole deposit. */
export async function reclaimWs402Deposit(
  walletClient: Ws402WalletClient,
  publicClient: PublicClient,
  contract: Address,
  sessionId: bigint,
): Promise<{ amount: bigint; txHash: Hex }> {
  const { hash: txHash, receipt } = await writeAndWait(
    { publicClient, walletClient },
    {
      account: walletClient.account,
      address: contract,
      abi: ws402DepositsAbi,
      functionName: "reclaim",
      args: [sessionId],
    },
  );
  const [event] = parseEventLogs({ abi: ws402DepositsAbi, eventName: "SessionReclaimed", logs: receipt.logs });
  if (receipt.status !== "success" || !event) throw new Ws402Error("reclaim_failed", `The reclaim transaction ${txHash} failed.`);
  return { amount: event.args.amount, txHash };
}
