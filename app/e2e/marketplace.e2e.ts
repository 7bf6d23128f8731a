/**
 * Browser journeys on the marketplace and publishing, against the devchain, with the test wallet announced over
 * EIP-6963 in place of MetaMask: connect, wrong network → switch (adding the chain), buy at the quoted price and
 * see the next buyer pay more, the slippage guard when the price moves, a declined signature, a quantity the balance cannot cover,
 * publishing a file created in the browser.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { numberToHex, parseEther, type Hex } from "viem";
import { licenseMarketAbi } from "@web3torrent/sdk/generated/contracts";
import { launchBrowser, openApp, screenshot, type UserPage } from "./support/browser.ts";
import { buyDirect, licenseBalance, quoteTotal, registerContent, startStack, type TestStack } from "./support/stack.ts";
import { TestWallet } from "./support/testWallet.ts";

const MAINNET = 1;

describe("marketplace and publishing in the browser", () => {
  let stack: TestStack;
  let browser: Browser;
  let contentId: bigint;
  const pages: UserPage[] = [];

  const key = (index: number): Hex => stack.chain.accounts[index].privateKey;
  async function user(index: number, options?: ConstructorParameters<typeof TestWallet>[3]): Promise<UserPage> {
    const wallet = new TestWallet(stack.chain.rpcUrl, stack.chain.chainId, key(index), options);
    const user = await openApp(browser, stack.app.url, wallet);
    pages.push(user);
    return user;
  }
  async function connect({ page }: UserPage) {
    await page.getByTestId("connect-io.metamask").click();
    await page.getByTestId("account").waitFor();
  }
  const wei = async (page: UserPage["page"], testId: string) =>
    BigInt((await page.getByTestId(testId).locator("[data-wei]").first().getAttribute("data-wei"))!);

  before(async () => {
    stack = await startStack();
    browser = await launchBrowser();
    contentId = await registerContent(stack, key(1), { name: "Big Buck Bunny (demo)" });
  });

  after(async () => {
    for (const { errors } of pages) if (errors.length) console.log("page errors:", errors.join("\n"));
    await browser?.close();
    await stack?.stop();
  });

  it("tells a visitor without a wallet how to get one, and still shows the marketplace", async () => {
    const visitor = await openApp(browser, stack.app.url, null);
    pages.push(visitor);
    await visitor.page.getByTestId(`content-${contentId}`).waitFor();
    const header = visitor.page.locator("header [data-error-kind=no-wallet]");
    assert.match(await header.innerText(), /No wallet found/);
    await header.getByRole("link", { name: "Get MetaMask" }).waitFor();
    await visitor.page.getByTestId(`content-${contentId}`).getByTestId("buy").click();
    const notice = visitor.page.getByTestId("buy-dialog").locator("[data-error-kind=no-wallet]");
    assert.match(await notice.innerText(), /Install MetaMask/);
    await notice.getByRole("button", { name: "Reload" }).waitFor();
    await screenshot(visitor.page, "no-wallet");
  });

  it("connects through EIP-6963 and switches a wallet on another chain to the local chain, adding it", async () => {
    const alice = await user(2, { startOnChain: MAINNET, knowsAppChain: false });
    const { page, wallet } = alice;
    await page.getByTestId(`content-${contentId}`).waitFor();
    await connect(alice);
    assert.equal((await page.getByTestId("account").getAttribute("title"))?.toLowerCase(), wallet.account.address.toLowerCase());
    await page.getByTestId("wrong-chain").waitFor();
    await screenshot(page, "wallet-wrong-chain");
    await page.getByTestId("switch-chain").click();
    await page.getByTestId("wrong-chain").waitFor({ state: "detached" });
    assert.equal(wallet.chainId, stack.chain.chainId);
    assert.equal(wallet.addedChains.length, 1, "the unknown chain was added");
    assert.equal(wallet.addedChains[0].chainId, numberToHex(stack.chain.chainId));
    assert.deepEqual(wallet.addedChains[0].rpcUrls, [stack.chain.rpcUrl]);
    await page.getByTestId("balance").locator("[data-wei]").waitFor();
  });

  it("buys a license at the price quote() gives; the next buyer pays the higher curve price", async () => {
    const bob = await user(3);
    const { page } = bob;
    await connect(bob);
    const card = page.getByTestId(`content-${contentId}`);
    const quoted = await quoteTotal(stack, contentId);
    assert.equal(BigInt((await card.getByTestId("current-price").locator("[data-wei]").getAttribute("data-wei"))!), quoted);
    await screenshot(page, "marketplace");
    await card.getByTestId("buy").click();
    const dialog = page.getByTestId("buy-dialog");
    await dialog.getByTestId("quote-total").waitFor();
    assert.equal(await wei(page, "quote-total"), quoted, "the dialog shows LicenseMarket.quote's total");
    const [curve, network, bounty] = await stack.publicClient.readContract({
      address: stack.chain.contracts.LicenseMarket,
      abi: licenseMarketAbi,
      functionName: "quote",
      args: [contentId, 1n],
    });
    assert.equal(await wei(page, "quote-curve"), curve);
    assert.equal(await wei(page, "quote-network"), network);
    assert.equal(await wei(page, "quote-bounty"), bounty);
    await screenshot(page, "buy-dialog");
    const before = await stack.publicClient.getBalance({ address: bob.wallet.account.address });
    await dialog.getByTestId("confirm-buy").click();
    await dialog.getByTestId("buy-result").waitFor();
    await screenshot(page, "buy-confirmed");
    // One price convention: the next license as the marketplace card prices it, fees included.
    assert.equal(await wei(page, "next-total"), await quoteTotal(stack, contentId));
    assert.equal(await licenseBalance(stack, bob.wallet.account.address, contentId), 1n);
    const spent = before - (await stack.publicClient.getBalance({ address: bob.wallet.account.address }));
    assert.ok(spent >= quoted && spent < quoted + parseEther("0.01"), "paid the quote plus gas; the slippage margin came back");
    await dialog.getByRole("button", { name: "Close" }).click();
    await card.getByText("Owned ×1").waitFor();
    // One price convention: the chart's latest point is the card's price now, fees included.
    await page.waitForFunction((id) => {
      const card = document.querySelector(`[data-testid=content-${id}]`);
      const caption = card?.querySelector("[data-testid=price-chart] figcaption")?.textContent ?? "";
      const now = card?.querySelector("[data-testid=current-price]")?.textContent ?? "?";
      return caption.includes("price with fees") && caption.endsWith(`→ ${now}`);
    }, String(contentId));

    const carol = await user(4);
    await connect(carol);
    const secondQuote = await quoteTotal(stack, contentId);
    assert.ok(secondQuote > quoted, "the curve moved up");
    const carolCard = carol.page.getByTestId(`content-${contentId}`);
    await carolCard.locator(`[data-testid=current-price] [data-wei="${secondQuote}"]`).waitFor();
    await carolCard.getByTestId("buy").click();
    await carol.page.getByTestId("confirm-buy").click();
    await carol.page.getByTestId("buy-result").waitFor();
    const events = await stack.publicClient.getContractEvents({
      address: stack.chain.contracts.LicenseMarket,
      abi: licenseMarketAbi,
      eventName: "LicensesPurchased",
      args: { contentId },
      fromBlock: 0n,
    });
    assert.equal(events.length, 2);
    assert.ok(events[1].args.curvePrice! > events[0].args.curvePrice!, "the second buyer paid the higher curve price");
    assert.equal(events[1].args.recipient, carol.wallet.account.address);
  });

  it("refuses to pay above the slippage limit when the price moves, then buys at the refreshed quote", async () => {
    const dave = await user(5);
    const { page } = dave;
    await connect(dave);
    await page.getByTestId(`content-${contentId}`).getByTestId("buy").click();
    await page.getByTestId("quote-total").waitFor();
    await page.getByTestId("buy-slippage").fill("0");
    const agreed = await wei(page, "quote-total");
    await buyDirect(stack, key(6), contentId); // someone else buys first: the price moves up
    await page.getByTestId("price-moved").waitFor();
    await page.getByTestId("confirm-buy").click();
    const error = page.locator("[data-error-kind=slippage]");
    await error.waitFor();
    assert.match(await error.innerText(), /slippage limit/);
    await screenshot(page, "buy-slippage-error");
    assert.equal(await licenseBalance(stack, dave.wallet.account.address, contentId), 0n, "nothing bought above the limit");
    await page.getByTestId("refresh-quote").click();
    const refreshed = await wei(page, "quote-total");
    assert.ok(refreshed > agreed);
    assert.equal(refreshed, await quoteTotal(stack, contentId));
    await page.getByTestId("confirm-buy").click();
    await page.getByTestId("buy-result").waitFor();
    assert.equal(await licenseBalance(stack, dave.wallet.account.address, contentId), 1n);
  });

  it("says so when the user declines the transaction in the wallet, and lets them try again", async () => {
    const erin = await user(7);
    const { page, wallet } = erin;
    await connect(erin);
    await page.getByTestId(`content-${contentId}`).getByTestId("buy").click();
    wallet.rejectNext("eth_sendTransaction");
    await page.getByTestId("confirm-buy").click();
    const error = page.locator("[data-error-kind=rejected]");
    await error.waitFor();
    assert.match(await error.innerText(), /declined/);
    await screenshot(page, "buy-rejected");
    assert.equal(await licenseBalance(stack, wallet.account.address, contentId), 0n);
    await error.getByRole("button", { name: "Try again" }).click();
    await page.getByTestId("buy-result").waitFor();
    assert.equal(await licenseBalance(stack, wallet.account.address, contentId), 1n);
  });

  it("says what is wrong on the Buy button as the quantity is typed: invalid, then more than the balance covers", async () => {
    const frank = await user(8);
    await stack.publicClient.request({
      method: "hardhat_setBalance" as never,
      params: [frank.wallet.account.address, numberToHex(parseEther("0.001"))] as never,
    });
    const { page, wallet } = frank;
    await connect(frank);
    await page.getByTestId(`content-${contentId}`).getByTestId("buy").click();
    const button = page.getByTestId("confirm-buy");
    await page.getByTestId("buy-quantity").fill("0");
    assert.equal(await button.innerText(), "Enter a quantity of 1 or more");
    assert.ok(await button.isDisabled());
    await page.getByTestId("buy-quantity").fill("2");
    const short = page.getByTestId("buy-short");
    await short.waitFor();
    assert.match(await button.innerText(), /^Not enough ETH: this needs ≈?0\.\d{1,6} ETH, you have 0\.001 ETH$/);
    assert.ok(await button.isDisabled(), "no purchase the balance cannot cover");
    assert.doesNotMatch(await page.getByTestId("buy-dialog").innerText(), /\d\.\d{7,}/, "no amount printed to 18 decimals");
    await screenshot(page, "buy-insufficient-funds");
    assert.ok(!wallet.requests.includes("eth_sendTransaction"), "the wallet was never asked to send");
  });

  it("publishes a file: the torrent is created in the browser and registered with its curve, committing first", async () => {
    const publisher = await user(9);
    const { page, wallet } = publisher;
    await connect(publisher);
    await page.getByTestId("nav-publish").click();
    const bytes = Buffer.alloc(300_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + 7) & 0xff;
    await page
      .getByTestId("publish-file")
      .setInputFiles({ name: "lecture-notes.bin", mimeType: "application/octet-stream", buffer: bytes });
    const infohash = (await page.getByTestId("infohash").innerText()).trim();
    assert.match(infohash, /^[0-9a-f]{40}$/);
    await page.getByTestId("publish-name").fill("Lecture notes");
    await page.getByTestId("publish-base").fill("0.02");
    await page.getByTestId("publish-growth").fill("0.005");
    await page.getByTestId("publish-bounty").fill("10");
    await screenshot(page, "publish-form");
    await page.getByTestId("publish-submit").click();
    // Commit, wait, register, with the step in progress on the page.
    const waiting = page.locator("[data-testid=registration-progress][data-phase=waiting]");
    await waiting.waitFor();
    assert.match(await waiting.getByTestId("registration-step-waiting").innerText(), /^waiting \d+s…$/);
    await screenshot(page, "publish-waiting");
    await page.getByTestId("published").waitFor();
    await screenshot(page, "publish-done");
    assert.deepEqual(
      wallet.requests.filter((m) => m === "eth_sendTransaction"),
      ["eth_sendTransaction", "eth_sendTransaction"],
      "two transactions: the commitment, then the registration",
    );
    const id = await stack.publicClient.readContract({
      address: stack.chain.contracts.LicenseMarket,
      abi: licenseMarketAbi,
      functionName: "contentIdOf",
      args: [`0x${infohash}${"0".repeat(24)}`],
    });
    assert.ok(id > 0n);
    const content = await stack.publicClient.readContract({
      address: stack.chain.contracts.LicenseMarket,
      abi: licenseMarketAbi,
      functionName: "content",
      args: [id],
    });
    assert.equal(content.size, BigInt(bytes.length));
    assert.equal(content.basePrice, parseEther("0.02"));
    assert.equal(content.growth, parseEther("0.005"));
    assert.equal(content.bountyFeeBps, 1000);
    assert.equal(content.payout, wallet.account.address);
    await page.getByRole("link", { name: "See it in the marketplace" }).click();
    await page.getByTestId(`content-${id}`).getByText("Lecture notes").waitFor();
  });

  it("lets the publisher withdraw its sales proceeds", async () => {
    const publisher = await user(1);
    await connect(publisher);
    await publisher.page.getByTestId("nav-publish").click();
    const owed = await stack.publicClient.readContract({
      address: stack.chain.contracts.LicenseMarket,
      abi: licenseMarketAbi,
      functionName: "proceeds",
      args: [publisher.wallet.account.address],
    });
    assert.ok(owed > 0n, "the sales above accrued proceeds");
    await publisher.page.locator(`[data-testid=proceeds] [data-wei="${owed}"]`).waitFor();
    await publisher.page.getByTestId("withdraw-proceeds").click();
    await publisher.page.locator(`[data-testid=proceeds] [data-wei="0"]`).waitFor();
    const withdrawn = await stack.publicClient.getContractEvents({
      address: stack.chain.contracts.LicenseMarket,
      abi: licenseMarketAbi,
      eventName: "ProceedsWithdrawn",
      fromBlock: 0n,
    });
    assert.equal(withdrawn.length, 1);
    assert.equal(withdrawn[0].args.amount, owed);
  });
});
