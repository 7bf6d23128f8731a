/**
 * Command-line parsing for the Node programs (`w3t` and its subcommands): node:util's parseArgs, with bad input
 * answered the same way everywhere — one line on stderr naming the program and pointing at its --help, exit code 2.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { isAddress, isHex, type Address, type Hex } from "viem";

/** Exit code of a command given bad input (unknown option, missing value, unknown subcommand). */
export const USAGE_EXIT_CODE = 2;

/** Prints `program: message` on stderr and exits with {@link USAGE_EXIT_CODE}. */
export function usageError(program: string, message: string): never {
  console.error(`${program}: ${message}`);
  process.exit(USAGE_EXIT_CODE);
}

/** parseArgs over `config`; on bad input, a {@link usageError} without parseArgs' hint about positionals. */
export function parseCommandLine<T extends ParseArgsConfig>(program: string, config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    // Node appends advice on passing "-x" as a positional after "--": noise for options nobody meant as a file name.
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, "");
    return usageError(program, `${message} (see ${program} --help)`);
  }
}

/** The value of --key (or of the environment variable `env`) as a private key; a usage error for anything else. */
export function privateKeyOption(program: string, raw: string | undefined, env: string): Hex {
  if (!raw || !isHex(raw) || raw.length !== 66) usageError(program, `--key (or ${env}) must be a 32-byte hex private key`);
  return raw;
}

/**
 * The contracts named by --market, --escrow and --pool, which go together; undefined when none is given (the
 * deployment of the RPC's chain is used then).
 */
export function contractsOption(
  program: string,
  values: { market?: string; escrow?: string; pool?: string },
): { market: Address; escrow: Address; rebatePool: Address } | undefined {
  const { market, escrow, pool } = values;
  if (market === undefined && escrow === undefined && pool === undefined) return undefined;
  if (!market || !escrow || !pool || !isAddress(market) || !isAddress(escrow) || !isAddress(pool)) {
    usageError(program, "--market, --escrow and --pool go together, as addresses");
  }
  return { market, escrow, rebatePool: pool };
}
