/**
 * Serves an EIP-1193 provider over HTTP JSON-RPC (single and batched calls, CORS for browsers), so that
 * processes and browsers reach the in-process Hardhat chain the same way they reach a real node.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

interface JsonRpcRequest {
  jsonrpc: "2.0";
  id: number | string | null;
  method: string;
  params?: unknown[];
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;
const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "POST, OPTIONS",
  "access-control-allow-headers": "content-type",
};

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error("request body too large");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function answer(provider: Eip1193Provider, call: JsonRpcRequest) {
  try {
    const result = await provider.request({ method: call.method, params: call.params ?? [] });
    return { jsonrpc: "2.0", id: call.id, result };
  } catch (error) {
    const e = error as { code?: number; message?: string; data?: unknown };
    return {
      jsonrpc: "2.0",
      id: call.id,
      error: { code: typeof e.code === "number" ? e.code : -32603, message: e.message ?? String(error), data: e.data },
    };
  }
}

export async function serveJsonRpc(provider: Eip1193Provider, host: string, port: number): Promise<{ server: Server; url: string }> {
  const server = createServer(async (request, response) => {
    if (request.method === "OPTIONS") {
      response.writeHead(204, CORS_HEADERS).end();
      return;
    }
    if (request.method !== "POST") {
      response.writeHead(405, { ...CORS_HEADERS, "content-type": "text/plain" }).end("JSON-RPC takes POST\n");
      return;
    }
    let body: JsonRpcRequest | JsonRpcRequest[];
    try {
      body = JSON.parse(await readBody(request));
    } catch (error) {
      response
        .writeHead(400, { ...CORS_HEADERS, "content-type": "application/json" })
        .end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32700, message: `Parse error: ${(error as Error).message}` } }));
      return;
    }
    const result = Array.isArray(body) ? await Promise.all(body.map((call) => answer(provider, call))) : await answer(provider, body);
    response
      .writeHead(200, { ...CORS_HEADERS, "content-type": "application/json" })
      .end(JSON.stringify(result, (_key, value) => (typeof value === "bigint" ? `0x${value.toString(16)}` : value)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const { port: boundPort } = server.address() as AddressInfo;
  return { server, url: `http://${host}:${boundPort}` };
}
