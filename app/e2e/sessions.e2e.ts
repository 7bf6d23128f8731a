/**
 * WS402 in the browser against a real gateway and the devchain: open a session (one deposit; the session key
 * signs usage receipts silently), see the resource and the live meter, end it and see the refund the settlement
 * paid, checked against the chain; and when the gateway is gone, end the session on-chain and reclaim the deposit.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { ws402DepositsAbi } from "@web3torrent/sdk/generated/contracts";
import { startDevChain, type DevChain } from "@web3torrent/devchain";
import { createLogger, parseConfig, startGateway, type Gateway } from "@web3torrent/ws402-gateway";
import { createPublicClient, createWalletClient, http, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { startApp, type AppServer } from "../../scripts/stack/app.ts";
import { launchBrowser, openApp, screenshot, type UserPage } from "./support/browser.ts";
import { TestWallet } from "./support/testWallet.ts";

const PRICE_PER_SECOND = 1_000_000_000n;
const DEPOSIT_MINUTES = 10;
const GRACE_PERIOD_SECONDS = 60;
const [PROVIDER, PAYOUT, USER, STRANDED] = [1, 2, 3, 4];

describe("WS402 sessions in the browser", () => {
  let chain: DevChain;
  let gateway: Gateway;
  let app: AppServer;
  let browser: Browser;
  let dir: string;
  const pages: UserPage[] = [];
  let publicClient: ReturnType<typeof createPublicClient>;

  async function user(index: number): Promise<UserPage> {
    const u = await openApp(browser, app.url, new TestWallet(chain.rpcUrl, chain.chainId, chain.accounts[index].privateKey as Hex));
    pages.push(u);
    await u.page.getByTestId("connect-io.metamask").click();
    await u.page.getByTestId("account").waitFor();
    await u.page.getByTestId("nav-sessions").click();
    return u;
  }

  before(async () => {
    chain = await startDevChain();
    publicClient = createPublicClient({ chain: { ...hardhat, id: chain.chainId }, transport: http(chain.rpcUrl) });
    dir = mkdtempSync(join(tmpdir(), "w3t-app-ws402-"));
    const config = parseConfig(
      {
        gateway: {
          port: 0,
          database: join(dir, "gateway.sqlite"),
          payout: chain.accounts[PAYOUT].address,
          usageIntervalMs: 500,
          heartbeatTimeoutMs: 2_000,
          reconnectGraceMs: 1_000,
          chainPollingMs: 100,
          logLevel: "silent",
        },
        chain: { rpcUrl: chain.rpcUrl, chainId: chain.chainId, contract: chain.contracts.WS402Deposits },
        resources: [
          {
            id: "report",
            title: "Quarterly report",
            path: join(dir, "report.pdf"),
            mimeType: "application/pdf",
            pricePerSecond: PRICE_PER_SECOND.toString(),
            estimatedSeconds: DEPOSIT_MINUTES * 60,
            demo: true,
          },
        ],
      },
      dir,
    );
    gateway = await startGateway({ config, privateKey: chain.accounts[PROVIDER].privateKey as Hex, log: createLogger("silent") });
    app = await startApp({
      config: { chainId: chain.chainId, rpcUrl: chain.rpcUrl, contracts: chain.contracts, startBlock: 0, gatewayUrl: gateway.url },
    });
    browser = await launchBrowser();
  });

  after(async () => {
    for (const { errors } of pages) if (errors.length) console.log("page errors:", errors.join("\n"));
    await browser?.close();
    await app?.close();
    await gateway?.stop().catch(() => {});
    await chain?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("opens a session, meters it live, ends it and shows the refund the settlement paid", async () => {
    const u = await user(USER);
    const card = u.page.getByTestId("resource-report");
    await card.getByTestId("open-session").click();
    const live = u.page.getByTestId("live-session");
    await u.page.locator("[data-testid=live-session][data-phase=live]").waitFor();
    await live.getByTestId("resource-view").waitFor();
    assert.deepEqual(
      u.wallet.requests.filter((m) => m === "eth_sendTransaction" || m.startsWith("eth_sign")),
      ["eth_sendTransaction"],
      "one deposit, receipts signed by the session key",
    );
    await u.page.waitForFunction(() => Number(document.querySelector("[data-testid=meter]")?.getAttribute("data-elapsed")) >= 2);
    await screenshot(u.page, "session-live");
    assert.deepEqual(u.cspViolations, [], "the gateway's resource and WebSocket are allowed by the app's CSP");
    await live.getByTestId("end-session").click();
    await u.page.getByTestId("session-ended").waitFor({ timeout: 60_000 });
    const [settled] = await publicClient.getContractEvents({
      address: chain.contracts.WS402Deposits,
      abi: ws402DepositsAbi,
      eventName: "SessionSettled",
      fromBlock: 0n,
    });
    const deposit = PRICE_PER_SECOND * BigInt(DEPOSIT_MINUTES * 60);
    assert.ok(settled.args.elapsedSeconds! >= 2n);
    assert.equal(settled.args.paidToProvider! + settled.args.refundedToUser!, deposit);
    assert.equal(
      BigInt((await u.page.getByTestId("session-refund-amount").locator("[data-wei]").getAttribute("data-wei"))!),
      settled.args.refundedToUser,
    );
    // The meter agrees with the outcome: the settled seconds and amounts, not the last usage update.
    const meter = live.getByTestId("meter");
    assert.equal(await meter.getAttribute("data-source"), "settlement");
    assert.equal(BigInt((await meter.getAttribute("data-shown"))!), settled.args.elapsedSeconds);
    const seconds = Number(settled.args.elapsedSeconds);
    assert.match(await meter.innerText(), new RegExp(`^${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")} / `));
    assert.equal(BigInt((await live.getByTestId("spent").locator("[data-wei]").getAttribute("data-wei"))!), settled.args.paidToProvider);
    assert.equal(
      BigInt((await live.getByTestId("remaining").locator("[data-wei]").getAttribute("data-wei"))!),
      settled.args.refundedToUser,
    );
    await screenshot(u.page, "session-ended");
  });

  it("settles a live session when the gateway shuts down, and shows the outcome", async () => {
    const u = await user(USER);
    await u.page.getByTestId("resource-report").getByTestId("open-session").click();
    await u.page.locator("[data-testid=live-session][data-phase=live]").waitFor();
    await u.page.waitForFunction(() => Number(document.querySelector("[data-testid=meter]")?.getAttribute("data-elapsed")) >= 1);
    await gateway.stop(); // ends every session and settles it with the latest receipt on its way down
    await u.page.getByTestId("session-ended").waitFor({ timeout: 60_000 });
    const settled = await publicClient.getContractEvents({
      address: chain.contracts.WS402Deposits,
      abi: ws402DepositsAbi,
      eventName: "SessionSettled",
      fromBlock: 0n,
    });
    assert.equal(settled.length, 2);
    assert.equal(
      BigInt((await u.page.getByTestId("session-refund-amount").locator("[data-wei]").getAttribute("data-wei"))!),
      settled[1].args.refundedToUser,
    );
  });

  it("ends on-chain and reclaims the whole deposit of a session no gateway will settle", async () => {
    // The gateway is gone for good: a session opened on-chain (here directly) is never settled.
    const stranded = privateKeyToAccount(chain.accounts[STRANDED].privateKey as Hex);
    const wallet = createWalletClient({ account: stranded, chain: { ...hardhat, id: chain.chainId }, transport: http(chain.rpcUrl) });
    const [schemaResource] = await publicClient.getContractEvents({
      address: chain.contracts.WS402Deposits,
      abi: ws402DepositsAbi,
      eventName: "ResourceRegistered",
      fromBlock: 0n,
    });
    const deposit = PRICE_PER_SECOND * 60n;
    const hash = await wallet.writeContract({
      address: chain.contracts.WS402Deposits,
      abi: ws402DepositsAbi,
      functionName: "open",
      args: [schemaResource.args.resourceId!, 60, privateKeyToAccount(generatePrivateKey()).address],
      value: deposit,
    });
    await publicClient.waitForTransactionReceipt({ hash });
    const [opened] = await publicClient.getContractEvents({
      address: chain.contracts.WS402Deposits,
      abi: ws402DepositsAbi,
      eventName: "SessionOpened",
      args: { user: stranded.address },
      fromBlock: 0n,
    });
    const sessionId = opened.args.sessionId!;

    const u = await user(STRANDED);
    await u.page.locator("[data-error-kind]").filter({ hasText: "unreachable" }).first().waitFor();
    const row = u.page.getByTestId(`session-${sessionId}`);
    await row.getByTestId("request-close").click();
    await row.getByTestId("reclaim").waitFor();
    await screenshot(u.page, "session-gateway-gone");
    await chain.increaseTime(GRACE_PERIOD_SECONDS + 1);
    await u.page.waitForFunction(
      (id) => !(document.querySelector(`[data-testid=session-${id}] [data-testid=reclaim]`) as HTMLButtonElement | null)?.disabled,
      String(sessionId),
    );
    await row.getByTestId("reclaim").click();
    await u.page.locator(`[data-testid=session-${sessionId}][data-status=Reclaimed]`).waitFor();
    const [reclaimed] = await publicClient.getContractEvents({
      address: chain.contracts.WS402Deposits,
      abi: ws402DepositsAbi,
      eventName: "SessionReclaimed",
      args: { sessionId },
      fromBlock: 0n,
    });
    assert.equal(reclaimed.args.amount, deposit, "the whole deposit came back");
  });
});
