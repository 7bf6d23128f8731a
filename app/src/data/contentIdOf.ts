/** Which registered content a torrent is: its infohash looked up in the market. */
import { licenseMarketAbi } from "@web3torrent/sdk/generated/contracts";
import { infohashToBytes32 } from "@web3torrent/sdk/infohash";
import type { Address, PublicClient } from "viem";

/** The market's content id for `infoHash`: 0 when nothing is registered under it. */
export function contentIdOf(client: PublicClient, market: Address, infoHash: string): Promise<bigint> {
  return client.readContract({ address: market, abi: licenseMarketAbi, functionName: "contentIdOf", args: [infohashToBytes32(infoHash)] });
}
