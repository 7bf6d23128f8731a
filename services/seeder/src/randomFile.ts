/** Random files for demos, tests and benchmarks. */
import { randomFillSync } from "node:crypto";
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";

export const MiB = 1 << 20;

/** Writes `bytes` random bytes to `path` (1 MiB at a time); returns the path. */
export function writeRandomFile(path: string, bytes: number): string {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, "w");
  const chunk = Buffer.alloc(MiB);
  for (let written = 0; written < bytes; written += MiB) {
    const n = Math.min(MiB, bytes - written);
    randomFillSync(chunk, 0, n);
    writeSync(fd, chunk, 0, n);
  }
  closeSync(fd);
  return path;
}
