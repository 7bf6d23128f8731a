/**
 * One hostile client against each public service, while a legitimate client works (issue 14):
 *
 *   npm run bench:limits -- [--quiet 5] [--attack 10] [--only indexer,indexer-admitted,gateway,tracker,wire]
 *                           [--json <file>]
 *
 * For each service, started alone in a child process (limitsTargets.ts) so that its memory is its own:
 * the legitimate client works for --quiet seconds, then for --attack seconds while the attacker runs; the service's
 * resident memory (VmRSS) is sampled every 100 ms. Reported: the legitimate client's median and p99 latency quiet
 * and under attack, their ratio, the service's peak memory quiet and under attack, and whether it stayed up.
 *
 * Attacks (those of the review) and legitimate work:
 * - indexer: from one address (127.0.0.2), 4 loops send the review's 23-level `published { publisher { … } }`
 *   query; the user (127.0.0.1) asks `_meta`. indexer-admitted: the same with a query the complexity limit admits
 *   (4,000 entities resolved, 171 kB answered).
 * - gateway: one address (127.0.0.2) keeps 2,000 WebSocket upgrades in flight, reopening what is refused or
 *   closed; the user (127.0.0.1) connects and waits for the challenge.
 * - tracker: 90 MiB announces, then sockets announcing fresh infohashes as fast as they are answered; the user
 *   announces in its swarm and reads the statistics.
 * - wire: 4 peers announce a 256 MiB extended message and stream it as fast as the socket takes it, each
 *   re-dialling 250 ms after it is dropped (16 oversized messages a second); the user requests 16 KiB blocks one
 *   after the other. Re-dialling faster turns it into a connection flood, which no message limit addresses.
 *
 * Targets: the service stays up; its memory under attack at most quiet + MEMORY_BOUND_MIB; the user's median
 * latency under attack below twice the quiet one.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { connect as tcpConnect, type Socket } from "node:net";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import Wire from "bittorrent-protocol";
import { WebSocket } from "ws";
import { writeBenchResult, type Figure } from "./results.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** How much more memory a service may hold under attack than quiet. */
export const MEMORY_BOUND_MIB = 64;
const LATENCY_RATIO_TARGET = 2;
const MiB = 1024 * 1024;

export interface BenchWire {
  handshake(infoHash: string, peerId: string): void;
  unchoke(): void;
  request(index: number, offset: number, length: number, cb: (error: Error | null) => void): void;
  on(event: string, listener: (...args: never[]) => void): void;
  once(event: string, listener: (...args: never[]) => void): void;
  destroy(): void;
}

const { values: options } = parseArgs({
  options: {
    quiet: { type: "string", default: "5" },
    attack: { type: "string", default: "10" },
    only: { type: "string" },
    json: { type: "string" },
    /** Internal: run one service's attack in this process (the benchmark starts it so). */
    attacker: { type: "string" },
    info: { type: "string" },
  },
});
const QUIET_MS = Number(options.quiet) * 1000;
const ATTACK_MS = Number(options.attack) * 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function startTarget(name: string): Promise<{ child: ChildProcess; info: Record<string, string> }> {
  const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", "scripts/bench/limitsTargets.ts", name], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the ${name} target exited (${code})`)));
    createInterface({ input: child.stdout! }).once("line", (line) => resolve({ child, info: JSON.parse(line) }));
  });
}

function rssMiB(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

const percentile = (values: number[], p: number) => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

interface Scenario {
  /** One legitimate operation; resolves with its latency in ms (throws when refused or failed). */
  legit(info: Record<string, string>): Promise<number>;
  /** Starts the attack; the returned function stops it. */
  attack(info: Record<string, string>): () => void;
}

/** Runs `legit` back to back for `ms`: latencies and failures. */
async function work(scenario: Scenario, info: Record<string, string>, ms: number) {
  const latencies: number[] = [];
  let failures = 0;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      latencies.push(await scenario.legit(info));
    } catch {
      failures++;
      await sleep(50);
    }
    await sleep(20);
  }
  return { latencies, failures };
}

// ---------------------------------------------------------------------------------------------------------------
// Indexer
// ---------------------------------------------------------------------------------------------------------------

function nested(levels: number): string {
  let selection = "id";
  for (let i = 0; i < levels; i++) selection = `id published { id publisher { ${selection} } }`;
  return `{ publishers { ${selection} } }`;
}

/** A POST from `localAddress`: the attacker (127.0.0.2) and the user (127.0.0.1) are different clients. */
function graphql(url: string, query: string, localAddress = "127.0.0.1"): Promise<{ data?: unknown; errors?: { message: string }[] }> {
  const body = JSON.stringify({ query });
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      { method: "POST", localAddress, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () => resolve(JSON.parse(text)));
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

/** The user's `_meta`, against an attacker looping over `query` from 127.0.0.2 on 4 connections. */
function indexerScenario(query: string): Scenario {
  return {
    async legit({ url }) {
      const started = performance.now();
      const result = await graphql(
        url!,
        `
          {
            _meta {
              block {
                number
              }
            }
          }
        `,
      );
      if (!result.data) throw new Error(JSON.stringify(result.errors));
      return performance.now() - started;
    },
    attack({ url }) {
      let running = true;
      for (let i = 0; i < 4; i++) {
        void (async () => {
          while (running) await graphql(url!, query, "127.0.0.2").catch(() => sleep(10));
        })();
      }
      return () => (running = false);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Gateway
// ---------------------------------------------------------------------------------------------------------------

const gatewayScenario: Scenario = {
  legit({ url }) {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url!, { localAddress: "127.0.0.1" });
      ws.on("error", reject);
      ws.once("unexpected-response", (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
      ws.once("message", () => {
        resolve(performance.now() - started);
        ws.close();
      });
    });
  },
  attack({ url }) {
    let running = true;
    const open = () => {
      if (!running) return;
      const ws = new WebSocket(url!, { localAddress: "127.0.0.2" });
      ws.on("error", () => {});
      ws.once("close", () => setTimeout(open, 5));
      ws.once("unexpected-response", () => setTimeout(open, 5));
      sockets.add(ws);
    };
    const sockets = new Set<WebSocket>();
    for (let i = 0; i < 2_000; i++) open();
    return () => {
      running = false;
      for (const ws of sockets) ws.terminate();
    };
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Tracker
// ---------------------------------------------------------------------------------------------------------------

const infoHash = (n: number) => Buffer.from(n.toString(16).padStart(40, "0"), "hex").toString("latin1");
const announce = (hash: string, peer: string, padding = "") =>
  JSON.stringify({
    action: "announce",
    info_hash: hash,
    peer_id: peer,
    event: "started",
    numwant: 0,
    uploaded: 0,
    downloaded: 0,
    left: 0,
    padding,
  });

let userSocket: WebSocket | undefined;
const trackerScenario: Scenario = {
  async legit({ url, statsUrl }) {
    if (!userSocket || userSocket.readyState !== WebSocket.OPEN) {
      userSocket = new WebSocket(url!);
      await new Promise((resolve, reject) => userSocket!.once("open", resolve).once("error", reject));
    }
    const started = performance.now();
    const answered = new Promise((resolve) => userSocket!.once("message", resolve));
    userSocket.send(announce(infoHash(0xffff), "-W3T000-user00000001"));
    await answered;
    const stats = await fetch(statsUrl!);
    if (!stats.ok) throw new Error(`stats ${stats.status}`);
    await stats.json();
    return performance.now() - started;
  },
  attack({ url }) {
    let running = true;
    let next = 1;
    const big = "x".repeat(90 * MiB);
    const flood = () => {
      if (!running) return;
      const ws = new WebSocket(url!);
      ws.on("error", () => {});
      ws.once("close", () => setTimeout(flood, 10));
      ws.once("open", () => {
        if (next % 7 === 0) ws.send(announce(infoHash(next++), "-W3T000-attacker0001", big));
        const send = () => running && ws.readyState === WebSocket.OPEN && ws.send(announce(infoHash(next++), "-W3T000-attacker0001"));
        ws.on("message", send);
        for (let i = 0; i < 50; i++) send();
        setTimeout(() => ws.close(), 2_000);
      });
    };
    for (let i = 0; i < 4; i++) flood();
    return () => (running = false);
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Peer wire
// ---------------------------------------------------------------------------------------------------------------

function handshakeBytes(): Buffer {
  const bytes = Buffer.alloc(68);
  bytes[0] = 19;
  bytes.write("BitTorrent protocol", 1, "latin1");
  bytes[25] = 0x10;
  bytes.fill(0xab, 28, 48);
  bytes.fill(0xcd, 48, 68);
  return bytes;
}

let userWire: { wire: BenchWire; socket: Socket } | undefined;
async function wireUser(host: string, port: number) {
  if (userWire) return userWire;
  const socket = tcpConnect(port, host);
  socket.setNoDelay(true);
  const wire = new (Wire as unknown as new () => BenchWire)();
  socket.pipe(wire as unknown as NodeJS.ReadWriteStream).pipe(socket);
  const unchoked = new Promise((resolve) => wire.once("unchoke", resolve));
  wire.handshake("ab".repeat(20), "ef".repeat(20));
  await unchoked;
  wire.on("close", () => (userWire = undefined));
  userWire = { wire, socket };
  return userWire;
}

const wireScenario: Scenario = {
  async legit({ host, port }) {
    const { wire } = await wireUser(host!, Number(port));
    const started = performance.now();
    await new Promise<void>((resolve, reject) => wire.request(0, 0, 16 * 1024, (error) => (error ? reject(error) : resolve())));
    return performance.now() - started;
  },
  attack({ host, port }) {
    let running = true;
    const header = Buffer.from([0, 0, 0, 0, 20, 0]);
    header.writeUInt32BE(256 * MiB, 0);
    const chunk = Buffer.alloc(64 * 1024, 1);
    const attackOnce = () => {
      if (!running) return;
      const socket = tcpConnect(Number(port), host!);
      socket.on("error", () => {});
      socket.once("close", () => setTimeout(attackOnce, 250));
      socket.once("connect", () => {
        socket.write(handshakeBytes());
        socket.write(header);
        const pump = () => {
          while (running && !socket.destroyed && socket.write(chunk));
        };
        socket.on("drain", pump);
        pump();
      });
    };
    for (let i = 0; i < 4; i++) attackOnce();
    return () => (running = false);
  },
};

const SCENARIOS: Record<string, Scenario> = {
  // The review's query (refused before execution), and one the complexity limit admits that resolves every one of
  // the 4,000 contents with its publisher.
  indexer: indexerScenario(nested(23)),
  "indexer-admitted": indexerScenario(`{ publishers(first: 1000) { id published(first: 99) { id publisher { id } } } }`),
  gateway: gatewayScenario,
  tracker: trackerScenario,
  wire: wireScenario,
};

if (options.attacker) {
  // The attacker runs in its own process: its CPU is not the legitimate client's event loop.
  SCENARIOS[options.attacker]!.attack(JSON.parse(options.info!));
  await new Promise(() => {});
}

/** Starts the attack on `name` in a child process; the returned function kills it. */
function startAttacker(name: string, info: Record<string, string>): () => void {
  const child = spawn(
    process.execPath,
    ["--disable-warning=ExperimentalWarning", fileURLToPath(import.meta.url), "--attacker", name, "--info", JSON.stringify(info)],
    {
      cwd: ROOT,
      stdio: "inherit",
    },
  );
  return () => child.kill("SIGKILL");
}

const figures: Figure[] = [];
const selected = options.only?.split(",").map((s) => s.trim()) ?? Object.keys(SCENARIOS);
for (const name of selected) {
  const scenario = SCENARIOS[name];
  if (!scenario) throw new Error(`--only: unknown service ${name}`);
  const { child, info } = await startTarget(name);
  let exited = false;
  child.once("exit", () => (exited = true));
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(child.pid!) ?? 0)), 100);
  try {
    await work(scenario, info, 1_000); // warm up
    peak = 0;
    const quiet = await work(scenario, info, QUIET_MS);
    const quietPeak = peak;
    peak = 0;
    const stop = startAttacker(name, info);
    await sleep(500); // the attack in full swing
    const attacked = await work(scenario, info, ATTACK_MS);
    const attackPeak = peak;
    stop();
    await sleep(200);
    const up = !exited && (await work(scenario, info, 500)).latencies.length > 0;
    const quietP50 = percentile(quiet.latencies, 50);
    const attackP50 = percentile(attacked.latencies, 50);
    const ratio = attackP50 / quietP50;
    console.log(
      `${name}: legitimate latency p50/p99 ${quietP50.toFixed(1)}/${percentile(quiet.latencies, 99).toFixed(1)} ms quiet, ` +
        `${attackP50.toFixed(1)}/${percentile(attacked.latencies, 99).toFixed(1)} ms under attack (×${ratio.toFixed(2)}; ` +
        `${quiet.latencies.length} + ${attacked.latencies.length} operations, ${attacked.failures} failed under attack); ` +
        `memory peak ${quietPeak.toFixed(0)} MiB quiet, ${attackPeak.toFixed(0)} MiB under attack; ${up ? "up" : "DOWN"} after`,
    );
    figures.push(
      { name: `${name}: legitimate p50 latency quiet`, value: round(quietP50), unit: "ms" },
      { name: `${name}: legitimate p50 latency under attack`, value: round(attackP50), unit: "ms" },
      { name: `${name}: latency under attack / quiet`, value: round(ratio), unit: "×", target: { op: "<", value: LATENCY_RATIO_TARGET } },
      { name: `${name}: legitimate operations failed under attack`, value: attacked.failures, unit: "", target: { op: "==", value: 0 } },
      { name: `${name}: memory peak quiet`, value: Math.round(quietPeak), unit: "MiB" },
      {
        name: `${name}: memory growth under attack`,
        value: Math.round(attackPeak - quietPeak),
        unit: "MiB",
        target: { op: "<=", value: MEMORY_BOUND_MIB },
      },
      { name: `${name}: up after the attack`, value: up ? 1 : 0, unit: "", target: { op: "==", value: 1 } },
    );
  } finally {
    clearInterval(sampler);
    child.kill("SIGKILL");
    userSocket?.terminate();
    userWire?.socket.destroy();
    userSocket = undefined;
    userWire = undefined;
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

writeBenchResult(options.json, { bench: "limits", options: { quiet: Number(options.quiet), attack: Number(options.attack) }, figures });
process.exit(0);
