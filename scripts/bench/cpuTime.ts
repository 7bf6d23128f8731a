/**
 * CPU time of a process (user + system), for the benchmarks: what a download costs the machine, which decides its
 * speed once other work shares the cores. Read from Linux's /proc; elsewhere `null` (not measured).
 */
import { readFileSync } from "node:fs";

/** /proc reports CPU time in USER_HZ ticks, which Linux fixes at 100 per second for user space. */
const MS_PER_TICK = 10;
/** utime and stime: fields 14 and 15 of /proc/<pid>/stat, i.e. 12 and 13 after the ")" that ends the command name. */
const UTIME_AFTER_NAME = 11;

export function cpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  if (pid === process.pid) {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[UTIME_AFTER_NAME]) + Number(fields[UTIME_AFTER_NAME + 1])) * MS_PER_TICK;
  } catch {
    return null;
  }
}
