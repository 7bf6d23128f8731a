/**
 * The HTTP side: the schema, the 402 answer, and access tokens — refused when missing, forged, expired, from
 * another session or for another resource, and dead the moment their session ends.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  readWs402PaymentRequired,
  ws402DepositsAbi,
  Ws402Client,
  type Ws402PaymentRequired,
  type Ws402SchemaDocument,
} from "@web3torrent/sdk";
import type { Gateway } from "../src/index.ts";
import { CLIP_PRICE_PER_SECOND, eventually, openClient, PRICE_PER_SECOND, setup, type TestEnv } from "./helpers.ts";

async function refusal(response: Response): Promise<Ws402PaymentRequired> {
  assert.equal(response.status, 402, "402 Payment Required");
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  return (await response.json()) as Ws402PaymentRequired;
}

describe("WS402 HTTP resources and tokens", () => {
  let env: TestEnv;
  let gateway: Gateway;
  let live: Ws402Client;
  let liveUrl: string;

  before(async () => {
    env = await setup();
    gateway = await env.startGateway();
    live = await openClient(env, gateway, 3);
    liveUrl = (await live.connect()).url;
  });
  after(async () => {
    await live.close().catch(() => {});
    await env.stop();
  });

  it("serves the schema: endpoint, price, estimate and total, contract, chain and provider", async () => {
    const response = await fetch(gateway.schemaUrl("doc"));
    assert.equal(response.status, 200);
    const schema = (await response.json()) as Ws402SchemaDocument;
    assert.equal(schema.protocol, "ws402");
    assert.equal(schema.websocketEndpoint, `${gateway.url.replace("http", "ws")}/ws402?resourceId=doc`);
    assert.deepEqual(schema.pricing, {
      pricePerSecond: PRICE_PER_SECOND.toString(),
      estimatedSeconds: 600,
      totalPrice: (PRICE_PER_SECOND * 600n).toString(),
      currency: "ETH",
    });
    assert.deepEqual(schema.contract, {
      chainId: env.chain.chainId,
      address: env.chain.contracts.WS402Deposits,
      resourceId: gateway.onChainResourceId("doc").toString(),
    });
    assert.equal(schema.provider, env.chain.accounts[1]!.address);
    assert.equal(schema.resource.mimeType, "application/pdf");
    assert.equal((await fetch(`${gateway.url}/api/resource/nope/schema`)).status, 404);
    const list = (await (await fetch(`${gateway.url}/api/resources`)).json()) as { resources: { id: string; schemaUrl: string }[] };
    assert.deepEqual(
      list.resources.map((r) => r.id),
      ["doc", "clip"],
    );
  });

  it("registered each resource on-chain at its configured price, paid to the configured payout", async () => {
    for (const [id, price] of [
      ["doc", PRICE_PER_SECOND],
      ["clip", CLIP_PRICE_PER_SECOND],
    ] as const) {
      const onChain = await env.publicClient.readContract({
        address: env.chain.contracts.WS402Deposits,
        abi: ws402DepositsAbi,
        functionName: "resource",
        args: [gateway.onChainResourceId(id)],
      });
      assert.equal(onChain.provider, env.chain.accounts[1]!.address);
      assert.equal(onChain.payout, env.payoutAddress);
      assert.equal(onChain.pricePerSecond, price);
      assert.equal(onChain.metadataURI, gateway.schemaUrl(id), "the metadata URI is the schema");
    }
    assert.notEqual(gateway.onChainResourceId("doc"), gateway.onChainResourceId("clip"));
  });

  it("a request without a token gets 402 with the schema to pay with", async () => {
    const body = await refusal(await fetch(`${gateway.url}/api/resource/doc`));
    assert.equal(body.error.code, "token_missing");
    assert.equal(body.schemaUrl, gateway.schemaUrl("doc"));
    assert.equal(body.schema.websocketEndpoint, `${gateway.url.replace("http", "ws")}/ws402?resourceId=doc`);
    assert.equal(body.schema.pricing.pricePerSecond, PRICE_PER_SECOND.toString());
  });

  it("the 402 alone is enough to pay: the sdk reads its schema, opens a session and gets the resource", async () => {
    const refused = await fetch(`${gateway.url}/api/resource/doc`);
    const paymentRequired = await readWs402PaymentRequired(refused);
    assert.ok(paymentRequired, "a 402 with a WS402 schema");
    const { walletClient } = env.user(7);
    const client = await Ws402Client.open({
      schema: paymentRequired.schema,
      walletClient,
      publicClient: env.publicClient,
      maxSeconds: 30,
      deposits: env.chain.contracts.WS402Deposits,
    });
    const { url } = await client.connect();
    assert.equal(new URL(url).pathname, new URL(refused.url).pathname, "the token is for the resource that answered 402");
    const resource = await fetch(url);
    assert.equal(resource.status, 200);
    assert.equal(resource.headers.get("content-type"), "application/pdf");
    await resource.arrayBuffer();
    await client.close();
  });

  it("a forged token is refused: random, tampered, or absurdly long", async () => {
    const issued = new URL(liveUrl).searchParams.get("token")!;
    // One character changed (a base64url token ends in "x" one time in 64: then it becomes "y").
    const tampered = issued.slice(0, -1) + (issued.endsWith("x") ? "y" : "x");
    for (const token of ["w3t_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", tampered, "x".repeat(5000)]) {
      const body = await refusal(await fetch(`${gateway.url}/api/resource/doc?token=${encodeURIComponent(token)}`));
      assert.equal(body.error.code, "token_invalid");
    }
  });

  it("a live token serves the file, with Range requests and HEAD", async () => {
    const whole = await fetch(liveUrl);
    assert.equal(whole.status, 200);
    const bytes = Buffer.from(await whole.arrayBuffer());
    assert.equal(bytes.subarray(0, 5).toString(), "%PDF-");
    assert.equal(whole.headers.get("accept-ranges"), "bytes");

    const part = await fetch(liveUrl, { headers: { range: "bytes=5-12" } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get("content-range"), `bytes 5-12/${bytes.length}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), bytes.subarray(5, 13));

    const suffix = await fetch(liveUrl, { headers: { range: "bytes=-6" } });
    assert.equal(suffix.status, 206);
    assert.deepEqual(Buffer.from(await suffix.arrayBuffer()), bytes.subarray(bytes.length - 6));

    const unsatisfiable = await fetch(liveUrl, { headers: { range: `bytes=${bytes.length + 10}-` } });
    assert.equal(unsatisfiable.status, 416);
    await unsatisfiable.arrayBuffer();

    const head = await fetch(liveUrl, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), String(bytes.length));
  });

  it("a token for another resource is refused", async () => {
    const token = new URL(liveUrl).searchParams.get("token")!;
    const body = await refusal(await fetch(`${gateway.url}/api/resource/clip?token=${token}`));
    assert.equal(body.error.code, "token_wrong_resource");
    assert.equal(body.schemaUrl, gateway.schemaUrl("clip"), "the 402 points at the schema of the resource asked for");
  });

  it("a token stops working the moment its session ends, even mid-download", async () => {
    const client = await openClient(env, gateway, 4, { resourceId: "clip", maxSeconds: 60 });
    const { url } = await client.connect();
    const download = await fetch(url);
    assert.equal(download.status, 200);
    const reader = download.body!.getReader();
    const first = await reader.read();
    assert.ok(first.value && first.value.length > 0, "the download started");

    await client.close();
    // The body stream breaks instead of running to its end: the file is 48 MiB and we paused after one chunk.
    const finished = (async () => {
      let received = first.value!.length;
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) return received;
        received += chunk.value.length;
      }
    })();
    await assert.rejects(finished, "the response is cut off when the session ends");

    const body = await refusal(await fetch(url));
    assert.equal(body.error.code, "token_expired");
  });

  it("a token from another, ended session is refused while a live session's token works", async () => {
    const ended = await openClient(env, gateway, 5);
    const endedUrl = (await ended.connect()).url;
    await ended.close();
    assert.equal((await refusal(await fetch(endedUrl))).error.code, "token_expired");
    assert.notEqual(new URL(endedUrl).searchParams.get("token"), new URL(liveUrl).searchParams.get("token"));
    assert.equal((await fetch(liveUrl, { method: "HEAD" })).status, 200, "the live session's token still works");
  });

  it("a token expires with the paid time: refused once the deposit is used up", async () => {
    const client = await openClient(env, gateway, 6, { maxSeconds: 1 });
    const { url } = await client.connect();
    assert.equal((await fetch(url, { method: "HEAD" })).status, 200);
    await eventually(() => client.ended, 10_000, "the deposit to run out");
    assert.equal((await refusal(await fetch(url))).error.code, "token_expired");
  });

  it("answers unknown routes, methods and malformed URLs without breaking", async () => {
    assert.equal((await fetch(`${gateway.url}/nothing`)).status, 404);
    assert.equal((await fetch(`${gateway.url}/api/resource/doc`, { method: "POST", body: "x" })).status, 405);
    assert.equal((await fetch(`${gateway.url}/api/resource/%E0%A4%A`)).status, 404);
    assert.equal((await fetch(`${gateway.url}/healthz`)).status, 200);
  });
});
