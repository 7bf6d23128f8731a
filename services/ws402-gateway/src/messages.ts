/**
 * Parsing of client WebSocket messages: JSON, then a known `type`, then that type's fields. Every failure comes
 * back as a protocol error (code and reason) for the client; nothing here throws.
 */
import { z } from "zod";
import { WS402_ERRORS, type ClientMessage, type Ws402ErrorCode } from "@web3torrent/sdk/ws402/protocol";

const MAX_UINT256 = 2n ** 256n - 1n;
const MAX_UINT32 = 2 ** 32 - 1;

const sessionId = z
  .string()
  .regex(/^[1-9]\d{0,77}$/, "a decimal session id")
  .refine((value) => BigInt(value) <= MAX_UINT256, "a uint256");
const signature = z.string().regex(/^0x[0-9a-fA-F]{130}$/, "a 65-byte hex signature");

const schemas = {
  payment_proof: z.strictObject({ type: z.literal("payment_proof"), sessionId, signature }),
  usage_receipt: z.strictObject({
    type: z.literal("usage_receipt"),
    sessionId,
    elapsedSeconds: z.number().int().min(0).max(MAX_UINT32),
    signature,
  }),
  end_session: z.strictObject({ type: z.literal("end_session") }),
} as const;

export type ParseResult = { ok: true; message: ClientMessage } | { ok: false; code: Ws402ErrorCode; reason: string };

export function parseClientMessage(data: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return { ok: false, code: WS402_ERRORS.malformedJson, reason: "The message is not valid JSON." };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value) || typeof (value as { type?: unknown }).type !== "string") {
    return { ok: false, code: WS402_ERRORS.invalidMessage, reason: "A message is a JSON object with a string `type`." };
  }
  const type = (value as { type: string }).type;
  if (!Object.hasOwn(schemas, type)) {
    return {
      ok: false,
      code: WS402_ERRORS.unknownType,
      reason: `Unknown message type "${type.slice(0, 40)}"; expected one of ${Object.keys(schemas).join(", ")}.`,
    };
  }
  const result = schemas[type as keyof typeof schemas].safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".") || type}: ${issue.message}`).join("; ");
    return { ok: false, code: WS402_ERRORS.invalidMessage, reason: `Invalid ${type}: ${problems}` };
  }
  return { ok: true, message: result.data as ClientMessage };
}
