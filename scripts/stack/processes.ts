/**
 * Child processes of the dev stack: started with a prefixed log, awaited until healthy, stopped together.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { createInterface } from "node:readline";

const children: ChildProcess[] = [];
const lastToStop = new Set<ChildProcess>();

/** Fails with a clear message when `port` is already taken on `host`. */
export async function assertPortFree(port: number, what: string, host = "127.0.0.1"): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          error.code === "EADDRINUSE"
            ? `Port ${port} (${what}) is already in use. Stop what holds it or choose another port (see README, Configuration).`
            : `Cannot listen on ${host}:${port} for ${what}: ${error.message}`,
        ),
      ),
    );
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

export interface StartOptions {
  name: string;
  args: string[];
  env?: Record<string, string>;
  /** Print the child's output lines (prefixed). Noisy children log only failures. */
  verbose?: boolean;
  /** Stopped after all the others (the chain, which the others settle on when they stop). */
  stopLast?: boolean;
}

/** Starts a Node child process (same Node binary) and prefixes its output with its name. */
export function startNode({ name, args, env, verbose = true, stopLast = false }: StartOptions): ChildProcess {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    // Ctrl-C signals the terminal's whole process group. The chain gets a group of its own, so that it keeps running
    // while the others settle on it as they stop; stopAll() stops it last.
    detached: stopLast,
  });
  children.push(child);
  if (stopLast) lastToStop.add(child);
  const tail: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on("line", (line) => {
      tail.push(line);
      if (tail.length > 40) tail.shift();
      if (verbose) console.log(`[${name}] ${line}`);
    });
  }
  child.once("exit", (code, signal) => {
    if (!stopping && code !== 0) {
      console.error(`[${name}] exited (${signal ?? code}). Last output:\n${tail.join("\n")}`);
    }
  });
  return child;
}

/** Runs a Node child process to completion; rejects with its output when it fails. */
export async function runNode(options: StartOptions): Promise<void> {
  const child = startNode(options);
  const [code] = await new Promise<[number | null]>((resolve) => child.once("exit", (c) => resolve([c])));
  if (code !== 0) throw new Error(`${options.name} failed with exit code ${code}`);
}

/** Polls `check` until it resolves true, or fails after `timeoutMs` with `what` in the message. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not become healthy within ${timeoutMs / 1000} s`);
}

let stopping = false;

// Whatever way this process ends, no child outlives it (the chain, in its own process group, would).
process.on("exit", () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

/** Stops every child this process started: the `stopLast` ones after the others. */
export async function stopAll(): Promise<void> {
  stopping = true;
  await stop(children.filter((c) => !lastToStop.has(c)));
  await stop([...lastToStop]);
}

async function stop(processes: ChildProcess[]): Promise<void> {
  await Promise.all(
    processes
      .filter((c) => c.exitCode === null && c.signalCode === null)
      .map(
        (c) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => c.kill("SIGKILL"), 5_000);
            c.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
            c.kill("SIGTERM");
          }),
      ),
  );
}
