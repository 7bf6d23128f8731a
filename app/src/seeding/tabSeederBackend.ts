/**
 * The seeder side of w3t_pay for this tab (the sdk's seeder extension does the wire protocol and the signature
 * checks, the sdk's admission the on-chain checks of a hello and of a release, shared with the headless seeder):
 * durable storage of the vouchers, verified releases and receipts the peers send, redeemed and submitted later from
 * the Seeding page. Past its first interval a peer is served only against this seeder's reservation in the escrow
 * (sdk/src/wire/solvency.ts): each voucher below the end is redeemed at once with `redeemAndReserve` (one wallet
 * transaction of the seeder's per checkpoint; none of the leecher's), and the next interval waits until it is mined.
 * A leecher's signed Close (checked by the sdk's extension) is settled as the headless seeder settles it: the last
 * voucher, the close, this seeder's waiver and, once every paid seeder waived, the leecher's refund, in one
 * `settleClose` from the seeder's wallet.
 */
import { ServiceAccount } from "@web3torrent/sdk/wire/accounting";
import { checkHello, verifyRelease, type AdmissionContext } from "@web3torrent/sdk/wire/admission";
import type { CloseMessage, HelloMessage, ReceiptMessage, ReleasedMessage, VoucherMessage } from "@web3torrent/sdk/wire/messages";
import type { Admission, Refusal, SeederBackend, SeederTerms } from "@web3torrent/sdk/wire/seederExtension";
import { escrowCoversNextInterval } from "@web3torrent/sdk/wire/solvency";
import type { Address, Hex, PublicClient } from "viem";
import type { ContractAddresses } from "../config/appConfig.ts";
import type { TabSeederStore } from "./tabSeederStore.ts";

/** A voucher as `CheckpointEscrow.redeemAndReserve` takes it. */
export interface ReservableVoucher {
  escrowId: bigint;
  seeder: Address;
  cumulativeBytes: bigint;
  cumulativeAmount: bigint;
  signature: Hex;
}

/** Submits `CheckpointEscrow.redeemAndReserve(voucher)` and resolves once it is mined (rejects if it reverts). */
export type ReserveNextInterval = (voucher: ReservableVoucher) => Promise<void>;

/** Submits `CheckpointEscrow.settleClose(voucher, closeSignature)` and resolves once it is mined. */
export type SettleClose = (voucher: ReservableVoucher, closeSignature: Hex) => Promise<void>;

/** A delegation must outlive the seeder's next submission by this much. */
const DELEGATION_MARGIN_SECONDS = 600n;

export class TabSeederBackend implements SeederBackend {
  readonly #accounts = new Map<string, ServiceAccount>();
  readonly #client: PublicClient;
  readonly #contracts: ContractAddresses;
  readonly #admission: AdmissionContext;
  readonly #store: TabSeederStore;
  readonly #reserve: ReserveNextInterval | null;
  readonly #settleClose: SettleClose | null;
  readonly seeder: Address;

  /**
   * Without `reserve` (no wallet to send with) peers are served their first interval only; without `settleClose` a
   * leecher's Close is dropped (the leecher then closes by transaction).
   */
  constructor(options: {
    client: PublicClient;
    contracts: ContractAddresses;
    chainId: number;
    seeder: Address;
    store: TabSeederStore;
    reserve?: ReserveNextInterval;
    settleClose?: SettleClose;
  }) {
    this.#client = options.client;
    this.#reserve = options.reserve ?? null;
    this.#settleClose = options.settleClose ?? null;
    this.#contracts = options.contracts;
    this.#store = options.store;
    this.seeder = options.seeder;
    this.#admission = {
      client: options.client,
      chainId: options.chainId,
      contracts: {
        market: options.contracts.LicenseMarket,
        escrow: options.contracts.CheckpointEscrow,
        rebatePool: options.contracts.RebatePool,
      },
      delegationMarginSeconds: DELEGATION_MARGIN_SECONDS,
    };
  }

  async admit(hello: HelloMessage, terms: SeederTerms): Promise<Admission> {
    const checked = await checkHello(this.#admission, hello, terms);
    if ("refusal" in checked) return checked;
    const admitted = checked.account;
    const cached = this.#accounts.get(admitted.key);
    if (cached && cached.sessionKey === admitted.sessionKey && cached.voucherKey === admitted.voucherKey) return { account: cached };
    const voucher = admitted.escrowId === null ? undefined : this.#store.voucher(admitted.escrowId);
    const stored = this.#store.receipt(admitted.leecher, admitted.contentId);
    const account = new ServiceAccount({
      ...admitted,
      voucherBytes: voucher ? BigInt(voucher.cumulativeBytes) : 0n,
      voucherAmount: voucher ? BigInt(voucher.cumulativeAmount) : 0n,
      receiptBytes: stored?.sessionKey === admitted.sessionKey ? BigInt(stored.cumulativeBytes) : 0n,
    });
    // What this tab may have sent before a reload (recorded before sending): not served again on credit.
    const sent = this.#store.sentBound(admitted.key);
    if (sent > account.served) account.served = sent;
    account.servedBound = account.served;
    if (account.escrowId !== null) {
      // As the headless seeder: the interval about to be served must be secured (the first by what no seeder
      // reserved, a later one by this seeder's reservation, made now from the stored voucher if it was not).
      let refusal = await escrowCoversNextInterval(
        this.#client,
        this.#contracts.CheckpointEscrow,
        this.seeder,
        account,
        account.voucherBytes,
      );
      if (refusal && voucher?.signature && account.voucherBytes > 0n && account.voucherBytes < account.maxBytes) {
        await this.#reserveFor({
          escrowId: BigInt(voucher.escrowId),
          seeder: this.seeder,
          cumulativeBytes: BigInt(voucher.cumulativeBytes),
          cumulativeAmount: BigInt(voucher.cumulativeAmount),
          signature: voucher.signature as Hex,
        });
        refusal = await escrowCoversNextInterval(
          this.#client,
          this.#contracts.CheckpointEscrow,
          this.seeder,
          account,
          account.voucherBytes,
        );
      }
      if (refusal) return { refusal };
    }
    this.#accounts.set(admitted.key, account);
    return { account };
  }

  async storeVoucher(account: ServiceAccount, voucher: VoucherMessage): Promise<Refusal | null> {
    this.#store.saveVoucher({
      escrowId: voucher.escrowId.toString(),
      seeder: voucher.seeder,
      cumulativeBytes: voucher.cumulativeBytes.toString(),
      cumulativeAmount: voucher.cumulativeAmount.toString(),
      signature: voucher.signature,
    });
    if (voucher.cumulativeBytes >= account.maxBytes) return null; // nothing more to serve: redeemed from the Seeding page
    // Nothing past this checkpoint until this voucher is redeemed and the next interval reserved for this seeder alone:
    // a voucher is no money while the leecher's key can sign the deposit to others (not merely 1 wei left, either).
    await this.#reserveFor(voucher);
    return escrowCoversNextInterval(this.#client, this.#contracts.CheckpointEscrow, this.seeder, account, voucher.cumulativeBytes);
  }

  /** Redeems and reserves; a failure leaves the reservation as it was, so the check that follows refuses. */
  async #reserveFor(voucher: ReservableVoucher): Promise<void> {
    const { escrowId, seeder, cumulativeBytes, cumulativeAmount, signature } = voucher;
    // A failure is the refusal that follows (the reservation is checked on-chain next), not an error to report here.
    await this.#reserve?.({ escrowId, seeder, cumulativeBytes, cumulativeAmount, signature }).catch(() => {});
  }

  async storeRelease(account: ServiceAccount, release: ReleasedMessage): Promise<{ redeemed: bigint } | { refusal: Refusal }> {
    const verified = await verifyRelease(this.#admission, account, release);
    if ("refusal" in verified) return verified;
    // Already paid: stored with the seeder's redeemed total and no signature, so there is nothing to redeem for it.
    this.#store.saveVoucher({
      escrowId: release.escrowId.toString(),
      seeder: release.seeder,
      cumulativeBytes: release.cumulativeBytes.toString(),
      cumulativeAmount: verified.redeemed.toString(),
      signature: null,
      releaseTx: release.txHash,
    });
    return verified;
  }

  /**
   * The leecher is done: settled with the latest voucher held for the escrow (the contract skips it when already
   * redeemed, and still closes and waives). Checkpoints paid by releases carry no voucher to settle with: that
   * leecher closes by transaction. The settlement runs on its own: the wire ends meanwhile, and a failure leaves the
   * voucher for the Seeding page to redeem.
   */
  async storeClose(_account: ServiceAccount, close: CloseMessage): Promise<void> {
    const stored = this.#store.voucher(close.escrowId);
    if (!this.#settleClose || !stored?.signature) return;
    const voucher = {
      escrowId: close.escrowId,
      seeder: stored.seeder,
      cumulativeBytes: BigInt(stored.cumulativeBytes),
      cumulativeAmount: BigInt(stored.cumulativeAmount),
      signature: stored.signature,
    };
    // On failure the voucher stays stored for the Seeding page to redeem (see above).
    void this.#settleClose(voucher, close.signature).catch(() => {});
  }

  recordServed(account: ServiceAccount, bytes: bigint): void {
    this.#store.saveSentBound(account.key, bytes);
  }

  async storeReceipt(account: ServiceAccount, receipt: ReceiptMessage): Promise<void> {
    this.#store.saveReceipt({
      leecher: account.leecher,
      seeder: this.seeder,
      contentId: account.contentId.toString(),
      cumulativeBytes: receipt.cumulativeBytes.toString(),
      sessionKey: account.sessionKey,
      delegationExpiry: account.delegation.expiry.toString(),
      delegationSig: account.delegation.signature,
      receiptSig: receipt.signature,
    });
  }
}
