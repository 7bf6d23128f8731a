/**
 * On-chain payment fixtures for the browser tests, made the way the w3t_pay clients make them: a leecher opens an
 * escrow with a session key, the session key signs a voucher and a receipt, the wallet signs the delegation, the
 * seeder redeems and submits them.
 */
import { amountFor } from "@web3torrent/sdk/checkpointSchedule";
import { delegationTypes, escrowDomain, rebatePoolDomain, receiptTypes, voucherTypes } from "@web3torrent/sdk/eip712";
import { checkpointEscrowAbi, rebatePoolAbi } from "@web3torrent/sdk/generated/contracts";
import { createWalletClient, http, parseEventLogs, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import type { TestStack } from "./stack.ts";

function wallet(stack: TestStack, key: Hex) {
  return createWalletClient({
    account: privateKeyToAccount(key),
    chain: { ...hardhat, id: stack.chain.chainId },
    transport: http(stack.chain.rpcUrl),
  });
}

async function mined(stack: TestStack, hash: Hex) {
  const receipt = await stack.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
  return receipt;
}

export interface OpenedEscrow {
  escrowId: bigint;
  deposit: bigint;
  sessionKey: ReturnType<typeof privateKeyToAccount>;
}

export async function openEscrow(
  stack: TestStack,
  leecherKey: Hex,
  contentId: bigint,
  maxBytes: bigint,
  pricePerMiB: bigint,
): Promise<OpenedEscrow> {
  const sessionKey = privateKeyToAccount(generatePrivateKey());
  const deposit = amountFor(maxBytes, pricePerMiB);
  const hash = await wallet(stack, leecherKey).writeContract({
    address: stack.chain.contracts.CheckpointEscrow,
    abi: checkpointEscrowAbi,
    functionName: "open",
    args: [contentId, maxBytes, pricePerMiB, sessionKey.address, 0],
    value: deposit,
  });
  const [opened] = parseEventLogs({ abi: checkpointEscrowAbi, eventName: "EscrowOpened", logs: (await mined(stack, hash)).logs });
  return { escrowId: opened.args.escrowId, deposit, sessionKey };
}

/** The session key signs a voucher for `cumulativeBytes`; the seeder redeems it. Returns what it paid. */
export async function redeemVoucher(
  stack: TestStack,
  seederKey: Hex,
  escrow: OpenedEscrow,
  cumulativeBytes: bigint,
  pricePerMiB: bigint,
): Promise<bigint> {
  const seeder = privateKeyToAccount(seederKey).address;
  const voucher = { escrowId: escrow.escrowId, seeder, cumulativeBytes, cumulativeAmount: amountFor(cumulativeBytes, pricePerMiB) };
  const signature = await escrow.sessionKey.signTypedData({
    domain: escrowDomain(stack.chain.chainId, stack.chain.contracts.CheckpointEscrow),
    types: voucherTypes,
    primaryType: "Voucher",
    message: voucher,
  });
  const hash = await wallet(stack, seederKey).writeContract({
    address: stack.chain.contracts.CheckpointEscrow,
    abi: checkpointEscrowAbi,
    functionName: "redeem",
    args: [voucher, signature],
  });
  const [redeemed] = parseEventLogs({ abi: checkpointEscrowAbi, eventName: "VoucherRedeemed", logs: (await mined(stack, hash)).logs });
  return redeemed.args.paid;
}

/** The leecher's wallet delegates to the session key, which signs a receipt; the seeder submits it. Returns the payout. */
export async function submitReceipt(
  stack: TestStack,
  leecherKey: Hex,
  seederKey: Hex,
  escrow: OpenedEscrow,
  contentId: bigint,
  cumulativeBytes: bigint,
): Promise<bigint> {
  const leecher = privateKeyToAccount(leecherKey);
  const seeder = privateKeyToAccount(seederKey).address;
  const domain = rebatePoolDomain(stack.chain.chainId, stack.chain.contracts.RebatePool);
  const expiry = BigInt(Math.floor(Date.now() / 1000) + 86_400);
  const delegationSig = await leecher.signTypedData({
    domain,
    types: delegationTypes,
    primaryType: "Delegation",
    message: { wallet: leecher.address, sessionKey: escrow.sessionKey.address, expiry },
  });
  const receiptSig = await escrow.sessionKey.signTypedData({
    domain,
    types: receiptTypes,
    primaryType: "Receipt",
    message: { leecher: leecher.address, seeder, contentId, cumulativeBytes },
  });
  const hash = await wallet(stack, seederKey).writeContract({
    address: stack.chain.contracts.RebatePool,
    abi: rebatePoolAbi,
    functionName: "submitReceipts",
    args: [
      seeder,
      [
        {
          leecher: leecher.address,
          contentId,
          cumulativeBytes,
          sessionKey: escrow.sessionKey.address,
          delegationExpiry: expiry,
          delegationSig,
          receiptSig,
        },
      ],
    ],
  });
  const [credited] = parseEventLogs({ abi: rebatePoolAbi, eventName: "ReceiptCredited", logs: (await mined(stack, hash)).logs });
  return credited.args.payout;
}
