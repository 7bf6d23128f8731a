/**
 * The stack the browser tests run against, started in-process: the devchain (Hardhat with the contracts deployed
 * by the Ignition module, served over HTTP JSON-RPC) and the built app served with a config.json pointing at it;
 * with `tracker`, a WebTorrent tracker with its license gate on that chain, as in production.
 */
import { startDevChain, type DevChain } from "@web3torrent/devchain";
import { startLocalIndexer, type LocalIndexer } from "@web3torrent/indexer";
import { buildSubgraph } from "@web3torrent/subgraph/build";
import { createPublicClient, createWalletClient, http, parseEther, type Address, type Hex, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { licenseMarketAbi } from "@web3torrent/sdk/generated/contracts";
import { registerContent as sdkRegisterContent } from "@web3torrent/sdk/market";
import { startTracker, type Tracker } from "@web3torrent/tracker";
import { LicenseGate, viemLicenseChain } from "@web3torrent/tracker/licenseGate";
import { startApp, type AppRuntimeConfig, type AppServer } from "../../../scripts/stack/app.ts";

export interface TestStack {
  chain: DevChain;
  /** The local indexer serving the subgraph's GraphQL API, when started with `graphql: true`. */
  indexer: LocalIndexer | null;
  /** The license-gated tracker in the app's `trackerUrls`, when started with `tracker: true`. */
  tracker: Tracker | null;
  app: AppServer;
  config: AppRuntimeConfig;
  publicClient: ReturnType<typeof createPublicClient>;
  stop(): Promise<void>;
}

export async function startStack(
  extra: Partial<AppRuntimeConfig> = {},
  { graphql = false, tracker: withTracker = false } = {},
): Promise<TestStack> {
  const chain = await startDevChain();
  const publicClient = createPublicClient({ chain: { ...hardhat, id: chain.chainId }, transport: http(chain.rpcUrl) });
  const tracker = withTracker
    ? await startTracker({
        gate: new LicenseGate(
          viemLicenseChain(publicClient as PublicClient, chain.chainId, chain.contracts.LicenseMarket, chain.contracts.RebatePool),
          chain.chainId,
        ),
      })
    : null;
  let indexer: LocalIndexer | null = null;
  if (graphql) {
    const { buildDir } = await buildSubgraph();
    const contracts = Object.fromEntries(Object.entries(chain.contracts).map(([name, address]) => [name, { address, startBlock: 0 }]));
    indexer = await startLocalIndexer({ rpcUrl: chain.rpcUrl, buildDir, contracts, port: 0, pollIntervalMs: 100 });
  }
  const config: AppRuntimeConfig = {
    chainId: chain.chainId,
    chainName: "Web3Torrent local",
    rpcUrl: chain.rpcUrl,
    contracts: chain.contracts,
    startBlock: 0,
    trackerUrls: tracker ? [tracker.url] : [],
    graphqlUrl: indexer?.url ?? null,
    ...extra,
  };
  const app = await startApp({ config });
  return {
    chain,
    indexer,
    tracker,
    app,
    config,
    publicClient,
    async stop() {
      await app.close();
      await indexer?.stop();
      await tracker?.close();
      await chain.stop();
    },
  };
}

/** Registers a content from `privateKey` directly (not through the UI), with the sdk's two steps: a linear curve. */
export async function registerContent(
  stack: TestStack,
  privateKey: Hex,
  {
    name,
    basePrice = parseEther("0.01"),
    slope = parseEther("0.002"),
    bountyFeeBps = 500,
    size = 1_048_576n,
  }: { name: string; basePrice?: bigint; slope?: bigint; bountyFeeBps?: number; size?: bigint },
): Promise<bigint> {
  const account = privateKeyToAccount(privateKey);
  const wallet = createWalletClient({ account, chain: { ...hardhat, id: stack.chain.chainId }, transport: http(stack.chain.rpcUrl) });
  const infohash = `0x${Buffer.from(crypto.getRandomValues(new Uint8Array(20))).toString("hex")}${"0".repeat(24)}` as Hex;
  const metadataURI = `data:application/json,${encodeURIComponent(JSON.stringify({ name, description: `${name}, registered by the test`, magnet: null }))}`;
  return sdkRegisterContent(stack.publicClient as PublicClient, wallet, account, stack.chain.contracts.LicenseMarket, {
    infohash,
    size,
    payout: account.address,
    basePrice,
    growth: slope,
    bountyFeeBps,
    metadataURI,
  });
}

/** Buys one license of `contentId` for `privateKey`'s account at the current quote (not through the UI). */
export async function buyDirect(stack: TestStack, privateKey: Hex, contentId: bigint): Promise<bigint> {
  const account = privateKeyToAccount(privateKey);
  const wallet = createWalletClient({ account, chain: { ...hardhat, id: stack.chain.chainId }, transport: http(stack.chain.rpcUrl) });
  const [, , , total] = await stack.publicClient.readContract({
    address: stack.chain.contracts.LicenseMarket,
    abi: licenseMarketAbi,
    functionName: "quote",
    args: [contentId, 1n],
  });
  const hash = await wallet.writeContract({
    address: stack.chain.contracts.LicenseMarket,
    abi: licenseMarketAbi,
    functionName: "buy",
    args: [contentId, 1n, account.address, total],
    value: total,
  });
  await stack.publicClient.waitForTransactionReceipt({ hash });
  return total;
}

export async function quoteTotal(stack: TestStack, contentId: bigint): Promise<bigint> {
  const [, , , total] = await stack.publicClient.readContract({
    address: stack.chain.contracts.LicenseMarket,
    abi: licenseMarketAbi,
    functionName: "quote",
    args: [contentId, 1n],
  });
  return total;
}

export async function licenseBalance(stack: TestStack, account: Address, contentId: bigint): Promise<bigint> {
  return stack.publicClient.readContract({
    address: stack.chain.contracts.LicenseMarket,
    abi: licenseMarketAbi,
    functionName: "balanceOf",
    args: [account, contentId],
  });
}
