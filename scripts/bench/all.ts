/**
 * Every benchmark, one after the other, then ONE table: figure, measured value, target, met or missed.
 *
 *   npm run bench                      the full runs (several minutes each on a 2-core machine)
 *   npm run bench -- --quick           a smoke check of the table: shortened runs, whose scale-dependent figures
 *                                      (sessions held, events replayed ...) are shown but not judged
 *   npm run bench -- --only gas,ws402  some of: gas, indexer, ws402, p2p, limits, app, stream
 *   npm run bench -- --json <file>     also write every figure as JSON
 *
 * Each benchmark runs in its own process with `--json <file>` (see results.ts); its prose goes to the terminal as it
 * runs. The contracts and the sdk are built once first. The exit code is 1 when a target is missed or a benchmark
 * fails. Targets come from the issues (gas: issue 2, P2P: 3, WS402: 4, indexer: 5, app: 6, limits: 14, stream: 17)
 * and are written in each benchmark script.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { meets, writeBenchResult, type BenchResult, type Figure } from "./results.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const NODE_FLAGS = ["--disable-warning=ExperimentalWarning"];

interface Bench {
  name: string;
  /** The command, without `--json`. */
  command: string;
  args: string[];
  /** Added in `--quick` mode. */
  quickArgs: string[];
}

const BENCHES: Bench[] = [
  { name: "gas", command: process.execPath, args: [...NODE_FLAGS, "scripts/bench/gas.ts"], quickArgs: [] },
  {
    name: "indexer",
    command: process.execPath,
    args: [...NODE_FLAGS, "scripts/bench/indexer.ts"],
    quickArgs: ["--events", "2000"],
  },
  {
    name: "ws402",
    command: process.execPath,
    args: [...NODE_FLAGS, "scripts/bench/ws402.ts"],
    quickArgs: ["--sessions", "50", "--hold", "10", "--burst", "10"],
  },
  {
    name: "p2p",
    command: process.execPath,
    args: [...NODE_FLAGS, "scripts/bench/p2p.ts"],
    quickArgs: ["--mib", "200", "--rounds", "1"],
  },
  {
    name: "limits",
    command: process.execPath,
    args: [...NODE_FLAGS, "scripts/bench/limits.ts"],
    quickArgs: ["--quiet", "2", "--attack", "4"],
  },
  { name: "app", command: "npm", args: ["run", "bench", "-w", "app", "--"], quickArgs: ["--loads", "1"] },
  { name: "stream", command: process.execPath, args: [...NODE_FLAGS, "scripts/bench/stream.ts"], quickArgs: ["--rounds", "1"] },
];

const { values: options } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    json: { type: "string" },
    "no-build": { type: "boolean", default: false },
  },
});
const selected = options.only?.split(",").map((name) => name.trim()) ?? BENCHES.map((b) => b.name);
const unknown = selected.filter((name) => !BENCHES.some((b) => b.name === name));
if (unknown.length) throw new Error(`--only: unknown benchmark(s) ${unknown.join(", ")}; known: ${BENCHES.map((b) => b.name).join(", ")}`);

function run(command: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: "inherit" });
    child.once("error", reject);
    child.once("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

interface Row {
  bench: string;
  figure: string;
  value: string;
  target: string;
  result: string;
}

const rows: Row[] = [];
const collected: BenchResult[] = [];
let failures = 0;
const dir = mkdtempSync(join(tmpdir(), "w3t-bench-"));
const started = Date.now();
try {
  if (!options["no-build"]) {
    const code = await run("npm", ["run", "build"]);
    if (code !== 0) throw new Error("npm run build failed");
  }
  for (const bench of BENCHES.filter((b) => selected.includes(b.name))) {
    const file = join(dir, `${bench.name}.json`);
    const args = [...bench.args, ...(options.quick ? bench.quickArgs : []), "--json", file];
    console.log(
      `\n=== bench ${bench.name}: ${[bench.command === process.execPath ? "node" : bench.command, ...args.slice(0, -2)].join(" ")}\n`,
    );
    const benchStarted = Date.now();
    const code = await run(bench.command, args);
    const seconds = ((Date.now() - benchStarted) / 1000).toFixed(0);
    if (!existsSync(file)) {
      failures++;
      rows.push({ bench: bench.name, figure: "(no results)", value: "", target: "", result: `FAILED (exit ${code}, ${seconds} s)` });
      continue;
    }
    const result = JSON.parse(readFileSync(file, "utf8")) as BenchResult;
    collected.push(result);
    if (code !== 0) {
      failures++;
      rows.push({ bench: bench.name, figure: "(exit code)", value: String(code), target: "0", result: "FAILED" });
    }
    for (const figure of result.figures) rows.push(row(bench.name, figure));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

function row(bench: string, figure: Figure): Row {
  const value = `${figure.value.toLocaleString("en")}${figure.unit ? ` ${figure.unit}` : ""}`;
  if (!figure.target) return { bench, figure: figure.name, value, target: "—", result: "" };
  const target = `${figure.target.op} ${figure.target.value.toLocaleString("en")}`;
  if (options.quick && figure.scaleDependent) return { bench, figure: figure.name, value, target, result: "n/a (quick run)" };
  const met = meets(figure.value, figure.target);
  if (!met) failures++;
  return { bench, figure: figure.name, value, target, result: met ? "met" : "MISSED" };
}

const columns: (keyof Row)[] = ["bench", "figure", "value", "target", "result"];
const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)));
const line = (cells: string[]) =>
  cells
    .map((cell, i) => cell.padEnd(widths[i]))
    .join("  ")
    .trimEnd();
console.log(
  `\nWeb3Torrent benchmarks${options.quick ? " (--quick: shortened runs, a smoke check only)" : ""}, ${((Date.now() - started) / 60_000).toFixed(1)} min\n`,
);
console.log(line(columns));
console.log(line(widths.map((w) => "-".repeat(w))));
for (const r of rows) console.log(line(columns.map((c) => r[c])));
if (options.json) {
  writeBenchResult(options.json, {
    bench: "all",
    options: { quick: options.quick },
    figures: collected.flatMap((r) => r.figures.map((f) => ({ ...f, name: `${r.bench}: ${f.name}` }))),
  });
}
process.exitCode = failures ? 1 : 0;
