/**
 * Per seeder of a running download: bytes received, the latest voucher signed (the seeder redeems it later: the
 * escrow card shows what was redeemed) or checkpoint released on-chain, acknowledged or not.
 */
import { Eth } from "../format/Eth.tsx";
import { formatBytes } from "../format/formatBytes.ts";
import { shortAddress } from "../format/shortAddress.ts";
import type { LedgerView } from "./useSessionLedgers.ts";

export function SeederPayments({ ledgers }: { ledgers: LedgerView[] }) {
  if (ledgers.length === 0) return <p className="muted">Waiting for a seeder's terms…</p>;
  return (
    <table data-testid="seeder-payments">
      <thead>
        <tr>
          <th>Seeder</th>
          <th>Price/MiB</th>
          <th>Received</th>
          <th>Signed voucher or release</th>
          <th>Receipt</th>
        </tr>
      </thead>
      <tbody>
        {ledgers.map((l) => (
          <tr key={l.seeder} data-seeder={l.seeder}>
            <td title={l.seeder}>{shortAddress(l.seeder)}</td>
            <td>
              <Eth wei={l.pricePerMiB} />
            </td>
            <td>{formatBytes(l.received)}</td>
            <td data-testid="voucher" data-bytes={l.voucherBytes.toString()} data-release-tx={l.releaseTx ?? undefined}>
              {formatBytes(l.voucherBytes)} · <Eth wei={l.voucherAmount} /> {l.releaseTx ? "released on-chain" : "signed"}
              {l.acked ? ", acknowledged" : ", sent"}
            </td>
            <td>{l.refusal ?? formatBytes(l.receiptBytes)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
