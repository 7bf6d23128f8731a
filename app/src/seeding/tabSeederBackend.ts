/**
 * The seeder side of w3t_pay for this tab (the sdk's seeder extension does the wire protocol and the signature
 * checks): the on-chain admission checks of a hello — license, delegation, escrow — and durable storage of the
 * vouchers and receipts the peers send, redeemed and submitted later from the Seeding page.
 */
import { checkpointEscrowAbi, licenseMarketAbi } from "@web3torrent/sdk/generated/contracts";
import { delegationTypedData } from "@web3torrent/sdk/sessionKey";
import { ServiceAccount } from "@web3torrent/sdk/wire/accounting";
import { modeName, RefusalReason, type HelloMessage, type ReceiptMessage, type VoucherMessage } from "@web3torrent/sdk/wire/messages";
import type { Admission, Refusal, SeederBackend, SeederTerms } from "@web3torrent/sdk/wire/seederExtension";
import { recoverTypedDataAddress, type Address, type PublicClient } from "viem";
import type { ContractAddresses } from "../config/appConfig.ts";
import type { TabSeederStore } from "./tabSeederStore.ts";

/** A delegation must outlive the seeder's next submission by this much. */
const DELEGATION_MARGIN_SECONDS = 600n;
const ESCROW_OPEN = 1;

const refusal = (reason: Refusal["reason"], message: string): Admission => ({ refusal: { reason, message } });

export class TabSeederBackend implements SeederBackend {
  readonly #accounts = new Map<string, ServiceAccount>();
  readonly #client: PublicClient;
  readonly #contracts: ContractAddresses;
  readonly #chainId: number;
  readonly #store: TabSeederStore;
  readonly seeder: Address;

  constructor(options: { client: PublicClient; contracts: ContractAddresses; chainId: number; seeder: Address; store: TabSeederStore }) {
    this.#client = options.client;
    this.#contracts = options.contracts;
    this.#chainId = options.chainId;
    this.#store = options.store;
    this.seeder = options.seeder;
  }

  async admit(hello: HelloMessage, terms: SeederTerms): Promise<Admission> {
    const market = this.#contracts.LicenseMarket;
    const contentId = terms.contentId;
    const licensed = await this.#client.readContract({ address: market, abi: licenseMarketAbi, functionName: "hasLicense", args: [hello.account, contentId] });
    if (!licensed) return refusal(RefusalReason.NoLicense, `${hello.account} holds no license of content ${contentId}`);
    const now = (await this.#client.getBlock()).timestamp;
    if (hello.delegation.expiry < now + DELEGATION_MARGIN_SECONDS) return refusal(RefusalReason.BadDelegation, "the delegation expires too soon");
    const typed = delegationTypedData({ chainId: this.#chainId, rebatePool: this.#contracts.RebatePool }, { sessionKey: hello.sessionKey, expiry: hello.delegation.expiry });
    const signer = await recoverTypedDataAddress({ ...typed, signature: hello.delegation.signature }).catch(() => null);
    if (signer !== hello.account) return refusal(RefusalReason.BadDelegation, "the delegation is not signed by the account");
    const content = await this.#client.readContract({ address: market, abi: licenseMarketAbi, functionName: "content", args: [contentId] });
    const stored = this.#store.receipt(hello.account, contentId);

    if (terms.pricePerMiB === 0n) {
      return { account: this.#account(`free:${hello.account}:${contentId}:${hello.sessionKey}`, hello, contentId, null, "exponential", BigInt(content.size), 0n, 0n, stored) };
    }
    if (hello.escrowId === null) return refusal(RefusalReason.NoEscrow, "priced content: open an escrow first");
    const e = await this.#client.readContract({ address: this.#contracts.CheckpointEscrow, abi: checkpointEscrowAbi, functionName: "escrow", args: [hello.escrowId] });
    if (e.status !== ESCROW_OPEN) return refusal(RefusalReason.NoEscrow, `escrow ${hello.escrowId} is not open`);
    if (e.leecher !== hello.account || e.contentId !== contentId || e.sessionKey !== hello.sessionKey) {
      return refusal(RefusalReason.NoEscrow, `escrow ${hello.escrowId} is not this download's`);
    }
    if (BigInt(e.pricePerMiB) < terms.pricePerMiB) return refusal(RefusalReason.Price, `escrow ${hello.escrowId} pays at most ${e.pricePerMiB} wei/MiB`);
    const mode = modeName(e.mode);
    if (!terms.modes.includes(mode)) return refusal(RefusalReason.Terms, `${mode} escrows are not served here`);
    if (BigInt(e.unpaid) === 0n) return refusal(RefusalReason.EscrowExhausted, `escrow ${hello.escrowId} has nothing left`);
    return { account: this.#account(`escrow:${hello.escrowId}`, hello, contentId, hello.escrowId, mode, BigInt(e.maxBytes), terms.pricePerMiB, BigInt(e.pricePerMiB), stored) };
  }

  #account(
    key: string,
    hello: HelloMessage,
    contentId: bigint,
    escrowId: bigint | null,
    mode: "exponential" | "upfront",
    maxBytes: bigint,
    pricePerMiB: bigint,
    priceCapPerMiB: bigint,
    storedReceipt: ReturnType<TabSeederStore["receipt"]>,
  ): ServiceAccount {
    const cached = this.#accounts.get(key);
    if (cached && cached.sessionKey === hello.sessionKey) return cached;
    const voucher = escrowId === null ? undefined : this.#store.voucher(escrowId);
    const sameKey = storedReceipt?.sessionKey === hello.sessionKey;
    const account = new ServiceAccount({
      key,
      leecher: hello.account,
      sessionKey: hello.sessionKey,
      contentId,
      escrowId,
      mode,
      maxBytes,
      pricePerMiB,
      priceCapPerMiB,
      delegation: hello.delegation,
      voucherBytes: voucher ? BigInt(voucher.cumulativeBytes) : 0n,
      voucherAmount: voucher ? BigInt(voucher.cumulativeAmount) : 0n,
      receiptBytes: sameKey && storedReceipt ? BigInt(storedReceipt.cumulativeBytes) : 0n,
    });
    this.#accounts.set(key, account);
    return account;
  }

  async storeVoucher(account: ServiceAccount, voucher: VoucherMessage): Promise<Refusal | null> {
    this.#store.saveVoucher({
      escrowId: voucher.escrowId.toString(),
      seeder: voucher.seeder,
      cumulativeBytes: voucher.cumulativeBytes.toString(),
      cumulativeAmount: voucher.cumulativeAmount.toString(),
      signature: voucher.signature,
    });
    const left = await this.#client.readContract({ address: this.#contracts.CheckpointEscrow, abi: checkpointEscrowAbi, functionName: "remaining", args: [account.escrowId!] });
    return left === 0n ? { reason: RefusalReason.EscrowExhausted, message: `escrow ${account.escrowId} has nothing left` } : null;
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
