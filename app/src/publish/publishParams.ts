/**
 * The publish form, validated into `LicenseMarket.registerContent` parameters. Each field error is a sentence the
 * form shows next to the field; the contract's caps are checked here before a transaction is even proposed.
 */
import { MAX_BOUNTY_FEE_BPS, MAX_GROWTH_BPS } from "@web3torrent/sdk/bondingCurve";
import { isAddress, parseEther, type Address } from "viem";
import type { ContentRecord } from "../data/types.ts";

export interface PublishForm {
  name: string;
  description: string;
  curve: "linear" | "exponential";
  basePriceEth: string;
  /** Linear: ETH added per license sold. Exponential: percent per license sold. */
  growth: string;
  maxSupply: string;
  bountyFeePercent: string;
  transferable: boolean;
  payout: string;
}

export const DEFAULT_FORM: PublishForm = {
  name: "",
  description: "",
  curve: "linear",
  basePriceEth: "0.01",
  growth: "0.001",
  maxSupply: "",
  bountyFeePercent: "5",
  transferable: false,
  payout: "",
};

export type ContentParams = Omit<ContentRecord, "contentId" | "supply" | "metadata">;

export type FormErrors = Partial<Record<keyof PublishForm, string>>;

const UINT64_MAX = 2n ** 64n - 1n;
const UINT128_MAX = 2n ** 128n - 1n;

function eth(text: string): bigint | null {
  try {
    return /^\d*\.?\d+$|^\d+\.$/.test(text.trim()) ? parseEther(text.trim()) : null;
  } catch {
    return null;
  }
}

/** Percent with up to two decimals → basis points. */
/**
 * The Name after a file is picked: the new file's name, unless the user typed one of their own (a name that is not
 * the previous file's, which the page filled in itself).
 */
export function nameForPickedFile(currentName: string, previousFileName: string | null, fileName: string): string {
  return currentName === "" || currentName === previousFileName ? fileName : currentName;
}

export function percentToBps(text: string): bigint | null {
  const t = text.trim();
  if (!/^\d+(\.\d{1,2})?$/.test(t)) return null;
  const [whole, fraction = ""] = t.split(".");
  return BigInt(whole) * 100n + BigInt(fraction.padEnd(2, "0"));
}

export function validatePublishForm(
  form: PublishForm,
  publisher: Address | undefined,
): {
  errors: FormErrors;
  curve: number;
  basePrice: bigint | null;
  growth: bigint | null;
  maxSupply: bigint | null;
  bountyFeeBps: number | null;
  payout: Address | null;
} {
  const errors: FormErrors = {};
  if (!form.name.trim()) errors.name = "Give the content a name.";
  const basePrice = eth(form.basePriceEth);
  if (basePrice === null) errors.basePriceEth = "Enter a price in ETH, like 0.01.";
  else if (basePrice > UINT128_MAX) errors.basePriceEth = "That price is too large.";
  const curve = form.curve === "exponential" ? 1 : 0;
  let growth: bigint | null;
  if (curve === 1) {
    growth = percentToBps(form.growth);
    if (growth === null) errors.growth = "Enter the growth per license in percent, like 5.";
    else if (growth > MAX_GROWTH_BPS) errors.growth = `Growth is capped at ${Number(MAX_GROWTH_BPS) / 100}% per license.`;
  } else {
    growth = eth(form.growth);
    if (growth === null) errors.growth = "Enter the ETH added per license sold, like 0.001 (0 for a flat price).";
  }
  let maxSupply: bigint | null = 0n;
  if (form.maxSupply.trim() !== "") {
    maxSupply = /^\d+$/.test(form.maxSupply.trim()) ? BigInt(form.maxSupply.trim()) : null;
    if (maxSupply === null || maxSupply > UINT64_MAX) errors.maxSupply = "Enter a whole number of licenses, or leave empty for unlimited.";
  }
  const bounty = percentToBps(form.bountyFeePercent);
  if (bounty === null) errors.bountyFeePercent = "Enter the bounty fee in percent, like 5.";
  else if (bounty > MAX_BOUNTY_FEE_BPS) errors.bountyFeePercent = `The bounty fee is capped at ${Number(MAX_BOUNTY_FEE_BPS) / 100}%.`;
  let payout: Address | null = publisher ?? null;
  if (form.payout.trim() !== "") {
    payout = isAddress(form.payout.trim()) ? (form.payout.trim() as Address) : null;
    if (payout === null) errors.payout = "Enter an Ethereum address, or leave empty to be paid yourself.";
  }
  return { errors, curve, basePrice, growth, maxSupply, bountyFeeBps: bounty === null ? null : Number(bounty), payout };
}
