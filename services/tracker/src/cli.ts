#!/usr/bin/env node
/**
 * w3t-tracker [--host 127.0.0.1] [--port 8001]: runs the WebTorrent tracker until Ctrl-C.
 * Environment: W3T_TRACKER_HOST, W3T_TRACKER_PORT.
 */
import { parseArgs } from "node:util";
import { startTracker } from "./tracker.ts";

const { values } = parseArgs({
  options: {
    host: { type: "string", default: process.env.W3T_TRACKER_HOST ?? "127.0.0.1" },
    port: { type: "string", default: process.env.W3T_TRACKER_PORT ?? "8001" },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`--port must be a port number, got "${values.port}"`);
  process.exit(2);
}
try {
  const tracker = await startTracker({ host: values.host, port });
  console.log(`tracker listening on ${tracker.url} (stats: ${tracker.statsUrl})`);
  const stop = async () => {
    await tracker.close();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
} catch (error) {
  const e = error as NodeJS.ErrnoException;
  console.error(e.code === "EADDRINUSE" ? `port ${port} is already in use (set --port or W3T_TRACKER_PORT)` : `tracker failed: ${e.message}`);
  process.exit(1);
}
