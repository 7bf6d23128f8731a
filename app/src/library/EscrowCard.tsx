/**
 * One download escrow: deposit, what seeders redeemed on-chain and what they hold signed but not yet redeemed, the
 * checkpoint timeline, close and refund.
 */
import { ErrorNotice } from "../errors/ErrorNotice.tsx";
import { Eth } from "../format/Eth.tsx";
import { shortAddress } from "../format/shortAddress.ts";
import { TxProgress } from "../tx/TxProgress.tsx";
import { CheckpointTimeline } from "./CheckpointTimeline.tsx";
import type { TimelineRelease } from "./checkpointTimeline.ts";
import { unredeemedAmount } from "./unredeemed.ts";
import type { Address } from "viem";
import type { MyEscrow } from "./useMyEscrows.ts";
import { useChainTime } from "./useChainTime.ts";
import { useEscrowActions } from "./useEscrowActions.ts";

export function EscrowCard({
  escrow,
  name,
  receivedBytes = 0n,
  signedBytes = 0n,
  signedAmounts = new Map(),
  seederPrices = [],
  releases = [],
}: {
  escrow: MyEscrow;
  name: string;
  receivedBytes?: bigint;
  signedBytes?: bigint;
  /** This tab's latest voucher amount per seeder. */
  signedAmounts?: Map<Address, bigint>;
  /** The prices per MiB the download's seeders asked. */
  seederPrices?: bigint[];
  /** This tab's release transactions for the escrow (paying by transactions). */
  releases?: TimelineRelease[];
}) {
  const actions = useEscrowActions();
  const now = useChainTime();
  const paid = sumPaid(escrow);
  const unredeemed = escrow.status === "Closed" ? 0n : unredeemedAmount(signedAmounts, escrow.payments);
  const paidBytes = [...escrow.paidBytesBySeeder.values()].reduce((a, b) => a + b, 0n);
  const refundable = escrow.status === "Closing" && (escrow.allWaived || (now !== null && now >= escrow.closesAt));
  return (
    <div className="card" data-testid={`escrow-${escrow.escrowId}`} data-status={escrow.status}>
      <h3>
        Escrow #{escrow.escrowId.toString()} · {name} · <span className="badge">{escrow.status}</span>
      </h3>
      <dl className="stats">
        <dt>Deposit</dt>
        <dd>
          <Eth wei={escrow.deposit} />
        </dd>
        <dt>Redeemed by seeders (paid on-chain)</dt>
        <dd data-testid="escrow-paid">
          <Eth wei={paid} />
        </dd>
        {unredeemed > 0n && (
          <>
            <dt>Signed to seeders, not yet redeemed</dt>
            <dd data-testid="escrow-signed">
              <Eth wei={unredeemed} />
            </dd>
          </>
        )}
        <dt>
          {escrow.status === "Closed"
            ? "Refunded"
            : unredeemed > 0n
              ? "Unpaid (refundable after close, less the signed vouchers)"
              : "Unpaid (refundable after close)"}
        </dt>
        <dd data-testid="escrow-refund">
          <Eth wei={escrow.status === "Closed" ? (escrow.refunded ?? 0n) : escrow.unpaid} />
        </dd>
      </dl>
      <CheckpointTimeline
        mode={escrow.mode}
        maxBytes={escrow.maxBytes}
        pricePerMiB={escrow.pricePerMiB}
        paidBytes={paidBytes}
        receivedBytes={receivedBytes}
        signedBytes={signedBytes}
        releases={releases}
        escrowOpen={escrow.status === "Open"}
        seederPrices={seederPrices}
      />
      {escrow.paidBytesBySeeder.size > 0 && (
        <p className="muted">
          Seeders paid:{" "}
          {[...escrow.paidBytesBySeeder.entries()]
            .map(([seeder, bytes]) => `${shortAddress(seeder)} (${(Number(bytes) / 1048576).toFixed(1)} MiB)`)
            .join(", ")}
        </p>
      )}
      <TxProgress state={actions} />
      {actions.error && <ErrorNotice error={actions.error} onDismiss={actions.reset} />}
      <div className="notice-actions">
        {escrow.status === "Open" && (
          <button type="button" onClick={() => actions.close(escrow.escrowId)} disabled={actions.busy} data-testid="close-escrow">
            Close and get the rest back
          </button>
        )}
        {escrow.status === "Closing" && (
          <button
            type="button"
            onClick={() => actions.refund(escrow.escrowId)}
            disabled={!refundable || actions.busy}
            data-testid="refund-escrow"
          >
            {refundable
              ? "Take the refund"
              : `Refund after the challenge window, in ${now === null ? "…" : `${escrow.closesAt - now} s`} (sooner if the seeders waive it)`}
          </button>
        )}
      </div>
    </div>
  );
}

function sumPaid(escrow: MyEscrow): bigint {
  return escrow.payments.reduce((sum, p) => sum + p.paid, 0n);
}
