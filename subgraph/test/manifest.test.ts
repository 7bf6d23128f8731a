/**
 * The manifest generator: ABIs from the build artifacts, addresses and start blocks from a deployment, a handler
 * for every event the contracts emit unless deliberately ignored, and the built output graph-node would load.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { BUILD_DIR } from "../scripts/build.ts";
import {
  API_VERSION,
  DATA_SOURCES,
  SUBGRAPH_DIR,
  entityNames,
  eventHandlers,
  eventSignature,
  generateManifest,
  readAbi,
  readDeployment,
} from "../scripts/generateManifest.ts";

const deployment = {
  network: "sepolia",
  contracts: {
    LicenseMarket: { address: "0x1000000000000000000000000000000000000001", startBlock: 101 },
    CheckpointEscrow: { address: "0x1000000000000000000000000000000000000002", startBlock: 102 },
    WS402Deposits: { address: "0x1000000000000000000000000000000000000003", startBlock: 103 },
    RebatePool: { address: "0x1000000000000000000000000000000000000004", startBlock: 100 },
  },
};

describe("subgraph manifest generator", () => {
  it("takes each data source's address and start block from the deployment and its ABI from the artifacts", () => {
    const manifest = parse(generateManifest(deployment));
    assert.equal(manifest.dataSources.length, DATA_SOURCES.length);
    for (const source of manifest.dataSources) {
      const deployed = deployment.contracts[source.name as keyof typeof deployment.contracts];
      assert.equal(source.network, "sepolia");
      assert.equal(source.source.address, deployed.address);
      assert.equal(source.source.startBlock, deployed.startBlock);
      assert.equal(source.mapping.apiVersion, API_VERSION);
      assert.equal(source.mapping.abis[0].file, `../artifacts/contracts/${source.name}.sol/${source.name}.json`);
      assert.deepEqual(source.mapping.entities, entityNames());
    }
  });

  it("handles every event each contract emits, except the ones listed as ignored", () => {
    for (const spec of DATA_SOURCES) {
      const events = (readAbi(spec.name) as { type: string; name: string }[]).filter((item) => item.type === "event");
      const handled = eventHandlers(spec).map(({ event }) => event.slice(0, event.indexOf("(")));
      for (const event of events) {
        assert.ok(handled.includes(event.name) !== spec.ignoredEvents.includes(event.name), `${spec.name}.${event.name}`);
      }
    }
  });

  it("writes event signatures as graph-cli expects them, indexed parameters marked", () => {
    const signature = eventSignature({
      type: "event",
      name: "Example",
      inputs: [
        { name: "a", type: "uint256", indexed: true },
        {
          name: "b",
          type: "tuple[]",
          components: [
            { name: "x", type: "address" },
            { name: "y", type: "bytes32" },
          ],
        },
        { name: "c", type: "string" },
      ],
    });
    assert.equal(signature, "Example(indexed uint256,(address,bytes32)[],string)");
    const market = eventHandlers(DATA_SOURCES[0]);
    assert.ok(
      market.some(
        ({ event }) =>
          event === "LicensesPurchased(indexed uint256,indexed address,indexed address,uint256,uint256,uint256,uint256,uint256,uint256)",
      ),
    );
  });

  it("fails with the problem named when a mapping and a contract disagree", () => {
    assert.throws(
      () => eventHandlers({ ...DATA_SOURCES[0], ignoredEvents: [] }),
      /LicenseMarket emits ApprovalForAll, which no handler in src\/mappings\/licenseMarket.ts takes/,
    );
    assert.throws(
      () => eventHandlers({ ...DATA_SOURCES[0], name: "RebatePool" }),
      /takes ContentRegistered, which RebatePool does not emit/,
    );
  });

  it("reads each network's addresses and start blocks from the sdk's deployments file", () => {
    const dir = mkdtempSync(join(tmpdir(), "w3t-deployments-"));
    try {
      const file = join(dir, "deployments.json");
      const local = {
        network: "localhost",
        contracts: Object.fromEntries(
          DATA_SOURCES.map(({ name }, i) => [name, { address: `0x${String(i + 1).repeat(40)}`, startBlock: i + 1 }]),
        ),
      };
      writeFileSync(file, JSON.stringify({ 31337: { chainId: 31337, ...local }, 11155111: { chainId: 11155111, ...deployment } }));
      const sepolia = parse(generateManifest(readDeployment("sepolia", file)));
      assert.deepEqual(
        sepolia.dataSources.map((s: { network: string; source: { address: string; startBlock: number } }) => [
          s.network,
          s.source.address,
          s.source.startBlock,
        ]),
        DATA_SOURCES.map(({ name }) => [
          "sepolia",
          deployment.contracts[name as keyof typeof deployment.contracts].address,
          deployment.contracts[name as keyof typeof deployment.contracts].startBlock,
        ]),
      );
      const localhost = parse(generateManifest(readDeployment("localhost", file)));
      assert.deepEqual(
        localhost.dataSources.map((s: { network: string; source: { address: string; startBlock: number } }) => [
          s.network,
          s.source.address,
          s.source.startBlock,
        ]),
        DATA_SOURCES.map(({ name }) => ["localhost", local.contracts[name].address, local.contracts[name].startBlock]),
      );
      assert.throws(
        () => readDeployment("base", file),
        /No deployment on network "base" in the sdk's deployments \(known: localhost, sepolia\)/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a network without a deployment, and compiles a placeholder manifest for the local one", () => {
    assert.throws(() => readDeployment("no-such-network"), /No deployment on network "no-such-network"/);
    const local = readDeployment("localhost");
    assert.equal(local.network, "localhost");
    assert.deepEqual(Object.keys(local.contracts).sort(), DATA_SOURCES.map(({ name }) => name).sort());
  });

  it("the build output holds a WASM module per data source, importing only host functions graph-node provides", () => {
    const built = parse(readFileSync(join(BUILD_DIR, "subgraph.yaml"), "utf8"));
    const graphNodeImports =
      /^(abort|store\.\w+|typeConversion\.\w+|bigInt\.\w+|bigDecimal\.\w+|log\.log|dataSource\.\w+|json\.\w+|crypto\.keccak256)$/;
    for (const source of built.dataSources) {
      const module = new WebAssembly.Module(readFileSync(join(BUILD_DIR, source.mapping.file)));
      const exports = WebAssembly.Module.exports(module).map((e) => e.name);
      for (const required of ["memory", "allocate", "id_of_type", "_start"])
        assert.ok(exports.includes(required), `${source.name} exports ${required}`);
      for (const { handler } of source.mapping.eventHandlers) assert.ok(exports.includes(handler), `${source.name} exports ${handler}`);
      for (const { name } of WebAssembly.Module.imports(module)) assert.match(name, graphNodeImports);
    }
    assert.equal(readFileSync(join(SUBGRAPH_DIR, "schema.graphql"), "utf8"), readFileSync(join(BUILD_DIR, "schema.graphql"), "utf8"));
  });
});
