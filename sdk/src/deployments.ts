/**
 * Where the contracts live on each chain, as exported from the Ignition deployments by `npm run build` /
 * `npm start` (scripts/exportDeployments.ts). Never edited by hand.
 */
import type { Address } from "viem";
import deployments from "./generated/deployments.json" with { type: "json" };

export type ContractName = "LicenseMarket" | "CheckpointEscrow" | "WS402Deposits" | "RebatePool";

export interface Deployment {
  chainId: number;
  network: string;
  contracts: Record<ContractName, { address: Address; startBlock: number }>;
}

const byChain = deployments as unknown as Record<string, Deployment>;

/** The deployment on `chainId`; throws a clear error when nothing is deployed there. */
export function getDeployment(chainId: number): Deployment {
  const deployment = byChain[String(chainId)];
  if (!deployment) {
    throw new Error(`Web3Torrent is not deployed on chain ${chainId} (known: ${Object.keys(byChain).join(", ") || "none"})`);
  }
  return deployment;
}
