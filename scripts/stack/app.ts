/**
 * Serves the built app (app/dist, built first when missing) with its runtime `config.json`: the chain, the
 * contract addresses and the service URLs of this stack. Used by `npm start` and by the app's browser tests.
 *
 *   const app = await startApp({ config: { chainId, rpcUrl, contracts, trackerUrls, ... } });
 *   console.log(app.url); ... await app.close();
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { dirname, extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { contentSecurityPolicy, originsOf } from "../../app/csp.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
export const APP_DIR = join(ROOT, "app");
export const APP_DIST = join(APP_DIR, "dist");

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".map": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
};

/** What the app reads from config.json (see app/src/config/appConfig.ts). */
export interface AppRuntimeConfig {
  chainId: number;
  chainName?: string;
  rpcUrl: string;
  contracts: Record<string, string | { address: string }>;
  startBlock?: number;
  graphqlUrl?: string | null;
  trackerUrls?: string[];
  gatewayUrl?: string | null;
  iceServers?: { urls: string | string[] }[];
}

export interface AppServerOptions {
  config: AppRuntimeConfig;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Build even when app/dist exists. */
  rebuild?: boolean;
}

export interface AppServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Runs `vite build` for the app (about 2 s). */
export async function buildApp(): Promise<void> {
  const vite = join(dirname(createRequire(join(APP_DIR, "package.json")).resolve("vite/package.json")), "bin/vite.js");
  const child = spawn(process.execPath, [vite, "build", "--logLevel", "warn"], { cwd: APP_DIR, stdio: ["ignore", "inherit", "inherit"] });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`Building the app failed (vite exited with ${code})`);
}

export async function startApp({ config, host = "127.0.0.1", port = 0, rebuild = false }: AppServerOptions): Promise<AppServer> {
  if (rebuild || !existsSync(join(APP_DIST, "index.html"))) await buildApp();
  const configJson = JSON.stringify(config, null, 2);
  // The app's CSP, narrowed to this stack's services (the built index.html carries the general one as well).
  const services = originsOf([config.rpcUrl, config.graphqlUrl, config.gatewayUrl, ...(config.trackerUrls ?? [])]);
  const csp = contentSecurityPolicy({ connect: services, frame: originsOf([config.gatewayUrl]) }, { header: true });
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? "/", "http://localhost").pathname);
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/config.json") {
      response.writeHead(200, { "content-type": CONTENT_TYPES[".json"], "cache-control": "no-store" }).end(configJson);
      return;
    }
    const file = normalize(join(APP_DIST, path === "/" ? "index.html" : path));
    const inside = file.startsWith(APP_DIST + sep);
    const target = inside && existsSync(file) && statSync(file).isFile() ? file : join(APP_DIST, "index.html");
    const immutable = target.includes(`${sep}assets${sep}`);
    response
      .writeHead(200, {
        "content-type": CONTENT_TYPES[extname(target)] ?? "application/octet-stream",
        "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
        "content-security-policy": csp,
      })
      .end(request.method === "HEAD" ? undefined : readFileSync(target));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${bound}/`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Port of the app in `npm start` (W3T_APP_PORT, default 5173). */
export function appPort(): number {
  const raw = process.env.W3T_APP_PORT ?? "5173";
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65_535) throw new Error(`W3T_APP_PORT must be a port number, got "${raw}"`);
  return value;
}

/** The app's config.json for a stack: the chain, a deployment as exported into the sdk, and the service URLs. */
export function appConfigFor(options: {
  chainId: number;
  rpcUrl: string;
  deployment: { contracts: Record<string, { address: string; startBlock: number }> };
  trackerUrls?: string[];
  graphqlUrl?: string | null;
  gatewayUrl?: string | null;
}): AppRuntimeConfig {
  const entries = Object.values(options.deployment.contracts);
  return {
    chainId: options.chainId,
    chainName: "Web3Torrent local (Hardhat)",
    rpcUrl: options.rpcUrl,
    contracts: options.deployment.contracts,
    startBlock: entries.length ? Math.min(...entries.map((c) => c.startBlock)) : 0,
    trackerUrls: options.trackerUrls ?? [],
    graphqlUrl: options.graphqlUrl ?? null,
    gatewayUrl: options.gatewayUrl ?? null,
  };
}
