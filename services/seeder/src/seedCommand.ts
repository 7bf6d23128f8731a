/**
 * The seeder as a command, called by `seed` (./cli.ts) and by `w3t seed` / `w3t claim` / `w3t publish`.
 *
 * Seeding: seeds registered content and gets paid through w3t_pay until Ctrl-C, which settles (redeems vouchers,
 * submits receipts) and prints the earnings.
 * Claiming (`--claim`): one RebatePool.claim pays the pool balance the receipts earned (bounty fees) and the shares of
 * every finished epoch with a share, each the network-fee part of the bytes credited there (nothing to claim: no
 * transaction). Before it, the unearned allowances of the licenses this seeder served that have expired are swept
 * (one sweepMany); a sweep raises no share since issue 12, and `--no-sweep` skips it. Alone, it settles what the
 * database holds, claims and exits, printing "claimed <amount> ETH (<amount> wei)" (exit code 1 when the claim fails);
 * with files, the claim is made at Ctrl-C after the final settlement.
 */
import { formatEther } from "viem";
import { contractsOption, parseCommandLine, privateKeyOption, usageError } from "@web3torrent/sdk/commandLine";
import { shortMessage } from "@web3torrent/sdk/errors";
import type { PaymentModeName } from "@web3torrent/sdk/wire/index";
import { Seeder, type SeederOptions, type StopResult } from "./seeder.ts";

/** The command's options, for commands that forward them here (`w3t publish`). */
export const SEED_OPTIONS = {
  rpc: { type: "string" },
  key: { type: "string" },
  db: { type: "string" },
  tracker: { type: "string", multiple: true },
  price: { type: "string" },
  modes: { type: "string" },
  "voucher-timeout": { type: "string" },
  "release-timeout": { type: "string" },
  "no-releases": { type: "boolean" },
  "settle-interval": { type: "string" },
  claim: { type: "boolean" },
  "no-sweep": { type: "boolean" },
  market: { type: "string" },
  escrow: { type: "string" },
  pool: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** The options' help, shared by the commands that take them (`seed`, `w3t claim`, `w3t publish`). */
export const SEED_OPTIONS_HELP = `Options (environment variable in brackets):
  --rpc URL                 chain JSON-RPC [W3T_RPC_URL, default http://127.0.0.1:8545]
  --key 0x...               the seeder's private key, paid by escrows and the pool [W3T_SEEDER_KEY]
  --db PATH                 SQLite file for vouchers and receipts [W3T_SEEDER_DB, default ./seeder.sqlite]
  --tracker URL             tracker announce URL, repeatable [W3T_TRACKER_URL, default ws://127.0.0.1:8001]
  --price WEI               price per MiB; 0 seeds free [W3T_SEEDER_PRICE, default 0]
  --modes LIST              escrow modes served: exponential,upfront (default both)
  --voucher-timeout MS      wait for a voucher at a checkpoint (default 30000)
  --release-timeout MS      wait for a leecher paying by on-chain release (a wallet prompt; default 300000)
  --no-releases             accept vouchers only, not on-chain releases
  --settle-interval MS      redeem and submit in batches this often (default 60000)
  --claim                   claim the rebates: alone, then exit; with files, at Ctrl-C
  --no-sweep                with --claim: do not sweep expired allowances first
  --market/--escrow/--pool  contract addresses, all three (default: the sdk's deployment for the chain)
  --json                    log events as JSON lines (for scripts)
  -h, --help                this help`;

export function seedUsage(program: string): string {
  return `usage: ${program} <file|dir>... [options]     seed registered content until Ctrl-C, then settle
       ${program} --claim [options]            settle what the database holds, claim the rebates, exit

${SEED_OPTIONS_HELP}`;
}

/** A seeding run as a command line asks for it, validated. */
export interface SeedRun {
  /** Files and folders to seed; none: claim and exit. */
  paths: string[];
  claim: boolean;
  sweep: boolean;
  json: boolean;
  options: Omit<SeederOptions, "log">;
}

/**
 * Runs the seeder with command-line `args` until it is stopped; exits the process (0, 1 when a claim failed, 2 on
 * bad input). `program` names the command in messages.
 */
export async function seedCommand(args: string[], program = "seed"): Promise<void> {
  await runSeed(parseSeedArgs(args, program), program);
}

/** Validates command-line `args` before anything is done: prints the help and exits 0, or exits 2 on bad input. */
export function parseSeedArgs(args: string[], program: string): SeedRun {
  function fail(message: string): never {
    return usageError(program, message);
  }
  const parsed = parseCommandLine(program, { args, allowPositionals: true, options: SEED_OPTIONS });
  const { positionals } = parsed;
  const values = {
    ...parsed.values,
    rpc: parsed.values.rpc ?? process.env.W3T_RPC_URL ?? "http://127.0.0.1:8545",
    key: parsed.values.key ?? process.env.W3T_SEEDER_KEY,
    db: parsed.values.db ?? process.env.W3T_SEEDER_DB ?? "seeder.sqlite",
    tracker: parsed.values.tracker ?? [process.env.W3T_TRACKER_URL ?? "ws://127.0.0.1:8001"],
    price: parsed.values.price ?? process.env.W3T_SEEDER_PRICE ?? "0",
    modes: parsed.values.modes ?? "exponential,upfront",
    "voucher-timeout": parsed.values["voucher-timeout"] ?? "30000",
    "release-timeout": parsed.values["release-timeout"] ?? "300000",
    "settle-interval": parsed.values["settle-interval"] ?? "60000",
  };

  const claimOnly = values.claim === true && positionals.length === 0;
  if (values.help) {
    console.log(seedUsage(program));
    process.exit(0);
  }
  if (positionals.length === 0 && !claimOnly) fail(`give a file or folder to seed, or --claim (see ${program} --help)`);
  if (values["no-sweep"] && !values.claim) fail("--no-sweep goes with --claim");
  const privateKey = privateKeyOption(program, values.key, "W3T_SEEDER_KEY");
  if (!/^\d+$/.test(values.price)) fail(`--price must be wei per MiB, got "${values.price}"`);
  const modes = values.modes.split(",").map((m) => m.trim());
  if (modes.length === 0 || !modes.every((m) => m === "exponential" || m === "upfront")) fail("--modes takes exponential and/or upfront");
  const integer = (name: string, raw: string) => {
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 0) fail(`--${name} must be a number of milliseconds`);
    return n;
  };
  const contracts = contractsOption(program, values);
  return {
    paths: positionals,
    claim: values.claim === true,
    sweep: !values["no-sweep"],
    json: values.json === true,
    options: {
      rpcUrl: values.rpc,
      privateKey,
      dbPath: values.db,
      announce: values.tracker,
      pricePerMiB: BigInt(values.price),
      modes: modes as PaymentModeName[],
      voucherTimeoutMs: integer("voucher-timeout", values["voucher-timeout"]),
      releaseTimeoutMs: integer("release-timeout", values["release-timeout"]),
      acceptsReleases: !values["no-releases"],
      // Claiming alone settles once, at the end.
      settleIntervalMs: claimOnly ? 0 : integer("settle-interval", values["settle-interval"]),
      contracts,
    },
  };
}

/** Seeds (and claims) as `run` says until stopped; exits the process (0, 1 when a claim failed, 2 when nothing can be seeded). */
export async function runSeed(run: SeedRun, program: string): Promise<void> {
  function fail(message: string): never {
    return usageError(program, message);
  }
  const claimOnly = run.claim && run.paths.length === 0;
  const event = (name: string, data: Record<string, unknown>) => {
    if (run.json) console.log(JSON.stringify({ event: name, ...data }, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
  };
  const log = (line: string) => {
    if (run.json) event("log", { line });
    else console.log(line);
  };

  let seeder: Seeder;
  try {
    seeder = await Seeder.start({ ...run.options, log });
  } catch (error) {
    fail(`cannot start: ${shortMessage(error)}`);
  }

  const rebates = (wei: bigint | null) => (wei === null ? "unknown (chain unreachable)" : `${formatEther(wei)} ETH`);

  /** Prints the claim; false when it failed. */
  const reportClaim = ({ claimed, claimError }: StopResult): boolean => {
    if (claimError) {
      console.error(`${program}: claim failed: ${shortMessage(claimError)}`);
      return false;
    }
    if (!claimed) return true;
    if (run.json) event("claimed", { ...claimed });
    else if (claimed.hash === null) console.log("claimed 0 ETH (0 wei): no rebates to claim, no transaction sent");
    else {
      console.log(
        `claimed ${formatEther(claimed.paid)} ETH (${claimed.paid} wei): ${claimed.fromBalance} wei from allowances, ` +
          `${claimed.fromEpochs} wei from ${claimed.epochs.length} epoch pool(s) (tx ${claimed.hash})`,
      );
    }
    return true;
  };

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    if (claimOnly) log("settling the stored vouchers and receipts, then claiming rebates ...");
    else log(`stopping: settling vouchers and receipts${run.claim ? ", then claiming rebates" : ""} ...`);
    const e = await seeder.stop({ settle: true, claim: run.claim && { sweep: run.sweep } });
    const claimedOk = reportClaim(e);
    const { claimed: _claimed, claimError: _error, ...earnings } = e;
    if (run.json) event("earnings", { ...earnings });
    else console.log(`earnings: ${formatEther(e.redeemed)} ETH redeemed, ${rebates(e.rebateBalance)} rebates to claim`);
    process.exit(claimedOk ? 0 : 1);
  };
  if (claimOnly) await stop();
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());

  seeder.on("voucher", ({ account, voucher }) =>
    event("voucher", { escrowId: account.escrowId, bytes: voucher.cumulativeBytes, amount: voucher.cumulativeAmount }),
  );
  seeder.on("redeemed", (e) => event("redeemed", e));
  seeder.on("submitted", (e) => event("submitted", e));

  const printEarnings = async () => {
    const e = await seeder.earnings();
    const line =
      `earnings: ${formatEther(e.redeemed)} ETH redeemed, ${formatEther(e.pendingVouchers)} ETH in vouchers to redeem, ` +
      `${rebates(e.rebateBalance)} rebates to claim; ${e.bytesServed} bytes served to ${e.accounts} account(s)`;
    if (run.json) event("earnings", { ...e });
    else console.log(line);
  };
  // A progress line the chain could not answer for is printed, up to date, at the next redemption.
  seeder.on("redeemed", () => void printEarnings().catch(() => {}));

  for (const path of run.paths) {
    try {
      const { seeded, refused } = await seeder.seed(path);
      for (const c of seeded) event("seeding", { ...c });
      for (const r of refused) event("refused-file", { ...r });
    } catch (error) {
      log(`cannot seed ${path}: ${shortMessage(error)}`);
    }
  }
  if (seeder.seeded.size === 0) {
    // Nothing to serve: settle what an earlier run stored, then say so and stop.
    await seeder.stop({ settle: true });
    fail("nothing to seed: no file matches registered content");
  }
  log(`seeder ${seeder.address} ready (price ${run.options.pricePerMiB} wei/MiB)`);
  event("ready", { address: seeder.address });
}
