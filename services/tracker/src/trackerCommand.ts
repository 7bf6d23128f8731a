/**
 * The tracker as a command, called by `w3t-tracker` (./cli.ts) and by `w3t tracker`: runs the WebTorrent tracker
 * until Ctrl-C. With --rpc (a chain where Web3Torrent is deployed), the peers of priced content are introduced only
 * to peers that prove a license of it (licenseGate.ts); without it, every swarm is open.
 */
import { createPublicClient, http, type PublicClient } from "viem";
import { parseCommandLine, usageError } from "@web3torrent/sdk/commandLine";
import { getDeployment } from "@web3torrent/sdk/deployments";
import { LicenseGate, viemLicenseChain } from "./licenseGate.ts";
import { startTracker } from "./tracker.ts";

export function trackerUsage(program: string): string {
  return `usage: ${program} [options]   run the WebTorrent tracker until Ctrl-C

Options (environment variable in brackets):
  --host HOST   interface to listen on [W3T_TRACKER_HOST, default 127.0.0.1]
  --port PORT   port to listen on [W3T_TRACKER_PORT, default 8001]
  --rpc URL     chain JSON-RPC: priced content's peers go only to license holders [W3T_RPC_URL; none: every swarm open]
  -h, --help    this help`;
}

async function licenseGate(rpcUrl: string): Promise<LicenseGate> {
  const publicClient = createPublicClient({ transport: http(rpcUrl) }) as PublicClient;
  const chainId = await publicClient.getChainId();
  const { contracts } = getDeployment(chainId);
  return new LicenseGate(viemLicenseChain(publicClient, chainId, contracts.LicenseMarket.address, contracts.RebatePool.address), chainId);
}

/** Runs the tracker with command-line `args`; exits the process (0 when stopped, 1 when it cannot start, 2 on bad input). */
export async function trackerCommand(args: string[], program = "w3t-tracker"): Promise<void> {
  const { values } = parseCommandLine(program, {
    args,
    options: {
      host: { type: "string", default: process.env.W3T_TRACKER_HOST ?? "127.0.0.1" },
      port: { type: "string", default: process.env.W3T_TRACKER_PORT ?? "8001" },
      rpc: { type: "string", default: process.env.W3T_RPC_URL },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(trackerUsage(program));
    process.exit(0);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) usageError(program, `--port must be a port number, got "${values.port}"`);

  try {
    const gate = values.rpc ? await licenseGate(values.rpc) : undefined;
    const tracker = await startTracker({ host: values.host, port, gate });
    console.log(`tracker listening on ${tracker.url} (stats: ${tracker.statsUrl})`);
    console.log(
      gate ? `licensed content: peers introduced only to license holders (chain at ${values.rpc})` : "no --rpc: every swarm is open",
    );
    const stop = async () => {
      await tracker.close();
      process.exit(0);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    console.error(
      `${program}: ${e.code === "EADDRINUSE" ? `port ${port} is already in use (set --port or W3T_TRACKER_PORT)` : `tracker failed: ${e.message}`}`,
    );
    process.exit(1);
  }
}
