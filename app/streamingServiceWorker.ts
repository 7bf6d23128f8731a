/**
 * WebTorrent's streaming service worker (`webtorrent/dist/sw.min.js`, from the installed package) served from the
 * app's own origin beside index.html: a service worker must be same-origin and its scope (the app's folder) must
 * cover the `webtorrent/` URLs the player streams from. `vite build` emits it into dist/, `vite` serves it in dev.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Plugin } from "vite";

/** The file name the app registers (see src/library/player/streamServer.ts). */
export const STREAM_WORKER_FILE = "webtorrent-sw.js";

function workerSource(): string {
  return readFileSync(createRequire(import.meta.url).resolve("webtorrent/dist/sw.min.js"), "utf8").replace(
    /\n\/\/# sourceMappingURL=.*$/m,
    "",
  );
}

export function streamingServiceWorker(): Plugin {
  return {
    name: "w3t-streaming-service-worker",
    configureServer(server) {
      server.middlewares.use((request, response, next) => {
        if (!request.url?.endsWith(`/${STREAM_WORKER_FILE}`)) return next();
        response.setHeader("content-type", "text/javascript; charset=utf-8");
        response.end(workerSource());
      });
    },
    generateBundle() {
      this.emitFile({ type: "asset", fileName: STREAM_WORKER_FILE, source: workerSource() });
    },
  };
}
