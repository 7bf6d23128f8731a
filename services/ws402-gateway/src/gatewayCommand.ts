/**
 * The gateway as a command, called by `ws402-gateway` (./main.ts) and by `w3t gateway`:
 *
 *   W3T_GATEWAY_PRIVATE_KEY=0x... w3t gateway [config.json]
 *
 * The configuration file defaults to $W3T_GATEWAY_CONFIG, then to resources.example.json beside this package.
 * Environment overrides: see config.ts (applyEnvironment) and the README. Prints one JSON line on stdout once
 * listening ({"listening": url}) for supervisors; logs go to stderr. SIGINT/SIGTERM stop it gracefully: sessions
 * are ended and settled (what cannot be settled in time is settled at the next start).
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isHex } from "viem";
import { parseCommandLine, usageError } from "@web3torrent/sdk/commandLine";
import { applyEnvironment, loadConfigFile } from "./config.ts";
import { startGateway } from "./gateway.ts";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");

export function gatewayUsage(program: string): string {
  return `usage: ${program} [config.json]   serve time-metered resources until Ctrl-C

The configuration file defaults to W3T_GATEWAY_CONFIG, then to the package's resources.example.json.
Environment:
  W3T_GATEWAY_PRIVATE_KEY                    the provider's private key (required; never in the file)
  W3T_GATEWAY_HOST, W3T_GATEWAY_PORT         where it listens
  W3T_GATEWAY_PUBLIC_URL                     its URL behind a proxy
  W3T_GATEWAY_DB                             the SQLite file
  W3T_GATEWAY_PAYOUT                         where the provider's share is paid (default: the provider)
  W3T_RPC_URL, W3T_WS402_CONTRACT            the chain and the contract
Prints {"listening": url, ...} on stdout once listening; logs go to stderr.`;
}

/** Runs the gateway with command-line `args`; exits the process (0 when stopped, 1 when it cannot start, 2 on bad input). */
export async function gatewayCommand(args: string[], program = "ws402-gateway"): Promise<void> {
  const parsed = parseCommandLine(program, {
    args,
    allowPositionals: true,
    options: { help: { type: "boolean", short: "h", default: false } },
  });
  if (parsed.values.help) {
    console.log(gatewayUsage(program));
    process.exit(0);
  }
  if (parsed.positionals.length > 1)
    usageError(program, `takes one configuration file, got ${parsed.positionals.length} (see ${program} --help)`);
  try {
    const configPath = parsed.positionals[0] ?? process.env.W3T_GATEWAY_CONFIG ?? join(packageDir, "resources.example.json");
    const privateKey = process.env.W3T_GATEWAY_PRIVATE_KEY;
    if (!privateKey || !isHex(privateKey) || privateKey.length !== 66) {
      throw new Error("Set W3T_GATEWAY_PRIVATE_KEY to the provider's private key (0x followed by 64 hex digits).");
    }
    const config = applyEnvironment(loadConfigFile(configPath), process.env);
    const gateway = await startGateway({ config, privateKey });
    process.stdout.write(`${JSON.stringify({ listening: gateway.url, provider: gateway.provider, contract: gateway.contract })}\n`);

    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      await gateway.stop();
      process.exit(0);
    };
    process.on("SIGINT", () => void stop());
    process.on("SIGTERM", () => void stop());
  } catch (error) {
    process.stderr.write(`${program}: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
