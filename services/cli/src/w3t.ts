#!/usr/bin/env -S node --disable-warning=ExperimentalWarning
/**
 * w3t: Web3Torrent on the command line, one subcommand per program. Each subcommand is the same code as the
 * package's own entry point (seed, leech, w3t-tracker, ws402-gateway, w3t-indexer), with the same options and
 * environment variables; `w3t <command> --help` prints them. Bad input: one line on stderr, exit code 2.
 */
import { USAGE_EXIT_CODE } from "@web3torrent/sdk/commandLine";

interface Subcommand {
  summary: string;
  /** Loaded on use, so `w3t tracker` does not load WebTorrent or the indexer's WASM runtime. */
  run(args: string[], program: string): Promise<void>;
}

const SUBCOMMANDS: Record<string, Subcommand> = {
  seed: {
    summary: "seed registered content and get paid per checkpoint until Ctrl-C",
    run: async (args, program) => (await import("@web3torrent/seeder/seedCommand")).seedCommand(args, program),
  },
  download: {
    summary: "download licensed content while paying the seeders (or --refund an escrow)",
    run: async (args, program) => (await import("@web3torrent/leecher/downloadCommand")).downloadCommand(args, program),
  },
  publish: {
    summary: "register a file as content (commit, then reveal) and seed it",
    run: async (args, program) => (await import("./publishCommand.ts")).publishCommand(args, program),
  },
  claim: {
    summary: "settle the seeder's vouchers and receipts and claim its rebates (seed --claim)",
    run: async (args, program) => (await import("./claimCommand.ts")).claimCommand(args, program),
  },
  gateway: {
    summary: "run a WS402 gateway serving time-metered resources",
    run: async (args, program) => (await import("@web3torrent/ws402-gateway/gatewayCommand")).gatewayCommand(args, program),
  },
  indexer: {
    summary: "run the local indexer (the subgraph's GraphQL)",
    run: async (args, program) => (await import("@web3torrent/indexer/indexerCommand")).indexerCommand(args, program),
  },
  tracker: {
    summary: "run the WebTorrent tracker, license-gated with --rpc",
    run: async (args, program) => (await import("@web3torrent/tracker/trackerCommand")).trackerCommand(args, program),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(SUBCOMMANDS).map((name) => name.length));
  const lines = Object.entries(SUBCOMMANDS).map(([name, { summary }]) => `  ${name.padEnd(width)}  ${summary}`);
  return [
    "usage: w3t <command> [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "w3t <command> --help shows the command's options and environment variables.",
  ].join("\n");
}

const [name, ...args] = process.argv.slice(2);
if (name === undefined || name === "--help" || name === "-h" || name === "help") {
  // Asked for: on stdout, success. Nothing asked: on stderr, a usage error.
  if (name === undefined) {
    console.error(usage());
    process.exit(USAGE_EXIT_CODE);
  }
  console.log(usage());
  process.exit(0);
}
const subcommand = Object.hasOwn(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined;
if (!subcommand) {
  console.error(`w3t: unknown command "${name}"\n\n${usage()}`);
  process.exit(USAGE_EXIT_CODE);
}
await subcommand.run(args, `w3t ${name}`);
