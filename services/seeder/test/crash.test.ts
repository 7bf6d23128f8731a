/**
 * The headless seeder (the `seed` command, in a child process) is killed with SIGKILL right after it acknowledged a
 * voucher; started again on the same database, it redeems that voucher.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { FIRST_CHECKPOINT, amountFor } from "@web3torrent/sdk/checkpointSchedule";
import { checkpointEscrowAbi } from "@web3torrent/sdk/generated/contracts";
import { MiB, startSwarm, type Published, type Swarm } from "../src/testing.ts";

const PRICE = 10n ** 12n;
const SEEDER = 2;
const LEECHER = 3;
const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));

interface SeederProcess {
  child: ChildProcess;
  /** Resolves with the first JSON event of this name. */
  next(event: string): Promise<Record<string, string>>;
  exited: Promise<NodeJS.Signals | number | null>;
}

function startSeederProcess(swarm: Swarm, file: string, db: string): SeederProcess {
  const child = spawn(
    process.execPath,
    [
      "--disable-warning=ExperimentalWarning",
      CLI,
      file,
      "--json",
      "--key", swarm.chain.accounts[SEEDER].privateKey,
      "--rpc", swarm.chain.rpcUrl,
      "--tracker", swarm.tracker.url,
      "--db", db,
      "--price", String(PRICE),
      "--settle-interval", "0",
      "--market", swarm.contracts.market,
      "--escrow", swarm.contracts.escrow,
      "--pool", swarm.contracts.rebatePool,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const events: Record<string, string>[] = [];
  const waiters: { event: string; resolve: (e: Record<string, string>) => void }[] = [];
  createInterface({ input: child.stdout! }).on("line", (line) => {
    const event = JSON.parse(line) as Record<string, string>;
    events.push(event);
    for (const w of waiters.filter((w) => w.event === event.event)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(event);
    }
  });
  return {
    child,
    next: (event) => {
      const seen = events.find((e) => e.event === event);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ event, resolve }));
    },
    exited: new Promise((resolve) => child.once("exit", (code, signal) => resolve(signal ?? code))),
  };
}

describe("a seeder killed after acknowledging a voucher", () => {
  let swarm: Swarm;
  let content: Published;
  let file: string;

  before(async () => {
    swarm = await startSwarm();
    file = swarm.file("show.bin", 40 * MiB);
    content = await swarm.publish(file);
    await swarm.buyLicense(content.contentId, LEECHER);
  });
  after(() => swarm.stop());

  it("redeems the acknowledged voucher after a restart", async () => {
    const db = join(swarm.dir, "seeder.sqlite");
    const first = startSeederProcess(swarm, file, db);
    await first.next("ready");

    const { paid: download } = await swarm.download(content, LEECHER, { pricePerMiBCap: PRICE });
    // Kill the seeder the moment it acknowledges the voucher of the second checkpoint (30 MiB).
    const acknowledged = 3n * FIRST_CHECKPOINT;
    await new Promise<void>((resolve) => {
      download.session.observer = {
        ack: (ledger) => {
          if (ledger.ackedVoucherBytes >= acknowledged) {
            first.child.kill("SIGKILL");
            download.torrent.destroy();
            resolve();
          }
        },
      };
    });
    assert.equal(await first.exited, "SIGKILL");
    const [ledger] = download.session.ledgers.values();
    assert.equal(ledger.voucher!.cumulativeBytes, acknowledged);
    const owed = amountFor(acknowledged, PRICE);
    const redeemedBefore = await swarm.publicClient.readContract({
      address: swarm.contracts.escrow,
      abi: checkpointEscrowAbi,
      functionName: "redeemedBy",
      args: [download.escrowId!, swarm.account(SEEDER).address],
    });
    assert.ok(redeemedBefore.amount < owed, "the acknowledged voucher was not redeemed before the crash");

    const second = startSeederProcess(swarm, file, db);
    const redeemed = await second.next("redeemed");
    assert.equal(BigInt(redeemed.escrowId), download.escrowId);
    assert.equal(BigInt(redeemed.total), owed);
    const after = await swarm.publicClient.readContract({
      address: swarm.contracts.escrow,
      abi: checkpointEscrowAbi,
      functionName: "redeemedBy",
      args: [download.escrowId!, swarm.account(SEEDER).address],
    });
    assert.equal(after.amount, owed);
    second.child.kill("SIGTERM");
    assert.equal(await second.exited, 0, "a SIGTERM settles and exits cleanly");
  });
});
