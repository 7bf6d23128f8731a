/**
 * The gateway's configuration: a JSON file naming the resources it serves (id, file, MIME type, price per second,
 * estimated seconds) and its settings, with a few environment overrides for deployment. Paths in the file are
 * relative to the file's folder. The provider's private key is never read from the file: see main.ts.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { getAddress, isAddress, type Address } from "viem";
import { z } from "zod";

const MAX_UINT32 = 2 ** 32 - 1;
const MAX_UINT128 = 2n ** 128n - 1n;

const address = z
  .string()
  .refine((value) => isAddress(value, { strict: false }), "not an address")
  .transform((value): Address => getAddress(value));
const wei = z
  .union([z.string().regex(/^\d+$/, "a decimal integer"), z.number().int().nonnegative()])
  .transform((value) => BigInt(value))
  .refine((value) => value > 0n && value <= MAX_UINT128, "between 1 and 2^128 - 1 wei");
const milliseconds = z.number().int().positive();

const resourceSchema = z.strictObject({
  /** Path segment of the resource's URLs. */
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "letters, digits, '.', '_' or '-', at most 64"),
  title: z.string().max(200).optional(),
  path: z.string().min(1),
  mimeType: z.string().regex(/^[\w.+-]+\/[\w.+-]+(;.*)?$/, "a MIME type such as application/pdf"),
  pricePerSecond: wei,
  estimatedSeconds: z.number().int().positive().max(MAX_UINT32),
  /** The resource's id in WS402Deposits; without it the gateway registers the resource on first start. */
  onChainId: z
    .union([z.string().regex(/^\d+$/), z.number().int().positive()])
    .transform((v) => BigInt(v))
    .optional(),
  /** Generate the demo PDF at this path when the file is missing. */
  demo: z.boolean().optional(),
});

const settingsSchema = z.strictObject({
  host: z.string().default("127.0.0.1"),
  port: z.number().int().min(0).max(65_535).default(4020),
  /** Base URL clients use to reach the gateway (behind a proxy); defaults to http://host:port. */
  publicUrl: z.url().optional(),
  database: z.string().default("data/ws402-gateway.sqlite"),
  usageIntervalMs: milliseconds.default(3_000),
  heartbeatTimeoutMs: milliseconds.default(10_000),
  reconnectGraceMs: milliseconds.default(15_000),
  receiptToleranceSeconds: z.number().int().min(0).max(60).default(2),
  /** Kept short: until it proves a session, a connection holds one of its address's few unproven slots. */
  proofTimeoutMs: milliseconds.default(5_000),
  maxMessageBytes: z
    .number()
    .int()
    .min(512)
    .max(1 << 20)
    .default(4_096),
  maxConnections: z.number().int().positive().default(10_000),
  /** Connections without a payment proof yet, per address (IPv6: per /64) and in all (connectionLimits.ts). */
  maxUnprovenPerAddress: z.number().int().positive().default(32),
  maxUnproven: z.number().int().positive().default(1_000),
  maxProtocolErrors: z.number().int().positive().default(20),
  /** Ended tokens are remembered this long, to answer "expired" rather than "invalid". */
  endedTokenRetentionMs: milliseconds.default(10 * 60_000),
  settleRetryBaseMs: milliseconds.default(1_000),
  settleRetryMaxMs: milliseconds.default(60_000),
  /** How often the chain is polled: close requests and the receipts of sent settlements. */
  chainPollingMs: milliseconds.default(2_000),
  /** A settlement not mined after this long is sent again (it may have been dropped). */
  settleReceiptTimeoutMs: milliseconds.default(300_000),
  /** Where the provider's share is paid; defaults to the provider account. */
  payout: address.optional(),
  logLevel: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
});

const chainSchema = z.strictObject({
  rpcUrl: z.url().default("http://127.0.0.1:8545"),
  /** Checked against the RPC at start when given. */
  chainId: z.number().int().positive().optional(),
  /** WS402Deposits; defaults to the sdk's deployment for the chain. */
  contract: address.optional(),
});

const fileSchema = z.strictObject({
  gateway: settingsSchema.default(settingsSchema.parse({})),
  chain: chainSchema.default(chainSchema.parse({})),
  resources: z
    .array(resourceSchema)
    .min(1)
    .refine((list) => new Set(list.map((r) => r.id)).size === list.length, "resource ids must be unique"),
});

export type ResourceConfig = z.infer<typeof resourceSchema>;
export type GatewaySettings = z.infer<typeof settingsSchema>;
export type ChainSettings = z.infer<typeof chainSchema>;
export type GatewayConfig = z.infer<typeof fileSchema>;
/** What a caller may pass: the file's shape before defaults and conversions (amounts as strings or numbers). */
export type GatewayConfigInput = z.input<typeof fileSchema>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Validates a configuration object; `baseDir` resolves its relative paths. */
export function parseConfig(input: unknown, baseDir: string): GatewayConfig {
  const result = fileSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  ${issue.path.join(".") || "(root)"}: ${issue.message}`);
    throw new ConfigError(`Invalid gateway configuration:\n${problems.join("\n")}`);
  }
  const config = result.data;
  config.gateway.database = config.gateway.database === ":memory:" ? ":memory:" : resolve(baseDir, config.gateway.database);
  for (const resource of config.resources) resource.path = resolve(baseDir, resource.path);
  return config;
}

/** Reads and validates a configuration file. */
export function loadConfigFile(file: string): GatewayConfig {
  let input: unknown;
  try {
    input = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigError(`Cannot read the gateway configuration ${file}: ${(error as Error).message}`);
  }
  return parseConfig(input, dirname(resolve(file)));
}

/** Environment overrides for deployment (documented in the service's README). */
export function applyEnvironment(config: GatewayConfig, env: NodeJS.ProcessEnv): GatewayConfig {
  const overrides: Record<string, unknown> = {};
  if (env.W3T_GATEWAY_HOST) overrides.host = env.W3T_GATEWAY_HOST;
  if (env.W3T_GATEWAY_PORT) overrides.port = Number(env.W3T_GATEWAY_PORT);
  if (env.W3T_GATEWAY_PUBLIC_URL) overrides.publicUrl = env.W3T_GATEWAY_PUBLIC_URL;
  if (env.W3T_GATEWAY_DB) overrides.database = resolve(env.W3T_GATEWAY_DB);
  if (env.W3T_GATEWAY_PAYOUT) overrides.payout = env.W3T_GATEWAY_PAYOUT;
  const chain: Record<string, unknown> = {};
  if (env.W3T_RPC_URL) chain.rpcUrl = env.W3T_RPC_URL;
  if (env.W3T_WS402_CONTRACT) chain.contract = env.W3T_WS402_CONTRACT;
  const gateway = settingsSchema.safeParse({ ...config.gateway, ...overrides });
  const chainSettings = chainSchema.safeParse({ ...config.chain, ...chain });
  for (const result of [gateway, chainSettings]) {
    if (!result.success) {
      throw new ConfigError(
        `Invalid gateway environment: ${result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      );
    }
  }
  return { ...config, gateway: gateway.data!, chain: chainSettings.data! };
}
