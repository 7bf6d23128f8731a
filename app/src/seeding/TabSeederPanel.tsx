/**
 * This tab as a seeder: the price asked from new peers, and the vouchers and receipts its peers signed, waiting to
 * be redeemed from their escrows and submitted to the rebate pool.
 */
import { useState } from "react";
import { formatEther, parseEther } from "viem";
import { ErrorNotice } from "../errors/ErrorNotice.tsx";
import { Eth } from "../format/Eth.tsx";
import { formatBytes } from "../format/formatBytes.ts";
import { useTorrents } from "../torrent/TorrentContext.tsx";
import { TxProgress } from "../tx/TxProgress.tsx";
import { useWallet } from "../wallet/useWallet.ts";
import { useSettleTabSeeder } from "./useSettleTabSeeder.ts";
import { useTabSeederHoldings } from "./useTabSeederHoldings.ts";

export function TabSeederPanel() {
  const { address, isReady } = useWallet();
  const { seedPricePerMiB, setSeedPricePerMiB } = useTorrents();
  const holdings = useTabSeederHoldings();
  const settle = useSettleTabSeeder();
  const [priceText, setPriceText] = useState(formatEther(seedPricePerMiB));
  const h = holdings.data;

  function onPrice(text: string) {
    setPriceText(text);
    try {
      if (/^\d*\.?\d+$/.test(text.trim())) setSeedPricePerMiB(parseEther(text.trim()));
    } catch {
      // Keep the last valid price while the user types.
    }
  }

  return (
    <div className="card" data-testid="tab-seeder">
      <h2>This tab's seeder</h2>
      <label>
        Price per MiB for files seeded from now on (ETH; 0 = free, paid by rebates only)
        <input value={priceText} onChange={(e) => onPrice(e.target.value)} inputMode="decimal" data-testid="seed-price" />
      </label>
      {h && (
        <>
          <p className="muted" data-testid="holdings" data-vouchers={h.toRedeem.length} data-receipts={h.toSubmit.length}>
            {h.vouchers.length} voucher{h.vouchers.length === 1 ? "" : "s"} held ({h.toRedeem.length} to redeem, up to{" "}
            <Eth wei={h.redeemable} />) · {h.receipts.length} receipt{h.receipts.length === 1 ? "" : "s"} held ({h.toSubmit.length} to
            submit
            {h.toSubmit.length > 0 &&
              `, ${formatBytes(h.toSubmit.reduce((sum, r) => sum + BigInt(r.cumulativeBytes) - r.credited, 0n))} to credit`}
            )
          </p>
          <div className="notice-actions">
            <button
              type="button"
              disabled={!isReady || !address || h.toRedeem.length === 0 || settle.redeemTx.busy}
              onClick={() => settle.redeem(address!, h.toRedeem)}
              data-testid="redeem-vouchers"
            >
              Redeem vouchers
            </button>
            <button
              type="button"
              disabled={!isReady || !address || h.toSubmit.length === 0 || settle.submitTx.busy}
              onClick={() => settle.submit(address!, h.toSubmit)}
              data-testid="submit-receipts"
            >
              Submit receipts
            </button>
          </div>
          <TxProgress state={settle.redeemTx} />
          <TxProgress state={settle.submitTx} />
          {settle.redeemTx.error && <ErrorNotice error={settle.redeemTx.error} onDismiss={settle.redeemTx.reset} />}
          {settle.submitTx.error && <ErrorNotice error={settle.submitTx.error} onDismiss={settle.submitTx.reset} />}
        </>
      )}
    </div>
  );
}
