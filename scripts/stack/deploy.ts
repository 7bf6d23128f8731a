/**
 * Deploys the Ignition module deploy/Web3Torrent.ts to Hardhat's `localhost` network with the local parameters,
 * through Ignition's API, without the CLI's confirmation prompt. (Ignition's CLI loads modules only from
 * ignition/modules, where ignition/modules/Web3Torrent.ts re-exports this module for deployments to other networks.)
 * The deployment journal goes to ignition/deployments/chain-<id>, as with the CLI, for
 * scripts/exportDeployments.ts. Any earlier journal is removed first: the local chain is new at every start.
 *
 *   W3T_RPC_URL=http://127.0.0.1:8545 node scripts/stack/deploy.ts
 */
import { readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { network } from "hardhat";
import Web3Torrent from "../../deploy/Web3Torrent.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const parameters = JSON.parse(readFileSync(join(root, "deploy/parameters/local.json"), "utf8"));

const connection = await network.connect({ network: "localhost" });
const chainId = Number(await connection.provider.request({ method: "eth_chainId" }));
rmSync(join(root, `ignition/deployments/chain-${chainId}`), { recursive: true, force: true });
await connection.ignition.deploy(Web3Torrent, { parameters });
await connection.close();
console.log(`Deployed Web3Torrent on chain ${chainId}`);
