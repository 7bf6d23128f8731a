/**
 * `npm run coverage`: Hardhat 3's `--coverage` over every contract test, Solidity and TypeScript, in one run that
 * prints the line and statement table (and writes coverage/lcov.info and coverage/html); then the combined line
 * coverage of contracts/*.sol, the figure the README reports.
 *
 * The gas-target tests (the TypeScript tests whose title, or whose suite's title, starts with "gas") are left out of
 * the instrumented run: instrumented code costs more gas, so they would fail there. They run right after it, on the
 * uninstrumented contracts, and the command fails if they do.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// hardhat's "exports" do not include its CLI file; its package.json is exported, and the CLI sits beside it.
const hardhatCli = join(dirname(createRequire(import.meta.url).resolve("hardhat/package.json")), "dist/src/cli.js");

/**
 * How the gas-target tests are named: "gas" as the first word of a test's or suite's title. The node:test runner
 * Hardhat uses runs in-process, so the patterns reach it as Node options (its `--grep` is ignored in that mode).
 */
const GAS_TARGET_TITLE = "^gas(?![a-z])";
const COVERED_CONTRACTS = /^contracts\/[^/]+\.sol$/;

function hardhat(args: string[], nodeOption: string): number {
  const nodeOptions = [process.env.NODE_OPTIONS, nodeOption].filter(Boolean).join(" ");
  const run = spawnSync(process.execPath, [hardhatCli, ...args], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, NODE_OPTIONS: nodeOptions },
  });
  return run.status ?? 1;
}

/** Lines found and hit in contracts/*.sol, summed from the lcov report. */
function combinedLineCoverage(): { hit: number; found: number; files: string[] } {
  const lcov = readFileSync(join(root, "coverage", "lcov.info"), "utf8");
  let hit = 0;
  let found = 0;
  const files: string[] = [];
  for (const record of lcov.split("end_of_record")) {
    const file = /^SF:(.+)$/m.exec(record)?.[1]?.trim().replaceAll("\\", "/");
    if (!file || !COVERED_CONTRACTS.test(file)) continue;
    files.push(file);
    hit += Number(/^LH:(\d+)$/m.exec(record)?.[1] ?? 0);
    found += Number(/^LF:(\d+)$/m.exec(record)?.[1] ?? 0);
  }
  return { hit, found, files };
}

console.log(
  `Coverage of every contract test (Solidity and TypeScript). The gas-target tests (titles matching /${GAS_TARGET_TITLE}/)` +
    " are left out of it: instrumented code costs more gas. They run afterwards, without coverage.\n",
);
const coverageStatus = hardhat(["test", "--coverage"], `--test-skip-pattern=${GAS_TARGET_TITLE}`);

let figure = "";
if (coverageStatus === 0) {
  const { hit, found, files } = combinedLineCoverage();
  figure = `Combined line coverage of contracts/*.sol (${files.length} files): ${hit}/${found} lines, ${((100 * hit) / found).toFixed(2)}%`;
  console.log(figure);
}

console.log(`\nGas-target tests (titles matching /${GAS_TARGET_TITLE}/), run outside coverage:\n`);
const testFiles = readdirSync(join(root, "test"))
  .filter((name) => name.endsWith(".test.ts"))
  .map((name) => join("test", name));
const gasStatus = hardhat(["test", "nodejs", ...testFiles], `--test-name-pattern=${GAS_TARGET_TITLE}`);

if (figure) console.log(`\n${figure}`);
console.log(
  `Coverage run: ${coverageStatus === 0 ? "passed" : "FAILED"}; gas-target tests (outside coverage): ${gasStatus === 0 ? "passed" : "FAILED"}`,
);
process.exitCode = coverageStatus === 0 && gasStatus === 0 ? 0 : 1;
