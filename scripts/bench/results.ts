/**
 * Machine-readable benchmark results. Every benchmark accepts `--json <file>` and writes there what it printed as
 * prose: a list of figures, each with its unit and, where an issue or the script sets one, its target.
 * `scripts/bench/all.ts` runs the benchmarks with it and prints one table.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** How a measured value is compared with its target. */
export type Comparison = "<=" | "<" | ">=" | "==";

export interface Target {
  op: Comparison;
  value: number;
}

export interface Figure {
  /** What was measured, e.g. "usage_update latency p99". */
  name: string;
  value: number;
  /** e.g. "gas", "ms", "MiB/s", "KiB gzipped", "" for a ratio or a count. */
  unit: string;
  target?: Target;
  /**
   * The figure depends on the size of the run (sessions, events, MiB), so a shortened run (`--quick`) says nothing
   * about its target.
   */
  scaleDependent?: boolean;
}

export interface BenchResult {
  bench: string;
  /** The options the benchmark ran with (sessions, rounds ...), for the reader of the table. */
  options: Record<string, string | number | boolean>;
  figures: Figure[];
}

/** Whether `value` meets `target`. */
export function meets(value: number, target: Target): boolean {
  switch (target.op) {
    case "<=":
      return value <= target.value;
    case "<":
      return value < target.value;
    case ">=":
      return value >= target.value;
    case "==":
      return value === target.value;
  }
}

/** Writes `result` to `file` (the `--json` option of a benchmark); does nothing without a file. */
export function writeBenchResult(file: string | undefined, result: BenchResult): void {
  if (file === undefined) return;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(result, null, 2) + "\n");
}
