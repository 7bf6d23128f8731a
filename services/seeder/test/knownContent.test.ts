/**
 * A paid download given the content's record (the app's index has it) adds its torrent without waiting for the
 * chain's record: the first frame of a stream does not wait for that read. The chain still has the last word before
 * any deposit: a record that differs from the chain's opens no escrow and leaves no torrent.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { PublicClient, WalletClient } from "viem";
import { infohashToBytes32 } from "@web3torrent/sdk/infohash";
import { startPaidDownload } from "@web3torrent/sdk/paidDownload";
import { MiB, startSwarm, type Published, type Swarm } from "../src/testing.ts";

const PRICE = 10n ** 12n;
const SEEDER = 2;
const LEECHER = 3;
/** How long the chain's record of the content takes to read here: longer than adding a torrent. */
const SLOW_READ_MS = 1_000;

describe("a paid download given the content's record", () => {
  let swarm: Swarm;
  let content: Published;

  before(async () => {
    swarm = await startSwarm();
    ({ content } = await swarm.seeded("clip.bin", 4 * MiB, { licensees: [LEECHER], seeder: { accountIndex: SEEDER, pricePerMiB: PRICE } }));
  });
  after(() => swarm.stop());

  /** Starts the download with `given` as the content's record, over a node whose reads of it take SLOW_READ_MS. */
  function start(given: { infohash: `0x${string}`; size: bigint }, name: string) {
    const times = { added: Infinity, recordRead: Infinity, opened: false };
    const slowRecord = new Proxy(swarm.publicClient, {
      get(target, property, receiver) {
        if (property !== "readContract") return Reflect.get(target, property, receiver);
        return async (request: Parameters<PublicClient["readContract"]>[0]) => {
          const result = await target.readContract(request);
          if (request.functionName !== "content") return result;
          await new Promise((resolve) => setTimeout(resolve, SLOW_READ_MS));
          times.recordRead = Date.now();
          return result;
        };
      },
    });
    const wallet = swarm.wallet(LEECHER);
    const recording: Pick<WalletClient, "writeContract"> = {
      writeContract: ((request: Parameters<typeof wallet.writeContract>[0]) => {
        times.opened = true;
        return wallet.writeContract(request);
      }) as WalletClient["writeContract"],
    };
    const client = swarm.client();
    client.once("add", () => (times.added = Date.now()));
    return {
      client,
      times,
      started: swarm.downloadKey(LEECHER).then((key) =>
        startPaidDownload({
          client: client as never,
          publicClient: slowRecord,
          walletClient: recording as WalletClient,
          account: wallet.account,
          chainId: swarm.chain.chainId,
          contracts: swarm.contracts,
          contentId: content.contentId,
          content: given,
          key,
          pricePerMiBCap: PRICE,
          announce: swarm.announce(),
          torrentOptions: { path: join(swarm.dir, name) },
        }),
      ),
    };
  }

  it("adds its torrent before the chain's record is read, then deposits and downloads", async () => {
    const { started, times } = start({ infohash: infohashToBytes32(content.infoHash), size: content.size }, "given");
    const paid = await started;
    assert.ok(times.added < times.recordRead, "the torrent was added while the chain's record was being read");
    assert.ok(times.opened && paid.escrowId !== null, "the escrow was opened once the record agreed");
    await paid.done;
  });

  it("opens no escrow and leaves no torrent when the record given is not the chain's", async () => {
    const { client, started, times } = start({ infohash: infohashToBytes32(content.infoHash), size: content.size + 1n }, "wrong");
    await assert.rejects(started, /on-chain is not the one given/);
    assert.ok(times.added < times.recordRead, "the torrent was added while the chain's record was being read");
    assert.equal(times.opened, false, "nothing was deposited");
    assert.equal(client.torrents.length, 0, "the torrent is gone");
  });
});
