/**
 * The stage of the paid-download tests: a gated swarm (the tracker admits license holders only, as in production)
 * with one file published and seeded by the headless seeder, the app pointed at it, and a browser whose users
 * connect their test wallet and open the library.
 */
import type { Browser } from "playwright-core";
import type { Hex } from "viem";
import { startSwarm, type Swarm } from "@web3torrent/seeder/testing";
import type { Seeder } from "@web3torrent/seeder";
import type { Published } from "@web3torrent/seeder/publish";
import { startApp, type AppServer } from "../../../scripts/stack/app.ts";
import { launchBrowser, openApp, type UserPage } from "./browser.ts";
import { TestWallet } from "./testWallet.ts";

export interface SeededApp {
  swarm: Swarm;
  app: AppServer;
  browser: Browser;
  /** The published file on disk. */
  file: string;
  content: Published;
  seeder: Seeder;
  /** The users' pages opened so far. */
  pages: UserPage[];
  /** Test account `index` in a new page, its wallet connected, on the library. */
  user(index: number): Promise<UserPage>;
  /** Prints the pages' errors, then closes the browser, the app and the swarm. */
  stop(): Promise<void>;
}

/** The app (production build) pointed at `swarm`: its chain, contracts and tracker, indexing from block 0. */
export function startSwarmApp(swarm: Swarm): Promise<AppServer> {
  return startApp({
    config: {
      chainId: swarm.chain.chainId,
      rpcUrl: swarm.chain.rpcUrl,
      contracts: swarm.chain.contracts,
      startBlock: 0,
      trackerUrls: [swarm.tracker.url],
    },
  });
}

/**
 * Publishes a file of `size` bytes named `name`, sells a license to the seeder and to each of `buyers`, and starts
 * the seeder (test account `seederIndex`, asking `pricePerMiB`).
 */
export async function startSeededApp(options: {
  name: string;
  size: number;
  pricePerMiB: bigint;
  seederIndex: number;
  buyers: number[];
}): Promise<SeededApp> {
  const swarm = await startSwarm({ gated: true });
  const file = swarm.file(options.name, options.size);
  const content = await swarm.publish(file);
  // The seeder is neither publisher nor payout: the gated tracker introduces it as a license holder.
  for (const index of [options.seederIndex, ...options.buyers]) await swarm.buyLicense(content.contentId, index);
  const seeder = await swarm.startSeeder({ accountIndex: options.seederIndex, pricePerMiB: options.pricePerMiB });
  await seeder.seed(file);
  const app = await startSwarmApp(swarm);
  const browser = await launchBrowser();
  const pages: UserPage[] = [];
  return {
    swarm,
    app,
    browser,
    file,
    content,
    seeder,
    pages,
    async user(index) {
      const wallet = new TestWallet(swarm.chain.rpcUrl, swarm.chain.chainId, swarm.chain.accounts[index].privateKey as Hex);
      const u = await openApp(browser, app.url, wallet);
      pages.push(u);
      await u.page.getByTestId("connect-io.metamask").click();
      await u.page.getByTestId("account").waitFor();
      await u.page.getByTestId("nav-library").click();
      return u;
    },
    async stop() {
      for (const { errors } of pages) if (errors.length) console.log("page errors:", errors.join("\n"));
      await browser.close();
      await app.close();
      await swarm.stop();
    },
  };
}
