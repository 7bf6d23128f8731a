/**
 * The services the limits benchmark attacks, each started alone in this process so that its memory is measured
 * apart from the attacker's (see limits.ts):
 *
 *   node scripts/bench/limitsTargets.ts indexer|indexer-admitted|gateway|tracker|wire
 *
 * Prints one JSON line with the addresses to use, then serves until killed.
 */
import { createServer } from "node:net";
import Wire from "bittorrent-protocol";
import { guardWire } from "@web3torrent/sdk/wire/messageLimits";
import { startTracker } from "../../services/tracker/src/tracker.ts";
import { buildApiSchema, type QuerySource } from "../../services/indexer/src/graphql/api.ts";
import { serveGraphql } from "../../services/indexer/src/graphql/server.ts";
import { parseSubgraphSchema } from "../../services/indexer/src/schema.ts";
import { EntityStore } from "../../services/indexer/src/store.ts";

/** The indexer's data: publishers and their contents, the shape of the review's nested query. */
export const PUBLISHERS = 200;
export const CONTENTS_PER_PUBLISHER = 20;
export const BLOCK_BYTES = 16 * 1024;

async function indexer(): Promise<Record<string, string>> {
  const schema = parseSubgraphSchema(`
    type Publisher @entity(immutable: false) { id: ID! published: [Content!]! @derivedFrom(field: "publisher") }
    type Content @entity(immutable: false) { id: ID! publisher: Publisher! }
  `);
  const store = new EntityStore(schema);
  const s = (value: string) => ({ kind: "String" as const, value });
  for (let p = 0; p < PUBLISHERS; p++) {
    store.set("Publisher", `p${p}`, new Map([["id", s(`p${p}`)]]));
    for (let c = 0; c < CONTENTS_PER_PUBLISHER; c++)
      store.set(
        "Content",
        `c${p}-${c}`,
        new Map([
          ["id", s(`c${p}-${c}`)],
          ["publisher", s(`p${p}`)],
        ]),
      );
  }
  store.commitHandler();
  store.commitBlock(1);
  const block = {
    number: 1,
    hash: `0x${"1".padStart(64, "0")}` as const,
    timestamp: 1_700_000_000,
    parentHash: `0x${"0".repeat(64)}` as const,
  };
  const source: QuerySource = {
    schema,
    store,
    deployment: "bench",
    latest: () => block,
    blockByHash: () => undefined,
    hasIndexingErrors: () => false,
  };
  const { url } = await serveGraphql({ api: buildApiSchema(source), source, subgraphName: "bench" });
  return { url };
}

async function gateway(): Promise<Record<string, string>> {
  const { setup } = await import("../../services/ws402-gateway/test/helpers.ts");
  const env = await setup();
  const started = await env.startGateway({ logLevel: "silent" });
  const schema = (await (await fetch(started.schemaUrl("doc"))).json()) as { websocketEndpoint: string };
  return { url: schema.websocketEndpoint };
}

async function tracker(): Promise<Record<string, string>> {
  const started = await startTracker();
  return { url: started.url, statsUrl: started.statsUrl };
}

/** A seeder's wire without payment: every connection is guarded and served 16 KiB blocks from memory. */
async function wire(): Promise<Record<string, string>> {
  const block = new Uint8Array(BLOCK_BYTES).fill(7);
  const server = createServer((socket) => {
    const peer = new (Wire as unknown as new () => import("./limits.ts").BenchWire)();
    socket.setNoDelay(true);
    socket.on("error", () => {});
    peer.on("error", () => {});
    // As WebTorrent's peer does: a wire that ends (a guarded wire that dropped its peer) takes its socket along.
    peer.once("end", () => socket.destroy());
    peer.once("finish", () => socket.destroy());
    peer.once("handshake", (infoHash: string) => {
      guardWire(peer);
      peer.handshake(infoHash, "aa".repeat(20));
      peer.unchoke();
    });
    peer.on("request", (_index: number, _offset: number, _length: number, respond: (error: Error | null, data: Uint8Array) => void) =>
      respond(null, block),
    );
    socket.pipe(peer as unknown as NodeJS.ReadWriteStream).pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { host: "127.0.0.1", port: String(port) };
}

const targets: Record<string, () => Promise<Record<string, string>>> = { indexer, "indexer-admitted": indexer, gateway, tracker, wire };
const name = process.argv[2] ?? "";
if (!targets[name]) throw new Error(`usage: limitsTargets.ts ${Object.keys(targets).join("|")}`);
console.log(JSON.stringify(await targets[name]()));
