/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";
import { streamingServiceWorker } from "./streamingServiceWorker.ts";
import { ANY_SERVICE, contentSecurityPolicy } from "./csp.ts";

/** The built index.html carries the app's CSP (not the dev server's: Vite's hot reload runs inline script). */
function contentSecurityPolicyMeta(): Plugin {
  return {
    name: "w3t-content-security-policy",
    apply: "build",
    transformIndexHtml: () => [
      {
        tag: "meta",
        attrs: { "http-equiv": "Content-Security-Policy", content: contentSecurityPolicy(ANY_SERVICE) },
        injectTo: "head-prepend",
      },
    ],
  };
}

/**
 * The app is a static bundle: every endpoint (RPC, GraphQL, tracker, gateway, contract addresses) comes from
 * `config.json` served beside it, or from VITE_W3T_* variables at build time (see src/config/runtimeConfig.ts).
 * `base: "./"` lets the bundle be served from any path.
 */
export default defineConfig({
  base: "./",
  plugins: [react(), contentSecurityPolicyMeta(), streamingServiceWorker()],
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
