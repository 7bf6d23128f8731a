import { createRequire } from "node:module";
import { configVariable, defineConfig } from "hardhat/config";
import hardhatToolboxViem from "@nomicfoundation/hardhat-toolbox-viem";

const require = createRequire(import.meta.url);

/** Hardhat cannot download compilers here, so solc comes from the pinned `solc` npm package. */
const SOLC_VERSION = "0.8.28";

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
