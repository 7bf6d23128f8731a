/**
 * Buying licenses: the quote (curve price, network fee, bounty fee) frozen when the dialog opens, a slippage limit
 * on top of it, and a warning as soon as the live price moves. The purchase reverts rather than pay above the limit.
 */
import { useEffect, useState } from "react";
import { isAddress, type Address } from "viem";
import { useBalance } from "wagmi";
import type { Quote } from "@web3torrent/sdk/bondingCurve";
import { useAppConfig } from "../config/ConfigContext.tsx";
import { useLiveContent } from "../data/useLiveContent.ts";
import { quoteFor } from "../data/pricing.ts";
import type { ContentRecord } from "../data/types.ts";
import { ErrorNotice } from "../errors/ErrorNotice.tsx";
import { Eth } from "../format/Eth.tsx";
import { TxProgress } from "../tx/TxProgress.tsx";
import { RequireWallet } from "../wallet/RequireWallet.tsx";
import { useWallet } from "../wallet/useWallet.ts";
import { buyButtonLabel, quoteErrorForBuyer } from "./buyButton.ts";
import { FeeSplit } from "./FeeSplit.tsx";
import { maxTotalFor, parseSlippagePercent } from "./slippage.ts";
import { useBuyLicense, type BuyResult } from "./useBuyLicense.ts";

const DEFAULT_SLIPPAGE = "1";

interface FrozenQuote {
  quote: Quote;
  networkFeeBps: bigint;
  supply: bigint;
}

export function BuyDialog({ content, onClose, onBought }: { content: ContentRecord; onClose: () => void; onBought?: () => void }) {
  const live = useLiveContent(content.contentId);
  const { address } = useWallet();
  const config = useAppConfig();
  const balance = useBalance({ address, chainId: config.chainId, query: { enabled: !!address, refetchInterval: 4_000 } });
  const [quantityText, setQuantityText] = useState("1");
  const [slippageText, setSlippageText] = useState(DEFAULT_SLIPPAGE);
  const [giftTo, setGiftTo] = useState("");
  const [frozen, setFrozen] = useState<FrozenQuote | null>(null);
  const [result, setResult] = useState<(BuyResult & { nextTotal: bigint | null }) | null>(null);
  const tx = useBuyLicense();

  const quantity = /^\d+$/.test(quantityText) && BigInt(quantityText) > 0n ? BigInt(quantityText) : null;
  const slippageBps = parseSlippagePercent(slippageText);
  const recipient = giftTo.trim() === "" ? address : isAddress(giftTo.trim()) ? (giftTo.trim() as Address) : null;

  let liveQuote: FrozenQuote | null = null;
  let quoteError: string | null = null;
  if (live.data && quantity) {
    try {
      liveQuote = {
        quote: quoteFor(live.data.content, live.data.networkFeeBps, quantity),
        networkFeeBps: live.data.networkFeeBps,
        supply: live.data.content.supply,
      };
    } catch (error) {
      quoteError = quoteErrorForBuyer((error as Error).message);
    }
    const left = live.data.content.maxSupply === 0n ? null : live.data.content.maxSupply - live.data.content.supply;
    if (left !== null && quantity > left) quoteError = `Only ${left} license${left === 1n ? "" : "s"} left.`;
  }
  // The quote the user agrees to is the first one seen for this quantity; it moves only when they refresh it.
  const agreed = quoteError ? null : (frozen ?? liveQuote);
  useEffect(() => {
    if (!frozen && liveQuote) setFrozen(liveQuote);
  }, [frozen, liveQuote]);
  const moved = agreed && liveQuote && liveQuote.quote.total !== agreed.quote.total;
  const maxTotal = agreed && slippageBps !== null ? maxTotalFor(agreed.quote.total, slippageBps) : null;
  // The wallet sends the slippage limit (the unused part comes back), so that is what the balance must cover.
  const shortOf =
    maxTotal !== null && balance.data && balance.data.value < maxTotal ? { needed: maxTotal, balance: balance.data.value } : null;

  async function confirm() {
    if (!agreed || maxTotal === null || !quantity || !recipient) return;
    const bought = await tx.buy(content.contentId, quantity, recipient, maxTotal);
    if (bought) {
      // The next license priced as the marketplace card prices it: curve price plus fees.
      const soldOut = content.maxSupply !== 0n && bought.newSupply >= content.maxSupply;
      const nextTotal = soldOut ? null : quoteFor(content, agreed.networkFeeBps, 1n, bought.newSupply).total;
      setResult({ ...bought, nextTotal });
      onBought?.();
    }
  }

  function refreshQuote() {
    setFrozen(liveQuote);
    tx.reset();
  }

  return (
    <div className="dialog-backdrop" role="presentation" onClick={onClose}>
      <div
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-label={`Buy ${content.metadata.name}`}
        onClick={(e) => e.stopPropagation()}
        data-testid="buy-dialog"
      >
        <h2>Buy a license: {content.metadata.name}</h2>
        {result ? (
          <div className="notice notice-ok" role="status" data-testid="buy-result">
            <strong>License bought</strong>
            <p>
              {result.quantity.toString()} license{result.quantity === 1n ? "" : "s"} for <Eth wei={result.total} />. You now hold it in
              your Library, ready to download.{" "}
              {result.nextTotal === null ? (
                "That was the last license."
              ) : (
                <>
                  The next license costs{" "}
                  <span data-testid="next-total">
                    <Eth wei={result.nextTotal} />
                  </span>{" "}
                  with fees, as the marketplace prices it.
                </>
              )}
            </p>
            <div className="notice-actions">
              <a className="button" href="#/library">
                Go to Library
              </a>
              <button type="button" className="secondary" onClick={onClose}>
                Close
              </button>
            </div>
          </div>
        ) : (
          <>
            <div className="form-grid">
              <label>
                Licenses
                <input
                  value={quantityText}
                  onChange={(e) => {
                    setQuantityText(e.target.value);
                    setFrozen(null);
                  }}
                  inputMode="numeric"
                  data-testid="buy-quantity"
                />
              </label>
              <label>
                Slippage limit (%)
                <input
                  value={slippageText}
                  onChange={(e) => setSlippageText(e.target.value)}
                  inputMode="decimal"
                  data-testid="buy-slippage"
                />
              </label>
              <label className="wide">
                Gift to (optional address)
                <input value={giftTo} onChange={(e) => setGiftTo(e.target.value)} placeholder="0x… — empty: yourself" />
              </label>
            </div>
            {quantity === null && <p className="field-error">Enter a whole number of licenses (1 or more).</p>}
            {slippageBps === null && <p className="field-error">Enter a slippage limit between 0 and 50 %.</p>}
            {recipient === null && <p className="field-error">The gift address is not an Ethereum address.</p>}
            {quoteError && <p className="field-error">{quoteError}</p>}
            {shortOf && (
              <p className="field-error" data-testid="buy-short">
                Your balance, <Eth wei={shortOf.balance} />, does not cover <Eth wei={shortOf.needed} /> (the price with your slippage
                limit) plus gas. Buy fewer licenses or add ETH.
              </p>
            )}
            {live.error && <ErrorNotice error={live.error} />}
            {agreed && !quoteError && (
              <>
                <FeeSplit quote={agreed.quote} networkFeeBps={agreed.networkFeeBps} bountyFeeBps={content.bountyFeeBps} />
                {maxTotal !== null && (
                  <p className="muted">
                    You pay at most{" "}
                    <span data-testid="max-total">
                      <Eth wei={maxTotal} />
                    </span>
                    ; any unused part is refunded in the same transaction.
                  </p>
                )}
              </>
            )}
            {moved && liveQuote && (
              <div className="notice notice-warn" role="status" data-testid="price-moved">
                The price moved since this quote: now <Eth wei={liveQuote.quote.total} />.{" "}
                <button type="button" className="link" onClick={refreshQuote}>
                  Use the new price
                </button>
              </div>
            )}
            <TxProgress state={tx} />
            {tx.error && (
              <ErrorNotice error={tx.error} onDismiss={tx.reset}>
                {tx.error.kind === "slippage" && (
                  <button type="button" onClick={refreshQuote} data-testid="refresh-quote">
                    Refresh quote
                  </button>
                )}
                {tx.error.kind === "rejected" && (
                  <button type="button" onClick={confirm}>
                    Try again
                  </button>
                )}
              </ErrorNotice>
            )}
            <div className="dialog-actions">
              <RequireWallet action="buy a license">
                <button
                  type="button"
                  onClick={confirm}
                  disabled={!agreed || maxTotal === null || !recipient || tx.busy || !!quoteError || !!shortOf}
                  data-testid="confirm-buy"
                >
                  {buyButtonLabel({
                    busy: tx.busy,
                    quantityValid: quantity !== null,
                    quoteError,
                    quoted: !!agreed,
                    recipientValid: !!recipient,
                    slippageValid: slippageBps !== null,
                    shortOf,
                  })}
                </button>
              </RequireWallet>
              <button type="button" className="secondary" onClick={onClose}>
                Cancel
              </button>
            </div>
          </>
        )}
      </div>
    </div>
  );
}
