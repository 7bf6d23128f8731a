// @vitest-environment jsdom
/**
 * The tab seeder's voucher rule, as the headless seeder's (sdk/src/wire/solvency.ts): past a checkpoint it serves only
 * while the escrow's remaining deposit covers the voucher it holds plus the next interval — not while it holds 1 wei.
 * A stand-in node answers the escrow's `remaining` and `redeemedBy`.
 */
import { FIRST_CHECKPOINT, amountFor } from "@web3torrent/sdk/checkpointSchedule";
import { ServiceAccount } from "@web3torrent/sdk/wire/accounting";
import { RefusalReason, type VoucherMessage } from "@web3torrent/sdk/wire/messages";
import type { PublicClient } from "viem";
import { describe, expect, it } from "vitest";
import type { ContractAddresses } from "../config/appConfig.ts";
import { TabSeederBackend } from "./tabSeederBackend.ts";
import { TabSeederStore } from "./tabSeederStore.ts";

const PRICE = 10n ** 12n;
const SEEDER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const LEECHER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const ESCROW = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const SIZE = 4n * FIRST_CHECKPOINT; // checkpoints at 10, 30 and 40 MiB

function backendWith(remaining: bigint, redeemed = 0n) {
  const client = {
    getBlockNumber: async () => 1n,
    readContract: async ({ functionName }: { functionName: string }) => (functionName === "remaining" ? remaining : { amount: redeemed, waived: false }),
  } as unknown as PublicClient;
  const contracts = { LicenseMarket: ESCROW, CheckpointEscrow: ESCROW, RebatePool: ESCROW, WS402Deposits: ESCROW } as ContractAddresses;
  return new TabSeederBackend({ client, contracts, chainId: 31337, seeder: SEEDER, store: new TabSeederStore(31337, SEEDER) });
}

const account = () =>
  new ServiceAccount({
    key: "escrow:1",
    leecher: LEECHER,
    sessionKey: LEECHER,
    contentId: 1n,
    escrowId: 1n,
    mode: "exponential",
    maxBytes: SIZE,
    pricePerMiB: PRICE,
    priceCapPerMiB: PRICE,
    delegation: { expiry: 1n, signature: "0x00" },
  });

const voucherFor = (bytes: bigint): VoucherMessage => ({
  type: "voucher",
  escrowId: 1n,
  seeder: SEEDER,
  cumulativeBytes: bytes,
  cumulativeAmount: amountFor(bytes, PRICE),
  signature: `0x${"ab".repeat(65)}`,
});

describe("the tab seeder's voucher rule", () => {
  it("refuses to go on past a checkpoint when the escrow holds 1 wei", async () => {
    const refusal = await backendWith(1n).storeVoucher(account(), voucherFor(FIRST_CHECKPOINT));
    expect(refusal?.reason).toBe(RefusalReason.EscrowExhausted);
  });

  it("refuses when the escrow covers the voucher it holds but not the next interval", async () => {
    const held = amountFor(FIRST_CHECKPOINT, PRICE);
    const refusal = await backendWith(held + amountFor(2n * FIRST_CHECKPOINT, PRICE) - 1n).storeVoucher(account(), voucherFor(FIRST_CHECKPOINT));
    expect(refusal?.reason).toBe(RefusalReason.EscrowExhausted);
  });

  it("goes on when the escrow covers the voucher it holds and the next interval", async () => {
    const needed = amountFor(FIRST_CHECKPOINT, PRICE) + amountFor(2n * FIRST_CHECKPOINT, PRICE);
    expect(await backendWith(needed).storeVoucher(account(), voucherFor(FIRST_CHECKPOINT))).toBeNull();
  });
});
