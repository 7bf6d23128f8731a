/**
 * Raw WebTorrent announces over the tracker's WebSocket, as bittorrent-tracker's client sends them (binary info
 * hash and peer id, fake WebRTC offers), and what the tracker sends back.
 */
import { WebSocket } from "ws";
import type { Tracker } from "../src/tracker.ts";

export const peerId = (n: number) => `-W3T000-${String(n).padStart(12, "0")}`;
export const hexPeerId = (n: number) => Buffer.from(peerId(n), "latin1").toString("hex");
const bin = (hex: string) => Buffer.from(hex, "hex").toString("latin1");

export type Message = Record<string, unknown>;

export async function connect(tracker: Tracker) {
  const socket = new WebSocket(tracker.url);
  await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
  const messages: Message[] = [];
  socket.on("message", (data) => messages.push(JSON.parse(String(data))));
  return { socket, messages };
}

export function announce(socket: WebSocket, infoHash: string, n: number, offers: number, w3t?: unknown) {
  socket.send(
    JSON.stringify({
      action: "announce",
      info_hash: bin(infoHash),
      peer_id: peerId(n),
      event: "started",
      numwant: offers,
      uploaded: 0,
      downloaded: 0,
      left: 0,
      offers: Array.from({ length: offers }, (_, i) => ({
        offer: { type: "offer", sdp: `sdp-of-peer-${n}-${i}` },
        offer_id: `${i}`.repeat(20),
      })),
      ...(w3t === undefined ? {} : { w3t }),
    }),
  );
}

export const until = async (check: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};
export const settle = () => new Promise((resolve) => setTimeout(resolve, 300));
export const reply = (messages: Message[]) => messages.find((m) => m["failure reason"] !== undefined || m.interval !== undefined);
export const offers = (messages: Message[]) => messages.filter((m) => m.offer !== undefined);
