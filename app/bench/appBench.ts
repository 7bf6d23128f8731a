/**
 * The app's benchmark: the gzipped size of the JavaScript the first page load needs (the entry chunk and what it
 * preloads; WebTorrent must not be in it) and the marketplace's time to interactive in headless Chromium against a
 * local stack (devchain + the built app), median of several cold loads.
 *
 *   npm run bench -w app [-- --loads 5] [-- --json <file>]
 *
 * --json also writes the figures as JSON (see scripts/bench/results.ts).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { APP_DIST, buildApp } from "../../scripts/stack/app.ts";
import { launchBrowser } from "../e2e/support/browser.ts";
import { registerContent, startStack } from "../e2e/support/stack.ts";
import { writeBenchResult, type Figure } from "../../scripts/bench/results.ts";

const { values: args } = parseArgs({ options: { loads: { type: "string", default: "5" }, json: { type: "string" } } });
const TARGET_INITIAL_JS_GZIP = 300 * 1024;
const LOADS = Number(args.loads);
if (!Number.isInteger(LOADS) || LOADS < 1) throw new Error("--loads must be a positive integer");
const CONTENTS = 6;

function initialJavaScript(): { files: string[]; gzipBytes: number; hasWebTorrent: boolean } {
  const html = readFileSync(join(APP_DIST, "index.html"), "utf8");
  const files = [...html.matchAll(/<script[^>]+src="\.?\/?([^"]+\.js)"|<link[^>]+rel="modulepreload"[^>]+href="\.?\/?([^"]+\.js)"/g)].map(
    (m) => m[1] ?? m[2],
  );
  let gzipBytes = 0;
  let hasWebTorrent = false;
  for (const file of files) {
    const source = readFileSync(join(APP_DIST, file));
    gzipBytes += gzipSync(source, { level: 9 }).length;
    if (/webtorrent/i.test(file) || source.includes("bittorrent-protocol") || source.includes("WEBTORRENT_ANNOUNCE")) hasWebTorrent = true;
  }
  return { files, gzipBytes, hasWebTorrent };
}

async function main() {
  await buildApp();
  const js = initialJavaScript();
  console.log(`Initial JavaScript: ${js.files.join(", ")}`);
  console.log(
    `  ${(js.gzipBytes / 1024).toFixed(1)} KiB gzipped (target ≤ ${TARGET_INITIAL_JS_GZIP / 1024} KiB): ${js.gzipBytes <= TARGET_INITIAL_JS_GZIP ? "within" : "OVER"}`,
  );
  console.log(`  WebTorrent in it: ${js.hasWebTorrent ? "YES (it must load lazily)" : "no"}`);
  const figures: Figure[] = [
    {
      name: "initial JavaScript",
      value: Number((js.gzipBytes / 1024).toFixed(1)),
      unit: "KiB gzipped",
      target: { op: "<=", value: TARGET_INITIAL_JS_GZIP / 1024 },
    },
    { name: "WebTorrent in the initial JavaScript", value: js.hasWebTorrent ? 1 : 0, unit: "(0 = no)", target: { op: "==", value: 0 } },
  ];

  const stack = await startStack();
  const browser = await launchBrowser();
  try {
    for (let i = 0; i < CONTENTS; i++) await registerContent(stack, stack.chain.accounts[1].privateKey, { name: `Bench content ${i + 1}` });
    const times: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(stack.app.url, { waitUntil: "commit" });
      // Interactive: every content card is rendered with its price and an enabled buy button.
      await page.waitForFunction(
        (n) =>
          document.querySelectorAll("[data-testid=buy]:not([disabled])").length === n &&
          document.querySelectorAll("[data-testid=current-price] [data-wei]").length === n,
        CONTENTS,
      );
      times.push(await page.evaluate(() => performance.now()));
      await context.close();
    }
    times.sort((a, b) => a - b);
    console.log(
      `Marketplace time to interactive (${CONTENTS} contents, ${LOADS} cold loads): median ${times[Math.floor(LOADS / 2)].toFixed(0)} ms (min ${times[0].toFixed(0)}, max ${times[LOADS - 1].toFixed(0)})`,
    );
    figures.push({ name: "marketplace time to interactive (median)", value: Math.round(times[Math.floor(LOADS / 2)]), unit: "ms" });
  } finally {
    await browser.close();
    await stack.stop();
  }
  writeBenchResult(args.json, { bench: "app", options: { loads: LOADS }, figures });
}

await main();
