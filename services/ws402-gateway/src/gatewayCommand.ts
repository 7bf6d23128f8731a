#!/usr/bin/env node
/**
 * The gateway as a program:
 *
 *   W3T_GATEWAY_PRIVATE_KEY=0x... node src/main.ts [config.json]
 *
 * The configuration file defaults to $W3T_GATEWAY_CONFIG, then to resources.example.json beside this package.
 * Environment overrides: see config.ts (applyEnvironment) and the README. Prints one JSON line on stdout once
 * listening ({"listening": url}) for supervisors; logs go to stderr. SIGINT/SIGTERM stop it gracefully: sessions
 * are ended and settled (what cannot be settled in time is settled at the next start).
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isHex } from "viem";
import { applyEnvironment, loadConfigFile } from "./config.ts";
import { startGateway } from "./gateway.ts";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");

async function main(): Promise<void> {
  const configPath = process.argv[2] ?? process.env.W3T_GATEWAY_CONFIG ?? join(packageDir, "resources.example.json");
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
}

main().catch((error: Error) => {
  process.stderr.write(`ws402-gateway: ${error.message}\n`);
  process.exit(1);
});
