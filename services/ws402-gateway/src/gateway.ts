/**
 * Assembles a running gateway: chain, store, settler, sessions, tokens and the HTTP/WebSocket server.
 *
 * Start order matters for crash recovery: the sessions left open and the settlements left pending by a previous
 * run are taken back before the server accepts a connection.
 */
import { existsSync, statSync } from "node:fs";
import type { AddressInfo } from "node:net";
import type { Address, Hex } from "viem";
import { WebSocketServer } from "ws";
import { Chain } from "./chain.ts";
import { ConfigError, type GatewayConfig } from "./config.ts";
import { ConnectionLimits } from "./connectionLimits.ts";
import { writeDemoPdf } from "./demoPdf.ts";
import { createLogger, type Logger } from "./log.ts";
import { registerResources } from "./registry.ts";
import { buildSchema, resourceUrl, schemaUrl } from "./schema.ts";
import { createHttpServer, type HttpResource } from "./server.ts";
import type { ServedResource } from "./session.ts";
import { SessionManager } from "./sessionManager.ts";
import { Settler, type SettlementResult } from "./settler.ts";
import { SignatureVerifier } from "./signatures.ts";
import { Store } from "./store.ts";
import { TokenRegistry } from "./tokens.ts";
import { X402Gateway } from "./x402.ts";

const TOKEN_SWEEP_INTERVAL_MS = 60_000;
const SHUTDOWN_SETTLE_TIMEOUT_MS = 15_000;
/**
 * Frames up to this size are read even when larger than `maxMessageBytes`, so that an oversized message is answered
 * with a `message_too_large` error; larger frames are cut off by the WebSocket layer (close 1009) before they are
 * buffered, which bounds the memory a connection can hold.
 */
const OVERSIZED_MESSAGE_READ_LIMIT_BYTES = 64 * 1024;

export interface GatewayOptions {
  config: GatewayConfig;
  /** The provider's key: registers the resources and settles their sessions. */
  privateKey: Hex;
  log?: Logger;
  /** Called after each settlement outcome (tests and metrics). */
  onSettlement?: (result: SettlementResult) => void;
}

export interface Gateway {
  /** Base URL, e.g. http://127.0.0.1:4020. */
  url: string;
  chainId: number;
  contract: Address;
  provider: Address;
  schemaUrl(resourceId: string): string;
  /** The on-chain id of a configured resource. */
  onChainResourceId(resourceId: string): bigint;
  metrics(): Record<string, unknown>;
  /** Ends every session, settles what it can within a timeout (the rest at next start), and closes. */
  stop(): Promise<void>;
}

function prepareFiles(config: GatewayConfig): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const resource of config.resources) {
    if (!existsSync(resource.path)) {
      if (!resource.demo) throw new ConfigError(`Resource ${resource.id}: file ${resource.path} does not exist`);
      writeDemoPdf(resource.path, resource.title);
    }
    const stat = statSync(resource.path);
    if (!stat.isFile()) throw new ConfigError(`Resource ${resource.id}: ${resource.path} is not a file`);
    sizes.set(resource.id, stat.size);
  }
  return sizes;
}

export async function startGateway({ config, privateKey, log, onSettlement }: GatewayOptions): Promise<Gateway> {
  const settings = config.gateway;
  log ??= createLogger(settings.logLevel);
  const sizes = prepareFiles(config);
  const chain = await Chain.connect({ ...config.chain, privateKey, pollingMs: settings.chainPollingMs });
  const payout = settings.payout ?? chain.provider;
  const store = new Store(settings.database);
  const deployment = await chain.deploymentId();
  const bound = store.bindDeployment(deployment);
  if (bound !== deployment) {
    store.close();
    throw new ConfigError(
      `The database ${settings.database} belongs to another chain or deployment (${bound}); this one is ${deployment}. ` +
        "Use a fresh database file for a new chain.",
    );
  }

  const outcomes = { settled: 0, reclaimed: 0, failed: 0 };
  const settlerOptions = {
    retryBaseMs: settings.settleRetryBaseMs,
    retryMaxMs: settings.settleRetryMaxMs,
    pollingMs: settings.chainPollingMs,
    receiptTimeoutMs: settings.settleReceiptTimeoutMs,
  };
  const verifier = new SignatureVerifier(chain.chainId, chain.contract);
  const settler = new Settler(chain, verifier, store, settlerOptions, log, (result) => {
    outcomes[result.state]++;
    onSettlement?.(result);
  });
  const tokens = new TokenRegistry(settings.endedTokenRetentionMs);
  const served = new Map<string, ServedResource>();
  const httpResources = new Map<string, HttpResource>();
  const manager = new SessionManager({
    settings,
    chain,
    store,
    settler,
    tokens,
    verifier,
    resources: served,
    log,
  });
  const restored = manager.restore();
  const pendingSettlements = settler.resumePending();

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: Math.max(settings.maxMessageBytes, OVERSIZED_MESSAGE_READ_LIMIT_BYTES),
    clientTracking: false,
    perMessageDeflate: false,
  });
  const limits = new ConnectionLimits(settings);
  const metrics = () => ({
    ...manager.metrics(),
    unprovenConnections: limits.unproven,
    connectionsRefused: limits.refused,
    unprovenEvicted: limits.evicted,
    activeTokens: tokens.size,
    settlementsPending: settler.pending,
    settlementsSettled: outcomes.settled,
    settlementsReclaimed: outcomes.reclaimed,
    settlementsFailed: outcomes.failed,
    memory: process.memoryUsage(),
    uptimeSeconds: Math.round(process.uptime()),
  });
  let x402: X402Gateway | undefined;
  const server = createHttpServer({
    resources: () => httpResources,
    tokens,
    manager,
    // Set once the server listens and knows its URL; no resource is served before.
    get x402() {
      return x402!;
    },
    wss,
    maxConnections: settings.maxConnections,
    limits,
    metrics,
    log,
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(settings.port, settings.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = settings.host.includes(":") ? `[${settings.host}]` : settings.host;
  const baseUrl = (settings.publicUrl ?? `http://${host}:${port}`).replace(/\/$/, "");
  x402 = new X402Gateway({
    baseUrl,
    chainId: chain.chainId,
    contract: chain.contract,
    provider: chain.provider,
    payout,
    store,
    session: (id) => manager.session(id),
  });

  let stopWatching = async () => {};
  try {
    const terms = await registerResources(config.resources, chain, store, payout, (id) => schemaUrl(baseUrl, id), log);
    for (const resource of config.resources) {
      const onChain = terms.get(resource.id)!;
      const schema = buildSchema(resource, onChain, sizes.get(resource.id)!, {
        baseUrl,
        chainId: chain.chainId,
        contract: chain.contract,
        provider: chain.provider,
        settings,
      });
      served.set(resource.id, { id: resource.id, onChainId: onChain.resourceId, url: resourceUrl(baseUrl, resource.id) });
      httpResources.set(resource.id, {
        id: resource.id,
        path: resource.path,
        mimeType: resource.mimeType,
        schema,
        schemaUrl: schemaUrl(baseUrl, resource.id),
      });
    }
    stopWatching = chain.watchCloseRequests(
      (sessionId) => manager.onCloseRequested(sessionId),
      (error) => log.warn("watching close requests failed; retrying", { error }),
    );
  } catch (error) {
    server.closeAllConnections();
    server.close();
    await settler.stop();
    store.close();
    throw error;
  }
  const sweep = setInterval(() => tokens.sweep(), TOKEN_SWEEP_INTERVAL_MS);
  sweep.unref();
  log.info("WS402 gateway listening", {
    url: baseUrl,
    chainId: chain.chainId,
    contract: chain.contract,
    provider: chain.provider,
    resources: config.resources.map((r) => r.id),
    restoredSessions: restored,
    pendingSettlements,
  });

  let stopping: Promise<void> | undefined;
  return {
    url: baseUrl,
    chainId: chain.chainId,
    contract: chain.contract,
    provider: chain.provider,
    schemaUrl: (id) => schemaUrl(baseUrl, id),
    onChainResourceId: (id) => {
      const resource = served.get(id);
      if (!resource) throw new Error(`Unknown resource ${id}`);
      return resource.onChainId;
    },
    metrics,
    stop() {
      stopping ??= (async () => {
        await stopWatching();
        clearInterval(sweep);
        manager.shutdown();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await settler.flush(SHUTDOWN_SETTLE_TIMEOUT_MS);
        await settler.stop();
        store.close();
        log.info("WS402 gateway stopped", { settlementsPending: settler.pending });
      })();
      return stopping;
    },
  };
}
