/**
 * The WS402 client facing a gateway that lies: it signs usage receipts for the seconds it was actually connected (plus
 * the sdk's fixed tolerance — never the one the gateway's schema announces), never for the seconds a gateway claims,
 * and it deposits only into the WS402Deposits contract it knows. A stand-in WebSocket plays the gateway, so the test
 * needs no chain and no server.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { recoverTypedDataAddress, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { usageTypes, ws402Domain } from "../src/eip712.ts";
import {
  WS402_RECEIPT_TOLERANCE_SECONDS,
  Ws402Client,
  Ws402Error,
  openWs402Deposit,
  type Ws402SchemaDocument,
} from "../src/ws402/index.ts";

const CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const PROVIDER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const CHAIN_ID = 31337;
const TOLERANCE_SECONDS = 2;
const ELSEWHERE = "0x000000000000000000000000000000000000dEaD" as const;
const MAX_SECONDS = 600;

const schema: Ws402SchemaDocument = {
  protocol: "ws402",
  version: 1,
  resource: { id: "pdf", title: "A PDF", mimeType: "application/pdf", size: 1, url: "http://gateway.test/api/resource/pdf" },
  websocketEndpoint: "ws://gateway.test/ws402?resourceId=pdf",
  pricing: { pricePerSecond: "1000", estimatedSeconds: MAX_SECONDS, totalPrice: "600000", currency: "ETH" },
  contract: { chainId: CHAIN_ID, address: CONTRACT, resourceId: "1" },
  provider: PROVIDER,
  session: {
    usageIntervalMs: 3_000,
    heartbeatTimeoutMs: 10_000,
    reconnectGraceMs: 5_000,
    receiptToleranceSeconds: TOLERANCE_SECONDS,
    maxMessageBytes: 4_096,
  },
};

/** A WebSocket that is open at once and records what the client sends; the test delivers the gateway's messages. */
class StandInSocket {
  static last?: StandInSocket;
  readonly OPEN = 1;
  readyState = 1;
  sent: Record<string, unknown>[] = [];
  onmessage?: (event: { data: string }) => void;
  onopen?: () => void;
  onclose?: (event: { code: number; reason: string }) => void;
  onerror?: () => void;
  readonly url: string;
  constructor(url: string) {
    this.url = url;
    StandInSocket.last = this;
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(): void {
    this.readyState = 3;
  }
  deliver(message: Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
}

async function receiptsAfter(socket: StandInSocket, count: number): Promise<{ elapsedSeconds: number; signature: Hex }[]> {
  for (let i = 0; i < 100; i++) {
    const receipts = socket.sent.filter((m) => m.type === "usage_receipt");
    if (receipts.length >= count) return receipts as unknown as { elapsedSeconds: number; signature: Hex }[];
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("the client sent no usage receipt");
}

/** Connects under `schema`, has the gateway claim 500 s used within the first second, and returns the receipt signed. */
async function receiptForAClaimOf500Seconds(gatewaySchema: Ws402SchemaDocument, sessionKey: Hex) {
  const client = new Ws402Client({ schema: gatewaySchema, sessionId: 7n, sessionKey, WebSocket: StandInSocket as never });
  void client.connect().catch(() => {});
  const socket = StandInSocket.last!;
  socket.deliver({
    type: "session_started",
    sessionId: "7",
    resourceId: "pdf",
    maxSeconds: MAX_SECONDS,
    pricePerSecond: "1000",
    deposit: "600000",
    elapsedSeconds: 0,
    acknowledgedSeconds: 0,
    resumed: false,
  });
  socket.deliver({
    type: "usage_update",
    sessionId: "7",
    elapsedSeconds: 500,
    maxSeconds: MAX_SECONDS,
    consumed: "500000",
    remaining: "100000",
    at: Date.now(),
  });
  const [receipt] = await receiptsAfter(socket, 1);
  client.disconnect();
  return receipt;
}

describe("the WS402 client facing a gateway that over-reports usage", () => {
  it("bounds what it signs by the sdk's fixed tolerance, not by the tolerance the gateway's schema announces", async () => {
    const lying = { ...schema, session: { ...schema.session, receiptToleranceSeconds: 1_000_000 } };
    const receipt = await receiptForAClaimOf500Seconds(lying, generatePrivateKey());
    assert.ok(receipt.elapsedSeconds <= WS402_RECEIPT_TOLERANCE_SECONDS, `signed ${receipt.elapsedSeconds} s for a connection under 1 s`);
  });

  it("signs at most its own connected seconds plus the tolerance, whatever the gateway claims", async () => {
    const sessionKey = generatePrivateKey();
    const receipt = await receiptForAClaimOf500Seconds(schema, sessionKey);
    assert.ok(receipt.elapsedSeconds <= TOLERANCE_SECONDS, `signed ${receipt.elapsedSeconds} s for a connection under 1 s`);
    const signer = await recoverTypedDataAddress({
      domain: ws402Domain(CHAIN_ID, CONTRACT),
      types: usageTypes,
      primaryType: "Usage",
      message: { sessionId: 7n, elapsedSeconds: BigInt(receipt.elapsedSeconds) },
      signature: receipt.signature,
    });
    assert.equal(signer, privateKeyToAccount(sessionKey).address, "the receipt is the session key's");
  });
});

describe("the WS402 client facing a gateway that names another contract", () => {
  /** A wallet and a node that record every call: nothing may reach them. */
  function recordingClients() {
    const calls: string[] = [];
    const record = (name: string) => async () => {
      calls.push(name);
      throw new Error(`${name} must not be called`);
    };
    const walletClient = {
      account: privateKeyToAccount(generatePrivateKey()),
      getChainId: async () => CHAIN_ID,
      writeContract: record("writeContract"),
    };
    const publicClient = {
      readContract: record("readContract"),
      simulateContract: record("simulateContract"),
      waitForTransactionReceipt: record("waitForTransactionReceipt"),
    };
    return { calls, walletClient: walletClient as never, publicClient: publicClient as never };
  }

  it("refuses to deposit into a contract other than the WS402Deposits it was configured with, before any call", async () => {
    const { calls, walletClient, publicClient } = recordingClients();
    const lying = { ...schema, contract: { ...schema.contract, address: ELSEWHERE } };
    await assert.rejects(
      openWs402Deposit({ schema: lying, walletClient, publicClient, deposits: CONTRACT }),
      (e: unknown) => e instanceof Ws402Error && e.code === "unknown_contract",
    );
    await assert.rejects(
      Ws402Client.open({ schema: lying, walletClient, publicClient, deposits: CONTRACT }),
      (e: unknown) => e instanceof Ws402Error && e.code === "unknown_contract",
    );
    assert.deepEqual(calls, []);
  });

  it("refuses to deposit on a chain where it knows no WS402Deposits deployment and was given none", async () => {
    const { calls, walletClient, publicClient } = recordingClients();
    const unknownChain = { ...schema, contract: { ...schema.contract, chainId: 424242 } };
    const wallet = { ...(walletClient as object), getChainId: async () => 424242 } as never;
    await assert.rejects(
      openWs402Deposit({ schema: unknownChain, walletClient: wallet, publicClient }),
      (e: unknown) => e instanceof Ws402Error && e.code === "unknown_contract",
    );
    assert.deepEqual(calls, []);
  });
});
