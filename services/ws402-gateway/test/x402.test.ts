/**
 * WS402 speaks x402 (version 2), checked with the real x402 packages: the gateway's PAYMENT-REQUIRED header is what
 * `@x402/core` decodes and validates, a program on `@x402/fetch` with the sdk's scheme pays, is metered, settled and
 * refunded on-chain, an x402 client without the scheme fails cleanly, and bad payment signatures get a 402 with a
 * reason.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { x402Client, x402HTTPClient } from "@x402/core/client";
import { decodePaymentRequiredHeader, decodePaymentResponseHeader, encodePaymentSignatureHeader } from "@x402/core/http";
import { PaymentRequiredV2Schema } from "@x402/core/schemas";
import type { PaymentPayload, PaymentRequired, SettleResponse } from "@x402/core/types";
import { wrapFetchWithPayment } from "@x402/fetch";
import { privateKeyToAccount } from "viem/accounts";
import { ws402GatewayDomain, type Ws402PaymentRequired } from "@web3torrent/sdk";
import {
  caip2,
  WS402_X402_SCHEME,
  x402AccessTypes,
  X402_ERRORS,
  X402_NATIVE_ASSET,
  type Ws402X402Payload,
} from "@web3torrent/sdk/ws402/x402";
import { Ws402X402Scheme } from "@web3torrent/sdk/ws402/x402Scheme";
import type { Gateway } from "../src/index.ts";
import { freshKey, PACKAGE_DIR, PRICE_PER_SECOND, setup, sleep, waitForOutcome, type TestEnv } from "./helpers.ts";

const run = promisify(execFile);
const PROGRAM = join(PACKAGE_DIR, "examples/x402Fetch.ts");
const READ_SECONDS = 3;

/** Runs the example x402 program as its own Node process; resolves with its JSON line and exit code. */
async function runProgram(env: TestEnv, userIndex: number, url: string, args: string[] = []) {
  const options = {
    env: { ...process.env, X402_PRIVATE_KEY: env.chain.accounts[userIndex]!.privateKey, X402_RPC_URL: env.chain.rpcUrl },
    timeout: 120_000,
  };
  try {
    const known = ["--deposits", env.chain.contracts.WS402Deposits];
    const { stdout } = await run(process.execPath, ["--disable-warning=ExperimentalWarning", PROGRAM, url, ...known, ...args], options);
    return { code: 0, result: JSON.parse(stdout.trim().split("\n").at(-1)!) as Record<string, unknown>, stderr: "" };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return {
      code: failed.code,
      result: JSON.parse(failed.stdout.trim().split("\n").at(-1) || "{}") as Record<string, unknown>,
      stderr: failed.stderr,
    };
  }
}

function paymentRequiredOf(response: Response): PaymentRequired {
  const header = response.headers.get("PAYMENT-REQUIRED");
  assert.ok(header, "the 402 carries a PAYMENT-REQUIRED header");
  return decodePaymentRequiredHeader(header);
}

describe("WS402 as an x402 scheme", () => {
  let env: TestEnv;
  let gateway: Gateway;
  let docUrl: string;

  before(async () => {
    env = await setup();
    gateway = await env.startGateway();
    docUrl = `${gateway.url}/api/resource/doc`;
  });
  after(async () => {
    await env.stop();
  });

  /** An x402 client paying with the sdk's scheme from user `userIndex`. */
  function payingClient(userIndex: number) {
    const { walletClient } = env.user(userIndex);
    const scheme = new Ws402X402Scheme({
      walletClient,
      publicClient: env.publicClient,
      deposits: env.chain.contracts.WS402Deposits,
      settlementTimeoutMs: 30_000,
    });
    const client = new x402Client()
      .register(caip2(env.chain.chainId), scheme)
      .setSpendControls({ allowedAssets: [{ network: caip2(env.chain.chainId), asset: X402_NATIVE_ASSET }] });
    return { scheme, client, http: new x402HTTPClient(client) };
  }

  it("every 402 carries an x402 v2 PAYMENT-REQUIRED header that @x402/core decodes and validates, offering a WS402 session", async () => {
    for (const url of [docUrl, `${docUrl}?token=w3t_forged`]) {
      const response = await fetch(url);
      assert.equal(response.status, 402);
      const paymentRequired = paymentRequiredOf(response);
      const parsed = PaymentRequiredV2Schema.safeParse(paymentRequired);
      assert.ok(parsed.success, `valid against PaymentRequiredV2Schema: ${parsed.error?.message}`);
      const { resource, accepts, x402Version } = parsed.data;
      assert.equal(x402Version, 2);
      assert.deepEqual(resource, { url: docUrl, description: "Test report", mimeType: "application/pdf" });
      assert.equal(accepts.length, 1);
      const [offer] = accepts;
      assert.equal(offer!.scheme, WS402_X402_SCHEME);
      assert.equal(offer!.network, `eip155:${env.chain.chainId}`, "CAIP-2 network");
      assert.equal(offer!.amount, (PRICE_PER_SECOND * 600n).toString(), "the suggested deposit in wei");
      assert.equal(offer!.asset, X402_NATIVE_ASSET);
      assert.equal(offer!.payTo, env.payoutAddress);
      assert.ok(offer!.maxTimeoutSeconds > 0);
      assert.deepEqual(offer!.extra, {
        paymentFlow: "escrow",
        protocol: "ws402",
        version: 1,
        pricePerSecond: PRICE_PER_SECOND.toString(),
        estimatedSeconds: 600,
        contract: env.chain.contracts.WS402Deposits,
        resourceId: gateway.onChainResourceId("doc").toString(),
        provider: env.chain.accounts[1]!.address,
        websocketEndpoint: `${gateway.url.replace("http", "ws")}/ws402?resourceId=doc`,
        schemaUrl: gateway.schemaUrl("doc"),
        settlementUrl: `${gateway.url}/api/x402/settlement`,
      });
      const body = (await response.json()) as Ws402PaymentRequired;
      assert.equal(body.schema.protocol, "ws402", "the WS402 JSON body stays");
      assert.match(paymentRequired.error ?? "", new RegExp(`^${body.error.code}: `), "the header's error names the body's code");
    }
  });

  it("a Node program on @x402/fetch with the sdk's scheme fetches the demo PDF; the provider is paid for the seconds used and the rest refunded", async () => {
    const payoutBefore = await env.balance(env.payoutAddress);
    const { code, result, stderr } = await runProgram(env, 3, docUrl, ["--read-seconds", String(READ_SECONDS)]);
    assert.equal(code, 0, `the program succeeded: ${JSON.stringify(result)} ${stderr}`);
    assert.equal(result.status, 200);
    assert.equal(result.contentType, "application/pdf");
    assert.equal(result.head, "%PDF-");
    const paid = result.paid as SettleResponse;
    assert.equal(paid.success, true);
    assert.equal((paid.extra as { state: string }).state, "metering", "PAYMENT-RESPONSE of the served request: the session is metered");
    const settlement = result.settlement as SettleResponse;
    const sessionId = BigInt((settlement.extra as { sessionId: string }).sessionId);
    assert.equal((paid.extra as { sessionId: string }).sessionId, sessionId.toString());

    const outcome = await waitForOutcome(env, sessionId);
    assert.equal(outcome.status, "settled");
    if (outcome.status !== "settled") return;
    const deposit = PRICE_PER_SECOND * 600n;
    assert.ok(
      outcome.elapsedSeconds >= BigInt(READ_SECONDS - 1) && outcome.elapsedSeconds <= BigInt(READ_SECONDS + 4),
      `charged ${outcome.elapsedSeconds} s for about ${READ_SECONDS} s`,
    );
    assert.equal(outcome.paidToProvider, outcome.elapsedSeconds * PRICE_PER_SECOND);
    assert.equal(outcome.refundedToUser, deposit - outcome.paidToProvider, "the rest is refunded");
    assert.equal(await env.balance(env.payoutAddress), payoutBefore + outcome.paidToProvider, "the payout received the charge");
    assert.equal(settlement.success, true);
    assert.equal(settlement.transaction, outcome.txHash, "PAYMENT-RESPONSE reports the settle transaction");
    assert.equal(settlement.amount, outcome.paidToProvider.toString());
    assert.equal(settlement.payer, env.chain.accounts[3]!.address);
    assert.equal((settlement.extra as { refunded: string }).refunded, outcome.refundedToUser.toString());
  });

  it("the same program with only x402's EVM exact scheme fails cleanly with no supported scheme, and the gateway keeps serving", async () => {
    const { code, result, stderr } = await runProgram(env, 4, docUrl, ["--scheme", "exact"]);
    assert.equal(code, 1);
    assert.match(String(result.error), /No network\/scheme registered for x402 version: 2/);
    assert.doesNotMatch(stderr, /at .*\(/, "no crash trace");
    assert.equal((await fetch(`${gateway.url}/healthz`)).status, 200);
    assert.equal((await fetch(docUrl)).status, 402);
  });

  it("an x402 spend cap below the suggested deposit refuses the offer before any transaction", async () => {
    const { walletClient } = env.user(7);
    const scheme = new Ws402X402Scheme({ walletClient, publicClient: env.publicClient, deposits: env.chain.contracts.WS402Deposits });
    const client = new x402Client().register(caip2(env.chain.chainId), scheme).setSpendControls({
      allowedAssets: [
        { network: caip2(env.chain.chainId), asset: X402_NATIVE_ASSET, maxAmountPerPayment: (PRICE_PER_SECOND * 599n).toString() },
      ],
    });
    const nonce = await env.publicClient.getTransactionCount({ address: walletClient.account.address });
    await assert.rejects(wrapFetchWithPayment(fetch, client)(docUrl), /rejected by spendControls\.allowedAssets maxAmountPerPayment/);
    assert.equal(scheme.sessions.length, 0);
    assert.equal(await env.publicClient.getTransactionCount({ address: walletClient.account.address }), nonce, "no transaction sent");
  });

  it("a gateway naming a WS402Deposits contract the client does not know is refused before any transaction", async () => {
    const { walletClient } = env.user(7);
    const elsewhere = privateKeyToAccount(freshKey()).address;
    const scheme = new Ws402X402Scheme({ walletClient, publicClient: env.publicClient, deposits: elsewhere });
    const client = new x402Client()
      .register(caip2(env.chain.chainId), scheme)
      .setSpendControls({ allowedAssets: [{ network: caip2(env.chain.chainId), asset: X402_NATIVE_ASSET }] });
    const nonce = await env.publicClient.getTransactionCount({ address: walletClient.account.address });
    await assert.rejects(wrapFetchWithPayment(fetch, client)(docUrl), /not the WS402Deposits contract/);
    assert.equal(scheme.sessions.length, 0);
    assert.equal(await env.publicClient.getTransactionCount({ address: walletClient.account.address }), nonce, "no transaction sent");
  });

  it("a streamed resource is metered while it is read, later requests reuse the live session, and it is cut off when the session ends", async () => {
    const { scheme, client } = payingClient(5);
    const pay = wrapFetchWithPayment(fetch, client);
    const response = await pay(`${gateway.url}/api/resource/clip`);
    assert.equal(response.status, 200);
    const [session] = scheme.sessions;
    assert.ok(session);
    const reader = response.body!.getReader();
    let bytes = 0;
    const started = Date.now();
    while (Date.now() - started < 2_500) {
      const chunk = await reader.read();
      bytes += chunk.value?.byteLength ?? 0;
      await sleep(100);
    }
    assert.ok(session.acknowledgedSeconds >= 1, `receipts signed while reading (${session.acknowledgedSeconds} s)`);
    assert.ok(bytes < 48 * 1024 * 1024, "still streaming");

    const again = await pay(`${gateway.url}/api/resource/clip`, { headers: { range: "bytes=0-9" } });
    assert.equal(again.status, 206);
    const reused = decodePaymentResponseHeader(again.headers.get("PAYMENT-RESPONSE")!);
    assert.equal((reused.extra as { sessionId: string }).sessionId, session.sessionId.toString(), "one session, one wallet transaction");
    await again.arrayBuffer();

    const [settlement] = await scheme.end();
    assert.equal(settlement!.success, true);
    await assert.rejects(async () => {
      for (;;) if ((await reader.read()).done) throw new Error("ended without the whole file");
    }, "the response is cut off when the session ends");
    const outcome = await waitForOutcome(env, session.sessionId);
    assert.equal(outcome.status, "settled");
  });

  describe("bad PAYMENT-SIGNATURE headers get a 402 with a reason", () => {
    let payload: PaymentPayload;
    let scheme: Ws402X402Scheme;

    before(async () => {
      const paying = payingClient(6);
      scheme = paying.scheme;
      const paymentRequired = paymentRequiredOf(await fetch(docUrl));
      payload = await paying.client.createPaymentPayload(paymentRequired);
    });
    after(async () => {
      await scheme.end();
    });

    async function refused(header: string, code: string) {
      const response = await fetch(docUrl, { headers: { "PAYMENT-SIGNATURE": header } });
      assert.equal(response.status, 402);
      const body = (await response.json()) as Ws402PaymentRequired;
      assert.equal(body.error.code, code, body.error.reason);
      assert.ok(body.error.reason.length > 0);
      assert.match(paymentRequiredOf(response).error ?? "", new RegExp(`^${code}: .+`));
    }
    const withPayload = (changes: Partial<Ws402X402Payload>) =>
      encodePaymentSignatureHeader({ ...payload, payload: { ...(payload.payload as unknown as Ws402X402Payload), ...changes } });

    it("not base64 JSON, or not an x402 v2 payload, is malformed", async () => {
      await refused("%%% not base64 %%%", X402_ERRORS.malformed);
      await refused(Buffer.from("{not json").toString("base64"), X402_ERRORS.malformed);
      await refused(Buffer.from(JSON.stringify({ x402Version: 2, payload: {} })).toString("base64"), X402_ERRORS.malformed);
      await refused(withPayload({ signature: "0x1234" }), X402_ERRORS.malformed);
    });

    it("another scheme or network is unsupported", async () => {
      await refused(
        encodePaymentSignatureHeader({ ...payload, accepted: { ...payload.accepted, scheme: "exact" } }),
        X402_ERRORS.unsupported,
      );
      await refused(
        encodePaymentSignatureHeader({ ...payload, accepted: { ...payload.accepted, network: "eip155:1" } }),
        X402_ERRORS.unsupported,
      );
    });

    it("a signature by another key, for another resource, or expired is refused", async () => {
      const signed = payload.payload as unknown as Ws402X402Payload;
      const forger = privateKeyToAccount(freshKey());
      const { contract, provider } = scheme.sessions[0]!.schema;
      const forged = await forger.signTypedData({
        domain: ws402GatewayDomain(contract.chainId, contract.address),
        types: x402AccessTypes,
        primaryType: "X402Access",
        message: {
          sessionId: BigInt(signed.sessionId),
          resourceId: BigInt(contract.resourceId),
          provider,
          nonce: signed.nonce,
          validBefore: BigInt(signed.validBefore),
        },
      });
      await refused(withPayload({ signature: forged }), X402_ERRORS.invalid);
      await refused(withPayload({ validBefore: signed.validBefore + 1 }), X402_ERRORS.invalid);
      await refused(withPayload({ validBefore: Math.floor(Date.now() / 1000) - 1 }), X402_ERRORS.expired);
      const clip = await fetch(`${gateway.url}/api/resource/clip`, {
        headers: { "PAYMENT-SIGNATURE": encodePaymentSignatureHeader(payload) },
      });
      assert.equal(clip.status, 402, "a doc session does not pay for the clip");
      assert.equal(((await clip.json()) as Ws402PaymentRequired).error.code, X402_ERRORS.sessionNotLive);
    });

    it("a payment signature is served once; replayed, it is refused", async () => {
      const header = encodePaymentSignatureHeader(payload);
      const first = await fetch(docUrl, { headers: { "PAYMENT-SIGNATURE": header } });
      assert.equal(first.status, 200);
      await first.arrayBuffer();
      await refused(header, X402_ERRORS.replayed);
    });
  });
});
