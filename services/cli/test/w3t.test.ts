/**
 * `w3t` as users run it, a child process: its usage, each subcommand's --help, bad input answered on stderr with
 * exit code 2, and `w3t publish` of a file against a real chain — the content registered with the file's infohash,
 * size and terms, then seeded until the seeder is stopped.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createPublicClient, http, parseEther } from "viem";
import { startDevChain, type DevChain } from "@web3torrent/devchain";
import { infohashToBytes32 } from "@web3torrent/sdk/infohash";
import { licenseMarketAbi } from "@web3torrent/sdk/generated/contracts";
import { writeRandomFile } from "@web3torrent/seeder/randomFile";
import { createContentTorrent } from "@web3torrent/seeder/torrent";
import { startTracker, type Tracker } from "@web3torrent/tracker";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../../..");
/** The bin npm links for the workspace: what `npx w3t` runs from the repository root. */
const W3T = join(ROOT, "node_modules/.bin/w3t");
const SUBCOMMANDS = ["seed", "download", "publish", "claim", "gateway", "indexer", "tracker"];

function start(args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ["--disable-warning=ExperimentalWarning", W3T, ...args], { env });
}

async function w3t(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = start(args);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { code, stdout, stderr };
}

describe("w3t", () => {
  it("lists its subcommands on --help, and on stderr with exit code 2 when given none", async () => {
    const help = await w3t("--help");
    assert.equal(help.code, 0, help.stderr);
    for (const name of SUBCOMMANDS) assert.match(help.stdout, new RegExp(`^  ${name} +\\S`, "m"));
    const none = await w3t();
    assert.equal(none.code, 2);
    assert.equal(none.stdout, "");
    assert.match(none.stderr, /^usage: w3t <command>/);
  });

  for (const name of SUBCOMMANDS) {
    it(`${name} --help prints its usage and options`, async () => {
      const { code, stdout, stderr } = await w3t(name, "--help");
      assert.equal(code, 0, stderr);
      assert.match(stdout, new RegExp(`^usage: w3t ${name}\\b`));
      // Each documents the environment it reads, as the entry points it replaces.
      assert.match(stdout, /W3T_[A-Z_]+/);
    });
  }

  it("answers an unknown subcommand with the usage on stderr and exit code 2", async () => {
    const { code, stdout, stderr } = await w3t("frobnicate", "--help");
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.match(stderr, /^w3t: unknown command "frobnicate"\n/);
    assert.match(stderr, /usage: w3t <command>/);
  });

  it("answers bad options with one line naming the subcommand, and exit code 2", async () => {
    const key = `0x${"11".repeat(32)}`;
    const cases: [string[], RegExp][] = [
      [["seed", "--frob"], /^w3t seed: Unknown option '--frob' \(see w3t seed --help\)\n$/],
      [["download", "1", "--mode", "sideways", "--key", key], /^w3t download: --mode is exponential or upfront\n$/],
      [["tracker", "--port", "eight"], /^w3t tracker: --port must be a port number, got "eight"\n$/],
      [["indexer", "--port", "1"], /^w3t indexer: Unknown option '--port' \(see w3t indexer --help\)\n$/],
      [["gateway", "a.json", "b.json"], /^w3t gateway: takes one configuration file, got 2/],
      [["claim", "--key", "0x12"], /^w3t claim: --key \(or W3T_SEEDER_KEY\) must be a 32-byte hex private key\n$/],
      [["publish", "f.bin", "--key", key, "--curve", "cubic"], /^w3t publish: --curve is linear or exponential, got "cubic"\n$/],
      [["publish", "f.bin", "--key", key, "--bounty-fee-bps", "5000"], /^w3t publish: --bounty-fee-bps is at most 2000, got 5000\n$/],
      [["publish", "no-such-file.bin", "--key", key], /^w3t publish: no-such-file.bin is not a file\n$/],
      // A seeding option is checked before the registration is sent (no chain at this RPC URL: sending would exit 1).
      [
        ["publish", "f.bin", "--key", key, "--rpc", "http://127.0.0.1:1", "--price", "cheap"],
        /^w3t publish: --price must be wei per MiB, got "cheap"\n$/,
      ],
    ];
    for (const [args, message] of cases) {
      const { code, stdout, stderr } = await w3t(...args);
      assert.equal(code, 2, `${args.join(" ")}: ${stderr}`);
      assert.equal(stdout, "", args.join(" "));
      assert.match(stderr, message, args.join(" "));
    }
  });
});

describe("w3t publish", () => {
  let chain: DevChain;
  let tracker: Tracker;
  let dir: string;
  before(async () => {
    chain = await startDevChain();
    tracker = await startTracker();
    dir = mkdtempSync(join(tmpdir(), "w3t-publish-"));
  });
  after(async () => {
    await tracker.close();
    await chain.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("registers the file's infohash on-chain (commit, reveal), seeds it, and settles when stopped", async () => {
    const file = writeRandomFile(join(dir, "field-notes.bin"), 300_000);
    const publisher = chain.accounts[1];
    const child = start(
      [
        "publish",
        file,
        "--rpc",
        chain.rpcUrl,
        "--tracker",
        tracker.url,
        "--db",
        join(dir, "seeder.sqlite"),
        "--market",
        chain.contracts.LicenseMarket,
        "--escrow",
        chain.contracts.CheckpointEscrow,
        "--pool",
        chain.contracts.RebatePool,
        "--base-price",
        "0.002",
        "--curve",
        "exponential",
        "--growth",
        "150",
        "--bounty-fee-bps",
        "700",
        "--price",
        "1000",
        "--json",
      ],
      // The key from the environment, as `w3t seed` reads it.
      { ...process.env, W3T_SEEDER_KEY: publisher.privateKey },
    );
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const events: Record<string, Record<string, string>> = {};
    for await (const line of createInterface({ input: child.stdout })) {
      const event = JSON.parse(line);
      events[event.event] = event;
      if (event.event === "ready") break;
    }
    assert.ok(events.ready, `the seeder never got ready: ${stderr}`);
    assert.match(stderr, /w3t publish: committing…\n(.*\n)*w3t publish: registering…/, "both steps of the registration");

    const { infoHash, length } = await createContentTorrent(file, []);
    const published = events.published;
    assert.equal(published.infoHash, infoHash);
    const publicClient = createPublicClient({ transport: http(chain.rpcUrl) });
    const read = { address: chain.contracts.LicenseMarket, abi: licenseMarketAbi } as const;
    const contentId = await publicClient.readContract({ ...read, functionName: "contentIdOf", args: [infohashToBytes32(infoHash)] });
    assert.equal(String(contentId), published.contentId);
    assert.ok(contentId > 0n);
    const content = await publicClient.readContract({ ...read, functionName: "content", args: [contentId] });
    assert.equal(content.infohash, infohashToBytes32(infoHash));
    assert.equal(content.size, BigInt(length));
    assert.equal(content.payout, publisher.address);
    assert.equal(content.basePrice, parseEther("0.002"));
    assert.equal(content.curve, 1);
    assert.equal(content.growth, 150n);
    assert.equal(content.bountyFeeBps, 700);
    assert.equal(events.seeding.contentId, published.contentId, "it seeds what it registered");

    child.kill("SIGTERM");
    assert.equal(await exited, 0, stderr);
  });
});
