/**
 * The app's Content-Security-Policy, in one place: the build puts it in index.html as a meta tag (the app's own
 * bundle may be served by any static server), and the stack's server (`npm start`, the browser tests) also sends it
 * as a header narrowed to the services of its config.json, with `frame-ancestors` (which a meta tag cannot carry).
 *
 * Scripts: only the app's own files (no inline script, no eval) — script injected into a page of the app does not
 * run, so it cannot read the session keys in sessionStorage and sign with them. WebAssembly may compile
 * (`wasm-unsafe-eval`, for libraries that ship wasm; it does not allow JavaScript eval). Styles may be inline
 * (libraries set them at run time; a style runs no code). Connections: the RPC node, the indexer, the tracker
 * and the WS402 gateway come from config.json at run time, so the built policy allows http(s)/ws(s) and the
 * server's header names them exactly. WebRTC between peers is not governed by CSP.
 */
export interface CspOrigins {
  /** Origins the app fetches from or opens WebSockets to (RPC, GraphQL, tracker, gateway). */
  connect: string[];
  /** Origins the app frames (the WS402 gateway's resources). */
  frame: string[];
}

/** Any origin over the web's schemes: what the built bundle allows before it knows its config.json. */
export const ANY_SERVICE: CspOrigins = { connect: ["http:", "https:", "ws:", "wss:"], frame: ["http:", "https:"] };

export function contentSecurityPolicy(origins: CspOrigins, { header = false }: { header?: boolean } = {}): string {
  const directives = [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "font-src 'self' data:",
    `connect-src 'self' ${origins.connect.join(" ")}`.trim(),
    `frame-src ${origins.frame.length ? origins.frame.join(" ") : "'none'"}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
  ];
  if (header) directives.push("frame-ancestors 'none'");
  return directives.join("; ");
}

/** The origins of service URLs, with the WebSocket twin of each http(s) one (the WS402 gateway meters over ws). */
export function originsOf(urls: (string | null | undefined)[]): string[] {
  const out = new Set<string>();
  for (const url of urls) {
    if (!url) continue;
    const { origin, protocol, host } = new URL(url);
    out.add(origin);
    if (protocol === "http:") out.add(`ws://${host}`);
    if (protocol === "https:") out.add(`wss://${host}`);
  }
  return [...out];
}
