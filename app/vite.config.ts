/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { streamingServiceWorker } from "./streamingServiceWorker.ts";

/**
 * The app is a static bundle: every endpoint (RPC, GraphQL, tracker, gateway, contract addresses) comes from
 * `config.json` served beside it, or from VITE_W3T_* variables at build time (see src/config/runtimeConfig.ts).
 * `base: "./"` lets the bundle be served from any path.
 */
export default defineConfig({
  base: "./",
  plugins: [react(), streamingServiceWorker()],
  build: {
    target: "es2022",
    chunkSizeWarningLimit: 1_000,
  },
  test: {
    environment: "node",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
  },
});
