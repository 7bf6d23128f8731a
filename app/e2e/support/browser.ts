/**
 * Headless Debian Chromium through playwright-core (never a downloaded browser), one page per test user, each
 * with its own TestWallet injected in place of the MetaMask extension.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import type { TestWallet } from "./testWallet.ts";
import { walletPageScript } from "./walletPageScript.ts";

export const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), "../screenshots");

const CHROMIUM = process.env.W3T_CHROMIUM ?? "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // WebRTC with Node peers on loopback: plain host candidates, not mDNS names the Node side cannot resolve.
  "--disable-features=WebRtcHideLocalIpsWithMdns",
];

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}

export interface UserPage {
  page: Page;
  wallet: TestWallet;
  /** Console errors and uncaught page errors, for failure messages. */
  errors: string[];
  /** What the app's Content-Security-Policy blocked on this page (the tests expect nothing). */
  cspViolations: string[];
}

export async function openApp(browser: Browser, url: string, wallet: TestWallet | null): Promise<UserPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors: string[] = [];
  const cspViolations: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  if (wallet) {
    await page.exposeFunction("__w3tWallet", (method: string, params: unknown[]) => wallet.handle(method, params));
    await page.addInitScript(walletPageScript, { name: "MetaMask", rdns: "io.metamask", uuid: randomUUID() });
  }
  await page.goto(url);
  return { page, wallet: wallet as TestWallet, errors, cspViolations };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
