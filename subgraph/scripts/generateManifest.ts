/**
 * Generates subgraph.yaml for one network from what the build produced: ABIs from the Hardhat artifacts,
 * addresses and start blocks from sdk/src/generated/deployments.json (written by `npm run build`). The event
 * handlers come from the mappings themselves: every `export function handleX(event: X)` in a data source's
 * mapping file handles the ABI event `X`. Every other ABI event must be listed as deliberately ignored, so a
 * contract that gains or renames an event fails here instead of being silently left out of the index.
 *
 *   node scripts/generateManifest.ts [--network <name>] [--out <file>]
 *
 * `--network` is The Graph's network name (`localhost`, `sepolia`, `base` ...), default `localhost`. Without a
 * deployment on `localhost` (a fresh clone before `npm start`) the manifest gets placeholder addresses at block
 * 0: it still compiles, and the local indexer supplies the real addresses at run time.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const SUBGRAPH_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");
const ROOT = join(SUBGRAPH_DIR, "..");
const DEPLOYMENTS_FILE = join(ROOT, "sdk/src/generated/deployments.json");
export const SPEC_VERSION = "1.2.0";
/** The mapping API version: graph-node's memory layout for AssemblyScript 0.19 with ethereum.Event receipts. */
export const API_VERSION = "0.0.9";
const LOCAL_NETWORK = "localhost";
const PLACEHOLDER_ADDRESS = "0x0000000000000000000000000000000000000000";

export interface DataSourceSpec {
  /** Contract name: the artifact, the deployment entry and the data source name. */
  name: string;
  /** Mapping file, relative to the subgraph folder. */
  mapping: string;
  /** ABI events that change nothing the subgraph models (admin handovers, approvals, EIP-712 domain). */
  ignoredEvents: string[];
}

export const DATA_SOURCES: DataSourceSpec[] = [
  {
    name: "LicenseMarket",
    mapping: "src/mappings/licenseMarket.ts",
    // URI repeats ContentRegistered's metadataURI; approvals do not move licenses; a registration's commitment is
    // an opaque hash until ContentRegistered reveals it.
    ignoredEvents: ["ApprovalForAll", "URI", "RegistrationCommitted", "OwnershipTransferStarted", "OwnershipTransferred"],
  },
  {
    name: "CheckpointEscrow",
    mapping: "src/mappings/checkpointEscrow.ts",
    // VoucherSkipped changes nothing on-chain (a batch passed over a voucher). CloseSignatureUsed only says who
    // submitted the session key's Close: the EscrowClosing beside it carries the state change.
    ignoredEvents: ["EIP712DomainChanged", "OwnershipTransferStarted", "OwnershipTransferred", "VoucherSkipped", "CloseSignatureUsed"],
  },
  {
    name: "WS402Deposits",
    mapping: "src/mappings/ws402Deposits.ts",
    ignoredEvents: ["EIP712DomainChanged", "OwnershipTransferStarted", "OwnershipTransferred"],
  },
  {
    name: "RebatePool",
    mapping: "src/mappings/rebatePool.ts",
    // The market binding is deployment wiring, fixed for the pool's life.
    // ReceiptSkipped changes nothing on-chain: a receipt at or below its credit was skipped.
    ignoredEvents: ["LicenseMarketBound", "ReceiptSkipped", "EIP712DomainChanged", "OwnershipTransferStarted", "OwnershipTransferred"],
  },
];

interface AbiParameter {
  name: string;
  type: string;
  indexed?: boolean;
  components?: AbiParameter[];
}

interface AbiEvent {
  type: "event";
  name: string;
  inputs: AbiParameter[];
}

export interface DeployedContract {
  address: string;
  startBlock: number;
}

export interface NetworkDeployment {
  network: string;
  contracts: Record<string, DeployedContract>;
}

export function artifactPath(contract: string): string {
  return join(ROOT, `artifacts/contracts/${contract}.sol/${contract}.json`);
}

export function readAbi(contract: string): unknown[] {
  const file = artifactPath(contract);
  if (!existsSync(file)) throw new Error(`No build artifact for ${contract}: run \`npm run build\` at the repository root first`);
  return JSON.parse(readFileSync(file, "utf8")).abi;
}

/** The signature graph-cli expects in `eventHandlers[].event`: `Name(indexed uint256,address,...)`. */
export function eventSignature(event: AbiEvent): string {
  const type = (p: AbiParameter): string =>
    p.type.startsWith("tuple") ? `(${(p.components ?? []).map(type).join(",")})${p.type.slice("tuple".length)}` : p.type;
  return `${event.name}(${event.inputs.map((p) => `${p.indexed ? "indexed " : ""}${type(p)}`).join(",")})`;
}

/** `handleX` functions exported by a mapping file, with the event class each takes. */
export function mappingHandlers(mappingFile: string): { handler: string; event: string }[] {
  const source = readFileSync(join(SUBGRAPH_DIR, mappingFile), "utf8");
  return [...source.matchAll(/^export function (handle\w+)\(event: (\w+)\)/gm)].map(([, handler, event]) => ({ handler, event }));
}

export function entityNames(): string[] {
  const schema = readFileSync(join(SUBGRAPH_DIR, "schema.graphql"), "utf8");
  return [...schema.matchAll(/^type (\w+) @entity/gm)].map(([, name]) => name);
}

/** Checks that each ABI event is handled or ignored and each handler matches an ABI event. */
export function eventHandlers(spec: DataSourceSpec): { event: string; handler: string }[] {
  const events = (readAbi(spec.name) as AbiEvent[]).filter((item) => item.type === "event");
  const byName = new Map(events.map((event) => [event.name, event]));
  const handlers = mappingHandlers(spec.mapping);
  const problems: string[] = [];
  for (const { handler, event } of handlers) {
    if (!byName.has(event)) problems.push(`${spec.mapping}: ${handler} takes ${event}, which ${spec.name} does not emit`);
  }
  const handled = new Set(handlers.map((h) => h.event));
  for (const event of events) {
    if (!handled.has(event.name) && !spec.ignoredEvents.includes(event.name)) {
      problems.push(`${spec.name} emits ${event.name}, which no handler in ${spec.mapping} takes and is not listed as ignored`);
    }
  }
  if (problems.length > 0) throw new Error(`The mappings do not match the contracts:\n  ${problems.join("\n  ")}`);
  return handlers
    .map(({ handler, event }) => ({ event: eventSignature(byName.get(event)!), handler }))
    .sort((a, b) => a.event.localeCompare(b.event));
}

/** The deployment on The Graph network `network` in the sdk's deployments (`file`, by chain id). */
export function readDeployment(network: string, file = DEPLOYMENTS_FILE): NetworkDeployment {
  const all: Record<string, NetworkDeployment> = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
  const found = Object.values(all).find((deployment) => deployment.network === network);
  if (found) return found;
  if (network === LOCAL_NETWORK) {
    console.warn(`No deployment on ${network} yet: placeholder addresses (the local indexer supplies the real ones).`);
    const contracts = Object.fromEntries(DATA_SOURCES.map(({ name }) => [name, { address: PLACEHOLDER_ADDRESS, startBlock: 0 }]));
    return { network, contracts };
  }
  const known = Object.values(all).map((deployment) => deployment.network);
  throw new Error(`No deployment on network "${network}" in the sdk's deployments (known: ${known.join(", ") || "none"})`);
}

export function generateManifest(deployment: NetworkDeployment): string {
  const entities = entityNames();
  const lines = [
    "# Generated by scripts/generateManifest.ts from the build artifacts and the deployments: do not edit.",
    `specVersion: ${SPEC_VERSION}`,
    "description: Web3Torrent - licensed peer-to-peer content distribution, paid on-chain",
    "schema:",
    "  file: ./schema.graphql",
    "dataSources:",
  ];
  for (const spec of DATA_SOURCES) {
    const deployed = deployment.contracts[spec.name];
    if (!deployed) throw new Error(`The deployment on ${deployment.network} has no ${spec.name}`);
    lines.push(
      `  - kind: ethereum/contract`,
      `    name: ${spec.name}`,
      `    network: ${deployment.network}`,
      `    source:`,
      `      address: "${deployed.address}"`,
      `      abi: ${spec.name}`,
      `      startBlock: ${deployed.startBlock}`,
      `    mapping:`,
      `      kind: ethereum/events`,
      `      apiVersion: ${API_VERSION}`,
      `      language: wasm/assemblyscript`,
      `      entities:`,
      ...entities.map((entity) => `        - ${entity}`),
      `      abis:`,
      `        - name: ${spec.name}`,
      `          file: ${relative(SUBGRAPH_DIR, artifactPath(spec.name))}`,
      `      eventHandlers:`,
      ...eventHandlers(spec).flatMap(({ event, handler }) => [`        - event: ${event}`, `          handler: ${handler}`]),
      `      file: ./${spec.mapping}`,
    );
  }
  return lines.join("\n") + "\n";
}

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index > 0 ? process.argv[index + 1] : undefined;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const network = argument("--network") ?? LOCAL_NETWORK;
  const out = argument("--out") ?? join(SUBGRAPH_DIR, "subgraph.yaml");
  writeFileSync(out, generateManifest(readDeployment(network)));
  console.log(`Wrote ${relative(process.cwd(), out)} for ${network}`);
}
