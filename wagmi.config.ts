/**
 * Generates sdk/src/generated/contracts.ts — typed ABIs (and addresses per chain) for viem and wagmi — from the
 * Hardhat build and the exported deployments. Run by `npm run build`; never edit the output by hand.
 */
import { existsSync, readFileSync } from "node:fs";
import { defineConfig } from "@wagmi/cli";
import { hardhat } from "@wagmi/cli/plugins";

const DEPLOYMENTS_FILE = "sdk/src/generated/deployments.json";
const CONTRACTS = ["LicenseMarket", "CheckpointEscrow", "WS402Deposits", "RebatePool"];

type Deployments = Record<string, { chainId: number; contracts: Record<string, { address: `0x${string}` }> }>;
const deployments: Deployments = existsSync(DEPLOYMENTS_FILE) ? JSON.parse(readFileSync(DEPLOYMENTS_FILE, "utf8")) : {};

const addresses: Record<string, Record<number, `0x${string}`>> = {};
for (const name of CONTRACTS) {
  for (const { chainId, contracts } of Object.values(deployments)) {
    const deployed = contracts[name];
    if (deployed) (addresses[name] ??= {})[chainId] = deployed.address;
  }
}

export default defineConfig({
  out: "sdk/src/generated/contracts.ts",
  plugins: [
    hardhat({
      project: ".",
      commands: { build: false, rebuild: false },
      include: CONTRACTS.map((name) => `${name}.sol/${name}.json`),
      deployments: addresses,
    }),
  ],
});
