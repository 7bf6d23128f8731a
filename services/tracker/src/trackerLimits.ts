/**
 * What one WebSocket client may cost the tracker. bittorrent-tracker accepts any announce from anyone: the
 * WebSocket library's default 100 MiB payload, any number of announces per socket, and a swarm for every infohash
 * ever announced (swarms are never deleted). One socket created 50,000 swarms; one 90 MiB announce took the
 * tracker to 557 MiB. The limits here bound each socket and the swarms of unregistered content:
 *
 * - a message is at most `maxPayloadBytes` (the WebSocket is closed with 1009 otherwise);
 * - a socket announces at most `announceBurst` times at once, refilled at `announcesPerSecond`;
 * - a socket is in at most `maxSwarmsPerSocket` swarms;
 * - swarms of infohashes that `isRegistered` does not accept are at most `maxUnregisteredSwarms` in all (without
 *   `isRegistered`, every infohash is unregistered), and a swarm left empty is deleted.
 *
 * A refused announce is answered as bittorrent-tracker answers errors (`failure reason`), so clients log it and
 * retry at their next interval; a socket that keeps announcing regardless is closed (1008) after
 * `MAX_REFUSALS_PER_SOCKET` refusals.
 */

export interface TrackerLimitOptions {
  maxPayloadBytes?: number;
  announceBurst?: number;
  announcesPerSecond?: number;
  maxSwarmsPerSocket?: number;
  maxUnregisteredSwarms?: number;
  /** Whether an infohash (hex) is registered content; registered swarms are not counted against the cap. */
  isRegistered?: (infoHash: string) => boolean;
}

/** An announce with 5 WebRTC offers (SDP with ICE candidates) is a few KiB: 64 KiB leaves room and no more. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024;
/** A seeder announces every torrent it seeds at start over one shared socket. */
export const DEFAULT_ANNOUNCE_BURST = 200;
export const DEFAULT_ANNOUNCES_PER_SECOND = 20;
export const DEFAULT_MAX_SWARMS_PER_SOCKET = 500;
export const DEFAULT_MAX_UNREGISTERED_SWARMS = 5_000;

const INFO_HASH_BYTES = 20;
const MS_PER_SECOND = 1000;

interface Swarm {
  peers: { length: number };
}

interface Bucket {
  tokens: number;
  at: number;
  refusals: number;
}

/** Announces refused on one socket after which it is closed (1008): a client that ignores refusals is not served. */
export const MAX_REFUSALS_PER_SOCKET = 100;

export class TrackerLimits {
  readonly maxPayloadBytes: number;
  readonly #burst: number;
  readonly #perSecond: number;
  readonly #maxSwarmsPerSocket: number;
  readonly #maxUnregistered: number;
  readonly #isRegistered: (infoHash: string) => boolean;
  readonly #buckets = new WeakMap<object, Bucket>();
  /** The swarms each socket was admitted to. */
  readonly #joined = new WeakMap<object, Set<string>>();
  /** Swarms of unregistered content admitted and not deleted since. */
  readonly #unregistered = new Set<string>();
  readonly #torrents: Record<string, Swarm>;
  /** Announces refused since the start, by rule (for the statistics and the benchmark). */
  readonly refused = { rate: 0, socketSwarms: 0, unregisteredSwarms: 0 };

  constructor(torrents: Record<string, Swarm>, options: TrackerLimitOptions = {}) {
    this.#torrents = torrents;
    this.maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    this.#burst = options.announceBurst ?? DEFAULT_ANNOUNCE_BURST;
    this.#perSecond = options.announcesPerSecond ?? DEFAULT_ANNOUNCES_PER_SECOND;
    this.#maxSwarmsPerSocket = options.maxSwarmsPerSocket ?? DEFAULT_MAX_SWARMS_PER_SOCKET;
    this.#maxUnregistered = options.maxUnregisteredSwarms ?? DEFAULT_MAX_UNREGISTERED_SWARMS;
    this.#isRegistered = options.isRegistered ?? (() => false);
  }

  /** Why this announce is refused, or null to serve it. `infoHash` is the announce's raw 20-byte string. */
  refuse(socket: object, infoHash: unknown): string | null {
    const bucket = this.#buckets.get(socket) ?? { tokens: this.#burst, at: Date.now(), refusals: 0 };
    this.#buckets.set(socket, bucket);
    const now = Date.now();
    bucket.tokens = Math.min(this.#burst, bucket.tokens + ((now - bucket.at) * this.#perSecond) / MS_PER_SECOND);
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.refused.rate++;
      bucket.refusals++;
      return `too many announces: at most ${this.#perSecond} per second per connection`;
    }
    bucket.tokens -= 1;
    // Anything else malformed is bittorrent-tracker's to refuse.
    if (typeof infoHash !== "string" || infoHash.length !== INFO_HASH_BYTES) return null;
    const hex = Buffer.from(infoHash, "latin1").toString("hex");
    // bittorrent-tracker records a socket's swarms only once the swarm exists: count admissions here instead.
    const joined = this.#joined.get(socket) ?? new Set<string>();
    this.#joined.set(socket, joined);
    if (joined.has(hex)) return null;
    if (joined.size >= this.#maxSwarmsPerSocket) {
      this.refused.socketSwarms++;
      bucket.refusals++;
      return `too many swarms: at most ${this.#maxSwarmsPerSocket} per connection`;
    }
    if (!this.#unregistered.has(hex) && !this.#isRegistered(hex)) {
      if (this.#unregistered.size >= this.#maxUnregistered) this.#deleteEmptySwarms();
      if (this.#unregistered.size >= this.#maxUnregistered) {
        this.refused.unregisteredSwarms++;
        bucket.refusals++;
        return `too many swarms of unregistered content: at most ${this.#maxUnregistered}`;
      }
      this.#unregistered.add(hex);
    }
    joined.add(hex);
    return null;
  }

  /** Whether `socket` had so many announces refused that it is to be closed. */
  exhausted(socket: object): boolean {
    return (this.#buckets.get(socket)?.refusals ?? 0) >= MAX_REFUSALS_PER_SOCKET;
  }

  /** After a socket closed: its swarms that no peer is left in are deleted. */
  socketClosed(socket: object): void {
    for (const infoHash of this.#joined.get(socket) ?? []) this.#deleteIfEmpty(infoHash);
    this.#joined.delete(socket);
  }

  #deleteIfEmpty(infoHash: string): void {
    const swarm = this.#torrents[infoHash];
    // A swarm admitted a moment ago may not exist yet: it is kept.
    if (!swarm || swarm.peers.length > 0) return;
    delete this.#torrents[infoHash];
    this.#unregistered.delete(infoHash);
  }

  #deleteEmptySwarms(): void {
    for (const infoHash of [...this.#unregistered]) this.#deleteIfEmpty(infoHash);
  }
}
