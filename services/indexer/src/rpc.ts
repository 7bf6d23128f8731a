/** A minimal JSON-RPC client over HTTP with batching, enough to follow a chain. */

export class RpcError extends Error {
  override name = "RpcError";
  readonly code: number | undefined;
  constructor(message: string, code?: number) {
    super(message);
    this.code = code;
  }
}

interface Response {
  id: number;
  result?: unknown;
  error?: { code: number; message: string };
}

const RETRIES = 3;
const RETRY_DELAY_MS = 100;

export class JsonRpc {
  readonly url: string;
  private readonly timeoutMs: number;
  private nextId = 1;

  constructor(url: string, timeoutMs = 30_000) {
    this.url = url;
    this.timeoutMs = timeoutMs;
  }

  /** Posts `body`; the indexer only reads, so a dropped connection (a stale keep-alive socket) is retried. */
  private async post(body: unknown): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.postOnce(body);
      } catch (error) {
        if (!(error instanceof RpcError) || error.code !== undefined || attempt >= RETRIES) throw error;
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS * attempt));
      }
    }
  }

  private async postOnce(body: unknown): Promise<unknown> {
    let response: globalThis.Response;
    try {
      response = await fetch(this.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const cause = (error as Error & { cause?: Error }).cause;
      throw new RpcError(`Cannot reach the chain at ${this.url}: ${(error as Error).message}${cause ? ` (${cause.message})` : ""}`);
    }
    if (!response.ok) throw new RpcError(`The chain at ${this.url} answered HTTP ${response.status}`);
    return response.json();
  }

  async call<T>(method: string, params: unknown[] = []): Promise<T> {
    const response = (await this.post({ jsonrpc: "2.0", id: this.nextId++, method, params })) as Response;
    if (response.error) throw new RpcError(`${method}: ${response.error.message}`, response.error.code);
    return response.result as T;
  }

  /** Several calls in one request; results in the order of `calls`. */
  async batch<T>(calls: { method: string; params: unknown[] }[]): Promise<T[]> {
    if (calls.length === 0) return [];
    const first = this.nextId;
    this.nextId += calls.length;
    const body = calls.map((call, i) => ({ jsonrpc: "2.0", id: first + i, method: call.method, params: call.params }));
    const responses = (await this.post(body)) as Response[];
    if (!Array.isArray(responses)) throw new RpcError(`The chain at ${this.url} does not answer batched requests`);
    const byId = new Map(responses.map((r) => [r.id, r]));
    return calls.map((call, i) => {
      const response = byId.get(first + i);
      if (!response) throw new RpcError(`${call.method}: no answer in the batch`);
      if (response.error) throw new RpcError(`${call.method}: ${response.error.message}`, response.error.code);
      return response.result as T;
    });
  }
}
