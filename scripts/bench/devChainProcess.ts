/**
 * The devchain in a child process, for the P2P benchmark: as a node is to its users, it is not on the leecher's event
 * loop. In process, every JSON-RPC request of the paid rounds (the seeder's reservations, its receipt polling every
 * 50-100 ms, the tracker gate's reads) was served by the leecher's event loop and took its time from the leecher's
 * blocks, which the plain rounds, making no request, never paid.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import type { DevChain } from "@web3torrent/devchain";
import { killedAtExit } from "./seederProcesses.ts";

const CHILD = fileURLToPath(new URL("./devChainChild.ts", import.meta.url));

/** The devchain, and its process id (for the benchmark's CPU accounting). */
export async function startDevChainProcess(): Promise<DevChain & { pid: number }> {
  const child = killedAtExit(
    spawn(process.execPath, ["--disable-warning=ExperimentalWarning", CHILD], { stdio: ["ignore", "pipe", "inherit"] }),
  );
  const ready = await new Promise<Omit<DevChain, "increaseTime" | "stop">>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.startsWith("{")) resolve(JSON.parse(line));
    });
    child.once("exit", (code) => reject(new Error(`the devchain exited with ${code} before it was ready`)));
  });
  const rpc = (method: string, params: unknown[]) =>
    fetch(ready.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
  return {
    ...ready,
    pid: child.pid!,
    async increaseTime(seconds) {
      await rpc("evm_increaseTime", [seconds]);
      await rpc("evm_mine", []);
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
}
