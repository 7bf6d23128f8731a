/**
 * Validates a configuration object (from `config.json`, env variables and the sdk's deployments, merged) into an
 * {@link AppConfig}, with one clear message per missing or malformed field.
 */
import { isAddress, type Address } from "viem";
import { CONTRACT_NAMES, type AppConfig, type ContractAddresses } from "./appConfig.ts";

export class ConfigError extends Error {
  override name = "ConfigError";
}

export type RawConfig = Partial<{
  chainId: unknown;
  chainName: unknown;
  rpcUrl: unknown;
  contracts: unknown;
  startBlock: unknown;
  graphqlUrl: unknown;
  trackerUrls: unknown;
  gatewayUrl: unknown;
  iceServers: unknown;
}>;

function url(name: string, value: unknown, protocols: string[]): string {
  if (typeof value !== "string" || value === "") throw new ConfigError(`${name} is missing`);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(`${name} is not a URL: "${value}"`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must use ${protocols.join(" or ")}: "${value}"`);
  }
  return value;
}

function optionalUrl(name: string, value: unknown, protocols: string[]): string | null {
  return value === undefined || value === null || value === "" ? null : url(name, value, protocols);
}

function contracts(value: unknown): ContractAddresses {
  if (typeof value !== "object" || value === null) {
    throw new ConfigError("contracts are missing: deploy the contracts and export their addresses (npm run build)");
  }
  const out: Partial<Record<(typeof CONTRACT_NAMES)[number], Address>> = {};
  for (const name of CONTRACT_NAMES) {
    const entry = (value as Record<string, unknown>)[name];
    const address = typeof entry === "object" && entry !== null ? (entry as { address?: unknown }).address : entry;
    if (typeof address !== "string" || !isAddress(address)) {
      throw new ConfigError(`contracts.${name} is not an address: ${JSON.stringify(address)}`);
    }
    out[name] = address;
  }
  return out as ContractAddresses;
}

export function parseConfig(raw: RawConfig): AppConfig {
  const chainId = Number(raw.chainId);
  if (!Number.isSafeInteger(chainId) || chainId <= 0) throw new ConfigError(`chainId is not a chain id: ${String(raw.chainId)}`);
  const startBlock = raw.startBlock === undefined ? 0n : BigInt(raw.startBlock as string | number);
  const trackers = raw.trackerUrls === undefined ? [] : raw.trackerUrls;
  if (!Array.isArray(trackers)) throw new ConfigError("trackerUrls must be a list of WebSocket URLs");
  const iceServers = raw.iceServers === undefined ? [] : raw.iceServers;
  if (!Array.isArray(iceServers)) throw new ConfigError("iceServers must be a list");
  return {
    chainId,
    chainName: typeof raw.chainName === "string" && raw.chainName ? raw.chainName : `Chain ${chainId}`,
    rpcUrl: url("rpcUrl", raw.rpcUrl, ["http:", "https:"]),
    contracts: contracts(raw.contracts),
    startBlock,
    graphqlUrl: optionalUrl("graphqlUrl", raw.graphqlUrl, ["http:", "https:"]),
    trackerUrls: trackers.map((t, i) => url(`trackerUrls[${i}]`, t, ["ws:", "wss:"])),
    gatewayUrl: optionalUrl("gatewayUrl", raw.gatewayUrl, ["http:", "https:"]),
    iceServers: iceServers as AppConfig["iceServers"],
  };
}
