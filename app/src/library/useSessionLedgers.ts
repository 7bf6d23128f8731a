/** What the download's session key has signed, per seeder, sampled every second: bytes received, voucher, receipt. */
import type { LeecherSession } from "@web3torrent/sdk/wire/leecherSession";
import { useEffect, useState } from "react";
import type { Address } from "viem";

export interface LedgerView {
  seeder: Address;
  pricePerMiB: bigint;
  received: bigint;
  voucherBytes: bigint;
  voucherAmount: bigint;
  receiptBytes: bigint;
  acked: boolean;
  refusal: string | null;
}

function sample(session: LeecherSession): LedgerView[] {
  return [...session.ledgers.values()].map((l) => ({
    seeder: l.seeder,
    pricePerMiB: l.pricePerMiB,
    received: l.received,
    voucherBytes: l.voucher?.cumulativeBytes ?? 0n,
    voucherAmount: l.voucher?.cumulativeAmount ?? 0n,
    receiptBytes: l.receipt?.cumulativeBytes ?? 0n,
    acked: l.voucher === null || l.ackedVoucherBytes >= l.voucher.cumulativeBytes,
    refusal: l.refusal ? `${l.refusal.reason}: ${l.refusal.message}` : null,
  }));
}

export function useSessionLedgers(session: LeecherSession | undefined): LedgerView[] {
  const [ledgers, setLedgers] = useState<LedgerView[]>(() => (session ? sample(session) : []));
  useEffect(() => {
    if (!session) return;
    const timer = setInterval(() => setLedgers(sample(session)), 1_000);
    setLedgers(sample(session));
    return () => clearInterval(timer);
  }, [session]);
  return ledgers;
}
