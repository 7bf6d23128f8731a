/** Reading a WS402 schema document: from its URL, or from the body of a 402 Payment Required answer. */
import { Ws402Error } from "./errors.ts";
import { WS402_PROTOCOL_VERSION, type Ws402PaymentRequired, type Ws402SchemaDocument } from "./protocol.ts";

/** Checks the fields the client relies on; throws a Ws402Error naming what is wrong. */
export function parseWs402Schema(value: unknown): Ws402SchemaDocument {
  const schema = value as Ws402SchemaDocument;
  const problems: string[] = [];
  if (typeof value !== "object" || value === null) throw new Ws402Error("invalid_schema", "The schema is not a JSON object.");
  if (schema.protocol !== "ws402") problems.push("protocol is not ws402");
  if (schema.version !== WS402_PROTOCOL_VERSION) problems.push(`version ${String(schema.version)} is not supported`);
  if (typeof schema.websocketEndpoint !== "string" || !/^wss?:\/\//.test(schema.websocketEndpoint)) problems.push("websocketEndpoint");
  if (!/^\d+$/.test(String(schema.pricing?.pricePerSecond))) problems.push("pricing.pricePerSecond");
  if (!Number.isInteger(schema.pricing?.estimatedSeconds)) problems.push("pricing.estimatedSeconds");
  if (!Number.isInteger(schema.contract?.chainId)) problems.push("contract.chainId");
  if (!/^0x[0-9a-fA-F]{40}$/.test(String(schema.contract?.address))) problems.push("contract.address");
  if (!/^\d+$/.test(String(schema.contract?.resourceId))) problems.push("contract.resourceId");
  if (!/^0x[0-9a-fA-F]{40}$/.test(String(schema.provider))) problems.push("provider");
  if (!Number.isInteger(schema.session?.reconnectGraceMs) || !Number.isInteger(schema.session?.receiptToleranceSeconds)) problems.push("session");
  if (problems.length > 0) throw new Ws402Error("invalid_schema", `Invalid WS402 schema: ${problems.join(", ")}.`);
  return schema;
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

/** The schema inside a 402 answer, or undefined for any other response. Reads the body. */
export async function readWs402PaymentRequired(response: Response): Promise<Ws402PaymentRequired | undefined> {
  if (response.status !== 402) return undefined;
  const body = (await response.json()) as Ws402PaymentRequired;
  return { ...body, schema: parseWs402Schema(body.schema) };
}
