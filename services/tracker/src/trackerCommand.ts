#!/usr/bin/env node
/**
 * w3t-tracker [--host 127.0.0.1] [--port 8001] [--rpc URL]: runs the WebTorrent tracker until Ctrl-C.
 * With --rpc (a chain where Web3Torrent is deployed), the peers of priced content are introduced only to peers that
 * prove a license of it (licenseGate.ts); without it, every swarm is open.
 * Environment: W3T_TRACKER_HOST, W3T_TRACKER_PORT, W3T_RPC_URL.
 */
import { parseArgs } from "node:util";
import { createPublicClient, http, type PublicClient } from "viem";
import { getDeployment } from "@web3torrent/sdk/deployments";
import { LicenseGate, viemLicenseChain } from "./licenseGate.ts";
import { startTracker } from "./tracker.ts";

const { values } = parseArgs({
  options: {
    host: { type: "string", default: process.env.W3T_TRACKER_HOST ?? "127.0.0.1" },
    port: { type: "string", default: process.env.W3T_TRACKER_PORT ?? "8001" },
    rpc: { type: "string", default: process.env.W3T_RPC_URL },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`--port must be a port number, got "${values.port}"`);
  process.exit(2);
}

async function licenseGate(rpcUrl: string): Promise<LicenseGate> {
  const publicClient = createPublicClient({ transport: http(rpcUrl) }) as PublicClient;
  const chainId = await publicClient.getChainId();
  const { contracts } = getDeployment(chainId);
  return new LicenseGate(viemLicenseChain(publicClient, chainId, contracts.LicenseMarket.address, contracts.RebatePool.address), chainId);
}

try {
  const gate = values.rpc ? await licenseGate(values.rpc) : undefined;
  const tracker = await startTracker({ host: values.host, port, gate });
  console.log(`tracker listening on ${tracker.url} (stats: ${tracker.statsUrl})`);
  console.log(gate ? `licensed content: peers introduced only to license holders (chain at ${values.rpc})` : "no --rpc: every swarm is open");
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
