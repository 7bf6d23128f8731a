/**
 * `npm start` of the indexer (src/main.ts) as a process: configured by environment, it prints its GraphQL URL,
 * follows the chain and answers there; bad configuration stops it with a clear message; SIGTERM stops it cleanly.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import { type DevChain, startDevChain } from "@web3torrent/devchain";
import { buildSubgraph } from "@web3torrent/subgraph/build";
import { marketSender } from "./marketSender.ts";

const MAIN = join(dirname(fileURLToPath(import.meta.url)), "../src/main.ts");

function run(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("the indexer's command (npm start)", () => {
  let chain: DevChain;
  let buildDir: string;

  before(async () => {
    chain = await startDevChain();
    // The built manifest with this chain's addresses: the command indexes them when the sdk has no deployment for
    // the chain (a fresh clone; `npm start` exports its deployment before starting the indexer).
    buildDir = mkdtempSync(join(tmpdir(), "w3t-indexer-build-"));
    cpSync((await buildSubgraph()).buildDir, buildDir, { recursive: true });
    const manifestFile = join(buildDir, "subgraph.yaml");
    const manifest = parse(readFileSync(manifestFile, "utf8"));
    for (const source of manifest.dataSources) {
      source.source.address = chain.contracts[source.name as keyof DevChain["contracts"]];
      source.source.startBlock = 0;
    }
    writeFileSync(manifestFile, stringify(manifest));
    await marketSender(chain).registerContent("indexer command test", "ipfs://command-test");
  });

  after(async () => {
    await chain?.stop();
    if (buildDir) rmSync(buildDir, { recursive: true, force: true });
  });

  it("prints its GraphQL URL, indexes the chain and answers there, and stops on SIGTERM", async () => {
    const { child, output, exited } = run({
      W3T_RPC_URL: chain.rpcUrl,
      W3T_INDEXER_PORT: "0",
      W3T_SUBGRAPH_BUILD: buildDir,
      W3T_INDEXER_POLL_MS: "50",
    });
    try {
      const url = await until(
        "the URL",
        () => /GraphQL at (http:\/\/127\.0\.0\.1:\d+\/subgraphs\/name\/web3torrent)\n/.exec(output())?.[1],
      );
      assert.match(output(), new RegExp(`Local indexer on chain ${chain.chainId} \\(${chain.rpcUrl.replace(/[.]/g, "\\.")}\\)`));
      const head = Number(
        (
          (await (
            await fetch(chain.rpcUrl, { method: "POST", body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber" }) })
          ).json()) as { result: string }
        ).result,
      );
      const data = await until("the head to be indexed", async () => {
        const response = await fetch(url, {
          method: "POST",
          body: JSON.stringify({ query: "{ _meta { block { number } hasIndexingErrors } contents { metadataURI } }" }),
        });
        const body = (await response.json()) as { data?: { _meta: { block: { number: number } }; contents: unknown[] } };
        return body.data && body.data._meta.block.number >= head ? body.data : undefined;
      });
      assert.deepEqual(data, {
        _meta: { block: { number: head }, hasIndexingErrors: false },
        contents: [{ metadataURI: "ipfs://command-test" }],
      });
      child.kill("SIGTERM");
      assert.equal(await exited, 0);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("refuses bad configuration with a clear message", async () => {
    const badPort = run({ W3T_RPC_URL: chain.rpcUrl, W3T_INDEXER_PORT: "eight", W3T_SUBGRAPH_BUILD: buildDir });
    const noBuild = run({ W3T_RPC_URL: chain.rpcUrl, W3T_SUBGRAPH_BUILD: join(buildDir, "missing") });
    const noChain = run({ W3T_RPC_URL: "http://127.0.0.1:1", W3T_SUBGRAPH_BUILD: buildDir });
    assert.deepEqual(await Promise.all([badPort.exited, noBuild.exited, noChain.exited]), [1, 1, 1]);
    assert.match(badPort.output(), /The local indexer could not start: W3T_INDEXER_PORT must be a non-negative integer, got "eight"/);
    assert.match(noBuild.output(), /No subgraph build in .*missing: run `npm run build --workspace @web3torrent\/subgraph` first/);
    assert.match(noChain.output(), /The local indexer could not start: Cannot reach the chain at http:\/\/127\.0\.0\.1:1/);
  });
});
