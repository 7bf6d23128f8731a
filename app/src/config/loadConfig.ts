/**
 * Loads the configuration at start-up: `config.json` served beside the app (written by `npm start` or by whoever
 * hosts the bundle) over VITE_W3T_* build-time variables, over the sdk's exported deployments for the chain.
 */
import { getDeployment } from "@web3torrent/sdk/deployments";
import type { AppConfig } from "./appConfig.ts";
import { ConfigError, parseConfig, type RawConfig } from "./parseConfig.ts";

const LOCAL_CHAIN_ID = 31337;

function list(value: string | undefined): string[] | undefined {
  return value
    ? value
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;
}

/** Defaults from the build: VITE_W3T_* variables, then the sdk's deployments for the chain. */
export function buildTimeConfig(env: Record<string, string | undefined> = import.meta.env): RawConfig {
  const chainId = Number(env.VITE_W3T_CHAIN_ID ?? LOCAL_CHAIN_ID);
  let deployment: ReturnType<typeof getDeployment> | undefined;
  try {
    deployment = getDeployment(chainId);
  } catch {
    deployment = undefined;
  }
  const startBlock = deployment ? Math.min(...Object.values(deployment.contracts).map((c) => c.startBlock)) : undefined;
  return {
    chainId,
    chainName: env.VITE_W3T_CHAIN_NAME ?? (chainId === LOCAL_CHAIN_ID ? "Web3Torrent local (Hardhat)" : undefined),
    rpcUrl: env.VITE_W3T_RPC_URL ?? (chainId === LOCAL_CHAIN_ID ? "http://127.0.0.1:8545" : undefined),
    contracts: deployment?.contracts,
    startBlock,
    graphqlUrl: env.VITE_W3T_GRAPHQL_URL,
    trackerUrls: list(env.VITE_W3T_TRACKER_URLS),
    gatewayUrl: env.VITE_W3T_GATEWAY_URL,
  };
}

/** Fetches `config.json` (absent is fine: the build-time defaults apply). */
async function servedConfig(fetchImpl: typeof fetch): Promise<RawConfig> {
  let response: Response;
  try {
    response = await fetchImpl(new URL("config.json", document.baseURI), { cache: "no-store" });
  } catch {
    return {};
  }
  if (response.status === 404) return {};
  if (!response.ok) throw new ConfigError(`config.json could not be loaded (HTTP ${response.status})`);
  try {
    return (await response.json()) as RawConfig;
  } catch (error) {
    throw new ConfigError(`config.json is not valid JSON: ${(error as Error).message}`);
  }
}

export async function loadConfig(fetchImpl: typeof fetch = fetch): Promise<AppConfig> {
  const served = await servedConfig(fetchImpl);
  const defaults = buildTimeConfig();
  const merged: RawConfig = { ...defaults };
  for (const [key, value] of Object.entries(served)) if (value !== undefined) merged[key as keyof RawConfig] = value;
  // Addresses belong to a chain: never pair the build's addresses with another chain from config.json.
  if (served.chainId !== undefined && Number(served.chainId) !== Number(defaults.chainId) && !served.contracts) {
    merged.contracts = undefined;
  }
  return parseConfig(merged);
}
