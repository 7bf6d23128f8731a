/**
 * The seeders of the P2P and streaming benchmarks, each in a child process of its own (as a seeder runs beside a
 * viewer): plain WebTorrent (plainSeeder.ts) or the `seed` command. Every child process a benchmark starts here is
 * killed when the benchmark's process exits, even early.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { seederArgs, type Swarm } from "@web3torrent/seeder/testing";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

/** Has `child` killed if this process exits while it runs. */
export function killedAtExit(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** Runs a TypeScript program; resolves once it prints the JSON event "ready", rejects if it exits before. */
function spawnReady(args: string[], env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = killedAtExit(
    spawn(process.execPath, ["--disable-warning=ExperimentalWarning", ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    }),
  );
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

/** An unmodified WebTorrent client seeding `file` on `tracker`; with `coalesced`, its wires coalesce their writes. */
export function startPlainSeeder(file: string, tracker: string, { coalesced = false } = {}): Promise<ChildProcess> {
  return spawnReady([join(ROOT, "scripts/bench/plainSeeder.ts"), file, tracker, ...(coalesced ? ["--coalesced"] : [])]);
}

/** The `seed` command seeding `file` at `price` for test account `accountIndex` of the swarm, its key in the environment. */
export function startPaidSeeder(
  swarm: Swarm,
  file: string,
  { accountIndex, price, db, tracker }: { accountIndex: number; price: bigint; db: string; tracker?: string },
): Promise<ChildProcess> {
  return spawnReady([join(ROOT, "services/seeder/src/cli.ts"), ...seederArgs(swarm, file, { db, price, json: true, tracker })], {
    W3T_SEEDER_KEY: swarm.chain.accounts[accountIndex].privateKey,
  });
}

/** Stops a seeder with SIGTERM (it settles first) and resolves once it exited. */
export function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}
