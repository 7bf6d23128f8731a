/**
 * Tracker privacy end to end: real WebTorrent peers on a license-gated tracker. The headless seeder and the paid
 * leecher prove their licenses in their announces without any extra prompt; a plain WebTorrent client is refused
 * and never meets them.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { magnetURI } from "@web3torrent/sdk/infohash";
import { MiB, startSwarm, type Published, type Swarm } from "@web3torrent/seeder/testing";
import { startTracker, type Tracker } from "@web3torrent/tracker";
import { LicenseGate, viemLicenseChain } from "@web3torrent/tracker/licenseGate";
import { leech } from "../src/leecher.ts";

const PRICE = 10n ** 12n;

describe("a paid swarm on a license-gated tracker", () => {
  let swarm: Swarm;
  let tracker: Tracker;
  let content: Published;

  before(async () => {
    swarm = await startSwarm();
    const { chainId } = swarm.chain;
    const gate = new LicenseGate(
      viemLicenseChain(swarm.publicClient, chainId, swarm.contracts.market, swarm.contracts.rebatePool),
      chainId,
    );
    tracker = await startTracker({ gate });
    // Licenses of the seeder (account 2) and of the leecher (5).
    ({ content } = await swarm.seeded("private.bin", 16 * MiB, {
      licensees: [2, 5],
      seeder: { accountIndex: 2, pricePerMiB: PRICE, announce: [`${tracker.url}/seeder`] },
    }));
  });
  after(async () => {
    await swarm.stop();
    await tracker.close();
  });

  it("introduces the licensed leecher to the licensed seeder: the download completes", async () => {
    const { download } = await leech({
      rpcUrl: swarm.chain.rpcUrl,
      privateKey: swarm.chain.accounts[5].privateKey,
      contentId: content.contentId,
      pricePerMiBCap: PRICE,
      outDir: join(swarm.dir, "licensed"),
      announce: [`${tracker.url}/leecher`],
      contracts: swarm.contracts,
      client: swarm.client(),
    });
    await download.done;
    assert.ok(download.session.receivedTotal >= content.size);
  });

  it("refuses a plain WebTorrent client in words and never connects it to the licensed peers", async () => {
    const client = swarm.client();
    const url = `${tracker.url}/plain`;
    const torrent = client.add(magnetURI(content.infoHash, [url]), { announce: [url], path: join(swarm.dir, "plain") });
    const warnings: string[] = [];
    torrent.on("warning", (w: Error | string) => warnings.push(typeof w === "string" ? w : w.message));
    const end = Date.now() + 20_000;
    while (!warnings.some((w) => /license proof/.test(w)) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    assert.ok(
      warnings.some((w) => /license proof/.test(w)),
      `the tracker said why (warnings: ${warnings.join("; ")})`,
    );
    await new Promise((r) => setTimeout(r, 2_000));
    assert.equal(torrent.wires.length, 0, "no peer connected");
    assert.equal(torrent.numPeers, 0, "no peer was introduced");
  });
});
