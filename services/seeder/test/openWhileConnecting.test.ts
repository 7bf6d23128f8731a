/**
 * A paid download connects to its seeders while the wallet opens the escrow (the user reading the prompt, the
 * transaction being mined): the first frame of a stream need not wait for both in turn. No seeder hears a hello, so
 * none serves a byte, before the escrow is open; a declined deposit leaves no torrent and no peer admitted.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { UserRejectedRequestError, type WalletClient } from "viem";
import { amountFor } from "@web3torrent/sdk/checkpointSchedule";
import { startPaidDownload } from "@web3torrent/sdk/paidDownload";
import type { Seeder } from "../src/seeder.ts";
import { MiB, startSwarm, type Published, type Swarm } from "../src/testing.ts";

const PRICE = 10n ** 12n;
const SEEDER = 2;
const [LEECHER, DECLINER] = [3, 4];
/** How long the wallet's prompt stays open: longer than finding the seeder and connecting to it on loopback. */
const PROMPT_MS = 3_000;

describe("a paid download connects while the wallet opens the escrow", () => {
  let swarm: Swarm;
  let content: Published;
  let seeder: Seeder;
  const admittedAt = new Map<string, number>();

  before(async () => {
    swarm = await startSwarm();
    const file = swarm.file("clip.bin", 12 * MiB);
    content = await swarm.publish(file);
    for (const buyer of [LEECHER, DECLINER]) await swarm.buyLicense(content.contentId, buyer);
    seeder = await swarm.startSeeder({ accountIndex: SEEDER, pricePerMiB: PRICE });
    await seeder.seed(file);
    seeder.on("admitted", ({ account }) => admittedAt.set(account.leecher, Date.now()));
  });
  after(() => swarm.stop());

  /**
   * Starts `leecherIndex`'s download through a wallet whose `open` prompt stays up PROMPT_MS, then is confirmed or
   * declined; records when the torrent's first wire connected and when the wallet answered.
   */
  async function startBehindPrompt(leecherIndex: number, answer: "confirm" | "decline") {
    const wallet = swarm.wallet(leecherIndex);
    const times = { firstWire: Infinity, answered: Infinity };
    const prompting: Pick<WalletClient, "writeContract"> = {
      writeContract: (async (request: Parameters<typeof wallet.writeContract>[0]) => {
        await new Promise((resolve) => setTimeout(resolve, PROMPT_MS));
        times.answered = Date.now();
        if (answer === "decline") throw new UserRejectedRequestError(new Error("User rejected the request."));
        return wallet.writeContract(request);
      }) as WalletClient["writeContract"],
    };
    const client = swarm.client();
    client.once("add", (torrent: { once(event: "wire", listener: () => void): void }) =>
      torrent.once("wire", () => (times.firstWire = Date.now())),
    );
    const started = startPaidDownload({
      client: client as never,
      publicClient: swarm.publicClient,
      walletClient: prompting as WalletClient,
      account: wallet.account,
      chainId: swarm.chain.chainId,
      contracts: swarm.contracts,
      contentId: content.contentId,
      key: await swarm.downloadKey(leecherIndex),
      pricePerMiBCap: PRICE,
      announce: swarm.announce(),
      torrentOptions: { path: join(swarm.dir, `leecher-${leecherIndex}`) },
    });
    return { client, started, times };
  }

  it("is connected to the seeder before the escrow is opened, which the hello waits for, and pays", async () => {
    const leecher = swarm.account(LEECHER).address;
    const { started, times } = await startBehindPrompt(LEECHER, "confirm");
    const paid = await started;
    assert.ok(times.firstWire < times.answered, "the wire to the seeder was up while the wallet's prompt was");
    await paid.done;
    assert.ok((admittedAt.get(leecher) ?? 0) > times.answered, "the seeder admitted the leecher only after the escrow was opened");
    await seeder.flush();
    const redeemed = await seeder.chain.redeemedBy(paid.escrowId!);
    assert.equal(redeemed.amount, amountFor(content.size, PRICE), "the seeder was paid the whole file from the escrow opened meanwhile");
  });

  it("destroys the torrent and admits no one when the wallet declines the deposit", async () => {
    const decliner = swarm.account(DECLINER).address;
    const { client, started, times } = await startBehindPrompt(DECLINER, "decline");
    await assert.rejects(started, UserRejectedRequestError);
    assert.ok(times.firstWire < times.answered, "the wire to the seeder was up while the wallet's prompt was");
    assert.equal(client.torrents.length, 0, "the torrent is gone with the declined deposit");
    assert.equal(admittedAt.has(decliner), false, "no seeder admitted a leecher that never opened an escrow");
  });
});
