/**
 * What the download's session has paid each seeder, sampled every second: bytes received, the voucher signed (or the
 * checkpoint released on-chain, paying by transactions), the receipt.
 */
import { amountFor } from "@web3torrent/sdk/checkpointSchedule";
import type { LeecherSession } from "@web3torrent/sdk/wire/leecherSession";
import { useEffect, useState } from "react";
import type { Address } from "viem";

export interface LedgerView {
  seeder: Address;
  pricePerMiB: bigint;
  received: bigint;
  voucherBytes: bigint;
  voucherAmount: bigint;
  /** The paying release transaction, when the seeder was paid on-chain rather than by a voucher. */
  releaseTx: string | null;
  receiptBytes: bigint;
  acked: boolean;
  refusal: string | null;
}

function sample(session: LeecherSession): LedgerView[] {
  return [...session.ledgers.values()].map((l) => ({
    seeder: l.seeder,
    pricePerMiB: l.pricePerMiB,
    received: l.received,
    voucherBytes: session.paidBytes(l),
    // A release pays at the escrow's price (the cap), a voucher at the seeder's.
    voucherAmount: l.voucher?.cumulativeAmount ?? (l.released ? amountFor(l.released.cumulativeBytes, session.options.pricePerMiBCap) : 0n),
    releaseTx: l.released?.txHash ?? null,
    receiptBytes: l.receipt?.cumulativeBytes ?? 0n,
    acked: l.ackedVoucherBytes >= session.paidBytes(l),
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
