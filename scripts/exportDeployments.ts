/**
 * Exports an Ignition deployment (addresses, chain id, start blocks) into sdk/src/generated/deployments.json,
 * merged by chain id with what is already there, so the sdk, services, app and subgraph read one file.
 *
 *   node scripts/exportDeployments.ts [ignition/deployments/<deployment-id> ...]
 *
 * With no folder it exports every deployment under ignition/deployments (none on a fresh clone: then it writes
 * an empty file, so the sdk always has one to import).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const DEPLOYMENTS_FILE = join(root, "sdk/src/generated/deployments.json");
const MODULE_PREFIX = "Web3Torrent#";

/** Names The Graph uses for these chains (subgraph.yaml `network`). */
const GRAPH_NETWORK_NAMES: Record<number, string> = {
  1: "mainnet",
  10: "optimism",
  8453: "base",
  42161: "arbitrum-one",
  11155111: "sepolia",
  31337: "localhost",
};

export interface DeployedContract {
  address: `0x${string}`;
  startBlock: number;
}

export interface Deployment {
  chainId: number;
  network: string;
  contracts: Record<string, DeployedContract>;
}

export function readDeployments(): Record<string, Deployment> {
  return existsSync(DEPLOYMENTS_FILE) ? JSON.parse(readFileSync(DEPLOYMENTS_FILE, "utf8")) : {};
}

/** Reads an Ignition deployment folder: `deployed_addresses.json` and the journal's confirmed receipts. */
export function readIgnitionDeployment(folder: string): Deployment {
  const match = /^chain-(\d+)$/.exec(basename(folder));
  const chainIdFromName = match ? Number(match[1]) : undefined;
  const addresses: Record<string, `0x${string}`> = JSON.parse(readFileSync(join(folder, "deployed_addresses.json"), "utf8"));
  const blocks = new Map<string, number>();
  let chainId = chainIdFromName;
  for (const line of readFileSync(join(folder, "journal.jsonl"), "utf8").split("\n")) {
    if (!line.trim()) continue;
    const message = JSON.parse(line);
    if (message.type === "DEPLOYMENT_INITIALIZE") chainId = message.chainId;
    if (message.type === "TRANSACTION_CONFIRM" && !blocks.has(message.futureId)) {
      blocks.set(message.futureId, message.receipt.blockNumber);
    }
  }
  if (chainId === undefined) throw new Error(`No chain id found for the deployment in ${folder}`);
  const contracts: Record<string, DeployedContract> = {};
  for (const [futureId, address] of Object.entries(addresses)) {
    const startBlock = blocks.get(futureId);
    if (startBlock === undefined) throw new Error(`No confirmed deployment transaction for ${futureId}`);
    contracts[futureId.replace(MODULE_PREFIX, "")] = { address, startBlock };
  }
  return { chainId, network: GRAPH_NETWORK_NAMES[chainId] ?? `chain-${chainId}`, contracts };
}

export function exportDeployment(folder: string): Deployment {
  const deployment = readIgnitionDeployment(folder);
  const all = { ...readDeployments(), [deployment.chainId]: deployment };
  mkdirSync(dirname(DEPLOYMENTS_FILE), { recursive: true });
  writeFileSync(DEPLOYMENTS_FILE, JSON.stringify(all, null, 2) + "\n");
  return deployment;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const ignitionDir = join(root, "ignition/deployments");
  const folders =
    process.argv.length > 2
      ? process.argv.slice(2)
      : existsSync(ignitionDir)
        ? readdirSync(ignitionDir).map((name) => join(ignitionDir, name))
        : [];
  for (const folder of folders) {
    const deployment = exportDeployment(folder);
    console.log(`Exported chain ${deployment.chainId} (${Object.keys(deployment.contracts).join(", ")})`);
  }
  if (!existsSync(DEPLOYMENTS_FILE)) {
    mkdirSync(dirname(DEPLOYMENTS_FILE), { recursive: true });
    writeFileSync(DEPLOYMENTS_FILE, "{}\n");
  }
}
