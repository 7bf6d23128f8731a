import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "./parseConfig.ts";

const contracts = {
  LicenseMarket: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  CheckpointEscrow: { address: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512", startBlock: 1 },
  WS402Deposits: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
  RebatePool: "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
};

describe("parseConfig", () => {
  it("accepts a complete configuration, with addresses given bare or as deployment entries", () => {
    const config = parseConfig({
      chainId: "31337",
      rpcUrl: "http://127.0.0.1:8545",
      contracts,
      graphqlUrl: "https://api.example.org/subgraphs/name/web3torrent",
      trackerUrls: ["ws://127.0.0.1:8000"],
      startBlock: 3,
    });
    expect(config.chainId).toBe(31337);
    expect(config.contracts.CheckpointEscrow).toBe(contracts.CheckpointEscrow.address);
    expect(config.startBlock).toBe(3n);
    expect(config.graphqlUrl).toContain("subgraphs");
    expect(config.gatewayUrl).toBeNull();
    expect(config.chainName).toBe("Chain 31337");
  });

  it("names the missing or malformed field", () => {
    expect(() => parseConfig({ chainId: 1, rpcUrl: "http://x", contracts: undefined })).toThrow(/contracts are missing/);
    expect(() => parseConfig({ chainId: 1, rpcUrl: "http://x", contracts: { ...contracts, RebatePool: "0x12" } })).toThrow(
      /contracts.RebatePool/,
    );
    expect(() => parseConfig({ chainId: "abc", rpcUrl: "http://x", contracts })).toThrow(ConfigError);
    expect(() => parseConfig({ chainId: 1, rpcUrl: "ftp://x", contracts })).toThrow(/rpcUrl must use http: or https:/);
    expect(() => parseConfig({ chainId: 1, rpcUrl: "http://x", contracts, trackerUrls: ["http://tracker"] })).toThrow(/trackerUrls\[0\]/);
    expect(() => parseConfig({ chainId: 1, rpcUrl: "http://x", contracts, graphqlUrl: "not a url" })).toThrow(/graphqlUrl is not a URL/);
  });
});
