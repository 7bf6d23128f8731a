/**
 * WS402 gateway load benchmark, on loopback only, bounded in count and time:
 *
 *   npm run bench:ws402 -- [--sessions 2000] [--hold 60] [--interval 3000] [--burst 100] [--rate 200] [--json <file>]
 *
 * --json also writes the figures as JSON (see results.ts).
 *
 * 1. Starts the devchain (Hardhat in-process, the Ignition deployment) and the gateway as a child process
 *    (services/ws402-gateway/src/main.ts), as it runs in production.
 * 2. Opens N real on-chain sessions: the open transactions are signed locally with explicit nonces over the
 *    funded test accounts and sent in JSON-RPC batches without waiting for each receipt.
 * 3. Connects N sdk clients (Ws402Client over Node's WebSocket), arriving at --rate per second so that their
 *    usage timers are spread over the interval as real users' are; each answers the gateway's challenge with a real
 *    proof checked against its on-chain session, and signs a real Usage receipt after every usage update
 *    (every --interval ms). The load generator signs with libsecp256k1 (tiny-secp256k1), byte-identical to viem's
 *    signatures, so that the client side does not eat the CPU the gateway is measured on.
 * 4. Holds them for --hold seconds and reports: sessions held, receipts verified per second (gateway counters),
 *    p50/p99 of usage_update delivery (gateway send → client receive) and of the receipt round trip
 *    (usage_update received → receipt acknowledged), gateway CPU and memory.
 * 5. Ends --burst sessions at once and measures the time until all of them are settled on-chain.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import * as secp256k1 from "tiny-secp256k1";
import {
  concat,
  createPublicClient,
  encodeFunctionData,
  getAddress,
  getTypesForEIP712Domain,
  hashDomain,
  hashStruct,
  hashTypedData,
  keccak256,
  hexToBytes,
  http,
  parseEventLogs,
  toHex,
  type Hex,
  type TransactionReceipt,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { ws402DepositsAbi, Ws402Client, type Ws402SchemaDocument, type Ws402Signer } from "@web3torrent/sdk";
import { freePort } from "@web3torrent/devchain/freePort";
import { writeBenchResult } from "./results.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const { values: args } = parseArgs({
  options: {
    sessions: { type: "string", default: "2000" },
    hold: { type: "string", default: "60" },
    interval: { type: "string", default: "3000" },
    burst: { type: "string", default: "100" },
    rate: { type: "string", default: "200" },
    json: { type: "string" },
  },
});
/** Issue 4's targets: at least 2,000 concurrent sessions with a p99 usage_update latency under 100 ms. */
const TARGET_SESSIONS = 2_000;
const TARGET_P99_MS = 100;
const SESSIONS = Number(args.sessions);
const HOLD_SECONDS = Number(args.hold);
const INTERVAL_MS = Number(args.interval);
const BURST = Math.min(Number(args.burst), SESSIONS);
/** New sessions per second: arrivals spread over time, as real users arrive, not all in the same millisecond. */
const ARRIVAL_RATE = Number(args.rate);
/** Hard bounds: this is a loopback benchmark, never a soak test. */
const MAX_SESSIONS = 10_000;
const MAX_HOLD_SECONDS = 600;
if (
  !(SESSIONS > 0 && SESSIONS <= MAX_SESSIONS) ||
  !(HOLD_SECONDS > 0 && HOLD_SECONDS <= MAX_HOLD_SECONDS) ||
  !(INTERVAL_MS >= 100) ||
  !(ARRIVAL_RATE > 0)
) {
  throw new Error(`--sessions 1..${MAX_SESSIONS}, --hold 1..${MAX_HOLD_SECONDS} s, --interval >= 100 ms, --rate > 0 sessions/s`);
}
const PRICE_PER_SECOND = 1_000_000_000n;
const MAX_SECONDS = 3_600;
const RPC_BATCH = 100;
const OPEN_GAS = 300_000n;
/** Accounts 0 (deployer) and 1 (provider) are kept out of the load. */
const FIRST_USER_ACCOUNT = 2;

const log = (message: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const domainSeparators = new Map<string, Hex>();

/** The EIP-712 digest, with the domain separator computed once per domain (viem's hashing otherwise). */
function typedDataDigest(parameters: Parameters<typeof hashTypedData>[0]): Hex {
  const { domain = {}, types, primaryType, message } = parameters;
  const key = JSON.stringify(domain);
  let separator = domainSeparators.get(key);
  if (!separator) {
    // viem's generic typed-data signatures cannot follow a runtime domain; the values are the signer's own.
    separator = hashDomain({ domain, types: { EIP712Domain: getTypesForEIP712Domain({ domain }), ...types } } as never);
    domainSeparators.set(key, separator);
  }
  return keccak256(concat(["0x1901", separator, hashStruct({ data: message, primaryType, types } as never)]));
}

function fastSigner(privateKey: Hex): Ws402Signer {
  const secret = hexToBytes(privateKey);
  const publicKey = secp256k1.pointFromScalar(secret, false)!;
  return {
    address: getAddress(`0x${keccak256(publicKey.subarray(1)).slice(-40)}`),
    signTypedData: (async (parameters: Parameters<typeof hashTypedData>[0]) => {
      const { signature, recoveryId } = secp256k1.signRecoverable(hexToBytes(typedDataDigest(parameters)), secret);
      return concat([toHex(signature), toHex(27 + recoveryId, { size: 1 })]);
    }) as Ws402Signer["signTypedData"],
  };
}

async function rpcBatch(url: string, calls: { method: string; params: unknown[] }[]): Promise<unknown[]> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(calls.map((call, id) => ({ jsonrpc: "2.0", id, ...call }))),
  });
  const answers = (await response.json()) as { id: number; result?: unknown; error?: { message: string } }[];
  return answers
    .sort((a, b) => a.id - b.id)
    .map((answer) => {
      if (answer.error) throw new Error(answer.error.message);
      return answer.result;
    });
}

/** Utime + stime of a process in seconds (Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The child processes (chain, gateway), killed on any exit path. */
const children: ReturnType<typeof spawn>[] = [];

interface ChainInfo {
  rpcUrl: string;
  chainId: number;
  contracts: { WS402Deposits: Hex };
  accounts: { address: Hex; privateKey: Hex }[];
}

/**
 * The devchain in its own process, so that the chain's work (proof lookups, settlements) does not run on the load
 * generator's event loop and skew its latency measurements.
 */
async function startChain(): Promise<ChainInfo & { stop(): Promise<void> }> {
  const script = [
    'import { startDevChain } from "@web3torrent/devchain";',
    "const chain = await startDevChain();",
    "console.log(JSON.stringify({ rpcUrl: chain.rpcUrl, chainId: chain.chainId, contracts: chain.contracts, accounts: chain.accounts }));",
    'process.on("SIGTERM", async () => { await chain.stop(); process.exit(0); });',
  ].join("\n");
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  const info = await new Promise<ChainInfo>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", (line) => resolve(JSON.parse(line) as ChainInfo));
    child.once("exit", (code) => reject(new Error(`the devchain exited (${code})`)));
  });
  return {
    ...info,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    },
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), "ws402-bench-"));
  log(
    `WS402 gateway benchmark: ${SESSIONS} sessions arriving at ${ARRIVAL_RATE}/s, receipts every ${INTERVAL_MS} ms, hold ${HOLD_SECONDS} s, burst ${BURST}`,
  );
  const chain = await startChain();
  const publicClient = createPublicClient({ transport: http(chain.rpcUrl) });
  const port = await freePort();
  const configPath = join(dir, "gateway.json");
  writeFileSync(
    configPath,
    JSON.stringify({
      gateway: {
        port,
        database: join(dir, "gateway.sqlite"),
        usageIntervalMs: INTERVAL_MS,
        heartbeatTimeoutMs: Math.max(10_000, 3 * INTERVAL_MS),
        maxConnections: SESSIONS + 1_000,
        // A local chain mines at once: poll its receipts and close requests often.
        chainPollingMs: 250,
        logLevel: "warn",
      },
      chain: { rpcUrl: chain.rpcUrl, contract: chain.contracts.WS402Deposits },
      resources: [
        {
          id: "bench-pdf",
          path: join(dir, "bench.pdf"),
          mimeType: "application/pdf",
          pricePerSecond: PRICE_PER_SECOND.toString(),
          estimatedSeconds: 600,
          demo: true,
        },
      ],
    }),
  );
  const gateway = spawn(
    process.execPath,
    ["--disable-warning=ExperimentalWarning", join(root, "services/ws402-gateway/src/main.ts"), configPath],
    {
      env: { ...process.env, W3T_GATEWAY_PRIVATE_KEY: chain.accounts[1]!.privateKey },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  children.push(gateway);
  const gatewayUrl = await new Promise<string>((resolve, reject) => {
    createInterface({ input: gateway.stdout! }).on("line", (line) => {
      const match = /^\{"listening":"([^"]+)"/.exec(line);
      if (match) resolve(match[1]!);
    });
    gateway.once("exit", (code) => reject(new Error(`the gateway exited (${code})`)));
  });
  const metrics = async () =>
    (await (await fetch(`${gatewayUrl}/metrics`)).json()) as Record<string, number> & { memory: NodeJS.MemoryUsage };
  const schema = (await (await fetch(`${gatewayUrl}/api/resource/bench-pdf/schema`)).json()) as Ws402SchemaDocument;
  log(`gateway ${gatewayUrl} (pid ${gateway.pid}), chain ${chain.rpcUrl}`);

  // --- Open the sessions on-chain -------------------------------------------------------------------------------
  const openStart = Date.now();
  const users = chain.accounts.slice(FIRST_USER_ACCOUNT).map((a) => privateKeyToAccount(a.privateKey));
  const fees = await publicClient.estimateFeesPerGas();
  const nonces = await Promise.all(users.map((u) => publicClient.getTransactionCount({ address: u.address, blockTag: "pending" })));
  const sessionKeys = Array.from({ length: SESSIONS }, () => generatePrivateKey());
  const rawTransactions = await Promise.all(
    sessionKeys.map((key, index) => {
      const user = users[index % users.length]!;
      return user.signTransaction({
        chainId: chain.chainId,
        type: "eip1559",
        to: chain.contracts.WS402Deposits,
        data: encodeFunctionData({
          abi: ws402DepositsAbi,
          functionName: "open",
          args: [BigInt(schema.contract.resourceId), MAX_SECONDS, privateKeyToAccount(key).address],
        }),
        value: PRICE_PER_SECOND * BigInt(MAX_SECONDS),
        nonce: nonces[index % users.length]! + Math.floor(index / users.length),
        gas: OPEN_GAS,
        maxFeePerGas: fees.maxFeePerGas * 2n,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      });
    }),
  );
  const hashes: Hex[] = [];
  for (let i = 0; i < rawTransactions.length; i += RPC_BATCH) {
    const batch = rawTransactions.slice(i, i + RPC_BATCH).map((raw) => ({ method: "eth_sendRawTransaction", params: [raw] }));
    hashes.push(...((await rpcBatch(chain.rpcUrl, batch)) as Hex[]));
  }
  const sessionIds: bigint[] = [];
  for (let i = 0; i < hashes.length; i += RPC_BATCH) {
    const receipts = (await rpcBatch(
      chain.rpcUrl,
      hashes.slice(i, i + RPC_BATCH).map((hash) => ({ method: "eth_getTransactionReceipt", params: [hash] })),
    )) as TransactionReceipt[];
    for (const receipt of receipts) {
      const [opened] = parseEventLogs({ abi: ws402DepositsAbi, eventName: "SessionOpened", logs: receipt.logs });
      if (!opened) throw new Error("an open transaction failed");
      sessionIds.push(opened.args.sessionId);
    }
  }
  const openSeconds = (Date.now() - openStart) / 1000;
  log(`opened ${SESSIONS} on-chain sessions in ${openSeconds.toFixed(1)} s (${(SESSIONS / openSeconds).toFixed(0)} tx/s)`);

  // --- Connect the clients --------------------------------------------------------------------------------------
  const deliveries: number[] = [];
  const roundTrips: number[] = [];
  const connectTimes: number[] = [];
  let measuring = false;
  let clientErrors = 0;
  const connectFailures: string[] = [];
  const clients: Ws402Client[] = [];
  const connectStart = Date.now();
  const connecting: Promise<void>[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    const due = connectStart + (i * 1000) / ARRIVAL_RATE;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    const sessionId = sessionIds[i]!;
    connecting.push(
      (async () => {
        const client = new Ws402Client({ schema, sessionId, sessionKey: fastSigner(sessionKeys[i]!), autoReconnect: false });
        let usageAt = 0;
        client.on("usage", (usage) => {
          usageAt = Date.now();
          if (measuring) deliveries.push(usageAt - usage.at);
        });
        client.on("receipt", () => {
          if (measuring && usageAt > 0) roundTrips.push(Date.now() - usageAt);
        });
        client.on("error", () => clientErrors++);
        const t0 = Date.now();
        try {
          await client.connect();
        } catch (error) {
          connectFailures.push(`${(error as { code?: string }).code ?? (error as Error).message}`);
          return;
        }
        connectTimes.push(Date.now() - t0);
        clients.push(client);
      })(),
    );
  }
  await Promise.all(connecting);
  const connectSeconds = (Date.now() - connectStart) / 1000;
  connectTimes.sort((a, b) => a - b);
  if (connectFailures.length > 0) log(`${connectFailures.length} connects failed: ${[...new Set(connectFailures)].join(", ")}`);
  log(
    `connected ${clients.length} clients in ${connectSeconds.toFixed(1)} s (connect p50 ${percentile(connectTimes, 50)} ms, p99 ${percentile(connectTimes, 99)} ms)`,
  );

  // --- Hold -----------------------------------------------------------------------------------------------------
  // One interval to let every session reach its steady rhythm before measuring.
  await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
  const before = await metrics();
  const cpuBefore = cpuSeconds(gateway.pid!);
  const holdStart = Date.now();
  measuring = true;
  let peakRss = 0;
  while (Date.now() - holdStart < HOLD_SECONDS * 1000) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, HOLD_SECONDS * 1000 - (Date.now() - holdStart))));
    const now = await metrics();
    peakRss = Math.max(peakRss, now.memory.rss);
    log(
      `  live ${now.liveSessions}, receipts verified ${now.receiptsVerified - before.receiptsVerified}, rss ${(now.memory.rss / 2 ** 20).toFixed(0)} MiB`,
    );
  }
  measuring = false;
  const holdSeconds = (Date.now() - holdStart) / 1000;
  const after = await metrics();
  const cpu = (cpuSeconds(gateway.pid!) - cpuBefore) / holdSeconds;
  const live = clients.filter((c) => c.state === "live").length;
  deliveries.sort((a, b) => a - b);
  roundTrips.sort((a, b) => a - b);

  // --- Burst of disconnects -------------------------------------------------------------------------------------
  const burst = clients.slice(0, BURST);
  const settledBefore = (await metrics()).settlementsSettled;
  const burstStart = Date.now();
  await Promise.all(burst.map((client) => client.close()));
  let settled = 0;
  while (settled < BURST && Date.now() - burstStart < 120_000) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    settled = (await metrics()).settlementsSettled - settledBefore;
  }
  const burstSeconds = (Date.now() - burstStart) / 1000;
  const statuses = await Promise.all(
    burst.map((client) =>
      publicClient.readContract({
        address: chain.contracts.WS402Deposits,
        abi: ws402DepositsAbi,
        functionName: "session",
        args: [client.sessionId],
      }),
    ),
  );
  const settledOnChain = statuses.filter((s) => s.status === 2).length;

  // --- Report ---------------------------------------------------------------------------------------------------
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  const report = {
    sessions: SESSIONS,
    sessionsHeld: after.liveSessions,
    clientsLive: live,
    clientErrors,
    receiptsVerifiedPerSecond: Number(((after.receiptsVerified - before.receiptsVerified) / holdSeconds).toFixed(1)),
    receiptsRejected: after.receiptsRejected - before.receiptsRejected,
    usageUpdatesPerSecond: Number(((after.usageUpdatesSent - before.usageUpdatesSent) / holdSeconds).toFixed(1)),
    usageUpdateLatencyMs: {
      p50: percentile(deliveries, 50),
      p99: percentile(deliveries, 99),
      max: deliveries.at(-1),
      samples: deliveries.length,
    },
    receiptRoundTripMs: {
      p50: percentile(roundTrips, 50),
      p99: percentile(roundTrips, 99),
      max: roundTrips.at(-1),
      samples: roundTrips.length,
    },
    gatewayCpuCores: Number(cpu.toFixed(2)),
    gatewayMemory: { rss: mib(after.memory.rss), peakRss: mib(peakRss), heapUsed: mib(after.memory.heapUsed) },
    loadGeneratorMemory: { rss: mib(process.memoryUsage().rss) },
    burst: { disconnects: BURST, settledSeconds: Number(burstSeconds.toFixed(2)), settledOnChain },
    openSessionsSeconds: Number(openSeconds.toFixed(1)),
    connectSeconds: Number(connectSeconds.toFixed(1)),
    machine: `${availableParallelism()} cores, Node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  };
  console.log(`\nWS402 gateway benchmark (${HOLD_SECONDS} s hold, receipts every ${INTERVAL_MS} ms)`);
  console.log(`  sessions held            ${report.sessionsHeld} / ${SESSIONS} (clients live ${live}, client errors ${clientErrors})`);
  console.log(`  receipts verified        ${report.receiptsVerifiedPerSecond} /s (rejected ${report.receiptsRejected})`);
  console.log(
    `  usage_update latency     p50 ${report.usageUpdateLatencyMs.p50} ms, p99 ${report.usageUpdateLatencyMs.p99} ms (max ${report.usageUpdateLatencyMs.max} ms, ${deliveries.length} samples)`,
  );
  console.log(`  receipt round trip       p50 ${report.receiptRoundTripMs.p50} ms, p99 ${report.receiptRoundTripMs.p99} ms`);
  console.log(`  gateway CPU              ${(cpu * 100).toFixed(0)}% of one core`);
  console.log(
    `  gateway memory           rss ${report.gatewayMemory.rss} (peak ${report.gatewayMemory.peakRss}), heap ${report.gatewayMemory.heapUsed}`,
  );
  console.log(
    `  burst of ${BURST} disconnects  settled on-chain in ${report.burst.settledSeconds} s (${settledOnChain}/${BURST} confirmed)`,
  );
  console.log(`  machine                  ${report.machine}`);
  console.log(
    `  setup                    ${openSeconds.toFixed(1)} s to open ${SESSIONS} sessions on-chain, ${connectSeconds.toFixed(1)} s to connect`,
  );
  console.log(`\n${JSON.stringify(report)}`);
  writeBenchResult(args.json, {
    bench: "ws402",
    options: { sessions: SESSIONS, hold: HOLD_SECONDS, interval: INTERVAL_MS, burst: BURST },
    figures: [
      {
        name: "concurrent sessions held",
        value: report.sessionsHeld,
        unit: "sessions",
        target: { op: ">=", value: TARGET_SESSIONS },
        scaleDependent: true,
      },
      { name: "usage_update latency p50", value: report.usageUpdateLatencyMs.p50, unit: "ms" },
      {
        name: "usage_update latency p99",
        value: report.usageUpdateLatencyMs.p99,
        unit: "ms",
        target: { op: "<", value: TARGET_P99_MS },
        scaleDependent: true,
      },
      { name: "receipts verified", value: report.receiptsVerifiedPerSecond, unit: "/s" },
      { name: `settle a burst of ${BURST} disconnects`, value: report.burst.settledSeconds, unit: "s" },
      { name: "burst sessions settled on-chain", value: settledOnChain, unit: "sessions", target: { op: ">=", value: BURST } },
      { name: "gateway peak RSS", value: Math.round(peakRss / 2 ** 20), unit: "MiB" },
    ],
  });

  // --- Tear down ------------------------------------------------------------------------------------------------
  for (const client of clients.slice(BURST)) client.disconnect();
  gateway.kill("SIGKILL");
  await new Promise((resolve) => gateway.once("exit", resolve));
  await chain.stop();
  rmSync(dir, { recursive: true, force: true });
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const failed = report.sessionsHeld < SESSIONS || settledOnChain < BURST;
  process.exit(failed ? 1 : 0);
}

main().catch((error: Error) => {
  console.error(`ws402 benchmark failed: ${error.stack ?? error.message}`);
  for (const child of children) child.kill("SIGKILL");
  process.exit(1);
});
