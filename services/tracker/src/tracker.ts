/**
 * The Web3Torrent tracker: a `bittorrent-tracker` WebSocket server (WebTorrent peers in browsers and Node find each
 * other through it and exchange their WebRTC offers). Statistics at `GET /stats.json` double as a health check.
 *
 *   const tracker = await startTracker({ port: 8000 });
 *   // tracker.url is ws://127.0.0.1:8000 — put it in magnets and `announce` lists
 *   await tracker.close();
 */
import type { AddressInfo } from "node:net";
import { Server } from "bittorrent-tracker";

export interface TrackerOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** How often clients re-announce, in ms (bittorrent-tracker's default is 10 minutes). */
  announceIntervalMs?: number;
}

export interface Tracker {
  /** The WebSocket announce URL. */
  url: string;
  /** Statistics as JSON (torrents, peers). */
  statsUrl: string;
  port: number;
  /** Infohashes with at least one peer, and their peer counts. */
  swarms(): Record<string, number>;
  close(): Promise<void>;
}

export const DEFAULT_ANNOUNCE_INTERVAL_MS = 30_000;

export async function startTracker({
  host = "127.0.0.1",
  port = 0,
  announceIntervalMs = DEFAULT_ANNOUNCE_INTERVAL_MS,
}: TrackerOptions = {}): Promise<Tracker> {
  const server = new Server({ udp: false, http: false, ws: true, stats: true, interval: announceIntervalMs });
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
    swarms() {
      const result: Record<string, number> = {};
      for (const [infoHash, swarm] of Object.entries(server.torrents as Record<string, { peers: { length: number } }>)) {
        result[infoHash] = swarm.peers.length;
      }
      return result;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
