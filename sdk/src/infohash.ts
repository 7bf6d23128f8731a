/**
 * BitTorrent infohashes as the LicenseMarket stores them: a v1 infohash (SHA-1, 20 bytes) left-aligned in a
 * bytes32, or a v2 infohash (SHA-256) as is.
 */
import type { Hex } from "viem";

const V1 = /^[0-9a-fA-F]{40}$/;
const V2 = /^[0-9a-fA-F]{64}$/;

/** The bytes32 the market registers for an infohash (hex, with or without 0x). */
export function infohashToBytes32(infoHash: string): Hex {
  const hex = infoHash.startsWith("0x") ? infoHash.slice(2) : infoHash;
  if (V1.test(hex)) return `0x${hex.toLowerCase()}${"0".repeat(24)}`;
  if (V2.test(hex)) return `0x${hex.toLowerCase()}`;
  throw new RangeError(`not a BitTorrent infohash: ${infoHash}`);
}

/** The v1 infohash (40 hex characters) of a registered bytes32, or the v2 one when the low 12 bytes are used. */
export function bytes32ToInfohash(value: Hex): string {
  const hex = value.slice(2).toLowerCase();
  if (!V2.test(hex)) throw new RangeError(`not a bytes32: ${value}`);
  return hex.endsWith("0".repeat(24)) ? hex.slice(0, 40) : hex;
}

/** A magnet link for `infoHash` announcing `trackers`. */
export function magnetURI(infoHash: string, trackers: string[], name?: string): string {
  const params = [`xt=urn:btih:${infoHash}`];
  if (name) params.push(`dn=${encodeURIComponent(name)}`);
  for (const tracker of trackers) params.push(`tr=${encodeURIComponent(tracker)}`);
  return `magnet:?${params.join("&")}`;
}
