/**
 * The `seed` command, in a child process: killed with SIGKILL right after it acknowledged a voucher and started again
 * on the same database, it redeems that voucher; killed in the middle of an interval, it resumes from the bytes it
 * recorded as sent, so a leecher that stops paying gets no more than one interval unpaid in all; given a folder, it seeds the files registered as content (subfolders
 * included) and refuses the others, and it prints its earnings as it is paid and when it stops.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { formatEther } from "viem";
import { FIRST_CHECKPOINT, amountFor } from "@web3torrent/sdk/checkpointSchedule";
import { checkpointEscrowAbi, rebatePoolAbi } from "@web3torrent/sdk/generated/contracts";
import {
  LeecherSession,
  PAYMENT_GRACE,
  type SeederLedger,
  type VoucherRequestMessage,
  type W3tPayMessage,
} from "@web3torrent/sdk/wire/index";
import { MiB, runCli, seederArgs, startSwarm, writeRandomFile, type Published, type Swarm } from "../src/testing.ts";

const PRICE = 10n ** 12n;
const SEEDER = 2;
const LEECHER = 3;
const FOLDER_SEEDER = 4;
const FOLDER_LEECHER = 5;
const RESTART_LEECHER = 6;
/** Checkpoints of the 40 MiB file: 10, 30 and 40 MiB; the interval from 10 to 30 MiB is the largest but one. */
const SECOND_CHECKPOINT = 3n * FIRST_CHECKPOINT;
const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
/** Bound on waiting for one line of the seeder: far above what it needs, far below the test runner's timeout. */
const LINE_TIMEOUT_MS = 60_000;
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

interface SeederProcess {
  child: ChildProcess;
  /** Every line printed on stdout so far. */
  lines: string[];
  /** Resolves with the first line matching `pattern` (already printed or to come); rejects after LINE_TIMEOUT_MS. */
  line(pattern: RegExp): Promise<string>;
  /** With --json: resolves with the first JSON event of this name. */
  next(event: string): Promise<Record<string, string>>;
  exited: Promise<NodeJS.Signals | number | null>;
}

/** Every seeder process started, killed after the tests so that a failed assertion leaves none running. */
const children: ChildProcess[] = [];

function startSeederProcess(swarm: Swarm, path: string, db: string, { json = true, accountIndex = SEEDER } = {}): SeederProcess {
  const child = spawn(
    process.execPath,
    [
      "--disable-warning=ExperimentalWarning",
      CLI,
      ...seederArgs(swarm, path, { db, price: PRICE, json }),
      "--key",
      swarm.chain.accounts[accountIndex].privateKey,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  children.push(child);
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  createInterface({ input: child.stdout! }).on("line", (line) => {
    lines.push(line);
    for (const w of waiters.filter((w) => w.pattern.test(line))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(line);
    }
  });
  const line = (pattern: RegExp) => {
    const seen = lines.find((l) => pattern.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no line matching ${pattern} within ${LINE_TIMEOUT_MS} ms; printed:\n${lines.join("\n")}`)),
        LINE_TIMEOUT_MS,
      );
      waiters.push({ pattern, resolve: (l) => (clearTimeout(timer), resolve(l)) });
    });
  };
  return {
    child,
    lines,
    line,
    next: async (event) => JSON.parse(await line(new RegExp(`^\\{"event":"${event}"`))) as Record<string, string>,
    // "close", not "exit": every line it printed has been read by then.
    exited: new Promise((resolve) => child.once("close", (code, signal) => resolve(signal ?? code))),
  };
}

describe("the seed command", () => {
  let swarm: Swarm;
  let content: Published;
  let file: string;

  before(async () => {
    swarm = await startSwarm();
    ({ file, content } = await swarm.published("show.bin", 40 * MiB, [LEECHER]));
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await swarm.stop();
  });

  /** The rebates credited to test account `index` in the pool and not claimed. */
  const seederRebates = (index: number) =>
    swarm.publicClient.readContract({
      address: swarm.contracts.rebatePool,
      abi: rebatePoolAbi,
      functionName: "balances",
      args: [swarm.account(index).address],
    });

  it("redeems the acknowledged voucher after a restart", async () => {
    const db = join(swarm.dir, "seeder.sqlite");
    const first = startSeederProcess(swarm, file, db);
    await first.next("ready");

    const { paid: download } = await swarm.download(content, LEECHER, { pricePerMiBCap: PRICE });
    // Kill the seeder the moment it acknowledges the last voucher (40 MiB): the vouchers before it were redeemed at
    // their checkpoints (with the next interval's reservation), the last one waits for a batch.
    const acknowledged = 4n * FIRST_CHECKPOINT;
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
    // The last line: the earnings printed at the stop.
    const final = JSON.parse(second.lines.at(-1)!) as Record<string, string>;
    assert.equal(final.event, "earnings");
    assert.equal(BigInt(final.redeemed), owed, "the earnings count the voucher redeemed after the restart");
    assert.equal(BigInt(final.pendingVouchers), 0n);
    assert.equal(BigInt(final.rebateBalance), await seederRebates(SEEDER), "and the rebates its receipts earned at the stop");
  });

  it("resumes from the bytes it recorded as sent: a restart in the middle of an interval grants no second interval on credit", async () => {
    await swarm.buyLicense(content.contentId, RESTART_LEECHER);
    const db = join(swarm.dir, "restart-seeder.sqlite");
    const first = startSeederProcess(swarm, file, db);
    await first.next("ready");
    let second: SeederProcess | null = null;
    let receivedAtCrash = 0n;
    let askedAgain!: () => void;
    const stoppedPaying = new Promise<void>((resolve) => (askedAgain = resolve));
    /** Pays the first checkpoint, then never again; has the seeder killed halfway through the next interval. */
    class StopsPaying extends LeecherSession {
      override blockReceived(ledger: SeederLedger, index: number, bytes: bigint): void {
        super.blockReceived(ledger, index, bytes);
        if (second === null && ledger.received >= FIRST_CHECKPOINT + BigInt(5 * MiB)) {
          receivedAtCrash = ledger.received;
          first.child.kill("SIGKILL");
          second = startSeederProcess(swarm, file, db);
        }
      }
      override async answer(ledger: SeederLedger, request: VoucherRequestMessage): Promise<W3tPayMessage[]> {
        if (ledger.voucher && request.voucherBytes !== null && request.voucherBytes > ledger.voucher.cumulativeBytes) {
          askedAgain();
          return [];
        }
        return super.answer(ledger, request);
      }
    }
    const options = await swarm.escrowSession(content, RESTART_LEECHER, PRICE);
    const session = new StopsPaying(options);
    const torrent = swarm.attach(swarm.client(), content.infoHash, session);
    await stoppedPaying;
    // Blocks already on their way when the seeder asked.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    torrent.destroy();
    assert.equal(await first.exited, "SIGKILL");
    second!.child.kill("SIGKILL");
    const ledger = session.ledgers.get(swarm.account(SEEDER).address)!;
    assert.equal(ledger.voucher!.cumulativeBytes, FIRST_CHECKPOINT, "the leecher paid the first checkpoint only");
    assert.ok(receivedAtCrash < SECOND_CHECKPOINT, "the seeder was killed in the middle of the second interval");
    assert.ok(ledger.received > receivedAtCrash, "the restarted seeder served the leecher");
    assert.ok(
      ledger.received <= SECOND_CHECKPOINT + PAYMENT_GRACE,
      `${ledger.received - FIRST_CHECKPOINT} bytes unpaid: more than the interval from ${FIRST_CHECKPOINT} to ${SECOND_CHECKPOINT} plus δ`,
    );
  });

  it("stops with exit code 2 and says why when no file matches registered content", async () => {
    const stray = writeRandomFile(join(swarm.dir, "unregistered", "notes.bin"), MiB);
    const { code, output } = await runCli(CLI, [
      ...seederArgs(swarm, stray, { db: join(swarm.dir, "stray-seeder.sqlite") }),
      "--key",
      swarm.chain.accounts[FOLDER_SEEDER].privateKey,
    ]);
    assert.equal(code, 2, output);
    assert.match(output, new RegExp(`not seeding ${escape(stray)}: its infohash matches no registered content`));
    assert.match(output, /seed: nothing to seed: no file matches registered content/);
  });

  it("seeds the registered files of a folder and its subfolders, refuses the others, and prints its earnings", async () => {
    const folder = join(swarm.dir, "library");
    const film = writeRandomFile(join(folder, "film.bin"), 2 * MiB);
    const clip = writeRandomFile(join(folder, "extras", "clip.bin"), MiB);
    const stray = writeRandomFile(join(folder, "stray.bin"), MiB);
    writeFileSync(join(folder, ".hidden"), "not content");
    const filmContent = await swarm.publish(film);
    const clipContent = await swarm.publish(clip);
    await swarm.buyLicense(filmContent.contentId, FOLDER_LEECHER);

    const seeder = startSeederProcess(swarm, folder, join(swarm.dir, "folder-seeder.sqlite"), { json: false, accountIndex: FOLDER_SEEDER });
    await seeder.line(/^seeder 0x[0-9a-fA-F]{40} ready/);
    const seeding = seeder.lines.filter((l) => l.startsWith("seeding "));
    assert.deepEqual(
      seeding.map((l) => /^seeding (\S+) as content (\d+)/.exec(l)!.slice(1)),
      [
        [clipContent.name, String(clipContent.contentId)],
        [filmContent.name, String(filmContent.contentId)],
      ],
    );
    assert.deepEqual(
      seeder.lines.filter((l) => l.startsWith("not seeding")),
      [`not seeding ${stray}: its infohash matches no registered content`],
      "the file that matches no registered content is refused; hidden files are not considered",
    );

    const { paid } = await swarm.download(filmContent, FOLDER_LEECHER, { pricePerMiBCap: PRICE });
    await paid.done;
    const owed = amountFor(filmContent.size, PRICE);
    // The first voucher of an escrow is redeemed at once, and the seeder prints its earnings.
    await seeder.line(
      new RegExp(
        `^earnings: ${escape(formatEther(owed))} ETH redeemed, 0 ETH in vouchers to redeem, .* rebates to claim; ${filmContent.size} bytes served to 1 account\\(s\\)$`,
      ),
    );
    seeder.child.kill("SIGINT");
    assert.equal(await seeder.exited, 0, "Ctrl-C settles and exits cleanly");
    const rebates = await seederRebates(FOLDER_SEEDER);
    assert.ok(rebates > 0n, "the receipts were submitted at the stop");
    assert.equal(seeder.lines.at(-1), `earnings: ${formatEther(owed)} ETH redeemed, ${formatEther(rebates)} ETH rebates to claim`);
  });
});
