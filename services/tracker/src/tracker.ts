/**
 * The Web3Torrent tracker: a `bittorrent-tracker` WebSocket server (WebTorrent peers in browsers and Node find each
 * other through it and exchange their WebRTC offers). Statistics at `GET /stats.json` double as a health check.
 *
 * One change to bittorrent-tracker's swarm: a WebTorrent peer sends at most 5 WebRTC offers per announce, and the
 * tracker forwards them to peers picked at random. In a w3t_pay swarm only seeders upload, so a leecher's offers
 * go to seeders first and a seeder's to leechers first (then anyone); with random picks, a leecher among many
 * leechers might reach no seeder until its next announce minutes later.
 *
 * It also avoids WebRTC glare: when two peers announce at the same moment, each used to get the other's offer,
 * both answered, and the two crossing connections were both dropped as duplicates (the pair then waited for the
 * next announce, minutes later). A peer whose offer is on its way to another is not sent that other's offers.
 *
 * And one fix: a WebTorrent peer that joined with a magnet link does not know the size yet and announces
 * `left: null`, which bittorrent-tracker reads as 0 (a seeder). The tracker reads a missing `left` as unknown
 * (not complete) instead.
 *
 * One hostile client is bounded by trackerLimits.ts: payload size, announces and swarms per socket, and swarms of
 * unregistered content.
 *
 * With `gate` (licenseGate.ts), the peers of registered, priced content are introduced only to peers that prove a
 * license of it with each announce; free content and unregistered infohashes stay open.
 *
 *   const tracker = await startTracker({ port: 8001 });
 *   // tracker.url is ws://127.0.0.1:8001 — put it in magnets and `announce` lists
 *   await tracker.close();
 */
import type { AddressInfo } from "node:net";
import { Server } from "bittorrent-tracker";
import type { LicenseGate } from "./licenseGate.ts";
import { DEFAULT_MAX_PAYLOAD_BYTES, TrackerLimits, type TrackerLimitOptions } from "./trackerLimits.ts";

export interface TrackerOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /**
   * The announce interval in ms; WebSocket clients re-announce five times as often (bittorrent-tracker's rule), each
   * time with fresh WebRTC offers. Default 10 minutes (2 minutes for WebTorrent peers): a peer that joins reaches the
   * others with its own announce, so frequent re-announces only multiply idle peer connections.
   */
  announceIntervalMs?: number;
  /** What one client may cost (trackerLimits.ts). */
  limits?: TrackerLimitOptions;
  /** Introduce the peers of priced content only to licensed peers (closed with the tracker). */
  gate?: LicenseGate;
}

export interface Tracker {
  /** The WebSocket announce URL. */
  url: string;
  /** Statistics as JSON (torrents, peers). */
  statsUrl: string;
  port: number;
  /** Infohashes with at least one peer, and their peer counts. */
  swarms(): Record<string, number>;
  /** Announces refused by the per-client limits, by rule. */
  refused: TrackerLimits["refused"];
  close(): Promise<void>;
}

interface SwarmPeer {
  type: string;
  socket?: object;
  complete: boolean;
  peerId: string;
}

interface SwarmLike {
  peers: { keys: string[]; length: number; peek(id: string): SwarmPeer | undefined };
  announce(params: { left?: number }, cb: unknown): void;
  infoHash: string;
}

/** How long an offer is pending: bittorrent-tracker's client drops unanswered offers after 50 s. */
const OFFER_TIMEOUT_MS = 50_000;

/** bittorrent-tracker's Swarm, picking the peers that can serve (or be served by) the announcing peer first. */
class ComplementarySwarm extends (Server as unknown as { Swarm: new (infoHash: string, server: unknown) => SwarmLike }).Swarm {
  #announcerComplete = false;
  /** "from>to" → when `from`'s offer was forwarded to `to`. */
  readonly #offers = new Map<string, number>();
  readonly #gate: LicenseGate | undefined;

  constructor(infoHash: string, server: unknown, gate?: LicenseGate) {
    super(infoHash, server);
    this.#gate = gate;
  }

  override announce(params: { left?: number }, cb: unknown): void {
    this.#announcerComplete = params.left === 0;
    super.announce(params, cb);
  }

  _getPeers(numwant: number, ownPeerId: string, isWebRTC: boolean): SwarmPeer[] {
    const now = Date.now();
    for (const [pair, at] of this.#offers) if (now - at > OFFER_TIMEOUT_MS) this.#offers.delete(pair);
    const complementary: SwarmPeer[] = [];
    const others: SwarmPeer[] = [];
    for (const id of this.peers.keys) {
      const peer = this.peers.peek(id);
      if (!peer) continue;
      if (isWebRTC && peer.peerId === ownPeerId) continue;
      if (isWebRTC !== (peer.type === "ws")) continue;
      if (this.#gate && !this.#gate.admits(this.infoHash, peer.socket)) continue; // its license is gone or stale
      if (isWebRTC && this.#offers.has(`${peer.peerId}>${ownPeerId}`)) continue; // its offer to us is on the way
      (peer.complete !== this.#announcerComplete ? complementary : others).push(peer);
    }
    const peers = [...shuffle(complementary), ...shuffle(others)].slice(0, numwant);
    if (isWebRTC) for (const peer of peers) this.#offers.set(`${ownPeerId}>${peer.peerId}`, now);
    return peers;
  }
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

export const DEFAULT_ANNOUNCE_INTERVAL_MS = 10 * 60_000;
/** WebSocket close code 1008. */
const POLICY_VIOLATION = 1008;

export async function startTracker({
  host = "127.0.0.1",
  port = 0,
  announceIntervalMs = DEFAULT_ANNOUNCE_INTERVAL_MS,
  limits: limitOptions,
  gate,
}: TrackerOptions = {}): Promise<Tracker> {
  const maxPayload = limitOptions?.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  const server = new Server({
    udp: false,
    http: false,
    ws: { maxPayload },
    stats: true,
    interval: announceIntervalMs,
    filter: gate?.filter,
  });
  const torrents = server.torrents as Record<string, SwarmLike>;
  const limits = new TrackerLimits(torrents, { isRegistered: gate?.isRegistered, ...limitOptions });
  const onRequest = server._onWebSocketRequest.bind(server);
  server._onWebSocketRequest = (
    socket: { send(data: string): void; close(code: number, reason: string): void },
    opts: unknown,
    raw: string,
  ) => {
    let params = raw;
    try {
      const parsed = JSON.parse(raw);
      if (parsed && typeof parsed === "object" && parsed.action === "announce") {
        const refusal = limits.refuse(socket, parsed.info_hash);
        if (refusal) {
          socket.send(JSON.stringify({ action: "announce", "failure reason": refusal, info_hash: parsed.info_hash }));
          if (limits.exhausted(socket)) socket.close(POLICY_VIOLATION, "too many refused announces");
          return;
        }
      }
      if (parsed && typeof parsed === "object" && parsed.action === "announce" && parsed.left === null) {
        parsed.left = Number.MAX_SAFE_INTEGER;
        params = JSON.stringify(parsed);
      }
    } catch {
      // Not JSON: bittorrent-tracker answers with its failure reason.
    }
    onRequest(socket, opts, params);
  };
  const onClose = server._onWebSocketClose.bind(server);
  // bittorrent-tracker closes a socket again for each answer whose send fails (each send captured the socket's
  // error callback before the first close), adding an error listener each time: a peer dropped with 100 answers
  // in flight piled up 100 listeners. A socket is closed once.
  const closed = new WeakSet<object>();
  server._onWebSocketClose = (socket: object) => {
    if (closed.has(socket)) return;
    closed.add(socket);
    onClose(socket);
    limits.socketClosed(socket);
    gate?.socketClosed(socket);
  };
  server.createSwarm = (infoHash: string, cb: (error: Error | null, swarm: SwarmLike) => void) => {
    process.nextTick(() => cb(null, (torrents[infoHash] = new ComplementarySwarm(infoHash, server, gate))));
  };
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve();
    });
  });
  // Per-socket errors (a client that sends garbage) are the client's problem: log-free, never fatal.
  server.on("error", () => {});
  server.on("warning", () => {});
  const bound = (server.http!.address() as AddressInfo).port;
  return {
    url: `ws://${host}:${bound}`,
    statsUrl: `http://${host}:${bound}/stats.json`,
    port: bound,
    refused: limits.refused,
    swarms() {
      const result: Record<string, number> = {};
      for (const [infoHash, swarm] of Object.entries(server.torrents as Record<string, { peers: { length: number } }>)) {
        result[infoHash] = swarm.peers.length;
      }
      return result;
    },
    close: () =>
      new Promise<void>((resolve) => {
        gate?.close();
        server.close(() => resolve());
        // Connected WebSocket clients would hold the HTTP server open.
        server.http?.closeAllConnections();
      }),
  };
}
