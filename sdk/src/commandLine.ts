/**
 * Command-line parsing for the Node programs (`w3t` and its subcommands): node:util's parseArgs, with bad input
 * answered the same way everywhere — one line on stderr naming the program and pointing at its --help, exit code 2.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

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
