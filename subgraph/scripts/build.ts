/**
 * Builds the subgraph: generates subgraph.yaml from the deployments, then `graph codegen` and `graph build`.
 * The build is skipped when its inputs (schema, mappings, manifest, ABIs, graph-cli version) are those of the
 * last build, unless `--force`.
 *
 *   node scripts/build.ts [--force] [--network <name>]
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DATA_SOURCES, SUBGRAPH_DIR, artifactPath, generateManifest, readDeployment } from "./generateManifest.ts";

export const BUILD_DIR = join(SUBGRAPH_DIR, "build");
const MANIFEST = join(SUBGRAPH_DIR, "subgraph.yaml");
const INPUTS_FILE = join(BUILD_DIR, ".inputs-sha256");
const require = createRequire(import.meta.url);
const GRAPH_CLI_PACKAGE = require.resolve("@graphprotocol/graph-cli/package.json");
const GRAPH_CLI = join(GRAPH_CLI_PACKAGE, "..", "bin/run.js");

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? filesUnder(path) : [path];
    });
}

function inputsHash(): string {
  const hash = createHash("sha256");
  const files = [
    join(SUBGRAPH_DIR, "schema.graphql"),
    MANIFEST,
    ...filesUnder(join(SUBGRAPH_DIR, "src")),
    ...DATA_SOURCES.map(({ name }) => artifactPath(name)),
    GRAPH_CLI_PACKAGE,
  ];
  for (const file of files) hash.update(file.slice(SUBGRAPH_DIR.length)).update(readFileSync(file));
  return hash.digest("hex");
}

function graph(command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [GRAPH_CLI, command], { cwd: SUBGRAPH_DIR, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`graph ${command} failed:\n${output}`))));
  });
}

export interface BuildResult {
  buildDir: string;
  /** False when an up-to-date build was reused. */
  built: boolean;
  seconds: number;
}

/** Generates the manifest for `network` and builds unless the last build had the same inputs. */
export async function buildSubgraph({ force = false, network = "localhost" } = {}): Promise<BuildResult> {
  const started = performance.now();
  writeFileSync(MANIFEST, generateManifest(readDeployment(network)));
  const hash = inputsHash();
  if (!force && existsSync(INPUTS_FILE) && readFileSync(INPUTS_FILE, "utf8") === hash) {
    return { buildDir: BUILD_DIR, built: false, seconds: (performance.now() - started) / 1000 };
  }
  await graph("codegen");
  await graph("build");
  writeFileSync(INPUTS_FILE, hash);
  return { buildDir: BUILD_DIR, built: true, seconds: (performance.now() - started) / 1000 };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const networkIndex = process.argv.indexOf("--network");
  const result = await buildSubgraph({
    force: process.argv.includes("--force"),
    network: networkIndex > 0 ? process.argv[networkIndex + 1] : undefined,
  });
  console.log(
    result.built
      ? `graph codegen + graph build: ${result.seconds.toFixed(1)} s`
      : "The subgraph build is up to date (use --force to rebuild)",
  );
}
