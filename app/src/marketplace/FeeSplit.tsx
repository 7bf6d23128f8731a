/** A quote split into what goes where: the publisher's curve price, the network fee, the seeders' bounty. */
import type { Quote } from "@web3torrent/sdk/bondingCurve";
import { Eth } from "../format/Eth.tsx";

export function FeeSplit({ quote, networkFeeBps, bountyFeeBps }: { quote: Quote; networkFeeBps: bigint; bountyFeeBps: number }) {
  return (
    <dl className="fee-split" data-testid="fee-split">
      <dt>Curve price (to the publisher)</dt>
      <dd data-testid="quote-curve">
        <Eth wei={quote.curvePrice} />
      </dd>
      <dt>Network fee {Number(networkFeeBps) / 100}% (seeder rebates)</dt>
      <dd data-testid="quote-network">
        <Eth wei={quote.networkFee} />
      </dd>
      <dt>Bounty fee {bountyFeeBps / 100}% (this content's seeders)</dt>
      <dd data-testid="quote-bounty">
        <Eth wei={quote.bountyFee} />
      </dd>
      <dt className="total">Total</dt>
      <dd className="total" data-testid="quote-total">
        <Eth wei={quote.total} />
      </dd>
    </dl>
  );
}
