/**
 * The seeder's on-chain checks of `w3t_pay`, shared by every seeder (the headless service and the browser tab): who
 * may be served (`checkHello`: license, delegation, escrow) and whether a leecher's on-chain release happened
 * (`verifyRelease`). Both read the chain through a viem PublicClient; what the seeder stores stays its own.
 */
import { recoverTypedDataAddress, type Address, type PublicClient } from "viem";
import { delegationTypes } from "../eip712.ts";
import { checkpointEscrowAbi, licenseMarketAbi } from "../generated/contracts.ts";
import { delegationTypedData } from "../sessionKey.ts";
import type { ServiceAccount } from "./accounting.ts";
import { RefusalReason, modeName, type HelloMessage, type PaymentModeName, type ReleasedMessage } from "./messages.ts";
import type { Refusal, SeederTerms } from "./seederExtension.ts";
import { readEscrowFunds, type EscrowFunds } from "./solvency.ts";

/** The escrow's `Status` enum. */
export const EscrowStatus = { None: 0, Open: 1, Closing: 2, Closed: 3 } as const;

export interface AdmissionContext {
  client: PublicClient;
  chainId: number;
  contracts: { market: Address; escrow: Address; rebatePool: Address };
  /** A delegation must stay valid this long after the hello, so that the receipts can still be submitted. */
  delegationMarginSeconds: bigint;
}

/** A peer that passed the checks: what its `ServiceAccount` is made of. */
export interface AdmittedAccount {
  /**
   * "escrow:<id>" for paid downloads, "free:<leecher>:<contentId>:<sessionKey>" for free ones (receipts are signed
   * per key; the headless seeder serves one key of a license at a time while bytes await a receipt).
   */
  key: string;
  leecher: Address;
  contentId: bigint;
  escrowId: bigint | null;
  sessionKey: Address;
  /** The escrow's registered key, which signs vouchers and the Close (`sessionKey` unless the hello names another). */
  voucherKey: Address;
  mode: PaymentModeName;
  maxBytes: bigint;
  pricePerMiB: bigint;
  priceCapPerMiB: bigint;
  delegation: HelloMessage["delegation"];
}

const refused = (reason: RefusalReason, message: string): { refusal: Refusal } => ({ refusal: { reason, message } });

/**
 * Checks a hello on-chain: the account holds a license of the content, the wallet's delegation of the session key
 * is valid (ECDSA, or ERC-1271 for a smart-account wallet) and lasts, and for priced seeding the escrow is open, the
 * account's, for this content, with this session key, a mode and payment the seeder serves, a price cap at least
 * the seeder's price and deposit left (unreserved, or reserved for this seeder).
 */
export async function checkHello(
  ctx: AdmissionContext,
  hello: HelloMessage,
  terms: SeederTerms,
): Promise<{ account: AdmittedAccount; funds?: EscrowFunds } | { refusal: Refusal }> {
  const { client, contracts } = ctx;
  const contentId = terms.contentId;
  const priced = terms.pricePerMiB > 0n;
  // One round trip to the node instead of one per check: the hello waits on it before the first block.
  // The escrow comes with its funds for this seeder, which `escrowCoversNextInterval` then weighs without a read.
  const [licensed, latest, delegated, funds, content] = await Promise.all([
    client.readContract({ address: contracts.market, abi: licenseMarketAbi, functionName: "hasLicense", args: [hello.account, contentId] }),
    client.getBlock({ blockTag: "latest" }),
    validDelegation(ctx, hello),
    priced && hello.escrowId !== null ? readEscrowFunds(client, contracts.escrow, hello.escrowId, terms.seeder) : null,
    priced ? null : client.readContract({ address: contracts.market, abi: licenseMarketAbi, functionName: "content", args: [contentId] }),
  ]);
  if (!licensed) return refused(RefusalReason.NoLicense, `${hello.account} holds no license of content ${contentId}`);
  if (hello.delegation.expiry < latest.timestamp + ctx.delegationMarginSeconds) {
    return refused(RefusalReason.BadDelegation, `the delegation expires at ${hello.delegation.expiry}, too soon to submit receipts`);
  }
  if (!delegated) return refused(RefusalReason.BadDelegation, "the delegation is not signed by the account");
  const delegation = hello.delegation;

  if (content) {
    return {
      account: {
        key: `free:${hello.account}:${contentId}:${hello.sessionKey}`,
        leecher: hello.account,
        contentId,
        escrowId: null,
        sessionKey: hello.sessionKey,
        voucherKey: hello.sessionKey,
        mode: "exponential",
        maxBytes: BigInt(content.size),
        pricePerMiB: 0n,
        priceCapPerMiB: 0n,
        delegation,
      },
    };
  }

  if (hello.escrowId === null || funds === null) return refused(RefusalReason.NoEscrow, "priced content: open an escrow first");
  const e = funds.escrow;
  const escrowId = hello.escrowId;
  if (hello.payment === "transactions" && !terms.acceptsReleases) {
    return refused(RefusalReason.Terms, "this seeder takes vouchers only, not on-chain releases");
  }
  if (e.status !== EscrowStatus.Open) return refused(RefusalReason.NoEscrow, `escrow ${escrowId} is not open`);
  if (e.leecher !== hello.account) return refused(RefusalReason.NoEscrow, `escrow ${escrowId} belongs to another account`);
  if (e.contentId !== contentId) return refused(RefusalReason.NoEscrow, `escrow ${escrowId} pays for content ${e.contentId}`);
  // The escrow's key signs its vouchers; the delegated key (which proved this wire) may be another one, the wallet's
  // delegation and the escrow's leecher tying both to the account.
  const voucherKey = hello.escrowKey ?? hello.sessionKey;
  if (e.sessionKey !== voucherKey) return refused(RefusalReason.NoEscrow, `escrow ${escrowId} registered another session key`);
  const priceCapPerMiB = BigInt(e.pricePerMiB);
  if (priceCapPerMiB < terms.pricePerMiB) {
    return refused(RefusalReason.Price, `escrow ${escrowId} pays at most ${priceCapPerMiB} wei/MiB, the price is ${terms.pricePerMiB}`);
  }
  const mode = modeName(e.mode);
  if (!terms.modes.includes(mode)) return refused(RefusalReason.Terms, `${mode} escrows are not served here`);
  // Nothing unreserved left is no refusal while this seeder's own reservation pays its next interval (a peer that
  // reconnects after the rest of the deposit went to others): ./solvency.ts decides what may be served.
  if (BigInt(e.unpaid) === 0n && funds.redemption.reserved === 0n) {
    return refused(RefusalReason.EscrowExhausted, `escrow ${escrowId} has nothing left, and nothing reserved for this seeder`);
  }
  return {
    funds,
    account: {
      key: `escrow:${escrowId}`,
      leecher: hello.account,
      contentId,
      escrowId,
      sessionKey: hello.sessionKey,
      voucherKey,
      mode,
      maxBytes: BigInt(e.maxBytes),
      pricePerMiB: terms.pricePerMiB,
      priceCapPerMiB,
      delegation,
    },
  };
}

/**
 * Whether the hello's delegation is the account's signature, naming the account as its wallet: ECDSA first, else
 * the chain (ERC-1271, ERC-6492).
 */
export async function validDelegation(ctx: AdmissionContext, hello: HelloMessage): Promise<boolean> {
  const message = { wallet: hello.account, sessionKey: hello.sessionKey, expiry: hello.delegation.expiry };
  const typed = delegationTypedData({ chainId: ctx.chainId, rebatePool: ctx.contracts.rebatePool }, message);
  const signer = await recoverTypedDataAddress({ ...typed, signature: hello.delegation.signature }).catch(() => null);
  if (signer === hello.account) return true;
  return ctx.client
    .verifyTypedData({
      address: hello.account,
      domain: typed.domain,
      types: delegationTypes,
      primaryType: "Delegation",
      message,
      signature: hello.delegation.signature,
    })
    .catch(() => false);
}

/**
 * Whether the chain bears out a leecher's `released`: what the escrow has paid this seeder (`redeemedBy`, releases
 * and redeemed vouchers together: the contract keeps one cumulative record) covers the seeder's price for the
 * released bytes. The message's transaction is only a hint: when the node has not caught up with it yet, the record
 * is read again at the block that mined it. Resolves with the seeder's redeemed total, or the refusal for a lie.
 */
export async function verifyRelease(
  ctx: AdmissionContext,
  account: ServiceAccount,
  release: ReleasedMessage,
): Promise<{ redeemed: bigint } | { refusal: Refusal }> {
  const due = account.priceOf(release.cumulativeBytes);
  const redeemedAt = async (blockNumber?: bigint) => {
    const r = await ctx.client.readContract({
      address: ctx.contracts.escrow,
      abi: checkpointEscrowAbi,
      functionName: "redeemedBy",
      args: [release.escrowId, release.seeder],
      blockNumber,
    });
    return BigInt(r.amount);
  };
  let redeemed = await redeemedAt();
  if (redeemed < due) {
    const mined = await ctx.client.getTransactionReceipt({ hash: release.txHash }).catch(() => null);
    if (mined?.status === "success") redeemed = await redeemedAt(mined.blockNumber);
  }
  if (redeemed < due) {
    return refused(
      RefusalReason.NoRelease,
      `escrow ${release.escrowId} has paid this seeder ${redeemed} wei on-chain; ${release.cumulativeBytes} bytes cost ${due}`,
    );
  }
  return { redeemed };
}
