/**
 * `w3t claim`: the seeder's `--claim` as a command of its own. Alone, it settles what the seeder's database holds,
 * claims the rebates and exits; with files, it seeds them and claims at Ctrl-C.
 */
import { SEED_OPTIONS_HELP, seedCommand } from "@web3torrent/seeder/seedCommand";

export async function claimCommand(args: string[], program: string): Promise<void> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(`usage: ${program} [options]                settle the stored vouchers and receipts, claim the rebates, exit
       ${program} <file|dir>... [options]   seed, and claim at Ctrl-C after the final settlement

The same as w3t seed --claim.

${SEED_OPTIONS_HELP}`);
    process.exit(0);
  }
  await seedCommand(["--claim", ...args], program);
}
