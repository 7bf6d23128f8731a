// @vitest-environment jsdom
/**
 * The tab seeder's voucher rule, as the headless seeder's (sdk/src/wire/solvency.ts): its first interval is served
 * only while the escrow's unreserved deposit covers it, every later one only once it has redeemed its voucher and
 * reserved that interval in the escrow (`redeemAndReserve`). A stand-in escrow answers `remaining` and `redeemedBy`
 * and applies redemptions and reservations by CheckpointEscrow's rules (test/CheckpointEscrow.reservations.t.sol
 * tests the contract itself). A reloaded tab resumes from the bound on bytes sent it recorded before sending.
 */
import { CheckpointMode, FIRST_CHECKPOINT, amountFor, nextCheckpoint, reservationFor } from "@web3torrent/sdk/checkpointSchedule";
import { ServiceAccount } from "@web3torrent/sdk/wire/accounting";
import { delegationTypedData } from "@web3torrent/sdk/sessionKey";
import { RefusalReason, type HelloMessage, type VoucherMessage } from "@web3torrent/sdk/wire/messages";
import type { SeederTerms } from "@web3torrent/sdk/wire/seederExtension";
import { escrowCoversNextInterval } from "@web3torrent/sdk/wire/solvency";
import type { Address, Hex, PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import type { ContractAddresses } from "../config/appConfig.ts";
import { TabSeederBackend } from "./tabSeederBackend.ts";
import { TabSeederStore } from "./tabSeederStore.ts";

const PRICE = 10n ** 12n;
const SEEDER: Address = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const SYBIL: Address = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
const LEECHER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const ESCROW = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const SIZE = 4n * FIRST_CHECKPOINT; // checkpoints at 10, 30 and 40 MiB

/** CheckpointEscrow's accounting for one escrow at price cap PRICE: what no seeder reserved, and each seeder's record. */
class StandInEscrow {
  unpaid: bigint;
  readonly records = new Map<Address, { amount: bigint; bytes: bigint; reserved: bigint }>();

  constructor(deposit: bigint) {
    this.unpaid = deposit;
  }

  record(seeder: Address) {
    if (!this.records.has(seeder)) this.records.set(seeder, { amount: 0n, bytes: 0n, reserved: 0n });
    return this.records.get(seeder)!;
  }

  /** `redeem`: the seeder's own reservation pays first, then what no one reserved. */
  redeem(seeder: Address, bytes: bigint, amount: bigint): bigint {
    const r = this.record(seeder);
    if (amount <= r.amount) return 0n;
    const owed = amount - r.amount;
    const paid = owed < r.reserved + this.unpaid ? owed : r.reserved + this.unpaid;
    const fromReservation = paid < r.reserved ? paid : r.reserved;
    r.reserved -= fromReservation;
    this.unpaid -= paid - fromReservation;
    r.amount += paid;
    if (bytes > r.bytes) r.bytes = bytes;
    return paid;
  }

  /** `redeemAndReserve`: then the next interval at the seeder's price, from what no one else reserved. */
  redeemAndReserve(seeder: Address, bytes: bigint, amount: bigint): void {
    this.redeem(seeder, bytes, amount);
    const r = this.record(seeder);
    const until = nextCheckpoint(CheckpointMode.Exponential, r.bytes, SIZE);
    const wanted = reservationFor(r.bytes, r.amount, until, PRICE);
    const available = this.unpaid + r.reserved;
    r.reserved = wanted < available ? wanted : available;
    this.unpaid = available - r.reserved;
  }

  get client(): PublicClient {
    type Read = { functionName: string; args: [bigint, Address] };
    const readContract = async ({ functionName, args }: Read) => {
      if (functionName === "remaining") return this.unpaid;
      const r = this.record(args[1]);
      return { amount: r.amount, cumulativeBytes: r.bytes, waived: false, reserved: r.reserved };
    };
    return {
      readContract,
      // As the node answers one call: every read at the same state (through the client's own readContract).
      multicall(this: { readContract: typeof readContract }, { contracts }: { contracts: Read[] }) {
        return Promise.all(contracts.map((call) => this.readContract(call)));
      },
    } as unknown as PublicClient;
  }
}

const CONTRACTS = { LicenseMarket: ESCROW, CheckpointEscrow: ESCROW, RebatePool: ESCROW, WS402Deposits: ESCROW } as ContractAddresses;

/** A tab seeder whose wallet reserves in `escrow` (none with `wallet: false`). */
function backendOn(escrow: StandInEscrow, wallet = true) {
  return new TabSeederBackend({
    client: escrow.client,
    contracts: CONTRACTS,
    chainId: 31337,
    seeder: SEEDER,
    store: new TabSeederStore(31337, SEEDER),
    reserve: wallet ? async (v) => escrow.redeemAndReserve(v.seeder, v.cumulativeBytes, v.cumulativeAmount) : undefined,
  });
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
  const DEPOSIT = amountFor(SIZE, PRICE);

  it("refuses to go on past a checkpoint when the escrow holds 1 wei", async () => {
    const escrow = new StandInEscrow(DEPOSIT);
    escrow.redeem(SYBIL, SIZE, DEPOSIT - 1n);
    const refusal = await backendOn(escrow).storeVoucher(account(), voucherFor(FIRST_CHECKPOINT));
    expect(refusal?.reason).toBe(RefusalReason.EscrowExhausted);
  });

  it("serves the first interval (on credit) only while the unreserved deposit covers it", async () => {
    const escrow = new StandInEscrow(DEPOSIT);
    expect(await escrowCoversNextInterval(escrow.client, ESCROW, SEEDER, account(), 0n)).toBeNull();
    escrow.redeem(SYBIL, SIZE, DEPOSIT - amountFor(FIRST_CHECKPOINT, PRICE) + 1n);
    const refusal = await escrowCoversNextInterval(escrow.client, ESCROW, SEEDER, account(), 0n);
    expect(refusal?.reason).toBe(RefusalReason.EscrowExhausted);
  });

  it("goes on past a checkpoint once its reservation covers the next interval", async () => {
    const escrow = new StandInEscrow(DEPOSIT);
    expect(await backendOn(escrow).storeVoucher(account(), voucherFor(FIRST_CHECKPOINT))).toBeNull();
    expect(escrow.record(SEEDER).amount).toBe(amountFor(FIRST_CHECKPOINT, PRICE));
    expect(escrow.record(SEEDER).reserved).toBeGreaterThanOrEqual(
      amountFor(3n * FIRST_CHECKPOINT, PRICE) - amountFor(FIRST_CHECKPOINT, PRICE),
    );
  });

  it("without a wallet to reserve with, serves the first interval only", async () => {
    const refusal = await backendOn(new StandInEscrow(DEPOSIT), false).storeVoucher(account(), voucherFor(FIRST_CHECKPOINT));
    expect(refusal?.reason).toBe(RefusalReason.EscrowExhausted);
  });

  it("loses nothing it served to a sybil drain mined in the middle of an interval: at most one interval, ever", async () => {
    const escrow = new StandInEscrow(DEPOSIT);
    const backend = backendOn(escrow);
    const peer = account();
    expect(await backend.storeVoucher(peer, voucherFor(FIRST_CHECKPOINT))).toBeNull();
    // Serving 10 to 30 MiB, the leecher's key signs the whole deposit to a sybil that redeems first.
    escrow.redeem(SYBIL, SIZE, DEPOSIT);
    const second = voucherFor(3n * FIRST_CHECKPOINT);
    const refusal = await backend.storeVoucher(peer, second);
    expect(refusal?.reason, "nothing is left to reserve the last interval").toBe(RefusalReason.EscrowExhausted);
    // Whatever the Seeding page still redeems later, the seeder has been paid all it served.
    escrow.redeem(SEEDER, second.cumulativeBytes, second.cumulativeAmount);
    expect(escrow.record(SEEDER).amount).toBe(amountFor(3n * FIRST_CHECKPOINT, PRICE));
  });
});

describe("the tab seeder and a leecher's signed Close", () => {
  const CLOSE_SIGNATURE = `0x${"cd".repeat(65)}` as const;

  function settlingBackend(escrow: StandInEscrow) {
    const settled: { voucher: { cumulativeBytes: bigint; cumulativeAmount: bigint; signature: string }; closeSignature: string }[] = [];
    const backend = new TabSeederBackend({
      client: escrow.client,
      contracts: CONTRACTS,
      chainId: 31337,
      seeder: SEEDER,
      store: new TabSeederStore(31337, SEEDER),
      reserve: async (v) => escrow.redeemAndReserve(v.seeder, v.cumulativeBytes, v.cumulativeAmount),
      settleClose: async (voucher, closeSignature) => {
        settled.push({ voucher, closeSignature });
      },
    });
    return { backend, settled };
  }

  it("settles it as the headless seeder does: its last voucher with the Close, in one settleClose", async () => {
    localStorage.clear();
    const { backend, settled } = settlingBackend(new StandInEscrow(amountFor(SIZE, PRICE)));
    const peer = account();
    expect(await backend.storeVoucher(peer, voucherFor(FIRST_CHECKPOINT))).toBeNull();
    const last = voucherFor(SIZE);
    expect(await backend.storeVoucher(peer, last)).toBeNull();
    await backend.storeClose(peer, { type: "close", escrowId: 1n, signature: CLOSE_SIGNATURE });
    expect(settled).toEqual([
      {
        voucher: {
          escrowId: 1n,
          seeder: SEEDER,
          cumulativeBytes: SIZE,
          cumulativeAmount: last.cumulativeAmount,
          signature: last.signature,
        },
        closeSignature: CLOSE_SIGNATURE,
      },
    ]);
  });

  it("leaves a Close it holds no voucher for to the leecher's wallet (checkpoints paid by releases)", async () => {
    localStorage.clear();
    const { backend, settled } = settlingBackend(new StandInEscrow(amountFor(SIZE, PRICE)));
    await backend.storeClose(account(), { type: "close", escrowId: 1n, signature: CLOSE_SIGNATURE });
    expect(settled).toEqual([]);
  });
});

describe("the tab seeder across a reload", () => {
  /** Hardhat's public test key of LEECHER: it signs the delegation the admission checks. */
  const wallet = privateKeyToAccount("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
  const sessionKey: Address = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65";
  const terms: SeederTerms = {
    chainId: 31337,
    market: ESCROW,
    escrow: ESCROW,
    rebatePool: ESCROW,
    contentId: 1n,
    seeder: SEEDER,
    pricePerMiB: PRICE,
    firstCheckpoint: FIRST_CHECKPOINT,
    modes: ["exponential"],
    voucherTimeoutMs: 1_000,
    acceptsReleases: false,
    releaseTimeoutMs: 1_000,
  };

  /** The stand-in escrow as the chain the admission reads: a license, and escrow 1 of LEECHER with `sessionKey`. */
  function chain(escrow: StandInEscrow): PublicClient {
    const base = escrow.client as unknown as { readContract(call: { functionName: string; args: [bigint, Address] }): Promise<unknown> };
    return {
      ...escrow.client,
      getBlock: async () => ({ timestamp: 0n }),
      readContract: async (call: { functionName: string; args: [bigint, Address] }) => {
        if (call.functionName === "hasLicense") return true;
        if (call.functionName === "escrow") {
          return {
            status: 1,
            leecher: LEECHER,
            contentId: 1n,
            sessionKey,
            pricePerMiB: PRICE,
            mode: 0,
            unpaid: escrow.unpaid,
            maxBytes: SIZE,
          };
        }
        return base.readContract(call);
      },
    } as unknown as PublicClient;
  }

  /** This tab's seeder as it starts (again): a fresh backend and store over the same localStorage. */
  const tabSeeder = (escrow: StandInEscrow) =>
    new TabSeederBackend({
      client: chain(escrow),
      contracts: CONTRACTS,
      chainId: 31337,
      seeder: SEEDER,
      store: new TabSeederStore(31337, SEEDER),
      reserve: async (v) => escrow.redeemAndReserve(v.seeder, v.cumulativeBytes, v.cumulativeAmount),
    });

  it("resumes from the bytes it recorded as sent: a reload in the middle of an interval grants no second interval on credit", async () => {
    const expiry = 10n ** 10n;
    const signature: Hex = await wallet.signTypedData(
      delegationTypedData({ chainId: 31337, rebatePool: ESCROW }, { wallet: LEECHER, sessionKey, expiry }),
    );
    const hello: HelloMessage = {
      type: "hello",
      account: LEECHER,
      escrowId: 1n,
      sessionKey,
      delegation: { expiry, signature },
      payment: "vouchers",
      nonce: `0x${"11".repeat(32)}`,
      proof: `0x${"22".repeat(65)}`,
    };
    const escrow = new StandInEscrow(amountFor(SIZE, PRICE));
    const before = tabSeeder(escrow);
    const admitted = await before.admit(hello, terms);
    if (!("account" in admitted)) throw new Error(admitted.refusal.message);
    const peer = admitted.account;
    expect(await before.storeVoucher(peer, voucherFor(FIRST_CHECKPOINT))).toBeNull();
    peer.voucherBytes = FIRST_CHECKPOINT;
    const receipt = { leecher: LEECHER, seeder: SEEDER, contentId: 1n, cumulativeBytes: FIRST_CHECKPOINT } as const;
    await before.storeReceipt(peer, { type: "receipt", ...receipt, signature: `0x${"cd".repeat(65)}` });
    peer.receiptBytes = FIRST_CHECKPOINT;
    // The extension records its bound before sending past it: 15 MiB of the interval from 10 to 30 MiB went out.
    const sent = FIRST_CHECKPOINT + FIRST_CHECKPOINT / 2n;
    before.recordServed(peer, sent);

    const after = tabSeeder(escrow); // the tab reloaded
    const again = await after.admit(hello, terms);
    if (!("account" in again)) throw new Error(again.refusal.message);
    expect(again.account.served, "the count resumes from the recorded bound").toBe(sent);
    expect(again.account.allowance() - again.account.served, "only the rest of the interval is left to serve").toBe(
      3n * FIRST_CHECKPOINT - sent,
    );
  });
});
