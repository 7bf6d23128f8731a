/**
 * The whole journey over the stack, in the browser, one page per person and wallet: a publisher publishes a file
 * from its tab, which seeds it; two buyers buy licenses on the curve; the first downloads from the headless seeder
 * and the publisher's tab, paying each for its own bytes through checkpoints; it then seeds from its tab and serves
 * the second buyer; an epoch passes and every seeder claims the rebates its credited bytes earned; a WS402 session is
 * opened, used and ended with its refund; and the subgraph (GraphQL of the local indexer) agrees with the chain.
 *
 * The steps run in order and share one stack (devchain, local indexer, tracker, headless seeder, WS402 gateway, app).
 * The tracker's license gate is on, as in production: the headless seeder, neither publisher nor payout, holds a
 * license of the film to be introduced to its peers.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import {
  formatEther,
  parseEther,
  type Abi,
  type Address,
  type ContractEventName,
  type GetContractEventsParameters,
  type GetEventArgs,
} from "viem";
import { amountFor, MIB } from "@web3torrent/sdk/checkpointSchedule";
import { checkpointEscrowAbi, licenseMarketAbi, rebatePoolAbi, ws402DepositsAbi } from "@web3torrent/sdk/generated/contracts";
import { startSwarm, type Swarm } from "@web3torrent/seeder/testing";
import type { Seeder } from "@web3torrent/seeder";
import { startLocalIndexer, type LocalIndexer } from "@web3torrent/indexer";
import { buildSubgraph } from "@web3torrent/subgraph/build";
import { createLogger, parseConfig, startGateway, type Gateway } from "@web3torrent/ws402-gateway";
import { startApp, type AppServer } from "../../scripts/stack/app.ts";
import { launchBrowser, openApp, screenshot, type UserPage } from "./support/browser.ts";
import { TestWallet } from "./support/testWallet.ts";

const SIZE = 12 * Number(MIB);
const PRICE = parseEther("0.000001"); // wei per MiB asked by every seeder
const PRICE_CAP = 2n * PRICE; // what the buyers accept
const WS402_PRICE_PER_SECOND = 1_000_000_000n;
const WS402_DEPOSIT_SECONDS = 600;
const [PUBLISHER, HEADLESS, BUYER1, BUYER2, PROVIDER, PROVIDER_PAYOUT] = [1, 2, 3, 4, 5, 6];

/** CheckpointEscrow.Status.Closed and IWS402Deposits.SessionStatus.Settled. */
const ESCROW_CLOSED = 3;
const SESSION_SETTLED = 2;

const sum = (values: bigint[]) => values.reduce((a, b) => a + b, 0n);

describe("the journey: publish, buy, download from two seeders, seed, claim rebates, a WS402 session, the subgraph", () => {
  let swarm: Swarm;
  let indexer: LocalIndexer;
  let gateway: Gateway;
  let app: AppServer;
  let browser: Browser;
  let headless: Seeder;
  let file: string;
  let contentId: bigint;
  let infoHash: string;
  const escrowOf = new Map<Address, bigint>();
  const pages = new Map<number, UserPage>();

  const market = () => swarm.chain.contracts.LicenseMarket;
  const escrow = () => swarm.chain.contracts.CheckpointEscrow;
  const pool = () => swarm.chain.contracts.RebatePool;
  const address = (index: number) => swarm.chain.accounts[index].address;
  function read<T>(args: Parameters<Swarm["publicClient"]["readContract"]>[0]): Promise<T> {
    return swarm.publicClient.readContract(args) as Promise<T>;
  }
  /** The contract's events since genesis, typed by viem from the ABI (every field of a decoded log is present). */
  async function events<const abi extends Abi, eventName extends ContractEventName<abi>>(
    abi: abi,
    contract: Address,
    eventName: eventName,
    args?: GetContractEventsParameters<abi, eventName>["args"],
  ) {
    const logs = await swarm.publicClient.getContractEvents({ address: contract, abi, eventName, args, fromBlock: 0n, strict: true });
    type Decoded = GetEventArgs<abi, eventName, { EnableUnion: false; IndexedOnly: false; Required: true }>;
    return logs.map((log) => ({ args: log.args as Decoded, blockNumber: log.blockNumber }));
  }
  const wei = async (scope: ReturnType<UserPage["page"]["getByTestId"]>) =>
    BigInt((await scope.locator("[data-wei]").first().getAttribute("data-wei"))!);

  /** The app in a page of its own for test account `index`, its wallet connected. */
  async function user(index: number): Promise<UserPage> {
    const existing = pages.get(index);
    if (existing) return existing;
    const u = await openApp(
      browser,
      app.url,
      new TestWallet(swarm.chain.rpcUrl, swarm.chain.chainId, swarm.chain.accounts[index].privateKey),
    );
    pages.set(index, u);
    await u.page.getByTestId("connect-io.metamask").click();
    await u.page.getByTestId("account").waitFor();
    return u;
  }

  /** Sets the price the tab asks from peers it seeds to from now on (Seeding page). */
  async function setSeedPrice(u: UserPage) {
    await u.page.getByTestId("nav-seeding").click();
    await u.page.getByTestId("seed-price").fill(formatEther(PRICE));
  }

  /** A paid download from the Library, to the end: every seeder acknowledged its final voucher. */
  async function download(u: UserPage) {
    await u.page.getByTestId("nav-library").click();
    const card = u.page.getByTestId(`license-${contentId}`);
    await card.getByTestId("download-cap").fill(formatEther(PRICE_CAP));
    const before = u.wallet.requests.length;
    await card.getByTestId("download").click();
    await card.locator("[data-testid=download-phase][data-phase=done]").waitFor({ timeout: 120_000 });
    await u.page.locator(`[data-testid=license-${contentId}][data-status=completed]`).waitFor();
    const asked = u.wallet.requests.slice(before).filter((m) => m === "eth_signTypedData_v4" || m === "eth_sendTransaction");
    assert.deepEqual(
      asked,
      ["eth_signTypedData_v4", "eth_sendTransaction"],
      "one signature for the session key and one deposit, nothing per checkpoint",
    );
    const [opened] = await events(checkpointEscrowAbi, escrow(), "EscrowOpened", { leecher: u.wallet.account.address });
    assert.equal(opened.args.deposit, amountFor(BigInt(SIZE), PRICE_CAP));
    escrowOf.set(u.wallet.account.address, opened.args.escrowId);
  }

  /**
   * The buyer's escrow closes without a prompt: the completed download handed the session key's Close to its
   * seeders, and they submit it — the headless seeder and tab seeders alike — each with its last voucher and its
   * waiver; once every paid seeder has waived, the refund lands in the same transaction (else after the window).
   */
  async function closedBySeeders(u: UserPage) {
    await u.page.getByTestId("nav-library").click();
    const escrowId = escrowOf.get(u.wallet.account.address)!;
    await u.page.locator(`[data-testid=escrow-${escrowId}]:is([data-status=Closing], [data-status=Closed])`).waitFor();
    const used = await events(checkpointEscrowAbi, escrow(), "CloseSignatureUsed", { escrowId });
    assert.equal(used.length, 1, "a seeder submitted the session key's Close");
  }

  /**
   * The tab's seeder submits the receipts it holds (Seeding page). Its vouchers are all redeemed by then: one below
   * the file's end as it came in (`redeemAndReserve`, mined before the tab acknowledged it), the last one with the
   * leecher's signed Close (`settleClose`).
   */
  async function settleTab(u: UserPage) {
    await u.page.getByTestId("nav-seeding").click();
    await u.page.locator("[data-testid=holdings][data-vouchers='0']:not([data-receipts='0'])").waitFor();
    await u.page.getByTestId("submit-receipts").click();
    await u.page.locator("[data-testid=holdings][data-receipts='0']").waitFor();
  }

  /** What `seeder` redeemed from `escrowId` and was credited for `leecher`, on chain. */
  async function paidTo(seeder: Address, leecher: Address) {
    const escrowId = escrowOf.get(leecher)!;
    const redeemed = await read<{ amount: bigint; cumulativeBytes: bigint }>({
      address: escrow(),
      abi: checkpointEscrowAbi,
      functionName: "redeemedBy",
      args: [escrowId, seeder],
    });
    const credited = await read<bigint>({
      address: pool(),
      abi: rebatePoolAbi,
      functionName: "credited",
      args: [leecher, seeder, contentId],
    });
    return { amount: redeemed.amount, bytes: redeemed.cumulativeBytes, credited };
  }

  async function graphql<T>(query: string): Promise<T> {
    const response = await fetch(indexer.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query }),
    });
    const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
    if (!body.data) throw new Error(`GraphQL: ${JSON.stringify(body.errors)}`);
    return body.data;
  }

  before(async () => {
    swarm = await startSwarm({ gated: true });
    file = swarm.file("journey-film.bin", SIZE);
    const { buildDir } = await buildSubgraph();
    const contracts = Object.fromEntries(Object.entries(swarm.chain.contracts).map(([name, a]) => [name, { address: a, startBlock: 0 }]));
    indexer = await startLocalIndexer({ rpcUrl: swarm.chain.rpcUrl, buildDir, contracts, port: 0, pollIntervalMs: 100 });
    const gatewayConfig = parseConfig(
      {
        gateway: {
          port: 0,
          database: join(swarm.dir, "gateway.sqlite"),
          payout: address(PROVIDER_PAYOUT),
          usageIntervalMs: 500,
          heartbeatTimeoutMs: 2_000,
          reconnectGraceMs: 1_000,
          chainPollingMs: 100,
          logLevel: "silent",
        },
        chain: { rpcUrl: swarm.chain.rpcUrl, chainId: swarm.chain.chainId, contract: swarm.chain.contracts.WS402Deposits },
        resources: [
          {
            id: "report",
            title: "Quarterly report",
            path: join(swarm.dir, "report.pdf"),
            mimeType: "application/pdf",
            pricePerSecond: WS402_PRICE_PER_SECOND.toString(),
            estimatedSeconds: WS402_DEPOSIT_SECONDS,
            demo: true,
          },
        ],
      },
      swarm.dir,
    );
    gateway = await startGateway({
      config: gatewayConfig,
      privateKey: swarm.chain.accounts[PROVIDER].privateKey,
      log: createLogger("silent"),
    });
    app = await startApp({
      config: {
        chainId: swarm.chain.chainId,
        chainName: "Web3Torrent local",
        rpcUrl: swarm.chain.rpcUrl,
        contracts: swarm.chain.contracts,
        startBlock: 0,
        trackerUrls: [swarm.tracker.url],
        graphqlUrl: indexer.url,
        gatewayUrl: gateway.url,
      },
    });
    browser = await launchBrowser();
  });

  after(async () => {
    for (const { errors } of pages.values()) if (errors.length) console.log("page errors:", errors.join("\n"));
    await browser?.close();
    await app?.close();
    await gateway?.stop().catch(() => {});
    await indexer?.stop();
    await swarm?.stop();
  });

  it("a publisher publishes a file from its tab, which seeds it; the headless seeder seeds the same file", async () => {
    const publisher = await user(PUBLISHER);
    await setSeedPrice(publisher);
    await publisher.page.getByTestId("nav-publish").click();
    await publisher.page.getByTestId("publish-file").setInputFiles(file);
    infoHash = (await publisher.page.getByTestId("infohash").innerText({ timeout: 60_000 })).trim();
    await publisher.page.getByTestId("publish-name").fill("Journey film");
    await publisher.page.getByTestId("publish-base").fill("0.01");
    await publisher.page.getByTestId("publish-growth").fill("0.002");
    await screenshot(publisher.page, "journey-1-publish-form");
    await publisher.page.getByTestId("publish-submit").click();
    await publisher.page.getByTestId("published").waitFor();
    contentId = await read<bigint>({
      address: market(),
      abi: licenseMarketAbi,
      functionName: "contentIdOf",
      args: [`0x${infoHash}${"0".repeat(24)}`],
    });
    assert.ok(contentId > 0n, "the infohash computed in the browser is registered");
    const registered = await read<{ size: bigint; payout: Address }>({
      address: market(),
      abi: licenseMarketAbi,
      functionName: "content",
      args: [contentId],
    });
    assert.equal(registered.size, BigInt(SIZE));
    assert.equal(registered.payout, publisher.wallet.account.address);

    await publisher.page.getByTestId("nav-seeding").click();
    await publisher.page.getByTestId(`seeded-${infoHash}`).getByText("seeding").waitFor();
    await screenshot(publisher.page, "journey-1-publisher-seeding");

    await swarm.buyLicense(contentId, HEADLESS);
    headless = await swarm.startSeeder({ accountIndex: HEADLESS, pricePerMiB: PRICE });
    const { seeded, refused } = await headless.seed(file);
    assert.deepEqual(refused, []);
    assert.equal(seeded[0].contentId, contentId, "the headless seeder matched the file to the content the tab registered");
  });

  it("two buyers buy licenses at quote(); the second pays the higher curve price", async () => {
    const quote = async () =>
      read<readonly [bigint, bigint, bigint, bigint]>({
        address: market(),
        abi: licenseMarketAbi,
        functionName: "quote",
        args: [contentId, 1n],
      });
    const totals: bigint[] = [];
    for (const index of [BUYER1, BUYER2]) {
      const buyer = await user(index);
      const [, , , total] = await quote();
      const card = buyer.page.getByTestId(`content-${contentId}`);
      await card.locator(`[data-testid=current-price] [data-wei="${total}"]`).waitFor();
      await card.getByTestId("buy").click();
      const dialog = buyer.page.getByTestId("buy-dialog");
      await dialog.locator(`[data-testid=quote-total] [data-wei="${total}"]`).waitFor();
      await screenshot(buyer.page, `journey-2-buy-${index === BUYER1 ? "first" : "second"}`);
      await dialog.getByTestId("confirm-buy").click();
      await dialog.getByTestId("buy-result").waitFor();
      await dialog.getByRole("button", { name: "Close" }).click();
      totals.push(total);
    }
    const purchases = (await events(licenseMarketAbi, market(), "LicensesPurchased", { contentId })).filter(
      (p) => p.args.recipient !== address(HEADLESS),
    );
    assert.deepEqual(
      purchases.map((p) => p.args.recipient),
      [address(BUYER1), address(BUYER2)],
    );
    assert.ok(purchases[1].args.curvePrice > purchases[0].args.curvePrice, "the second buyer paid the higher curve price");
    assert.deepEqual(
      purchases.map((p) => p.args.curvePrice + p.args.networkFee + p.args.bountyFee),
      totals,
      "each paid what quote() gave at its turn",
    );
  });

  it("the first buyer downloads from the headless seeder and the publisher's tab, paying each for its own bytes", async () => {
    const buyer = await user(BUYER1);
    await download(buyer);
    await screenshot(buyer.page, "journey-3-downloaded-from-two-seeders");

    await headless.flush();
    const publisher = await user(PUBLISHER);
    await settleTab(publisher); // it served part of the file, the headless seeder the rest
    const fromHeadless = await paidTo(headless.address, address(BUYER1));
    const fromTab = await paidTo(address(PUBLISHER), address(BUYER1));
    assert.ok(
      fromHeadless.bytes > 0n && fromTab.bytes > 0n,
      `both seeders served: headless ${fromHeadless.bytes}, tab ${fromTab.bytes} bytes`,
    );
    assert.equal(fromHeadless.bytes + fromTab.bytes, BigInt(SIZE), "the vouchers together cover the file once");
    for (const paid of [fromHeadless, fromTab]) {
      assert.equal(paid.amount, amountFor(paid.bytes, PRICE), "each seeder was paid its price for its own bytes");
      assert.equal(paid.credited, paid.bytes, "and credited in the rebate pool for the same bytes");
    }
    await publisher.page.locator(`[data-testid=escrow-earned] [data-wei="${fromTab.amount}"]`).waitFor();
    await screenshot(publisher.page, "journey-3-publisher-earnings");

    // A seeder submitted the buyer's Close with its last voucher; each waived its challenge window.
    await closedBySeeders(buyer);
  });

  it("the first buyer seeds from its tab and serves the second buyer, who pays it", async () => {
    const seeder = await user(BUYER1);
    await setSeedPrice(seeder);
    await seeder.page.getByTestId("nav-library").click();
    await seeder.page.getByTestId(`license-${contentId}`).getByTestId("start-seeding").click();
    await seeder.page.locator(`[data-testid=license-${contentId}][data-status=seeding]`).waitFor();
    await screenshot(seeder.page, "journey-4-buyer-seeding");

    // The other seeders go away: the publisher stops seeding in its tab, the headless seeder settles and stops.
    const publisher = await user(PUBLISHER);
    await publisher.page.getByTestId(`seeded-${infoHash}`).getByRole("button", { name: "Stop" }).click();
    await publisher.page.getByTestId(`seeded-${infoHash}`).waitFor({ state: "detached" });
    await headless.stop({ settle: true });
    const waived = await events(checkpointEscrowAbi, escrow(), "ChallengeWaived", { escrowId: escrowOf.get(address(BUYER1)) });
    assert.ok(
      waived.some((w) => w.args.seeder === headless.address),
      "the headless seeder waived its window",
    );

    const second = await user(BUYER2);
    await download(second);
    await screenshot(second.page, "journey-4-downloaded-from-buyer");
    await settleTab(seeder); // it served the whole file
    const paid = await paidTo(address(BUYER1), address(BUYER2));
    assert.equal(paid.bytes, BigInt(SIZE), "the buyer's tab served the whole file");
    assert.equal(paid.amount, amountFor(BigInt(SIZE), PRICE));
    assert.equal(paid.credited, BigInt(SIZE));
    // The Seeding page counts the file data the tab served: the whole file.
    await seeder.page.waitForFunction(
      ([hash, size]) =>
        Number(document.querySelector(`[data-testid=seeded-${hash}] [data-testid=uploaded]`)?.getAttribute("data-bytes")) >= Number(size),
      [infoHash, SIZE] as const,
    );
    await screenshot(seeder.page, "journey-4-buyer-earnings");

    // The tab, its only seeder, settled the second buyer's Close: last voucher, close, waiver and refund at once.
    await closedBySeeders(second);
    await second.page.locator(`[data-testid=escrow-${escrowOf.get(address(BUYER2))}][data-status=Closed]`).waitFor();
  });

  it("an epoch passes: the buyers take their refunds and every seeder claims the rebates its credited bytes earned and its weight in the epoch pool", async () => {
    const epochDuration = await read<number>({ address: pool(), abi: rebatePoolAbi, functionName: "epochDuration" });
    const creditedEpochs = new Set((await events(rebatePoolAbi, pool(), "ReceiptCredited")).map((c) => c.args.epoch));
    await swarm.chain.increaseTime(epochDuration); // also past the escrows' challenge window
    for (const epoch of creditedEpochs) {
      const [, totalWeight, finished] = await read<readonly [bigint, bigint, boolean]>({
        address: pool(),
        abi: rebatePoolAbi,
        functionName: "epochInfo",
        args: [epoch],
      });
      assert.ok(finished, `epoch ${epoch} is over`);
      const credits = await events(rebatePoolAbi, pool(), "ReceiptCredited");
      assert.equal(
        totalWeight,
        sum(credits.filter((c) => c.args.epoch === epoch).map((c) => c.args.weight)),
        "the epoch's weight is the network-fee part of its credits",
      );
    }

    // Refunds: each escrow returns its deposit less what its seeders were paid.
    for (const index of [BUYER1, BUYER2]) {
      const buyer = await user(index);
      const escrowId = escrowOf.get(address(index))!;
      await buyer.page.getByTestId("nav-library").click();
      // Refunded already when every paid seeder settled the Close; else the buyer takes it after the window.
      const card = buyer.page.getByTestId(`escrow-${escrowId}`);
      if ((await card.getAttribute("data-status")) !== "Closed") {
        await buyer.page.waitForFunction(
          (id) => !(document.querySelector(`[data-testid=escrow-${id}] [data-testid=refund-escrow]`) as HTMLButtonElement | null)?.disabled,
          String(escrowId),
        );
        await card.getByTestId("refund-escrow").click();
      }
      await buyer.page.locator(`[data-testid=escrow-${escrowId}][data-status=Closed]`).waitFor();
      const [refunded] = await events(checkpointEscrowAbi, escrow(), "EscrowRefunded", { escrowId });
      const paid = sum((await events(checkpointEscrowAbi, escrow(), "VoucherRedeemed", { escrowId })).map((r) => r.args.paid));
      assert.equal(refunded.args.amount, amountFor(BigInt(SIZE), PRICE_CAP) - paid);
      await buyer.page
        .locator(`[data-testid=escrow-${escrowId}] [data-testid=escrow-refund] [data-wei="${refunded.args.amount}"]`)
        .waitFor();
    }
    await screenshot((await user(BUYER2)).page, "journey-5-refunded");

    // Each license's allowance (its fees) paid the seeders who served it, per credited byte: all of it for a whole file.
    for (const leecher of [BUYER1, BUYER2]) {
      const [funded] = await events(rebatePoolAbi, pool(), "AllowanceFunded", { licensee: address(leecher), contentId });
      const credits = await events(rebatePoolAbi, pool(), "ReceiptCredited", { leecher: address(leecher), contentId });
      assert.equal(sum(credits.map((c) => c.args.creditedBytes)), BigInt(SIZE));
      assert.equal(sum(credits.map((c) => c.args.payout)), funded.args.amount, "the whole allowance went to the seeders");
      for (const c of credits) {
        const due = (funded.args.amount * c.args.creditedBytes) / BigInt(SIZE);
        assert.ok(
          c.args.payout - due <= 1n && due - c.args.payout <= 1n,
          `a seeder is paid in proportion to its bytes (${c.args.payout} for ${c.args.creditedBytes} bytes)`,
        );
      }
      const [remaining, bytesCredited] = await read<readonly [bigint, bigint, bigint]>({
        address: pool(),
        abi: rebatePoolAbi,
        functionName: "allowance",
        args: [address(leecher), contentId],
      });
      assert.deepEqual([remaining, bytesCredited], [0n, BigInt(SIZE)]);
    }

    // The seeders claim in their Seeding page — the headless seeder's operator too, with its key in a wallet.
    for (const index of [PUBLISHER, HEADLESS, BUYER1]) {
      const seeder = await user(index);
      const credited = await events(rebatePoolAbi, pool(), "ReceiptCredited", { seeder: address(index) });
      const earned = sum(credited.map((c) => c.args.payout));
      // The epoch of the credits is over: its pool pays each seeder its weight, the network-fee part of its bytes.
      const weight = sum(credited.map((c) => c.args.weight));
      assert.ok(earned > 0n && weight > 0n);
      await seeder.page.getByTestId("nav-seeding").click();
      await seeder.page.locator(`[data-testid=claimable] [data-wei="${earned + weight}"]`).waitFor();
      assert.equal(await wei(seeder.page.getByTestId("rebates-earned")), earned);
      await screenshot(seeder.page, `journey-5-claim-${index}`);
      await seeder.page.getByTestId("claim").click();
      await seeder.page.locator(`[data-testid=claimable] [data-wei="0"]`).waitFor();
      const [claimed] = await events(rebatePoolAbi, pool(), "Claimed", { seeder: address(index) });
      assert.equal(claimed.args.fromBalance, earned, "the claim paid what the seeder's credited bytes earned");
      assert.equal(claimed.args.fromEpochs, weight, "the epoch pool paid the seeder its weight");
      assert.equal(await read<bigint>({ address: pool(), abi: rebatePoolAbi, functionName: "balances", args: [address(index)] }), 0n);
    }
  });

  it("a WS402 session is opened, used and ended, and the unused deposit comes back", async () => {
    const u = await user(BUYER2);
    await u.page.getByTestId("nav-sessions").click();
    await u.page.getByTestId("resource-report").getByTestId("open-session").click();
    const live = u.page.locator("[data-testid=live-session][data-phase=live]");
    await live.waitFor();
    await live.getByTestId("resource-view").waitFor();
    await u.page.waitForFunction(() => Number(document.querySelector("[data-testid=meter]")?.getAttribute("data-elapsed")) >= 2);
    await screenshot(u.page, "journey-6-session-live");
    await live.getByTestId("end-session").click();
    await u.page.getByTestId("session-ended").waitFor({ timeout: 60_000 });
    const [settled] = await events(ws402DepositsAbi, swarm.chain.contracts.WS402Deposits, "SessionSettled");
    assert.ok(settled.args.elapsedSeconds >= 2n);
    assert.equal(settled.args.paidToProvider, settled.args.elapsedSeconds * WS402_PRICE_PER_SECOND);
    assert.equal(settled.args.paidToProvider + settled.args.refundedToUser, WS402_PRICE_PER_SECOND * BigInt(WS402_DEPOSIT_SECONDS));
    assert.equal(await wei(u.page.getByTestId("session-refund-amount")), settled.args.refundedToUser);
    await screenshot(u.page, "journey-6-session-ended");
  });

  it("the subgraph's entities agree with the chain", async () => {
    await indexer.indexer.waitForBlock(Number(await swarm.publicClient.getBlockNumber()), 60_000);
    const id = contentId.toString();
    const g = await graphql<{
      content: { supply: string; currentPrice: string; purchaseCount: number; volume: string };
      licenses: { holder: { id: string }; balance: string }[];
      escrows: {
        escrowId: string;
        leecher: { id: string };
        deposit: string;
        paid: string;
        unpaid: string;
        reserved: string;
        refunded: string;
        status: string;
        payments: { seeder: { id: string }; paid: string; cumulativeBytes: string }[];
      }[];
      rebateAllowances: { licensee: { id: string }; funded: string; remaining: string; bytesCredited: string; paidOut: string }[];
      receiptCredits: { seeder: { id: string }; creditedBytes: string; payout: string }[];
      claims: { seeder: { id: string }; amount: string; fromBalance: string }[];
      wssessions: { sessionId: string; status: string; elapsedSeconds: string; paidToProvider: string; refundedToUser: string }[];
    }>(`{
      content(id: "${id}") { supply currentPrice purchaseCount volume }
      licenses(where: { content: "${id}" }) { holder { id } balance }
      escrows(orderBy: escrowId) { escrowId leecher { id } deposit paid unpaid reserved refunded status payments { seeder { id } paid cumulativeBytes } }
      rebateAllowances(where: { content: "${id}" }) { licensee { id } funded remaining bytesCredited paidOut }
      receiptCredits(first: 1000) { seeder { id } creditedBytes payout }
      claims { seeder { id } amount fromBalance }
      wssessions: ws402Sessions { sessionId status elapsedSeconds paidToProvider refundedToUser }
    }`);

    // Licenses and supply.
    const onChain = await read<{ supply: bigint }>({
      address: market(),
      abi: licenseMarketAbi,
      functionName: "content",
      args: [contentId],
    });
    const nextPrice = await read<bigint>({ address: market(), abi: licenseMarketAbi, functionName: "nextPrice", args: [contentId] });
    assert.equal(BigInt(g.content.supply), onChain.supply);
    assert.equal(BigInt(g.content.supply), 3n, "the buyers' licenses and the headless seeder's");
    assert.equal(BigInt(g.content.currentPrice), nextPrice);
    assert.equal(g.content.purchaseCount, 3);
    const purchases = await events(licenseMarketAbi, market(), "LicensesPurchased", { contentId });
    assert.equal(BigInt(g.content.volume), sum(purchases.map((p) => p.args.curvePrice + p.args.networkFee + p.args.bountyFee)));
    for (const index of [BUYER1, BUYER2]) {
      const held = g.licenses.find((l) => l.holder.id === address(index).toLowerCase());
      const balance = await read<bigint>({
        address: market(),
        abi: licenseMarketAbi,
        functionName: "balanceOf",
        args: [address(index), contentId],
      });
      assert.equal(BigInt(held!.balance), balance);
    }

    // Escrows and their redemptions.
    assert.equal(g.escrows.length, 2);
    for (const e of g.escrows) {
      // Once closed, what nobody was paid nor reserved and the reservations nobody used are what was refunded.
      const chainEscrow = await read<{ deposit: bigint; unpaid: bigint; reserved: bigint; status: number }>({
        address: escrow(),
        abi: checkpointEscrowAbi,
        functionName: "escrow",
        args: [BigInt(e.escrowId)],
      });
      assert.equal(chainEscrow.status, ESCROW_CLOSED);
      assert.equal(e.status, "Closed");
      assert.equal(BigInt(e.deposit), chainEscrow.deposit);
      assert.equal(BigInt(e.unpaid), chainEscrow.unpaid);
      assert.equal(BigInt(e.reserved), chainEscrow.reserved);
      assert.equal(BigInt(e.refunded), chainEscrow.unpaid + chainEscrow.reserved);
      assert.equal(BigInt(e.paid), chainEscrow.deposit - chainEscrow.unpaid - chainEscrow.reserved);
      const seeders = [...new Set(e.payments.map((p) => p.seeder.id))];
      for (const s of seeders) {
        const redeemed = await read<{ amount: bigint; cumulativeBytes: bigint }>({
          address: escrow(),
          abi: checkpointEscrowAbi,
          functionName: "redeemedBy",
          args: [BigInt(e.escrowId), s as Address],
        });
        const payments = e.payments.filter((p) => p.seeder.id === s);
        assert.equal(sum(payments.map((p) => BigInt(p.paid))), redeemed.amount);
        assert.equal(
          payments.map((p) => BigInt(p.cumulativeBytes)).reduce((a, b) => (a > b ? a : b)),
          redeemed.cumulativeBytes,
        );
      }
    }
    const buyer1Escrow = g.escrows.find((e) => e.leecher.id === address(BUYER1).toLowerCase())!;
    assert.deepEqual(
      new Set(buyer1Escrow.payments.map((p) => p.seeder.id)),
      new Set([headless.address.toLowerCase(), address(PUBLISHER).toLowerCase()]),
    );

    // Rebate allowances, credits and claims.
    assert.equal(g.rebateAllowances.length, 3);
    for (const a of g.rebateAllowances) {
      const [remaining, bytesCredited] = await read<readonly [bigint, bigint, bigint]>({
        address: pool(),
        abi: rebatePoolAbi,
        functionName: "allowance",
        args: [a.licensee.id as Address, contentId],
      });
      assert.equal(BigInt(a.remaining), remaining);
      assert.equal(BigInt(a.bytesCredited), bytesCredited);
      // The buyers' allowances paid the seeders who served them; the headless seeder downloaded nothing.
      assert.equal(BigInt(a.paidOut), a.licensee.id === address(HEADLESS).toLowerCase() ? 0n : BigInt(a.funded));
    }
    const credits = await events(rebatePoolAbi, pool(), "ReceiptCredited");
    const claims = await events(rebatePoolAbi, pool(), "Claimed");
    for (const index of [PUBLISHER, HEADLESS, BUYER1]) {
      const who = address(index).toLowerCase();
      const chainCredits = credits.filter((c) => c.args.seeder.toLowerCase() === who);
      const graphCredits = g.receiptCredits.filter((c) => c.seeder.id === who);
      assert.equal(sum(graphCredits.map((c) => BigInt(c.creditedBytes))), sum(chainCredits.map((c) => c.args.creditedBytes)));
      assert.equal(sum(graphCredits.map((c) => BigInt(c.payout))), sum(chainCredits.map((c) => c.args.payout)));
      const chainClaim = claims.find((c) => c.args.seeder.toLowerCase() === who)!;
      const graphClaim = g.claims.find((c) => c.seeder.id === who)!;
      assert.equal(BigInt(graphClaim.amount), chainClaim.args.fromBalance + chainClaim.args.fromEpochs);
    }

    // The WS402 session's settlement.
    assert.equal(g.wssessions.length, 1);
    const s = g.wssessions[0];
    const [settled] = await events(ws402DepositsAbi, swarm.chain.contracts.WS402Deposits, "SessionSettled");
    const chainSession = await read<{ status: number }>({
      address: swarm.chain.contracts.WS402Deposits,
      abi: ws402DepositsAbi,
      functionName: "session",
      args: [BigInt(s.sessionId)],
    });
    assert.equal(s.status, "Settled");
    assert.equal(chainSession.status, SESSION_SETTLED);
    assert.equal(BigInt(s.elapsedSeconds), settled.args.elapsedSeconds);
    assert.equal(BigInt(s.paidToProvider), settled.args.paidToProvider);
    assert.equal(BigInt(s.refundedToUser), settled.args.refundedToUser);
  });
});
