/**
 * WebTorrent loads only when a page first needs it (publishing, downloading, seeding): its prebuilt browser bundle
 * is a chunk of its own, never part of the initial JavaScript.
 */
import type { WebTorrentConstructor } from "./webtorrentTypes.ts";

let loading: Promise<WebTorrentConstructor> | null = null;

export function loadWebTorrent(): Promise<WebTorrentConstructor> {
  loading ??= import("webtorrent/dist/webtorrent.min.js").then((m) => m.default as WebTorrentConstructor);
  return loading;
}

export function webTorrentSupported(): boolean {
  return typeof RTCPeerConnection !== "undefined";
}
