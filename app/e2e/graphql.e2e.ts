/**
 * The app on the subgraph's GraphQL API (the local indexer, graph-node's API): the marketplace, the price history
 * and the library come from GraphQL and agree with the chain; when the API goes away the app says so and reads the
 * chain instead.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import type { Hex } from "viem";
import { launchBrowser, openApp, screenshot, type UserPage } from "./support/browser.ts";
import { buyDirect, quoteTotal, registerContent, startStack, type TestStack } from "./support/stack.ts";
import { TestWallet } from "./support/testWallet.ts";

describe("the app on the GraphQL API", () => {
  let stack: TestStack;
  let browser: Browser;
  let contentId: bigint;
  const pages: UserPage[] = [];
  const key = (index: number): Hex => stack.chain.accounts[index].privateKey;
  const graphRequests: string[] = [];

  before(async () => {
    stack = await startStack({}, { graphql: true });
    browser = await launchBrowser();
    contentId = await registerContent(stack, key(1), { name: "Indexed album" });
    await registerContent(stack, key(1), { name: "Second album" });
    for (const buyer of [2, 3, 4]) await buyDirect(stack, key(buyer), contentId);
    await stack.indexer!.indexer.waitForBlock(Number(await stack.publicClient.getBlockNumber()), 60_000);
  });

  after(async () => {
    for (const { errors } of pages) if (errors.length) console.log("page errors:", errors.join("\n"));
    await browser?.close();
    await stack?.stop();
  });

  it("shows contents, prices and the price history from GraphQL, matching the chain", async () => {
    const u = await openApp(browser, stack.app.url, new TestWallet(stack.chain.rpcUrl, stack.chain.chainId, key(2)));
    pages.push(u);
    u.page.on("request", (request) => {
      if (request.url() === stack.indexer!.url) graphRequests.push(request.postData() ?? "");
    });
    const card = u.page.getByTestId(`content-${contentId}`);
    await card.locator(`[data-testid=current-price] [data-wei="${await quoteTotal(stack, contentId)}"]`).waitFor();
    await card.locator("[data-testid=price-chart][data-points='3']").waitFor();
    await u.page.getByTestId("content-2").getByRole("heading", { name: "Second album" }).waitFor();
    assert.ok(
      graphRequests.some((q) => q.includes("contents(")),
      "contents came from GraphQL",
    );
    assert.ok(
      graphRequests.some((q) => q.includes("pricePoints(")),
      "the history came from GraphQL",
    );
    assert.equal(await u.page.getByText("Reading the chain directly").count(), 0);
    await screenshot(u.page, "marketplace-graphql");

    await u.page.getByTestId("connect-io.metamask").click();
    await u.page.getByTestId("nav-library").click();
    await u.page.getByTestId(`license-${contentId}`).waitFor();
    assert.ok(
      graphRequests.some((q) => q.includes("licenses(")),
      "the library came from GraphQL",
    );
  });

  it("falls back to the chain, and says so, when the GraphQL API is gone", async () => {
    await stack.indexer!.stop();
    const u = await openApp(browser, stack.app.url, null);
    pages.push(u);
    const notice = u.page.getByText("Reading the chain directly");
    await notice.waitFor();
    await u.page
      .getByTestId(`content-${contentId}`)
      .locator(`[data-testid=current-price] [data-wei="${await quoteTotal(stack, contentId)}"]`)
      .waitFor();
    await screenshot(u.page, "marketplace-graphql-down");
  });
});
