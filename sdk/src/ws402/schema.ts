/** Reading a WS402 schema document: from its URL, or from the body of a 402 Payment Required answer. */
import { z } from "zod";
import { Ws402Error } from "./errors.ts";
import { WS402_HTTP_ERRORS, WS402_PROTOCOL_VERSION, type Ws402PaymentRequired, type Ws402SchemaDocument } from "./protocol.ts";
import { X402_ERRORS } from "./x402.ts";

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const DECIMAL = /^\d+$/;

/**
 * The fields the client relies on: where to connect, what it costs, which contract and chain to pay on. The others
 * (the resource's title, size, URL...) are shown, not trusted, and pass through as the gateway sent them.
 */
const schemaDocument = z.looseObject({
  protocol: z.literal("ws402", "protocol is not ws402"),
  version: z.literal(WS402_PROTOCOL_VERSION, { error: (issue) => `version ${String(issue.input)} is not supported` }),
  websocketEndpoint: z.string().regex(/^wss?:\/\//),
  pricing: z.looseObject({ pricePerSecond: z.string().regex(DECIMAL), estimatedSeconds: z.int() }),
  contract: z.looseObject({ chainId: z.int(), address: z.string().regex(ADDRESS), resourceId: z.string().regex(DECIMAL) }),
  provider: z.string().regex(ADDRESS),
  session: z.looseObject({ reconnectGraceMs: z.int(), receiptToleranceSeconds: z.int() }),
});

/** Checks the fields the client relies on; throws a Ws402Error naming what is wrong. */
export function parseWs402Schema(value: unknown): Ws402SchemaDocument {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new Ws402Error("invalid_schema", "The schema is not a JSON object.");
  const parsed = schemaDocument.safeParse(value);
  if (!parsed.success) {
    const problems = new Set(
      parsed.error.issues.map((issue) => (issue.path.length > 1 || issue.code !== "invalid_value" ? issue.path.join(".") : issue.message)),
    );
    throw new Ws402Error("invalid_schema", `Invalid WS402 schema: ${[...problems].join(", ")}.`);
  }
  // Checked above: what the client relies on; the rest is the gateway's description of the resource, for display.
  return parsed.data as unknown as Ws402SchemaDocument;
}

export async function fetchWs402Schema(url: string, fetchImpl: typeof fetch = fetch): Promise<Ws402SchemaDocument> {
  let response: Response;
  try {
    response = await fetchImpl(url, { headers: { accept: "application/json" } });
  } catch (error) {
    throw new Ws402Error("gateway_unreachable", `Cannot reach the WS402 gateway at ${url}: ${(error as Error).message}`);
  }
  if (!response.ok) throw new Ws402Error("schema_unavailable", `The gateway answered ${response.status} for ${url}.`);
  return parseWs402Schema(await response.json());
}

/** A 402 answer's body: why access was refused (one of the gateway's codes) and the schema, checked on its own. */
const paymentRequired = z.looseObject({
  error: z.looseObject({ code: z.enum([...Object.values(WS402_HTTP_ERRORS), ...Object.values(X402_ERRORS)]), reason: z.string() }),
  schemaUrl: z.string(),
  schema: z.unknown(),
});

/** The schema inside a 402 answer, or undefined for any other response. Reads the body; throws a Ws402Error if malformed. */
export async function readWs402PaymentRequired(response: Response): Promise<Ws402PaymentRequired | undefined> {
  if (response.status !== 402) return undefined;
  const parsed = paymentRequired.safeParse(await response.json());
  if (!parsed.success) {
    const problems = new Set(parsed.error.issues.map((issue) => issue.path.join(".")));
    throw new Ws402Error("invalid_schema", `Invalid WS402 402 answer: ${[...problems].join(", ")}.`);
  }
  return { ...parsed.data, schema: parseWs402Schema(parsed.data.schema) };
}
