import { createRequire } from "node:module";
import { configVariable, defineConfig } from "hardhat/config";
import hardhatToolboxViem from "@nomicfoundation/hardhat-toolbox-viem";

const require = createRequire(import.meta.url);

/** Hardhat cannot download compilers here, so solc comes from the pinned `solc` npm package. */
const SOLC_VERSION = "0.8.28";

/**
 * Solidity fuzz and invariant depth. The `default` profile is what `npm test` and CI run: EDR's defaults (256 fuzz
 * runs, 256 invariant runs; the invariant files set their own depth inline, 40 or 100 calls, for the `default`
 * profile only). The `deep` profile is the security pass (`npm run test:deep`, see docs/THREAT_MODEL.md): many more
 * runs and longer call sequences, each number overridable from the environment.
 */
function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}
const DEEP_FUZZ_RUNS = envInt("W3T_FUZZ_RUNS", 5_000);
const DEEP_INVARIANT_RUNS = envInt("W3T_INVARIANT_RUNS", 1_000);
const DEEP_INVARIANT_DEPTH = envInt("W3T_INVARIANT_DEPTH", 100);

export default defineConfig({
  plugins: [hardhatToolboxViem],
  solidity: {
    version: SOLC_VERSION,
    path: require.resolve("solc/soljson.js"),
    settings: {
      optimizer: { enabled: true, runs: 10_000 },
      evmVersion: "cancun",
    },
  },
  test: {
    solidity: {
      profiles: {
        default: {},
        deep: {
          fuzz: { runs: DEEP_FUZZ_RUNS },
          invariant: { runs: DEEP_INVARIANT_RUNS, depth: DEEP_INVARIANT_DEPTH },
        },
      },
    },
  },
  networks: {
    localhost: {
      type: "http",
      chainType: "l1",
      url: process.env.W3T_RPC_URL ?? "http://127.0.0.1:8545",
    },
    // A public network, read only when used: the RPC URL and the deployer's key come from environment variables
    // (or Hardhat's keystore, `npx hardhat keystore set SEPOLIA_PRIVATE_KEY`). Add other networks the same way.
    sepolia: {
      type: "http",
      chainType: "l1",
      url: configVariable("SEPOLIA_RPC_URL"),
      accounts: [configVariable("SEPOLIA_PRIVATE_KEY")],
    },
  },
});
