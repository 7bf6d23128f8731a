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
const REFUSAL_REASONS = new Set<string>(Object.values(RefusalReason));

/** Payment modes, as the escrow's `CheckpointSchedule.Mode`. */
export type PaymentModeName = "exponential" | "upfront";

/**
 * How a leecher pays at a checkpoint: `vouchers` signed silently by the session key, or `transactions`, the wallet
 * sending the escrow's `release` for each checkpoint (one wallet prompt per checkpoint and seeder).
 */
export type PaymentStrategy = "vouchers" | "transactions";
const PAYMENT_STRATEGIES: readonly string[] = ["vouchers", "transactions"] satisfies PaymentStrategy[];

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

function malformed(message: string): never {
  throw new WireMessageError(RefusalReason.Malformed, message);
}

type Json = Record<string, unknown>;

function fields(obj: Json, required: string[], optional: string[] = []): void {
  const allowed = new Set(["v", "type", ...required, ...optional]);
  for (const key of Object.keys(obj)) if (!allowed.has(key)) malformed(`unknown field "${key}"`);
  for (const key of required) if (!(key in obj)) malformed(`missing field "${key}"`);
}

function uint(obj: Json, key: string, max = UINT256_MAX): bigint {
  const raw = obj[key];
  if (typeof raw !== "string" || !DECIMAL.test(raw)) malformed(`${key} must be a decimal string`);
  const value = BigInt(raw);
  if (value > max) malformed(`${key} is out of range`);
  return value;
}

function optionalUint(obj: Json, key: string): bigint | null {
  return obj[key] === null ? null : uint(obj, key);
}

function address(obj: Json, key: string): Address {
  const raw = obj[key];
  if (typeof raw !== "string" || !isAddress(raw, { strict: false })) malformed(`${key} must be an address`);
  return getAddress(raw);
}

function sessionSignature(obj: Json, key: string): Hex {
  const raw = obj[key];
  if (typeof raw !== "string" || !SESSION_SIGNATURE.test(raw)) malformed(`${key} must be a 65-byte hex signature`);
  return raw.toLowerCase() as Hex;
}

function nonce(obj: Json, key: string): Hex {
  const raw = obj[key];
  if (typeof raw !== "string" || !NONCE.test(raw)) malformed(`${key} must be a 32-byte hex nonce`);
  return raw.toLowerCase() as Hex;
}

/** A wallet's `Delegation` signature (ECDSA, or longer for a smart-account wallet) and its expiry. */
function walletDelegation(d: unknown): { expiry: bigint; signature: Hex } {
  if (typeof d !== "object" || d === null || Array.isArray(d)) malformed("delegation must be an object");
  const delegation = d as Json;
  for (const key of Object.keys(delegation)) {
    if (key !== "expiry" && key !== "signature") malformed(`unknown delegation field "${key}"`);
  }
  const signature = delegation.signature;
  if (typeof signature !== "string" || !HEX.test(signature) || (signature.length - 2) / 2 > MAX_WALLET_SIGNATURE_BYTES) {
    malformed("delegation.signature must be hex bytes");
  }
  return { expiry: uint(delegation, "expiry", UINT64_MAX), signature: signature.toLowerCase() as Hex };
}

function safeInteger(obj: Json, key: string, min: number, max: number): number {
  const raw = obj[key];
  if (typeof raw !== "number" || !Number.isSafeInteger(raw) || raw < min || raw > max) {
    malformed(`${key} must be an integer in [${min}, ${max}]`);
  }
  return raw;
}

/** Bound on the timeouts a seeder announces (a day). */
const MAX_TIMEOUT_MS = 24 * 60 * 60 * 1000;

function parseTerms(o: Json): TermsMessage {
  fields(o, [
    "chainId",
    "market",
    "escrow",
    "rebatePool",
    "contentId",
    "seeder",
    "pricePerMiB",
    "firstCheckpoint",
    "modes",
    "voucherTimeoutMs",
    "acceptsReleases",
    "releaseTimeoutMs",
    "nonce",
  ]);
  if (typeof o.acceptsReleases !== "boolean") malformed("acceptsReleases must be a boolean");
  const modes = o.modes;
  if (
    !Array.isArray(modes) ||
    modes.length === 0 ||
    modes.length > 2 ||
    new Set(modes).size !== modes.length ||
    !modes.every((m) => m === "exponential" || m === "upfront")
  ) {
    malformed("modes must list exponential and/or upfront");
  }
  return {
    type: "terms",
    chainId: safeInteger(o, "chainId", 1, Number.MAX_SAFE_INTEGER),
    market: address(o, "market"),
    escrow: address(o, "escrow"),
    rebatePool: address(o, "rebatePool"),
    contentId: uint(o, "contentId"),
    seeder: address(o, "seeder"),
    pricePerMiB: uint(o, "pricePerMiB"),
    firstCheckpoint: uint(o, "firstCheckpoint"),
    modes: modes as PaymentModeName[],
    voucherTimeoutMs: safeInteger(o, "voucherTimeoutMs", 1, MAX_TIMEOUT_MS),
    acceptsReleases: o.acceptsReleases,
    releaseTimeoutMs: safeInteger(o, "releaseTimeoutMs", 1, MAX_TIMEOUT_MS),
    nonce: nonce(o, "nonce"),
  };
}

function parseHello(o: Json): HelloMessage {
  fields(o, ["account", "escrowId", "sessionKey", "delegation", "payment", "nonce", "proof"], ["escrowKey"]);
  if (typeof o.payment !== "string" || !PAYMENT_STRATEGIES.includes(o.payment)) malformed("payment must be vouchers or transactions");
  return {
    type: "hello",
    account: address(o, "account"),
    escrowId: optionalUint(o, "escrowId"),
    sessionKey: address(o, "sessionKey"),
    ...("escrowKey" in o ? { escrowKey: address(o, "escrowKey") } : {}),
    delegation: walletDelegation(o.delegation),
    payment: o.payment as PaymentStrategy,
    nonce: nonce(o, "nonce"),
    proof: sessionSignature(o, "proof"),
  };
}

function parseIdentity(o: Json): IdentityMessage {
  fields(o, ["signer", "delegation", "signature"]);
  return {
    type: "identity",
    signer: address(o, "signer"),
    delegation: o.delegation === null ? null : walletDelegation(o.delegation),
    signature: sessionSignature(o, "signature"),
  };
}

function parseVoucherRequest(o: Json): VoucherRequestMessage {
  fields(o, ["cumulativeBytes", "voucherBytes", "voucherAmount"]);
  const voucherBytes = optionalUint(o, "voucherBytes");
  const voucherAmount = optionalUint(o, "voucherAmount");
  if ((voucherBytes === null) !== (voucherAmount === null)) malformed("voucherBytes and voucherAmount go together");
  return { type: "voucher_request", cumulativeBytes: uint(o, "cumulativeBytes"), voucherBytes, voucherAmount };
}

function parseVoucher(o: Json): VoucherMessage {
  fields(o, ["escrowId", "seeder", "cumulativeBytes", "cumulativeAmount", "signature"]);
  return {
    type: "voucher",
    escrowId: uint(o, "escrowId"),
    seeder: address(o, "seeder"),
    cumulativeBytes: uint(o, "cumulativeBytes"),
    cumulativeAmount: uint(o, "cumulativeAmount"),
    signature: sessionSignature(o, "signature"),
  };
}

function parseReleased(o: Json): ReleasedMessage {
  fields(o, ["escrowId", "seeder", "cumulativeBytes", "txHash"]);
  const txHash = o.txHash;
  if (typeof txHash !== "string" || !TX_HASH.test(txHash)) malformed("txHash must be a 32-byte hex transaction hash");
  return {
    type: "released",
    escrowId: uint(o, "escrowId"),
    seeder: address(o, "seeder"),
    cumulativeBytes: uint(o, "cumulativeBytes"),
    txHash: txHash.toLowerCase() as Hex,
  };
}

function parseReceipt(o: Json): ReceiptMessage {
  fields(o, ["leecher", "seeder", "contentId", "cumulativeBytes", "signature"]);
  return {
    type: "receipt",
    leecher: address(o, "leecher"),
    seeder: address(o, "seeder"),
    contentId: uint(o, "contentId"),
    cumulativeBytes: uint(o, "cumulativeBytes"),
    signature: sessionSignature(o, "signature"),
  };
}

function parseAck(o: Json): AckMessage {
  fields(o, ["voucherBytes", "receiptBytes"]);
  return { type: "ack", voucherBytes: uint(o, "voucherBytes"), receiptBytes: uint(o, "receiptBytes") };
}

function parseClose(o: Json): CloseMessage {
  fields(o, ["escrowId", "signature"]);
  return { type: "close", escrowId: uint(o, "escrowId"), signature: sessionSignature(o, "signature") };
}

function parseRefusal(o: Json): RefusalMessage {
  fields(o, ["reason", "message"]);
  if (typeof o.reason !== "string" || !REFUSAL_REASONS.has(o.reason)) malformed("unknown refusal reason");
  if (typeof o.message !== "string" || o.message.length > MAX_REFUSAL_TEXT) malformed("refusal message must be a short string");
  return { type: "refusal", reason: o.reason as RefusalReason, message: o.message };
}

const PARSERS: Record<W3tPayMessageType, (o: Json) => W3tPayMessage> = {
  terms: parseTerms,
  hello: parseHello,
  identity: parseIdentity,
  voucher_request: parseVoucherRequest,
  voucher: parseVoucher,
  released: parseReleased,
  receipt: parseReceipt,
  ack: parseAck,
  close: parseClose,
  refusal: parseRefusal,
};

const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

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
  const obj = parsed as Json;
  if (obj.v !== PROTOCOL_VERSION) {
    throw new WireMessageError(RefusalReason.Version, `protocol version ${String(obj.v)} (this peer speaks ${PROTOCOL_VERSION})`);
  }
  const type = obj.type;
  if (typeof type !== "string" || !Object.hasOwn(PARSERS, type)) malformed(`unknown message type ${JSON.stringify(type)}`);
  return PARSERS[type as W3tPayMessageType](obj);
}

/** Serialises a message (bigints as decimal strings); throws if the result would exceed MAX_MESSAGE_BYTES. */
export function encodeMessage(message: W3tPayMessage): Uint8Array {
  const json = JSON.stringify({ v: PROTOCOL_VERSION, ...message }, (_key, value) =>
    typeof value === "bigint" ? value.toString() : value,
  );
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
