/**
 * The peer-to-peer part of the dev stack: the WebTorrent tracker, demo content published in the LicenseMarket by a
 * publisher test account (one file on a linear curve, one on an exponential curve, and a real video with sound to
 * watch while paying), and the headless seeder seeding it for a price per MiB.
 *
 * The tracker runs as in production, with its license gate on the local chain: it introduces the peers of priced
 * content only to peers that prove a license of it. So the demo seeder (neither publisher nor payout) buys one
 * license of each demo title, as any seeder of others' content must.
 *
 *   const p2p = await startP2P({ rpcUrl, host, contracts });
 *   p2p.trackerUrl  // ws://127.0.0.1:8001
 */
import { mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createPublicClient, createWalletClient, http, type Address, type PublicClient } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { CurveKind } from "@web3torrent/sdk/bondingCurve";
import { buyLicense } from "@web3torrent/sdk/market";
import { describeRegistrationStep, publishFile, type Published } from "@web3torrent/seeder/publish";
import { writeRandomFile } from "@web3torrent/seeder/randomFile";
import { HARDHAT_MNEMONIC, stackConfig } from "./config.ts";
import { DEMO_VIDEO, writeDemoVideo } from "./demoVideo.ts";
import { startNode, waitFor } from "./processes.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const MiB = 1 << 20;

/** The demo files: name, size (random bytes) or a video, curve. */
const DEMO_CONTENT = [
  {
    name: "web3torrent-demo-video.webm",
    video: DEMO_VIDEO,
    curve: CurveKind.Linear,
    basePrice: 10n ** 16n,
    growth: 10n ** 15n,
    description:
      "A real video with sound (WebM, VP8 + Opus, about 51 MiB): press Play in Library to watch it while it downloads and pays the seeder checkpoint by checkpoint.",
  },
  {
    name: "web3torrent-demo-film.bin",
    bytes: 48 * MiB,
    curve: CurveKind.Linear,
    basePrice: 10n ** 16n,
    growth: 10n ** 15n,
    description: "A 48 MiB demo file; licenses on a linear curve (0.01 ETH + 0.001 ETH per license sold).",
  },
  {
    name: "web3torrent-demo-album.bin",
    bytes: 16 * MiB,
    curve: CurveKind.Exponential,
    basePrice: 10n ** 16n,
    growth: 500n,
    description: "A 16 MiB demo file; licenses on an exponential curve (0.01 ETH, +5% per license sold).",
  },
];

export interface P2PStack {
  trackerUrl: string;
  seeder: Address;
  pricePerMiB: bigint;
  contents: Published[];
}

function key(index: number): `0x${string}` {
  return `0x${Buffer.from(mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex: index }).getHdKey().privateKey!).toString("hex")}`;
}

export async function startP2P({
  rpcUrl,
  host,
  contracts,
}: {
  rpcUrl: string;
  host: string;
  contracts: { market: Address; escrow: Address; rebatePool: Address };
}): Promise<P2PStack> {
  const trackerUrl = `ws://${host}:${stackConfig.trackerPort}`;
  startNode({
    name: "tracker",
    args: [join(ROOT, "services/tracker/src/cli.ts"), "--host", host, "--port", String(stackConfig.trackerPort), "--rpc", rpcUrl],
    verbose: false,
  });
  await waitFor("Tracker", async () => (await fetch(`http://${host}:${stackConfig.trackerPort}/stats.json`)).ok);

  // The chain is new at every start: so are the demo files, their registrations and the seeder's database.
  const dir = join(tmpdir(), `web3torrent-demo-${stackConfig.trackerPort}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "content"), { recursive: true });
  const chain = { ...hardhat, id: stackConfig.chainId };
  const publicClient = createPublicClient({ chain, transport: http(rpcUrl), pollingInterval: 100 }) as PublicClient;
  const publisher = mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex: stackConfig.publisherAccount });
  const walletClient = createWalletClient({ chain, transport: http(rpcUrl), account: publisher });
  const contents: Published[] = [];
  for (const demo of DEMO_CONTENT) {
    const target = join(dir, "content", demo.name);
    const path = demo.video ? await writeDemoVideo(target, demo.video) : writeRandomFile(target, demo.bytes ?? 0);
    contents.push(
      await publishFile({
        publicClient,
        walletClient,
        account: publisher,
        market: contracts.market,
        path,
        announce: [trackerUrl],
        basePrice: demo.basePrice,
        curve: demo.curve,
        growth: demo.growth,
        bountyFeeBps: 1_000,
        transferable: true,
        description: demo.description,
        onProgress: (step) => console.log(`  ${demo.name}: ${describeRegistrationStep(step)}`),
      }),
    );
  }

  const seederIndex = stackConfig.seederAccount;
  const seederAccount = mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex: seederIndex });
  const seederWallet = createWalletClient({ chain, transport: http(rpcUrl), account: seederAccount });
  for (const content of contents) await buyLicense(publicClient, seederWallet, seederAccount, contracts.market, content.contentId);
  startNode({
    name: "seeder",
    args: [
      "--disable-warning=ExperimentalWarning",
      join(ROOT, "services/seeder/src/cli.ts"),
      join(dir, "content"),
      "--rpc",
      rpcUrl,
      "--tracker",
      trackerUrl,
      "--db",
      join(dir, "seeder.sqlite"),
      "--price",
      String(stackConfig.seederPricePerMiB),
      "--settle-interval",
      "30000",
      "--market",
      contracts.market,
      "--escrow",
      contracts.escrow,
      "--pool",
      contracts.rebatePool,
    ],
    env: { W3T_SEEDER_KEY: key(seederIndex) },
    verbose: true,
  });
  // Seeding: the tracker knows a complete peer for every demo content.
  await waitFor("Seeder", async () => {
    const stats = (await (await fetch(`http://${host}:${stackConfig.trackerPort}/stats.json`)).json()) as {
      peersSeederOnly: number;
      torrents: number;
    };
    return stats.torrents >= contents.length && stats.peersSeederOnly >= 1;
  });
  return {
    trackerUrl,
    seeder: seederAccount.address,
    pricePerMiB: stackConfig.seederPricePerMiB,
    contents,
  };
}
