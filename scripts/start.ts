/**
 * `npm start`: the whole stack on embedded defaults, in one terminal, stopped cleanly with Ctrl-C.
 * A Hardhat node, the contracts deployed with Ignition and exported into the sdk; then what a user needs.
 */
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createPublicClient, formatEther, http } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { exportDeployment } from "./exportDeployments.ts";
import { gatewayUrl, HARDHAT_MNEMONIC, rpcUrl, stackConfig } from "./stack/config.ts";
import { assertPortFree, runNode, startNode, stopAll, waitFor } from "./stack/processes.ts";
import { indexerPort, startIndexer } from "./stack/indexer.ts";
import { startP2P } from "./stack/p2p.ts";
import { appConfigFor, appPort, startApp } from "./stack/app.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// hardhat's "exports" do not include its CLI file; its package.json is exported, and the CLI sits beside it.
const hardhatCli = join(dirname(createRequire(import.meta.url).resolve("hardhat/package.json")), "dist/src/cli.js");
const hardhatEnv = { W3T_RPC_URL: rpcUrl() };

async function main(): Promise<void> {
  await assertPortFree(stackConfig.chainPort, "Hardhat node (W3T_CHAIN_PORT)");
  await assertPortFree(indexerPort(), "local indexer (W3T_INDEXER_PORT)");
  await assertPortFree(stackConfig.gatewayPort, "WS402 gateway (W3T_GATEWAY_PORT)");
  await assertPortFree(stackConfig.trackerPort, "WebTorrent tracker (W3T_TRACKER_PORT)");
  await assertPortFree(appPort(), "app (W3T_APP_PORT)");

  console.log(`Starting the Hardhat node on ${rpcUrl()} ...`);
  startNode({
    name: "chain",
    args: [hardhatCli, "node", "--hostname", stackConfig.host, "--port", String(stackConfig.chainPort)],
    verbose: false,
    stopLast: true,
  });
  const client = createPublicClient({ chain: { ...hardhat, id: stackConfig.chainId }, transport: http(rpcUrl()) });
  await waitFor("Hardhat node", async () => (await client.getChainId()) === stackConfig.chainId);

  console.log("Deploying the contracts with Ignition ...");
  await runNode({ name: "deploy", args: [join(root, "scripts/stack/deploy.ts")], env: hardhatEnv, verbose: false });
  const deployment = exportDeployment(join(root, `ignition/deployments/chain-${stackConfig.chainId}`));
  await runNode({ name: "sdk", args: [join(root, "node_modules/@wagmi/cli/dist/esm/cli.js"), "generate"], verbose: false });

  console.log("Building the subgraph and starting the local indexer ...");
  const indexer = await startIndexer({ rpcUrl: rpcUrl(), host: stackConfig.host });

  console.log("Starting the WS402 gateway with the demo PDF ...");
  // The chain is new at every start, so is the gateway's state: session ids restart at 1 on a fresh chain.
  const gatewayDatabase = join(tmpdir(), `web3torrent-ws402-gateway-${stackConfig.gatewayPort}.sqlite`);
  for (const suffix of ["", "-wal", "-shm"]) rmSync(gatewayDatabase + suffix, { force: true });
  const gatewayKey = mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex: stackConfig.gatewayAccount }).getHdKey().privateKey!;
  startNode({
    name: "ws402-gateway",
    args: ["--disable-warning=ExperimentalWarning", join(root, "services/ws402-gateway/src/main.ts")],
    env: {
      W3T_RPC_URL: rpcUrl(),
      W3T_GATEWAY_HOST: stackConfig.host,
      W3T_GATEWAY_PORT: String(stackConfig.gatewayPort),
      W3T_GATEWAY_DB: gatewayDatabase,
      W3T_GATEWAY_PRIVATE_KEY: `0x${Buffer.from(gatewayKey).toString("hex")}`,
    },
    verbose: false,
  });
  await waitFor("WS402 gateway", async () => {
    const response = await fetch(`${gatewayUrl()}/api/resources`);
    return response.ok && ((await response.json()) as { resources: unknown[] }).resources.length > 0;
  });

  console.log(
    "Starting the tracker, publishing the demo content and seeding it (the first start also makes the demo video: about a minute) ...",
  );
  const p2p = await startP2P({
    rpcUrl: rpcUrl(),
    host: stackConfig.host,
    contracts: {
      market: deployment.contracts.LicenseMarket.address,
      escrow: deployment.contracts.CheckpointEscrow.address,
      rebatePool: deployment.contracts.RebatePool.address,
    },
  });

  console.log("Building and serving the app ...");
  const appConfig = appConfigFor({
    chainId: stackConfig.chainId,
    rpcUrl: rpcUrl(),
    deployment,
    gatewayUrl: gatewayUrl(),
    graphqlUrl: indexer.url,
    trackerUrls: [p2p.trackerUrl],
  });
  const app = await startApp({
    config: appConfig,
    host: stackConfig.host,
    port: appPort(),
    rebuild: true,
  });

  console.log("\nWeb3Torrent is running.\n");
  console.log(`App       ${app.url}`);
  console.log(`GraphQL   ${indexer.url}\n`);
  console.log("Chain (add it to MetaMask: Settings → Networks → Add a network manually):");
  console.log(`  Network name  ${appConfig.chainName}`);
  console.log(`  RPC URL       ${rpcUrl()}`);
  console.log(`  Chain id      ${stackConfig.chainId}`);
  console.log("  Currency      ETH\n");
  console.log("Contracts:");
  for (const [name, { address, startBlock }] of Object.entries(deployment.contracts)) {
    console.log(`  ${name.padEnd(18)} ${address}  (block ${startBlock})`);
  }
  console.log("\nWS402 gateway (time-metered resources):");
  console.log(`  Resources ${gatewayUrl()}/api/resources`);
  console.log(`  Demo PDF  ${gatewayUrl()}/api/resource/pdf-report-2024/schema`);
  console.log("\nPeer to peer (WebTorrent over WebRTC, paid with w3t_pay):");
  console.log(`  Tracker   ${p2p.trackerUrl}  (license-gated: the peers of a priced title meet only its license holders)`);
  console.log(`  Seeder    ${p2p.seeder}  (${formatEther(p2p.pricePerMiB)} ETH per MiB)`);
  for (const c of p2p.contents) {
    console.log(
      `  Content ${String(c.contentId).padEnd(2)} ${c.name}  ${(Number(c.size) / 2 ** 20).toFixed(1)} MiB  infohash ${c.infoHash}`,
    );
  }
  console.log("  Download from a terminal with a test key that holds a license (buy one in the app first):");
  console.log(`    npx w3t download <content id> --key <key> --max-price ${p2p.pricePerMiB} --tracker ${p2p.trackerUrl}`);
  console.log("\nFunded accounts — LOCAL TEST KEYS, publicly known: never use them on a real network:");
  for (let index = 0; index < stackConfig.printedAccounts; index++) {
    const account = mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex: index });
    const balance = await client.getBalance({ address: account.address });
    const key = Buffer.from(account.getHdKey().privateKey!).toString("hex");
    console.log(`  #${index} ${account.address}  ${formatEther(balance)} ETH  key 0x${key}`);
  }
  console.log("\nPress Ctrl-C to stop.");
}

let shuttingDown = false;
async function shutdown(code: number): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  console.log("\nStopping ...");
  await stopAll();
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

main().catch(async (error: Error) => {
  console.error(`\nnpm start failed: ${error.message}`);
  await shutdown(1);
});
