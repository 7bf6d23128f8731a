/**
 * Reading a gateway's 402 answer: the body crosses a trust boundary, so its `error` is checked (a known code and a
 * reason) as the schema inside it is, before the client branches on it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { WS402_HTTP_ERRORS, Ws402Error, readWs402PaymentRequired, type Ws402SchemaDocument } from "../src/ws402/index.ts";

const schema: Ws402SchemaDocument = {
  protocol: "ws402",
  version: 1,
  resource: { id: "pdf", title: "A PDF", mimeType: "application/pdf", size: 1, url: "http://gateway.test/api/resource/pdf" },
  websocketEndpoint: "ws://gateway.test/ws402?resourceId=pdf",
  pricing: { pricePerSecond: "1000", estimatedSeconds: 600, totalPrice: "600000", currency: "ETH" },
  contract: { chainId: 31337, address: "0x5FbDB2315678afecb367f032d93F642f64180aa3", resourceId: "1" },
  provider: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
  session: {
    usageIntervalMs: 3_000,
    heartbeatTimeoutMs: 10_000,
    reconnectGraceMs: 5_000,
    receiptToleranceSeconds: 2,
    maxMessageBytes: 4_096,
  },
};
const schemaUrl = "http://gateway.test/api/ws402/schema/pdf";

const answer = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });

describe("readWs402PaymentRequired", () => {
  it("reads the error and the schema of a 402 answer", async () => {
    const error = { code: WS402_HTTP_ERRORS.tokenMissing, reason: "No access token." };
    assert.deepEqual(await readWs402PaymentRequired(answer(402, { error, schemaUrl, schema })), { error, schemaUrl, schema });
  });

  it("returns undefined for any other status", async () => {
    assert.equal(await readWs402PaymentRequired(answer(200, {})), undefined);
  });

  it("refuses a 402 whose error is missing, has an unknown code or no reason: invalid_schema", async () => {
    for (const [error, field] of [
      [undefined, "error"],
      [{ code: "no_such_code", reason: "?" }, "error.code"],
      [{ code: WS402_HTTP_ERRORS.tokenExpired }, "error.reason"],
    ] as const) {
      await assert.rejects(
        readWs402PaymentRequired(answer(402, { error, schemaUrl, schema })),
        (thrown: unknown) => thrown instanceof Ws402Error && thrown.code === "invalid_schema" && thrown.message.includes(field),
        field,
      );
    }
  });

  it("refuses a 402 whose schema is invalid, as fetching the schema would", async () => {
    const error = { code: WS402_HTTP_ERRORS.tokenMissing, reason: "No access token." };
    await assert.rejects(
      readWs402PaymentRequired(answer(402, { error, schemaUrl, schema: { ...schema, provider: "nobody" } })),
      (thrown: unknown) => thrown instanceof Ws402Error && thrown.code === "invalid_schema" && thrown.message.includes("provider"),
    );
  });
});
