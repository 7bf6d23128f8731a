/**
 * The gateway's HTTP routes and its WebSocket endpoint:
 *
 *   GET  /api/resources                 the resources served, with their schema URLs
 *   GET  /api/resource/:id/schema       the WS402 schema document
 *   GET  /api/resource/:id?token=...    the file (Range requests, HEAD) while the token's session is live;
 *                                       402 Payment Required with the schema otherwise
 *                                       (or with an x402 PAYMENT-SIGNATURE header instead of the token; x402.ts)
 *   GET  /api/x402/settlement/:session  the settlement of a session in x402's PAYMENT-RESPONSE header
 *   GET  /healthz, GET /metrics         liveness and counters (JSON)
 *   WS   /ws402?resourceId=:id          the metered session (sessionManager.ts)
 *
 * CORS is open: access is granted by the token in the URL, never by cookies, so any origin may embed a resource.
 */
import { basename } from "node:path";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import send from "send";
import type { WebSocketServer } from "ws";
import { WS402_WEBSOCKET_PATH, type Ws402PaymentRequired, type Ws402SchemaDocument } from "@web3torrent/sdk/ws402/protocol";
import type { ConnectionLimits } from "./connectionLimits.ts";
import type { Logger } from "./log.ts";
import type { SessionManager } from "./sessionManager.ts";
import type { TokenRegistry } from "./tokens.ts";
import { SETTLEMENT_PATH, type X402Gateway } from "./x402.ts";

export interface HttpResource {
  id: string;
  path: string;
  mimeType: string;
  schema: Ws402SchemaDocument;
  schemaUrl: string;
}

export interface HttpDeps {
  resources: () => Map<string, HttpResource>;
  tokens: TokenRegistry;
  manager: SessionManager;
  x402: X402Gateway;
  wss: WebSocketServer;
  maxConnections: number;
  limits: ConnectionLimits;
  metrics: () => Record<string, unknown>;
  log: Logger;
}

const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, HEAD, OPTIONS",
  "access-control-allow-headers": "range, content-type, payment-signature",
  "access-control-expose-headers": "content-range, accept-ranges, content-length, content-type, payment-required, payment-response",
};
const RESOURCE_PATH = /^\/api\/resource\/([^/]+)(\/schema)?$/;

function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...CORS_HEADERS,
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    ...headers,
  });
  response.end(text);
}

function notFound(response: ServerResponse, what: string): void {
  json(response, 404, { error: { code: "not_found", reason: `${what} not found` } });
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function serveFile(request: IncomingMessage, response: ServerResponse, resource: HttpResource, deps: HttpDeps): void {
  const url = new URL(request.url ?? "/", "http://gateway");
  const paymentSignature = request.headers["payment-signature"];
  const x402 = typeof paymentSignature === "string" ? deps.x402.check(paymentSignature, resource) : undefined;
  const check = x402 ?? deps.tokens.check(url.searchParams.get("token"), resource.id);
  if (!check.ok) {
    const error = { code: check.code, reason: check.reason };
    const body: Ws402PaymentRequired = { error, schemaUrl: resource.schemaUrl, schema: resource.schema };
    json(response, 402, body, { "payment-required": deps.x402.paymentRequiredHeader(resource, error) });
    return;
  }
  check.holder.track(response);
  send(request, resource.path, { acceptRanges: true, cacheControl: false, etag: true, lastModified: true, dotfiles: "allow" })
    .on("headers", (res: ServerResponse) => {
      for (const [name, value] of Object.entries(CORS_HEADERS)) res.setHeader(name, value);
      res.setHeader("content-type", resource.mimeType);
      // Cached copies must be revalidated: the token stops working when its session ends.
      res.setHeader("cache-control", "private, no-cache");
      res.setHeader("content-disposition", `inline; filename="${basename(resource.path).replace(/["\\]/g, "")}"`);
      if (x402?.ok) res.setHeader("payment-response", x402.paymentResponse);
    })
    .on("error", (error: Error & { status?: number }) => {
      deps.log.error("cannot serve resource", { resource: resource.id, error });
      if (!response.headersSent)
        json(response, error.status ?? 500, { error: { code: "file_error", reason: "The resource cannot be read." } });
      else response.destroy();
    })
    .pipe(response);
}

function handle(request: IncomingMessage, response: ServerResponse, deps: HttpDeps): void {
  const url = new URL(request.url ?? "/", "http://gateway");
  if (request.method === "OPTIONS") {
    response.writeHead(204, CORS_HEADERS).end();
    return;
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    json(response, 405, { error: { code: "method_not_allowed", reason: "Use GET or HEAD." } }, { allow: "GET, HEAD, OPTIONS" });
    return;
  }
  if (url.pathname === "/healthz") return json(response, 200, { ok: true });
  if (url.pathname === "/metrics") return json(response, 200, deps.metrics());
  if (url.pathname === "/api/resources") {
    const list = [...deps.resources().values()].map((r) => ({
      id: r.id,
      title: r.schema.resource.title,
      mimeType: r.mimeType,
      pricePerSecond: r.schema.pricing.pricePerSecond,
      estimatedSeconds: r.schema.pricing.estimatedSeconds,
      schemaUrl: r.schemaUrl,
    }));
    return json(response, 200, { resources: list });
  }
  if (url.pathname.startsWith(`${SETTLEMENT_PATH}/`)) {
    const settlement = deps.x402.settlement(decodeSegment(url.pathname.slice(SETTLEMENT_PATH.length + 1)) ?? "");
    return json(response, settlement.status, settlement.body, settlement.headers);
  }
  const match = RESOURCE_PATH.exec(url.pathname);
  const id = match ? decodeSegment(match[1]!) : undefined;
  const resource = id === undefined ? undefined : deps.resources().get(id);
  if (!match) return notFound(response, "Route");
  if (!resource) return notFound(response, "Resource");
  if (match[2]) return json(response, 200, resource.schema, { "cache-control": "public, max-age=60" });
  serveFile(request, response, resource, deps);
}

function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${message}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${message.length}\r\n\r\n${message}`,
  );
}

export function createHttpServer(deps: HttpDeps): Server {
  const server = createServer((request, response) => {
    try {
      handle(request, response, deps);
    } catch (error) {
      deps.log.error("request failed", { url: request.url, error });
      if (!response.headersSent) json(response, 500, { error: { code: "internal_error", reason: "Internal error." } });
      else response.destroy();
    }
  });
  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", (error) => deps.log.debug("upgrade socket error", { error }));
    const url = new URL(request.url ?? "/", "http://gateway");
    if (url.pathname !== WS402_WEBSOCKET_PATH) return refuseUpgrade(socket, 404, "Not Found");
    if (deps.manager.connectionCount >= deps.maxConnections) return refuseUpgrade(socket, 503, "Service Unavailable");
    const admission = deps.limits.admit(request.socket.remoteAddress, socket);
    if (!admission.ok) return refuseUpgrade(socket, admission.status, admission.reason);
    deps.wss.handleUpgrade(request, socket, head, (ws) => {
      admission.track(ws);
      deps.manager.accept(ws, url.searchParams.get("resourceId"));
    });
  });
  server.on("clientError", (error, socket) => {
    deps.log.debug("bad HTTP request", { error });
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
  });
  return server;
}
