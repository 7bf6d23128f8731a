/**
 * Limits on WebSocket connections that have not proved a payment yet. The only limit used to be a global
 * `maxConnections` counting every socket: one client at one address opened 10,000 sockets, reopened those the
 * proof timeout closed, and for 24 s every legitimate connection (reconnects of live sessions included) got 503.
 *
 * An unproven connection now takes a slot of its address (IPv4 address, or IPv6 /64) and a slot of the gateway:
 * at most `maxUnprovenPerAddress` (default 32) and `maxUnproven` (default 1,000, far below `maxConnections`) at a
 * time, so unproven sockets cannot fill the gateway for proven ones. The slot is given back when the connection
 * proves a session (the session manager emits `PROVEN_EVENT` on the socket) or closes, and the proof timeout is
 * short: one address holds at most `maxUnprovenPerAddress` sockets for at most that long. When every unproven slot
 * is taken, a newcomer evicts the oldest unproven connection of the address holding the most (if it holds more
 * than the newcomer would): a user reconnecting to a live session gets in unless many addresses attack at once.
 * A refused upgrade gets 429 (this address) or 503 (the gateway), with the reason in the body.
 */
import { isIPv6 } from "node:net";
import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";

/** Emitted on a WebSocket by the session manager once it proved a session. */
export const PROVEN_EVENT = "ws402:proven";

export interface ConnectionLimitSettings {
  maxUnprovenPerAddress: number;
  maxUnproven: number;
}

export type Admission = { ok: true; track(ws: WebSocket): void } | { ok: false; status: 429 | 503; reason: string };

const IPV6_PREFIX_GROUPS = 4;
const IPV6_GROUPS = 8;
const IPV4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** The key an address is limited by: the IPv4 address, or the /64 an IPv6 host usually has to itself. */
export function addressKey(address: string | undefined): string {
  if (!address) return "unknown";
  const mapped = IPV4_MAPPED.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head, tail = ""] = address.toLowerCase().split("::");
  const left = head ? head.split(":") : [];
  const right = address.includes("::") && tail ? tail.split(":") : [];
  const groups = address.includes("::") ? [...left, ...Array(IPV6_GROUPS - left.length - right.length).fill("0"), ...right] : left;
  return `${groups
    .slice(0, IPV6_PREFIX_GROUPS)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

export class ConnectionLimits {
  readonly #settings: ConnectionLimitSettings;
  /** Unproven connections by address key, oldest first, each with the function that gives its slot back. */
  readonly #perAddress = new Map<string, Map<Duplex, () => void>>();
  #unproven = 0;
  /** Upgrades refused, and unproven connections evicted, since the start (for /metrics and the benchmark). */
  refused = 0;
  evicted = 0;

  constructor(settings: ConnectionLimitSettings) {
    this.#settings = settings;
  }

  get unproven(): number {
    return this.#unproven;
  }

  /**
   * Whether a new connection from `address` may be upgraded; if so, its slot is held until `socket` closes or the
   * WebSocket it becomes (given to `track`) proves a session. When every unproven slot is taken, the newcomer takes
   * the oldest slot of the address holding the most, if that address holds more than the newcomer's would: many
   * addresses are needed to keep anyone out, and a user reconnecting to a live session gets in.
   */
  admit(address: string | undefined, socket: Duplex): Admission {
    const key = addressKey(address);
    const held = this.#perAddress.get(key) ?? new Map<Duplex, () => void>();
    const { maxUnprovenPerAddress, maxUnproven } = this.#settings;
    if (held.size >= maxUnprovenPerAddress) {
      this.refused++;
      return {
        ok: false,
        status: 429,
        reason: `Too many connections without a payment proof from this address (at most ${maxUnprovenPerAddress}).`,
      };
    }
    if (this.#unproven >= maxUnproven && !this.#evictFor(held.size + 1)) {
      this.refused++;
      return { ok: false, status: 503, reason: "Too many connections waiting for a payment proof; try again shortly." };
    }
    this.#perAddress.set(key, held);
    this.#unproven++;
    const release = () => {
      if (!held.delete(socket)) return;
      this.#unproven--;
      if (held.size === 0 && this.#perAddress.get(key) === held) this.#perAddress.delete(key);
    };
    held.set(socket, release);
    socket.once("close", release);
    return { ok: true, track: (ws) => ws.once(PROVEN_EVENT, release) };
  }

  /** Closes the oldest unproven connection of the address holding the most, if it holds more than `than`. */
  #evictFor(than: number): boolean {
    let largest: Map<Duplex, () => void> | undefined;
    for (const held of this.#perAddress.values()) if (!largest || held.size > largest.size) largest = held;
    if (!largest || largest.size <= than) return false;
    const [socket, release] = largest.entries().next().value!;
    release();
    socket.destroy();
    this.evicted++;
    return true;
  }
}
