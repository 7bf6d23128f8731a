/** The account's licenses with their downloads, and its download escrows with checkpoints and refunds. */
import { useContents } from "../data/useContents.ts";
import { useLicenses } from "../data/useLicenses.ts";
import { ErrorNotice } from "../errors/ErrorNotice.tsx";
import { useTorrents, type AppTorrent } from "../torrent/TorrentContext.tsx";
import { RequireWallet } from "../wallet/RequireWallet.tsx";
import { useWallet } from "../wallet/useWallet.ts";
import { EscrowCard } from "./EscrowCard.tsx";
import { LicenseCard } from "./LicenseCard.tsx";
import { useMyEscrows } from "./useMyEscrows.ts";
import { useEffect, useReducer } from "react";
import type { Address } from "viem";

/** Bytes covered by the vouchers this tab's session key signed for a download, all seeders together. */
function signedBytes(entry: AppTorrent | undefined): bigint {
  let total = 0n;
  for (const ledger of entry?.session?.ledgers.values() ?? []) total += ledger.voucher?.cumulativeBytes ?? 0n;
  return total;
}

/** What this tab's session key signed to each seeder of a download, in wei (its latest voucher per seeder). */
function signedAmounts(entry: AppTorrent | undefined): Map<Address, bigint> {
  const signed = new Map<Address, bigint>();
  for (const ledger of entry?.session?.ledgers.values() ?? [])
    if (ledger.voucher) signed.set(ledger.seeder, ledger.voucher.cumulativeAmount);
  return signed;
}

/** The prices the seeders of a download asked in their terms. */
function seederPrices(entry: AppTorrent | undefined): bigint[] {
  return [...(entry?.session?.ledgers.values() ?? [])].map((l) => l.pricePerMiB);
}

/** Re-renders every second while a download runs: its session (vouchers, releases) changes outside React. */
function useTickWhile(active: boolean): void {
  const [, tick] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(tick, 1_000);
    return () => clearInterval(timer);
  }, [active]);
}

export function LibraryPage() {
  const { address } = useWallet();
  const contents = useContents();
  const licenses = useLicenses(address);
  const escrows = useMyEscrows(address);
  const { torrents } = useTorrents();
  useTickWhile(torrents.some((t) => t.session));
  const byId = new Map(contents.data?.contents.map((c) => [c.contentId, c]));

  return (
    <section>
      <h1>Library</h1>
      <p className="lead">Your licenses. Downloads pay seeders checkpoint by checkpoint from a deposit; what is not used comes back.</p>
      <RequireWallet action="see your licenses">
        {licenses.error && <ErrorNotice error={licenses.error} />}
        {licenses.data && licenses.data.length === 0 && (
          <div className="empty">
            <p>You hold no licenses yet.</p>
            <a className="button" href="#/marketplace">
              Browse the marketplace
            </a>
          </div>
        )}
        <div className="stack" data-testid="licenses">
          {licenses.data?.map((license) => {
            const content = byId.get(license.contentId);
            if (!content) return null;
            return (
              <LicenseCard
                key={license.contentId.toString()}
                content={content}
                balance={license.balance}
                torrent={torrents.find((t) => t.contentId === license.contentId)}
              />
            );
          })}
        </div>
        {escrows.data && escrows.data.length > 0 && (
          <>
            <h2>Download escrows</h2>
            {escrows.data.map((escrow) => {
              const entry = torrents.find((t) => t.escrowId === escrow.escrowId);
              return (
                <EscrowCard
                  key={escrow.escrowId.toString()}
                  escrow={escrow}
                  name={byId.get(escrow.contentId)?.metadata.name ?? `#${escrow.contentId}`}
                  receivedBytes={BigInt(entry?.torrent.downloaded ?? 0)}
                  signedBytes={signedBytes(entry)}
                  signedAmounts={signedAmounts(entry)}
                  seederPrices={seederPrices(entry)}
                  releases={entry?.session?.releases ?? []}
                />
              );
            })}
          </>
        )}
      </RequireWallet>
    </section>
  );
}
