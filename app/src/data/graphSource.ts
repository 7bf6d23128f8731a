/**
 * Reads contents, price history, licenses and purchases from the subgraph's GraphQL API (graph-node conventions:
 * plural entity fields, `where`, `orderBy`, BigInt as decimal strings, ids as documented in schema.graphql).
 */
import type { Address, Hex } from "viem";
import { graphql } from "./graphql.ts";
import { parseMetadata } from "./parseMetadata.ts";
import type { ContentRecord, LicenseHolding, PricePoint, PurchaseRecord } from "./types.ts";

const PAGE = 1000;

interface GraphContent {
  contentId: string;
  infohash: Hex;
  size: string;
  payout: { id: Address };
  basePrice: string;
  curve: "Linear" | "Exponential";
  growth: string;
  maxSupply: string;
  bountyFeeBps: number;
  transferable: boolean;
  supply: string;
  metadataURI: string;
}

const CONTENT_FIELDS = `contentId infohash size payout { id } basePrice curve growth maxSupply bountyFeeBps transferable supply metadataURI`;

function toContent(c: GraphContent): ContentRecord {
  const contentId = BigInt(c.contentId);
  return {
    contentId,
    infohash: c.infohash,
    size: BigInt(c.size),
    payout: c.payout.id,
    basePrice: BigInt(c.basePrice),
    curve: c.curve === "Exponential" ? 1 : 0,
    growth: BigInt(c.growth),
    maxSupply: BigInt(c.maxSupply),
    bountyFeeBps: c.bountyFeeBps,
    transferable: c.transferable,
    supply: BigInt(c.supply),
    metadataURI: c.metadataURI,
    metadata: parseMetadata(c.metadataURI, `Content #${contentId}`),
  };
}

export async function graphContents(url: string): Promise<{ contents: ContentRecord[]; networkFeeBps: bigint | null }> {
  const data = await graphql<{ contents: GraphContent[]; protocol: { networkFeeBps: number } | null }>(
    url,
    `query Contents($first: Int!) {
      contents(first: $first, orderBy: contentId, orderDirection: asc) { ${CONTENT_FIELDS} }
      protocol(id: "protocol") { networkFeeBps }
    }`,
    { first: PAGE },
  );
  return {
    contents: data.contents.map(toContent),
    networkFeeBps: data.protocol ? BigInt(data.protocol.networkFeeBps) : null,
  };
}

export async function graphPriceHistory(url: string, contentId: bigint): Promise<PricePoint[]> {
  const data = await graphql<{
    pricePoints: { price: string; nextPrice: string; supply: string; blockNumber: string; timestamp: string }[];
  }>(
    url,
    `
      query PriceHistory($content: String!, $first: Int!) {
        pricePoints(first: $first, where: { content: $content }, orderBy: blockNumber, orderDirection: asc) {
          price
          nextPrice
          supply
          blockNumber
          timestamp
        }
      }
    `,
    { content: contentId.toString(), first: PAGE },
  );
  return data.pricePoints
    .map((p) => ({
      price: BigInt(p.price),
      nextPrice: BigInt(p.nextPrice),
      supply: BigInt(p.supply),
      blockNumber: BigInt(p.blockNumber),
      timestamp: BigInt(p.timestamp),
    }))
    .sort((a, b) => (a.supply < b.supply ? -1 : a.supply > b.supply ? 1 : 0));
}

export async function graphLicenses(url: string, account: Address): Promise<LicenseHolding[]> {
  const data = await graphql<{ licenses: { content: { contentId: string }; balance: string }[] }>(
    url,
    `
      query Licenses($holder: String!, $first: Int!) {
        licenses(first: $first, where: { holder: $holder, balance_gt: "0" }) {
          content {
            contentId
          }
          balance
        }
      }
    `,
    { holder: account.toLowerCase(), first: PAGE },
  );
  return data.licenses.map((l) => ({ contentId: BigInt(l.content.contentId), balance: BigInt(l.balance) }));
}

export async function graphPurchases(url: string, account: Address): Promise<PurchaseRecord[]> {
  const data = await graphql<{ purchases: { content: { contentId: string }; quantity: string; total: string; blockNumber: string }[] }>(
    url,
    `
      query Purchases($recipient: String!, $first: Int!) {
        purchases(first: $first, where: { recipient: $recipient }, orderBy: blockNumber, orderDirection: asc) {
          content {
            contentId
          }
          quantity
          total
          blockNumber
        }
      }
    `,
    { recipient: account.toLowerCase(), first: PAGE },
  );
  return data.purchases.map((p) => ({
    contentId: BigInt(p.content.contentId),
    quantity: BigInt(p.quantity),
    total: BigInt(p.total),
    blockNumber: BigInt(p.blockNumber),
  }));
}
