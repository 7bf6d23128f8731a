/** A v1 BitTorrent infohash (40 hex characters) as the LicenseMarket stores it: left-aligned in a bytes32. */
import type { Hex } from "viem";

export function infohashToBytes32(infoHash: string): Hex {
  const hex = infoHash.replace(/^0x/, "").toLowerCase();
  if (/^[0-9a-f]{40}$/.test(hex)) return `0x${hex}${"0".repeat(24)}`;
  if (/^[0-9a-f]{64}$/.test(hex)) return `0x${hex}`;
  throw new RangeError(`not a BitTorrent infohash: ${infoHash}`);
}

export function bytes32ToInfohash(value: Hex): string {
  const hex = value.slice(2).toLowerCase();
  return hex.endsWith("0".repeat(24)) ? hex.slice(0, 40) : hex;
}

export function magnetURI(infoHash: string, trackers: string[], name?: string): string {
  const params = [`xt=urn:btih:${infoHash}`];
  if (name) params.push(`dn=${encodeURIComponent(name)}`);
  for (const tracker of trackers) params.push(`tr=${encodeURIComponent(tracker)}`);
  return `magnet:?${params.join("&")}`;
}
