// @vitest-environment jsdom
import { describe, expect, it, vi } from "vitest";
import { loadConfig } from "./loadConfig.ts";

const contracts = {
  LicenseMarket: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  CheckpointEscrow: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
  WS402Deposits: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
  RebatePool: "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
};

const serving = (status: number, body: string) => vi.fn(async () => new Response(body, { status }));

describe("loadConfig", () => {
  it("takes config.json served beside the app: pointing at a hosted subgraph is configuration only", async () => {
    const config = await loadConfig(
      serving(
        200,
        JSON.stringify({
          chainId: 11155111,
          rpcUrl: "https://rpc.example.org",
          contracts,
          graphqlUrl: "https://gateway.example.org/api/subgraphs/id/abc",
        }),
      ) as never,
    );
    expect(config.chainId).toBe(11155111);
    expect(config.graphqlUrl).toBe("https://gateway.example.org/api/subgraphs/id/abc");
    expect(config.contracts.LicenseMarket).toBe(contracts.LicenseMarket);
  });

  it("says what is wrong with config.json", async () => {
    await expect(loadConfig(serving(200, "{not json") as never)).rejects.toThrow(/not valid JSON/);
    await expect(loadConfig(serving(500, "") as never)).rejects.toThrow(/HTTP 500/);
  });

  it("never pairs the build's addresses with another chain", async () => {
    await expect(loadConfig(serving(200, JSON.stringify({ chainId: 10, rpcUrl: "https://rpc.example.org" })) as never)).rejects.toThrow(
      /contracts are missing/,
    );
  });
});
