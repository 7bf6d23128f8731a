/**
 * What the wallet's `Delegation` allows and until when, in words, shown before the wallet asks for it: the wallet
 * itself shows only typed data (a session key address and a unix expiry).
 */
import type { Address } from "viem";
import { shortAddress } from "../format/shortAddress.ts";

/** The delegation's expiry as a person reads it, in the browser's locale and time zone. */
export function formatDelegationExpiry(expiry: bigint, locale?: string): string {
  return new Date(Number(expiry) * 1000).toLocaleString(locale, { dateStyle: "full", timeStyle: "short" });
}

export function DelegationNotice({ account, expiry, signed }: { account: Address; expiry: bigint; signed: boolean }) {
  const until = <strong data-testid="delegation-until">{formatDelegationExpiry(expiry)}</strong>;
  return (
    <p className="muted" data-testid="delegation-notice" data-expiry={expiry.toString()} data-signed={signed}>
      {signed ? (
        <>Your wallet already delegated this tab's session key, until {until}: no signature is needed for it. </>
      ) : (
        <>Your wallet first asks you to sign a delegation, once, valid until {until}. </>
      )}
      It lets a key kept in this tab act for your account {shortAddress(account)}, and no other, in downloads: sign the receipts of the
      bytes seeders send you, which pay them from the rebate allowance of your licenses, and prove to seeders that a download is yours. It
      cannot send ETH or buy anything: every deposit still asks your wallet.
    </p>
  );
}
