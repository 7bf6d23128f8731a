/**
 * WebTorrent's browser streaming: a service worker (served by the app from its own origin, see
 * app/streamingServiceWorker.ts) answers the media element's range requests for `<scope>webtorrent/<infohash>/<file>`
 * by asking this page, whose WebTorrent client reads the bytes from the torrent as they arrive — fetching the pieces
 * the element asks for first. One server per client (`client.createServer` may be called once).
 */
import type { WebTorrentClient } from "../../torrent/webtorrentTypes.ts";

/** Kept in step with STREAM_WORKER_FILE in app/streamingServiceWorker.ts. */
const WORKER_URL = "./webtorrent-sw.js";

/** How long to wait for the activated worker to take control of the page (it claims it at once). */
const CLAIM_TIMEOUT_MS = 3_000;

const servers = new WeakMap<WebTorrentClient, Promise<void>>();

async function activeRegistration(): Promise<ServiceWorkerRegistration> {
  if (!("serviceWorker" in navigator))
    throw new Error(
      "This browser cannot stream (no service workers; they need https or localhost). Download the file and save it instead.",
    );
  const registration = await navigator.serviceWorker.register(WORKER_URL, { scope: "./" });
  const worker = registration.installing ?? registration.waiting ?? registration.active;
  if (worker && worker.state !== "activated") {
    await new Promise<void>((resolve) => {
      const check = () => worker.state === "activated" && resolve();
      worker.addEventListener("statechange", check);
      check();
    });
  }
  // The worker claims the page when it activates, without waiting: until it controls the page, the element's
  // requests would reach the web server instead of the torrent.
  if (!navigator.serviceWorker.controller) {
    await new Promise<void>((resolve) => {
      navigator.serviceWorker.addEventListener("controllerchange", () => resolve(), { once: true });
      setTimeout(resolve, CLAIM_TIMEOUT_MS);
    });
  }
  return registration;
}

/** Makes `file.streamURL` / `file.streamTo(element)` work for every torrent of this client. */
export function ensureStreamServer(client: WebTorrentClient): Promise<void> {
  let server = servers.get(client);
  if (!server) {
    server = activeRegistration().then((controller) => {
      client.createServer({ controller });
    });
    servers.set(client, server);
    server.catch(() => servers.delete(client));
  }
  return server;
}
