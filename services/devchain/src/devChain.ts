/**
 * A real local chain for tests and tools: Hardhat's in-process EDR chain with the contracts deployed by the same
 * Ignition module as production (deploy/Web3Torrent.ts, local parameters), served over HTTP JSON-RPC.
 *
 *   const chain = await startDevChain();
 *   // chain.rpcUrl, chain.contracts.LicenseMarket, chain.accounts[1].privateKey ...
 *   await chain.stop();
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { network } from "hardhat";
import type {} from "@nomicfoundation/hardhat-ignition-viem";
import type { Address, Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import Web3Torrent from "../../../deploy/Web3Torrent.ts";
import { serveJsonRpc } from "./jsonRpcHttpServer.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../../..");
/** Hardhat's default accounts, funded with 10,000 ETH each on every local chain. Public test keys. */
export const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";
const ACCOUNT_COUNT = 20;

export interface DevChainOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Ignition parameters of the Web3Torrent module; defaults to deploy/parameters/local.json. */
  parameters?: Record<string, unknown>;
}

export interface DevChain {
  rpcUrl: string;
  chainId: number;
  contracts: { LicenseMarket: Address; CheckpointEscrow: Address; WS402Deposits: Address; RebatePool: Address };
  accounts: { address: Address; privateKey: Hex }[];
  /** Moves the chain's clock forward and mines a block. */
  increaseTime(seconds: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startDevChain({ host = "127.0.0.1", port = 0, parameters }: DevChainOptions = {}): Promise<DevChain> {
  const connection = await network.create();
  const localParameters = JSON.parse(readFileSync(join(ROOT, "deploy/parameters/local.json"), "utf8")).Web3Torrent;
  // Only the addresses are used: typed as such, so the file checks the same with or without the artifacts' generated
  // contract types in the program (the app's tsconfig does not include them).
  const deployed: Record<"licenseMarket" | "checkpointEscrow" | "ws402Deposits" | "rebatePool", { address: Address }> =
    await connection.ignition.deploy(Web3Torrent, {
      parameters: { Web3Torrent: { ...localParameters, ...parameters } },
    });
  const { server, url } = await serveJsonRpc(connection.provider, host, port);
  const chainId = Number(await connection.provider.request({ method: "eth_chainId" }));
  const accounts = Array.from({ length: ACCOUNT_COUNT }, (_, addressIndex) => {
    const account = mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex });
    return { address: account.address, privateKey: `0x${Buffer.from(account.getHdKey().privateKey!).toString("hex")}` as Hex };
  });
  return {
    rpcUrl: url,
    chainId,
    contracts: {
      LicenseMarket: deployed.licenseMarket.address,
      CheckpointEscrow: deployed.checkpointEscrow.address,
      WS402Deposits: deployed.ws402Deposits.address,
      RebatePool: deployed.rebatePool.address,
    },
    accounts,
    async increaseTime(seconds) {
      await connection.provider.request({ method: "evm_increaseTime", params: [seconds] });
      await connection.provider.request({ method: "evm_mine", params: [] });
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await connection.close();
    },
  };
}
