/**
 * P2P benchmark: the same content downloaded on the same loopback swarm (WebRTC, a real tracker, the devchain),
 * first with plain WebTorrent, then paid through w3t_pay checkpoints, in one run.
 *
 *   npm run bench:p2p -- [--mib 256] [--rounds 5] [--json <file>]
 *
 * The seeder runs in a child process (plain: an unmodified WebTorrent client; paid: the `seed` command, which
 * checks the hello on-chain, stops at each checkpoint for a voucher, stores it in SQLite and redeems); the leecher
 * runs here (plain: WebTorrent; paid: the sdk's startPaidDownload, with its session key signing vouchers and
 * receipts). Printed: time to first byte, transfer throughput (first byte → complete) and end-to-end throughput
 * (torrent added → complete; the paid download's escrow is opened before), the paid/plain ratios of the medians
 * over the rounds (the machine is shared: single runs vary), wallet prompts and session-key signatures per GiB.
 *
 * Where the paid download loses time: at each checkpoint the seeder waits for a voucher, one round trip to the
 * leecher. The voucher is signed in about 3 ms, yet the round trip took 100-470 ms per checkpoint (both ends'
 * timestamps, seeder and leecher in one process, 2-core machine, 256 MiB at 17 MiB/s): the small messages wait in
 * WebRTC's queues or behind the receiver's backlog, which was not told apart. That is about 1 s of a 15 s download. The round trip cannot be started earlier
 * without the leecher paying for bytes it has not received or the seeder serving past the checkpoint unpaid.
 * Checkpoints double, so that cost shrinks as content grows, yet `--mib 1024` measured no better ratio (0.93): a
 * per-byte cost of the paid path remains, not yet located. A CPU profile of one round (`NODE_OPTIONS=--cpu-prof`)
 * shows both seeders spending most of their time in @roamhq/wrtc's `RTCDataChannel.send`, which waits on WebRTC's
 * network thread: 9.6 s for plain, 12.4 s for paid, for the same 256 MiB in the same 16 KiB blocks, so the paid
 * seeder's sends wait longer (CPU contention on 2 cores is the first suspect: the paid round also runs the chain's
 * calls and SQLite).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { WalletClient } from "viem";
import { amountFor } from "@web3torrent/sdk/checkpointSchedule";
import { magnetURI } from "@web3torrent/sdk/infohash";
import { createDownloadKey, startPaidDownload } from "@web3torrent/sdk/paidDownload";
import { destroyClient, MiB, nodeClient, startSwarm, type Swarm } from "@web3torrent/seeder/testing";
import { writeBenchResult } from "./results.ts";

const { values } = parseArgs({
  options: {
    mib: { type: "string", default: "256" },
    rounds: { type: "string", default: "5" },
    json: { type: "string" },
  },
});
/** Issue 3's targets: the paid download reaches 0.95 of plain throughput, with one wallet prompt per download. */
const TARGET_RATIO = 0.95;
const TARGET_PROMPTS = 1;
const SIZE_MIB = Number(values.mib);
const ROUNDS = Number(values.rounds);
if (!Number.isInteger(SIZE_MIB) || SIZE_MIB < 200) throw new Error("--mib must be an integer of at least 200");
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error("--rounds must be a positive integer");

const PRICE = 10n ** 12n;
const SEEDER = 2;
const LEECHER = 3;
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const GiB = 2 ** 30;

interface Timing {
  firstByteMs: number;
  transferMs: number;
  totalMs: number;
}

/** Seeders still running: killed if this script ends early. */
const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

function spawnReady(args: string[], env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      try {
        if (JSON.parse(line).event === "ready") resolve(child);
      } catch {
        // not an event
      }
    });
    child.once("exit", (code) => reject(new Error(`seeder exited with ${code} before it was ready`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

/** Times a torrent from the call to `add` until it is complete. */
function time(torrent: { once(e: string, f: () => void): void; on(e: string, f: () => void): void }, added: number): Promise<Timing> {
  let firstByte = 0;
  torrent.once("download", () => (firstByte = performance.now()));
  return new Promise((resolve) =>
    torrent.on("done", () => {
      const done = performance.now();
      resolve({ firstByteMs: firstByte - added, transferMs: done - firstByte, totalMs: done - added });
    }),
  );
}

async function plainRound(swarm: Swarm, file: string, infoHash: string, round: number): Promise<Timing> {
  const seeder = await spawnReady([join(ROOT, "scripts/bench/plainSeeder.ts"), file, swarm.tracker.url]);
  const client = nodeClient();
  const out = join(swarm.dir, `plain-${round}`);
  const added = performance.now();
  const urls = swarm.announce();
  const timing = await time(client.add(magnetURI(infoHash, urls), { announce: urls, path: out }), added);
  await destroyClient(client);
  await stop(seeder);
  rmSync(out, { recursive: true, force: true });
  return timing;
}

async function paidRound(swarm: Swarm, file: string, contentId: bigint, round: number) {
  const seeder = await spawnReady(
    [
      join(ROOT, "services/seeder/src/cli.ts"),
      file,
      "--json",
      "--rpc", swarm.chain.rpcUrl,
      "--tracker", swarm.tracker.url,
      "--db", join(swarm.dir, `seeder-${round}.sqlite`),
      "--price", String(PRICE),
      "--settle-interval", "0",
      "--market", swarm.contracts.market,
      "--escrow", swarm.contracts.escrow,
      "--pool", swarm.contracts.rebatePool,
    ],
    { W3T_SEEDER_KEY: swarm.chain.accounts[SEEDER].privateKey },
  );

  // Count what would pop up in the leecher's wallet: signatures and transactions.
  const wallet = swarm.wallet(LEECHER);
  const prompts = { session: 0, download: 0 };
  let phase: keyof typeof prompts = "session";
  const counted = new Proxy(wallet, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (["signTypedData", "writeContract", "sendTransaction", "signMessage"].includes(String(property))) {
        return (...args: unknown[]) => {
          prompts[phase]++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return value;
    },
  }) as WalletClient & typeof wallet;
  const key = await createDownloadKey(counted, wallet.account, { chainId: swarm.chain.chainId, rebatePool: swarm.contracts.rebatePool });
  phase = "download";

  const client = nodeClient();
  const out = join(swarm.dir, `paid-${round}`);
  const download = await startPaidDownload({
    client: client as never,
    publicClient: swarm.publicClient,
    walletClient: counted,
    account: wallet.account,
    chainId: swarm.chain.chainId,
    contracts: swarm.contracts,
    contentId,
    key,
    pricePerMiBCap: PRICE,
    announce: swarm.announce(),
    torrentOptions: { path: out },
  });
  const added = performance.now();
  const timing = await time(download.torrent as never, added);
  const settleStart = performance.now();
  await download.done;
  const settleMs = performance.now() - settleStart;
  const [ledger] = download.session.ledgers.values();
  const checks = {
    paidInFull: ledger.ackedVoucherBytes === BigInt(SIZE_MIB * MiB),
    owed: amountFor(ledger.received, PRICE),
  };
  await destroyClient(client);
  await stop(seeder);
  rmSync(out, { recursive: true, force: true });
  return { timing, settleMs, prompts, signatures: download.session.signatures, checks };
}

const mibps = (ms: number) => SIZE_MIB / (ms / 1000);
const fmt = (t: Timing) =>
  `first byte ${t.firstByteMs.toFixed(0)} ms, transfer ${mibps(t.transferMs).toFixed(1)} MiB/s, end to end ${mibps(t.totalMs).toFixed(1)} MiB/s (${(t.totalMs / 1000).toFixed(1)} s)`;

const swarm = await startSwarm();
try {
  const file = swarm.file("bench.bin", SIZE_MIB * MiB);
  const content = await swarm.publish(file);
  await swarm.buyLicense(content.contentId, LEECHER);
  console.log(`P2P benchmark: ${SIZE_MIB} MiB over WebRTC on loopback, ${ROUNDS} round(s), seeder in a child process\n`);

  const plain: Timing[] = [];
  const paid: Awaited<ReturnType<typeof paidRound>>[] = [];
  const runPlain = async (round: number) => {
    plain.push(await plainRound(swarm, file, content.infoHash, round));
    console.log(`plain WebTorrent   ${fmt(plain.at(-1)!)}`);
  };
  const runPaid = async (round: number) => {
    paid.push(await paidRound(swarm, file, content.contentId, round));
    const p = paid.at(-1)!;
    console.log(`w3t_pay (paid)     ${fmt(p.timing)}; final voucher acknowledged ${p.settleMs.toFixed(0)} ms after completion`);
    if (!p.checks.paidInFull) throw new Error("the paid download did not end with a voucher for every byte");
  };
  // The order alternates between rounds, so that neither kind always runs first (a warmer machine, a quieter one).
  for (let round = 0; round < ROUNDS; round++) {
    if (round % 2 === 0) {
      await runPlain(round);
      await runPaid(round);
    } else {
      await runPaid(round);
      await runPlain(round);
    }
  }

  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  };
  const plainTransfer = median(plain.map((t) => t.transferMs));
  const paidTransfer = median(paid.map((p) => p.timing.transferMs));
  const plainTotal = median(plain.map((t) => t.totalMs));
  const paidTotal = median(paid.map((p) => p.timing.totalMs));
  const last = paid.at(-1)!;
  const promptsPerDownload = Math.max(...paid.map((p) => p.prompts.download));
  // Each round's two downloads ran back to back: their ratio is the least disturbed by load that varies over minutes.
  const pairedRatio = median(paid.map((p, i) => plain[i].transferMs / p.timing.transferMs));
  console.log(`\nmedian throughput  plain ${mibps(plainTransfer).toFixed(1)} MiB/s, paid ${mibps(paidTransfer).toFixed(1)} MiB/s (transfer)`);
  console.log(`throughput ratio paid/plain (transfer)     ${(plainTransfer / paidTransfer).toFixed(3)}  (target >= ${TARGET_RATIO})`);
  console.log(`throughput ratio paid/plain (end to end)   ${(plainTotal / paidTotal).toFixed(3)}`);
  console.log(`median of the rounds' ratios (transfer)    ${pairedRatio.toFixed(3)}`);
  console.log(
    `wallet prompts per download               ${promptsPerDownload} at most in any round (the escrow's open transaction); ` +
      `${last.prompts.session} more per session key (its Delegation signature, valid 24 h, reused by later downloads)`,
  );
  console.log(
    `session-key signatures                    ${last.signatures} for ${SIZE_MIB} MiB = ${(last.signatures / ((SIZE_MIB * MiB) / GiB)).toFixed(1)} per GiB ` +
      `(a voucher and a receipt at each checkpoint: 10, 30, 70, 150 MiB ... and the end)`,
  );
  const round3 = (x: number) => Number(x.toFixed(3));
  writeBenchResult(values.json, {
    bench: "p2p",
    options: { mib: SIZE_MIB, rounds: ROUNDS },
    figures: [
      { name: "plain WebTorrent throughput (median)", value: round3(mibps(plainTransfer)), unit: "MiB/s" },
      { name: "w3t_pay paid throughput (median)", value: round3(mibps(paidTransfer)), unit: "MiB/s" },
      { name: "throughput ratio paid/plain (transfer)", value: round3(plainTransfer / paidTransfer), unit: "", target: { op: ">=", value: TARGET_RATIO } },
      { name: "throughput ratio paid/plain (end to end)", value: round3(plainTotal / paidTotal), unit: "" },
      { name: "median of the rounds' paid/plain ratios (transfer)", value: round3(pairedRatio), unit: "" },
      { name: "wallet prompts per download", value: promptsPerDownload, unit: "", target: { op: "==", value: TARGET_PROMPTS } },
      { name: "session-key signatures per GiB", value: round3(last.signatures / ((SIZE_MIB * MiB) / GiB)), unit: "/GiB" },
    ],
  });
} finally {
  await swarm.stop();
}
