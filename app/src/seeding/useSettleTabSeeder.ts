/**
 * The tab seeder's payday: redeem its vouchers in one batch, submit its receipts in one batch (wallet transactions).
 * One batch is enough: the escrow skips (VoucherSkipped) a voucher someone else redeemed first or whose escrow
 * expired meanwhile, instead of reverting, so the others are still paid.
 */
import { checkpointEscrowAbi, rebatePoolAbi } from "@web3torrent/sdk/generated/contracts";
import type { Address } from "viem";
import { useAppConfig } from "../config/ConfigContext.tsx";
import { useContractTransaction } from "../tx/useContractTransaction.ts";
import type { SignedStoredVoucher, StoredReceipt } from "./tabSeederStore.ts";

export function useSettleTabSeeder() {
  const config = useAppConfig();
  const redeemTx = useContractTransaction();
  const submitTx = useContractTransaction();
  return {
    redeemTx,
    submitTx,
    redeem: (seeder: Address, vouchers: SignedStoredVoucher[]) =>
      redeemTx.send({
        address: config.contracts.CheckpointEscrow,
        abi: checkpointEscrowAbi,
        functionName: "redeemBatch",
        args: [
          seeder,
          vouchers.map((v) => ({
            escrowId: BigInt(v.escrowId),
            seeder: v.seeder,
            cumulativeBytes: BigInt(v.cumulativeBytes),
            cumulativeAmount: BigInt(v.cumulativeAmount),
          })),
          vouchers.map((v) => v.signature),
        ],
      }),
    submit: (seeder: Address, receipts: StoredReceipt[]) =>
      submitTx.send({
        address: config.contracts.RebatePool,
        abi: rebatePoolAbi,
        functionName: "submitReceipts",
        args: [
          seeder,
          receipts.map((r) => ({
            leecher: r.leecher,
            contentId: BigInt(r.contentId),
            cumulativeBytes: BigInt(r.cumulativeBytes),
            sessionKey: r.sessionKey,
            delegationExpiry: BigInt(r.delegationExpiry),
            delegationSig: r.delegationSig,
            receiptSig: r.receiptSig,
          })),
        ],
      }),
  };
}
