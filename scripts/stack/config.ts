/**
 * Settings of the local stack: embedded defaults, each overridable by an environment variable.
 */
export const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (Number.isInteger(value) && value >= 1 && value <= 65_535) return value;
  // A setting the user mistyped: say which one, without a stack trace (this module is read before anything starts).
  console.error(`${name} must be a port number (1-65535), got "${raw}"`);
  process.exit(2);
}

export const stackConfig = {
  host: "127.0.0.1",
  chainPort: port("W3T_CHAIN_PORT", 8545),
  gatewayPort: port("W3T_GATEWAY_PORT", 4020),
  trackerPort: port("W3T_TRACKER_PORT", 8001),
  chainId: 31337,
  /** The WS402 gateway's provider account (index in Hardhat's default mnemonic), kept apart from the printed ones. */
  gatewayAccount: 19,
  /** The demo publisher and the demo seeder (indexes in Hardhat's default mnemonic), apart from the printed ones. */
  publisherAccount: 17,
  seederAccount: 18,
  /** The demo seeder's price: wei per MiB (0.000001 ETH). */
  seederPricePerMiB: 10n ** 12n,
  /** Test accounts printed at start (Hardhat's default mnemonic funds 20). */
  printedAccounts: 5,
};

export const rpcUrl = () => `http://${stackConfig.host}:${stackConfig.chainPort}`;
export const gatewayUrl = () => `http://${stackConfig.host}:${stackConfig.gatewayPort}`;
