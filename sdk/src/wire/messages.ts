/**
 * The messages of `w3t_pay`, the BitTorrent extension (BEP 10) spoken between a seeder and a leecher of paid
 * content. Each message is one UTF-8 JSON object of at most MAX_MESSAGE_BYTES, with the protocol version `v` and
 * a `type`; integers that may exceed 2^53 (ids, byte counts, wei) travel as decimal strings.
 *
 *   seeder → leecher   terms            what the seeder charges and where it is paid
 *   leecher → seeder   hello            who pays: account, escrow, session key, the wallet's delegation
 *   seeder → leecher   voucher_request  at a checkpoint: pay up to here before I send more
 *   leecher → seeder   voucher          Voucher(escrowId, seeder, cumulativeBytes, cumulativeAmount) + signature
 *   leecher → seeder   released         instead of a voucher: the wallet's mined `release(escrowId, seeder, bytes)`
 *   leecher → seeder   receipt          Receipt(leecher, seeder, contentId, cumulativeBytes) + signature
 *   seeder → leecher   ack              the seeder has stored the voucher/receipt durably
 *   leecher → seeder   close            the download ended: the session key's `Close(escrowId)`, which the seeder
 *                                      submits with its last voucher and waiver (`settleClose`), so no wallet prompt
 *   either             refusal          why the peer stays choked; the sender serves/pays nothing more on this wire
 *
 * `decodeMessage` rejects anything else with a `WireMessageError`: wrong version, unknown type, unknown or
 * missing fields, malformed numbers, addresses or signatures, and oversized messages. Nothing here touches Node
 * APIs: the same code runs in browsers.
 */
import { getAddress, isAddress, type Address, type Hex } from "viem";
import { z } from "zod";

/** The extension's name in the BEP 10 handshake. */
export const W3T_PAY = "w3t_pay";
/**
 * The protocol version this code speaks; a message with another `v` is refused. Version 2 added on-chain releases
 * (`released`, the terms' `acceptsReleases`/`releaseTimeoutMs`, the hello's `payment`): unknown fields are refused,
 * so a version-1 peer could not have parsed them anyway.
 */
export const PROTOCOL_VERSION = 3;
/** No message is larger: the biggest, `hello`, carries a wallet signature (ERC-1271 ones may be long). */
export const MAX_MESSAGE_BYTES = 4096;
/** Bound on a wallet (delegation) signature, in bytes: EOA signatures are 65, smart-account ones longer. */
export const MAX_WALLET_SIGNATURE_BYTES = 1024;
/** Bound on the free text of a refusal. */
export const MAX_REFUSAL_TEXT = 300;

/** Why a peer is refused. */
export const RefusalReason = {
  /** The account holds no license of the content. */
  NoLicense: "no_license",
  /** Paid content and no open escrow of this account for this content with this session key. */
  NoEscrow: "no_escrow",
  /** The escrow cannot pay what the seeder serves next. */
  EscrowExhausted: "escrow_exhausted",
  /** The escrow's price cap is below the seeder's price, or the seeder asks more than the leecher accepts. */
  Price: "price",
  /** The wallet's delegation of the session key is invalid or expires too soon. */
  BadDelegation: "bad_delegation",
  /** A voucher or receipt is not signed by the session key, or names the wrong escrow, seeder or content. */
  BadSignature: "bad_signature",
  /** A voucher or receipt is not newer than the last one stored, or does not cover the checkpoint. */
  Replayed: "replayed",
  /** A voucher or receipt claims more than the seeder served or than the escrow allows. */
  BadAmount: "bad_amount",
  /** No voucher (or release) within the seeder's timeout. */
  Timeout: "voucher_timeout",
  /** A `released` message the chain does not bear out: nothing (or too little) was released to this seeder. */
  NoRelease: "no_release",
  /** A piece this seeder sent failed its hash check: the leecher pays nothing more for its bytes. */
  BadData: "bad_data",
  /** A message the protocol does not allow at this point. */
  OutOfOrder: "out_of_order",
  /** A block the leecher did not request on this wire, or received twice: nothing is paid for it. */
  Unsolicited: "unsolicited",
  /** A message that does not parse or validate. */
  Malformed: "malformed",
  /** A message over MAX_MESSAGE_BYTES. */
  Oversized: "oversized",
  /** Another protocol version. */
  Version: "version",
  /** Terms the leecher cannot accept (another chain, contract or content, or an unknown schedule). */
  Terms: "terms",
  /** Upfront escrow already paid to another seeder. */
  UpfrontTaken: "upfront_taken",
  /**
   * Free content: another session key of the same license holds bytes this seeder served and no receipt attests
   * (until they are attested, or that key's delegation expires, no other key of the license is served).
   */
  Unattested: "unattested",
  /** The other side failed internally (for example its chain node is unreachable). */
  Unavailable: "unavailable",
} as const;
export type RefusalReason = (typeof RefusalReason)[keyof typeof RefusalReason];

/** Payment modes, as the escrow's `CheckpointSchedule.Mode`. */
export type PaymentModeName = "exponential" | "upfront";

/**
 * How a leecher pays at a checkpoint: `vouchers` signed silently by the session key, or `transactions`, the wallet
 * sending the escrow's `release` for each checkpoint (one wallet prompt per checkpoint and seeder).
 */
export type PaymentStrategy = "vouchers" | "transactions";
const PAYMENT_STRATEGIES = ["vouchers", "transactions"] as const satisfies readonly PaymentStrategy[];

export interface TermsMessage {
  type: "terms";
  chainId: number;
  market: Address;
  escrow: Address;
  rebatePool: Address;
  contentId: bigint;
  /** The address vouchers and receipts must name: the seeder is paid there. */
  seeder: Address;
  /** Wei per MiB; 0 for free seeding (receipts only). */
  pricePerMiB: bigint;
  /** The schedule's first checkpoint in bytes; intervals then double (10, 30, 70, 150 MiB ...). */
  firstCheckpoint: bigint;
  /** Modes of escrow the seeder serves. */
  modes: PaymentModeName[];
  /** Milliseconds the seeder waits for a voucher at a checkpoint before it chokes the peer for good. */
  voucherTimeoutMs: number;
  /** Whether the seeder accepts on-chain releases (`released`) in place of vouchers. */
  acceptsReleases: boolean;
  /** Milliseconds the seeder waits at a checkpoint for a leecher paying by transactions (a wallet prompt, then mining). */
  releaseTimeoutMs: number;
  /** The seeder's fresh 32-byte challenge for this wire: the hello's `proof` signs it (./proofs.ts). */
  nonce: Hex;
}

export interface HelloMessage {
  type: "hello";
  /** The license holder (the wallet). */
  account: Address;
  /** The escrow paying this download; null for free content. */
  escrowId: bigint | null;
  sessionKey: Address;
  /**
   * The key the escrow registered (its `sessionKey`), which signs the vouchers and the Close, when it is not
   * `sessionKey`: a fresh key per escrow, so the daily delegated key signs no voucher. Absent: `sessionKey` is it.
   */
  escrowKey?: Address;
  /** The wallet's EIP-712 `Delegation(sessionKey, expiry)` for rebate receipts. */
  delegation: { expiry: bigint; signature: Hex };
  /** How the leecher pays at checkpoints (sets the seeder's timeout); receipts are signed silently either way. */
  payment: PaymentStrategy;
  /** The leecher's fresh 32-byte challenge for this wire: the seeder's `identity` signs it. */
  nonce: Hex;
  /** The session key's `WireAdmission` signature of the terms' nonce on this wire (./proofs.ts). */
  proof: Hex;
}

/**
 * The seeder proves, once admitted and before it sends a block, that it speaks for its terms' `seeder` address: a
 * `WireIdentity` signature of the hello's nonce on this wire by that address's key (`delegation` null), or by `signer`
 * with the address's `Delegation` of it. The leecher books nothing to the address before.
 */
export interface IdentityMessage {
  type: "identity";
  signer: Address;
  delegation: { expiry: bigint; signature: Hex } | null;
  signature: Hex;
}

export interface VoucherRequestMessage {
  type: "voucher_request";
  /** Bytes served on this account so far: the receipt asked for. */
  cumulativeBytes: bigint;
  /** Bytes the voucher must cover (the served bytes; the whole download in upfront mode); null when free. */
  voucherBytes: bigint | null;
  /** What such a voucher is worth at the seeder's price; null when free. */
  voucherAmount: bigint | null;
}

export interface VoucherMessage {
  type: "voucher";
  escrowId: bigint;
  seeder: Address;
  cumulativeBytes: bigint;
  cumulativeAmount: bigint;
  signature: Hex;
}

/**
 * The leecher's wallet released checkpoint `cumulativeBytes` of escrow `escrowId` to `seeder` on-chain, in
 * transaction `txHash` (mined). The seeder believes the chain only: `redeemedBy(escrowId, seeder)` must cover its
 * price for those bytes.
 */
export interface ReleasedMessage {
  type: "released";
  escrowId: bigint;
  seeder: Address;
  cumulativeBytes: bigint;
  txHash: Hex;
}

export interface ReceiptMessage {
  type: "receipt";
  leecher: Address;
  seeder: Address;
  contentId: bigint;
  cumulativeBytes: bigint;
  signature: Hex;
}

/** The session key's EIP-712 `Close(escrowId)`: the leecher is done with the escrow; anyone may submit it. */
export interface CloseMessage {
  type: "close";
  escrowId: bigint;
  signature: Hex;
}

export interface AckMessage {
  type: "ack";
  /** The voucher bytes and receipt bytes now stored for this account. */
  voucherBytes: bigint;
  receiptBytes: bigint;
}

export interface RefusalMessage {
  type: "refusal";
  reason: RefusalReason;
  message: string;
}

export type W3tPayMessage =
  | TermsMessage
  | HelloMessage
  | IdentityMessage
  | VoucherRequestMessage
  | VoucherMessage
  | ReleasedMessage
  | ReceiptMessage
  | AckMessage
  | CloseMessage
  | RefusalMessage;
export type W3tPayMessageType = W3tPayMessage["type"];

/** A message that cannot be accepted, with the refusal reason it warrants. */
export class WireMessageError extends Error {
  readonly reason: RefusalReason;
  constructor(reason: RefusalReason, message: string) {
    super(message);
    this.name = "WireMessageError";
    this.reason = reason;
  }
}

const UINT256_MAX = (1n << 256n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;
const DECIMAL = /^(0|[1-9][0-9]{0,77})$/;
const SESSION_SIGNATURE = /^0x[0-9a-fA-F]{130}$/;
const HEX = /^0x(?:[0-9a-fA-F]{2})+$/;
const TX_HASH = /^0x[0-9a-fA-F]{64}$/;
const NONCE = /^0x[0-9a-fA-F]{64}$/;
/** Bound on the timeouts a seeder announces (a day). */
const MAX_TIMEOUT_MS = 24 * 60 * 60 * 1000;

// Field types: what travels as a string is checked, then read (bigints, checksummed addresses, lower-case hex).
const uint = (max = UINT256_MAX) =>
  z
    .string()
    .regex(DECIMAL, "must be a decimal string")
    .transform(BigInt)
    .refine((value) => value <= max, "is out of range");
const address = z
  .string()
  .refine((raw) => isAddress(raw, { strict: false }), "must be an address")
  .transform((raw) => getAddress(raw));
const lowerHex = (pattern: RegExp, what: string) =>
  z
    .string()
    .regex(pattern, `must be ${what}`)
    .transform((raw) => raw.toLowerCase() as Hex);
const sessionSignature = lowerHex(SESSION_SIGNATURE, "a 65-byte hex signature");
const nonce = lowerHex(NONCE, "a 32-byte hex nonce");
/** A wallet's `Delegation` signature (ECDSA, or longer for a smart-account wallet) and its expiry. */
const walletDelegation = z.strictObject({
  expiry: uint(UINT64_MAX),
  signature: lowerHex(HEX, "hex bytes").refine((hex) => (hex.length - 2) / 2 <= MAX_WALLET_SIGNATURE_BYTES, "is too long"),
});
const timeoutMs = z.int().min(1).max(MAX_TIMEOUT_MS);

/** Every message's fields, strict: an unknown or missing field is malformed. Typed by the interfaces above. */
const MESSAGES: { [T in W3tPayMessageType]: z.ZodType<Extract<W3tPayMessage, { type: T }>> } = {
  terms: z.strictObject({
    type: z.literal("terms"),
    chainId: z.int().min(1),
    market: address,
    escrow: address,
    rebatePool: address,
    contentId: uint(),
    seeder: address,
    pricePerMiB: uint(),
    firstCheckpoint: uint(),
    modes: z
      .array(z.enum(["exponential", "upfront"]))
      .min(1)
      .max(2)
      .refine((modes) => new Set(modes).size === modes.length, "must list exponential and/or upfront"),
    voucherTimeoutMs: timeoutMs,
    acceptsReleases: z.boolean(),
    releaseTimeoutMs: timeoutMs,
    nonce,
  }),
  hello: z.strictObject({
    type: z.literal("hello"),
    account: address,
    escrowId: uint().nullable(),
    sessionKey: address,
    escrowKey: address.optional(),
    delegation: walletDelegation,
    payment: z.enum(PAYMENT_STRATEGIES),
    nonce,
    proof: sessionSignature,
  }),
  identity: z.strictObject({
    type: z.literal("identity"),
    signer: address,
    delegation: walletDelegation.nullable(),
    signature: sessionSignature,
  }),
  voucher_request: z
    .strictObject({
      type: z.literal("voucher_request"),
      cumulativeBytes: uint(),
      voucherBytes: uint().nullable(),
      voucherAmount: uint().nullable(),
    })
    .refine((m) => (m.voucherBytes === null) === (m.voucherAmount === null), "voucherBytes and voucherAmount go together"),
  voucher: z.strictObject({
    type: z.literal("voucher"),
    escrowId: uint(),
    seeder: address,
    cumulativeBytes: uint(),
    cumulativeAmount: uint(),
    signature: sessionSignature,
  }),
  released: z.strictObject({
    type: z.literal("released"),
    escrowId: uint(),
    seeder: address,
    cumulativeBytes: uint(),
    txHash: lowerHex(TX_HASH, "a 32-byte hex transaction hash"),
  }),
  receipt: z.strictObject({
    type: z.literal("receipt"),
    leecher: address,
    seeder: address,
    contentId: uint(),
    cumulativeBytes: uint(),
    signature: sessionSignature,
  }),
  ack: z.strictObject({ type: z.literal("ack"), voucherBytes: uint(), receiptBytes: uint() }),
  close: z.strictObject({ type: z.literal("close"), escrowId: uint(), signature: sessionSignature }),
  refusal: z.strictObject({
    type: z.literal("refusal"),
    reason: z.enum(Object.values(RefusalReason)),
    message: z.string().max(MAX_REFUSAL_TEXT),
  }),
};

const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

function malformed(message: string): never {
  throw new WireMessageError(RefusalReason.Malformed, message);
}

/** Parses and validates one message; throws a WireMessageError (with the refusal reason) otherwise. */
export function decodeMessage(bytes: Uint8Array): W3tPayMessage {
  if (bytes.length > MAX_MESSAGE_BYTES) {
    throw new WireMessageError(RefusalReason.Oversized, `message of ${bytes.length} bytes (max ${MAX_MESSAGE_BYTES})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch {
    malformed("not UTF-8 JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) malformed("not a JSON object");
  const { v, ...message } = parsed as { v?: unknown; type?: unknown };
  if (v !== PROTOCOL_VERSION) {
    throw new WireMessageError(RefusalReason.Version, `protocol version ${String(v)} (this peer speaks ${PROTOCOL_VERSION})`);
  }
  const type = message.type;
  if (typeof type !== "string" || !Object.hasOwn(MESSAGES, type)) malformed(`unknown message type ${JSON.stringify(type)}`);
  const result = MESSAGES[type as W3tPayMessageType].safeParse(message);
  if (!result.success) {
    const [issue] = result.error.issues;
    malformed(`${type}: ${issue.path.join(".") || "message"} ${issue.message}`);
  }
  return result.data;
}

/** Serialises a message (bigints as decimal strings); throws if the result would exceed MAX_MESSAGE_BYTES. */
export function encodeMessage(message: W3tPayMessage): Uint8Array {
  const json = JSON.stringify({ v: PROTOCOL_VERSION, ...message }, (_key, value) => (typeof value === "bigint" ? value.toString() : value));
  const bytes = encoder.encode(json);
  if (bytes.length > MAX_MESSAGE_BYTES) {
    throw new WireMessageError(RefusalReason.Oversized, `message of ${bytes.length} bytes (max ${MAX_MESSAGE_BYTES})`);
  }
  return bytes;
}

/** Payment mode name ↔ the escrow's enum value. */
export const MODE_VALUE: Record<PaymentModeName, number> = { exponential: 0, upfront: 1 };
export function modeName(value: number): PaymentModeName {
  if (value === 0) return "exponential";
  if (value === 1) return "upfront";
  throw new RangeError(`unknown payment mode ${value}`);
}
