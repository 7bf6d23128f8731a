/**
 * Test fixtures: a real chain (devchain: Hardhat with the Ignition deployment, over HTTP), a real gateway (in this
 * process, or as a child process that can be killed), the sdk client, and a raw WebSocket client that speaks the
 * protocol message by message for the bad-input and crash tests.
 *
 * Accounts: 0 deploys, 1 is the provider (gateway key), 2 receives the provider's payouts (so its balance moves
 * only by settlements), 3 and up are users.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createPublicClient, createWalletClient, http, type Address, type Hex, type PrivateKeyAccount, type PublicClient } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import WebSocket from "ws";
import { startDevChain, type DevChain } from "@web3torrent/devchain";
import { chainFor } from "@web3torrent/sdk/chain";
import { usageTypes, ws402Domain } from "@web3torrent/sdk/eip712";
import {
  openWs402Deposit,
  paymentProofTypes,
  waitForWs402Outcome,
  ws402GatewayDomain,
  Ws402Client,
  type ServerMessage,
  type Ws402SchemaDocument,
  type Ws402WalletClient,
} from "@web3torrent/sdk";
import { parseConfig, startGateway, type Gateway, type GatewayConfigInput } from "../src/index.ts";
import { createLogger } from "../src/log.ts";

export const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");
/** 1 gwei per second: 600 s deposit = 0.0000006 ETH. */
export const PRICE_PER_SECOND = 1_000_000_000n;
export const CLIP_PRICE_PER_SECOND = 3_000_000_000n;
export const PROVIDER = 1;
export const PAYOUT = 2;

/** Short intervals so that the suite runs in seconds; the protocol is the same as with the 3 s defaults. */
export const FAST_SETTINGS = {
  usageIntervalMs: 200,
  heartbeatTimeoutMs: 1_500,
  reconnectGraceMs: 700,
  receiptToleranceSeconds: 2,
  proofTimeoutMs: 5_000,
  chainPollingMs: 100,
  settleRetryBaseMs: 200,
  settleRetryMaxMs: 1_000,
  logLevel: (process.env.W3T_TEST_LOG ?? "silent") as "silent",
};

export interface TestEnv {
  chain: DevChain;
  publicClient: PublicClient;
  dir: string;
  /** Writes the gateway configuration file for this chain and returns its path. */
  writeConfig(overrides?: Partial<GatewayConfigInput["gateway"]> & { port?: number }): string;
  configInput(overrides?: Partial<GatewayConfigInput["gateway"]>): GatewayConfigInput;
  startGateway(overrides?: Partial<GatewayConfigInput["gateway"]>): Promise<Gateway>;
  user(index: number): { account: PrivateKeyAccount; walletClient: Ws402WalletClient };
  balance(address: Address): Promise<bigint>;
  payoutAddress: Address;
  providerKey: Hex;
  stop(): Promise<void>;
}

export async function setup(): Promise<TestEnv> {
  const chain = await startDevChain();
  const viemChain = chainFor(chain.rpcUrl, chain.chainId, { name: "devchain" });
  const transport = http(chain.rpcUrl);
  const publicClient = createPublicClient({ chain: viemChain, transport, pollingInterval: 50 }) as PublicClient;
  const dir = mkdtempSync(join(tmpdir(), "ws402-gateway-test-"));
  // A file large enough that a download is still running when its session ends.
  const clipPath = join(dir, "clip.bin");
  writeFileSync(clipPath, Buffer.alloc(48 * 1024 * 1024, 7));
  const providerKey = chain.accounts[PROVIDER]!.privateKey;
  const payoutAddress = chain.accounts[PAYOUT]!.address;
  const gateways: Gateway[] = [];

  const configInput = (overrides: Partial<GatewayConfigInput["gateway"]> = {}): GatewayConfigInput => ({
    gateway: { port: 0, database: join(dir, "gateway.sqlite"), payout: payoutAddress, ...FAST_SETTINGS, ...overrides },
    chain: { rpcUrl: chain.rpcUrl, chainId: chain.chainId, contract: chain.contracts.WS402Deposits },
    resources: [
      {
        id: "doc",
        title: "Test report",
        path: join(dir, "doc.pdf"),
        mimeType: "application/pdf",
        pricePerSecond: PRICE_PER_SECOND.toString(),
        estimatedSeconds: 600,
        demo: true,
      },
      {
        id: "clip",
        path: clipPath,
        mimeType: "application/octet-stream",
        pricePerSecond: CLIP_PRICE_PER_SECOND.toString(),
        estimatedSeconds: 60,
      },
    ],
  });

  return {
    chain,
    publicClient,
    dir,
    payoutAddress,
    providerKey,
    configInput,
    writeConfig(overrides = {}) {
      const path = join(dir, `gateway-${Date.now()}.json`);
      writeFileSync(path, JSON.stringify(configInput(overrides), null, 2));
      return path;
    },
    async startGateway(overrides = {}) {
      const config = parseConfig(configInput(overrides), dir);
      const gateway = await startGateway({ config, privateKey: providerKey, log: createLogger(config.gateway.logLevel) });
      gateways.push(gateway);
      return gateway;
    },
    user(index) {
      const account = privateKeyToAccount(chain.accounts[index]!.privateKey);
      return { account, walletClient: createWalletClient({ chain: viemChain, transport, account }) as Ws402WalletClient };
    },
    balance: (address) => publicClient.getBalance({ address }),
    async stop() {
      await Promise.all(gateways.map((g) => g.stop()));
      await chain.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function fetchSchema(gateway: { schemaUrl(id: string): string }, resourceId: string): Promise<Ws402SchemaDocument> {
  return (await fetch(gateway.schemaUrl(resourceId))).json() as Promise<Ws402SchemaDocument>;
}

/** Opens a deposit from user `userIndex` and returns an sdk client for it (not yet connected). */
export async function openClient(
  env: TestEnv,
  gateway: { schemaUrl(id: string): string },
  userIndex: number,
  { resourceId = "doc", maxSeconds = 600, autoReconnect = true } = {},
): Promise<Ws402Client> {
  const { walletClient } = env.user(userIndex);
  return Ws402Client.open({
    schemaUrl: gateway.schemaUrl(resourceId),
    walletClient,
    publicClient: env.publicClient,
    maxSeconds,
    autoReconnect,
    deposits: env.chain.contracts.WS402Deposits,
  });
}

/** Opens a deposit without a client: for the raw protocol tests. */
export async function openDeposit(env: TestEnv, schema: Ws402SchemaDocument, userIndex: number, maxSeconds = 600) {
  const { walletClient } = env.user(userIndex);
  return openWs402Deposit({
    schema,
    walletClient,
    publicClient: env.publicClient,
    maxSeconds,
    deposits: env.chain.contracts.WS402Deposits,
  });
}

export function waitForOutcome(env: TestEnv, sessionId: bigint) {
  return waitForWs402Outcome(env.publicClient, env.chain.contracts.WS402Deposits, sessionId, { timeoutMs: 30_000, pollMs: 100 });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value other than undefined/false. */
export async function eventually<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(25);
  }
}

/**
 * A raw protocol client on the `ws` library: sends exactly what a test says, records every message, and can
 * sign proofs and receipts with any key.
 */
export class RawClient {
  readonly ws: WebSocket;
  readonly messages: ServerMessage[] = [];
  closed?: { code: number; reason: string };
  readonly #schema: Ws402SchemaDocument;
  #cursor = 0;

  private constructor(ws: WebSocket, schema: Ws402SchemaDocument) {
    this.ws = ws;
    this.#schema = schema;
    ws.on("message", (data) => this.messages.push(JSON.parse(data.toString()) as ServerMessage));
    ws.on("close", (code, reason) => (this.closed = { code, reason: reason.toString() }));
    ws.on("error", () => {});
  }

  static async connect(schema: Ws402SchemaDocument, endpoint = schema.websocketEndpoint): Promise<RawClient> {
    const ws = new WebSocket(endpoint);
    const client = new RawClient(ws, schema);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return client;
  }

  /** The next message of `type` after those already taken (errors are returned if `type` is "error"). */
  async next<T extends ServerMessage["type"]>(type: T, timeoutMs = 10_000): Promise<Extract<ServerMessage, { type: T }>> {
    return eventually(
      () => {
        for (let i = this.#cursor; i < this.messages.length; i++) {
          if (this.messages[i]!.type === type) {
            this.#cursor = i + 1;
            return this.messages[i] as Extract<ServerMessage, { type: T }>;
          }
        }
        return undefined;
      },
      timeoutMs,
      `a ${type} message`,
    );
  }

  /** The challenge of this connection (its first message). */
  async challenge(): Promise<Hex> {
    const first = await eventually(() => this.messages.find((m) => m.type === "challenge"), 10_000, "the challenge");
    return (first as Extract<ServerMessage, { type: "challenge" }>).challenge;
  }

  send(value: unknown): void {
    this.ws.send(typeof value === "string" ? value : JSON.stringify(value));
  }

  async signProof(key: Hex, sessionId: bigint, challenge: Hex): Promise<Hex> {
    const { contract, provider } = this.#schema;
    return privateKeyToAccount(key).signTypedData({
      domain: ws402GatewayDomain(contract.chainId, contract.address),
      types: paymentProofTypes,
      primaryType: "PaymentProof",
      message: { sessionId, resourceId: BigInt(contract.resourceId), provider, challenge },
    });
  }

  async signUsage(key: Hex, sessionId: bigint, elapsedSeconds: number): Promise<Hex> {
    const { contract } = this.#schema;
    return privateKeyToAccount(key).signTypedData({
      domain: ws402Domain(contract.chainId, contract.address),
      types: usageTypes,
      primaryType: "Usage",
      message: { sessionId, elapsedSeconds: BigInt(elapsedSeconds) },
    });
  }

  /** Answers the challenge with a proof signed by `key`; resolves with the session_started message. */
  async prove(key: Hex, sessionId: bigint) {
    const signature = await this.signProof(key, sessionId, await this.challenge());
    this.send({ type: "payment_proof", sessionId: sessionId.toString(), signature });
    return this.next("session_started");
  }

  async receipt(key: Hex, sessionId: bigint, elapsedSeconds: number): Promise<void> {
    this.send({
      type: "usage_receipt",
      sessionId: sessionId.toString(),
      elapsedSeconds,
      signature: await this.signUsage(key, sessionId, elapsedSeconds),
    });
  }

  async waitClosed(timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
    return eventually(() => this.closed, timeoutMs, "the connection to close");
  }

  close(): void {
    this.ws.close();
  }
}

export const freshKey = () => generatePrivateKey();

export interface GatewayProcess {
  child: ChildProcess;
  url: string;
  schemaUrl(id: string): string;
  /** Output lines so far (for failure messages). */
  output: string[];
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs src/main.ts as a child process with `configPath`; resolves once it listens. */
export async function spawnGateway(configPath: string, providerKey: Hex): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", join(PACKAGE_DIR, "src/main.ts"), configPath], {
    env: { ...process.env, W3T_GATEWAY_PRIVATE_KEY: providerKey },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  createInterface({ input: child.stderr! }).on("line", (line) => output.push(line));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      output.push(line);
      const match = /^\{"listening":"([^"]+)"/.exec(line);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`gateway exited (${code}):\n${output.join("\n")}`)));
  });
  return {
    child,
    url,
    output,
    schemaUrl: (id) => `${url}/api/resource/${id}/schema`,
    async kill(signal = "SIGKILL") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
