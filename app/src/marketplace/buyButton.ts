/** What the Buy button says: the action, or — when it is disabled — what is wrong, in a buyer's words. */
import { formatEth } from "../format/formatEth.ts";

export interface BuyButtonState {
  busy: boolean;
  /** The quantity field holds a whole number of licenses, 1 or more. */
  quantityValid: boolean;
  /** Why the curve cannot price this quantity, if it cannot. */
  quoteError: string | null;
  /** A quote is shown and agreed. */
  quoted: boolean;
  /** The gift address (or the connected wallet) is a valid recipient. */
  recipientValid: boolean;
  /** The slippage limit parses. */
  slippageValid: boolean;
  /** What the purchase may take from the wallet (the slippage limit) when the balance does not cover it. */
  shortOf?: { needed: bigint; balance: bigint } | null;
}

/** The curve's error for a quantity too large to price (the contract would revert), said for a buyer. */
export function quoteErrorForBuyer(message: string): string {
  return /overflow/i.test(message) ? "Too many licenses for this curve: the price cannot be computed. Try fewer." : message;
}

export function buyButtonLabel(s: BuyButtonState): string {
  if (s.busy) return "Buying…";
  if (!s.quantityValid) return "Enter a quantity of 1 or more";
  if (s.quoteError) return quoteErrorForBuyer(s.quoteError);
  if (!s.recipientValid) return "Enter a valid recipient address";
  if (!s.slippageValid) return "Enter a valid slippage limit";
  if (s.shortOf) return `Not enough ETH: this needs ${formatEth(s.shortOf.needed)} ETH, you have ${formatEth(s.shortOf.balance)} ETH`;
  return s.quoted ? "Buy" : "Loading quote…";
}
