/**
 * A browser tab seeds what it published, through the w3t_pay seeder extension, to a licensed leecher in another
 * tab that pays it checkpoint by checkpoint; the seeder tab settles the leecher's signed Close (last voucher, close,
 * waiver, refund) and submits the receipts from the Seeding page, and its earnings match the chain. The tracker's
 * license gate is on: the tab is introduced as the title's publisher, the leecher as a license holder.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { formatEther, parseEther, type Hex } from "viem";
import { amountFor, MIB } from "@web3torrent/sdk/checkpointSchedule";
import { checkpointEscrowAbi, licenseMarketAbi, rebatePoolAbi } from "@web3torrent/sdk/generated/contracts";
import { launchBrowser, openApp, screenshot, type UserPage } from "./support/browser.ts";
import { buyDirect, startStack, type TestStack } from "./support/stack.ts";
import { TestWallet } from "./support/testWallet.ts";

const SIZE = 12 * Number(MIB);
const PRICE = parseEther("0.000001"); // per MiB, asked by the seeding tab
const [PUBLISHER, LEECHER] = [1, 2];

describe("seeding from a browser tab", () => {
  let stack: TestStack;
  let browser: Browser;
  const pages: UserPage[] = [];

  async function user(index: number): Promise<UserPage> {
    const u = await openApp(
      browser,
      stack.app.url,
      new TestWallet(stack.chain.rpcUrl, stack.chain.chainId, stack.chain.accounts[index].privateKey as Hex),
    );
    pages.push(u);
    await u.page.getByTestId("connect-io.metamask").click();
    await u.page.getByTestId("account").waitFor();
    return u;
  }

  before(async () => {
    stack = await startStack({}, { tracker: true });
    browser = await launchBrowser();
  });

  after(async () => {
    for (const { errors } of pages) if (errors.length) console.log("page errors:", errors.join("\n"));
    await browser?.close();
    await stack?.stop();
  });

  it("publishes and seeds from the tab, is paid by a leecher tab, and redeems and claims its earnings", async () => {
    const seeder = await user(PUBLISHER);
    await seeder.page.getByTestId("nav-seeding").click();
    await seeder.page.getByTestId("seed-price").fill(formatEther(PRICE));
    await seeder.page.getByTestId("nav-publish").click();
    const bytes = Buffer.alloc(SIZE);
    for (let i = 0; i < SIZE; i += 4) bytes.writeUInt32LE((i * 2654435761) >>> 0, i);
    await seeder.page
      .getByTestId("publish-file")
      .setInputFiles({ name: "tab-film.bin", mimeType: "application/octet-stream", buffer: bytes });
    await seeder.page.getByTestId("infohash").waitFor({ timeout: 60_000 });
    await seeder.page.getByTestId("publish-name").fill("Tab film");
    await seeder.page.getByTestId("publish-submit").click();
    await seeder.page.getByTestId("published").waitFor();
    const contentId = await stack.publicClient.readContract({
      address: stack.chain.contracts.LicenseMarket,
      abi: licenseMarketAbi,
      functionName: "contentCount",
    });
    await seeder.page.getByTestId("nav-seeding").click();
    await seeder.page.getByText("Tab film").first().waitFor();

    await buyDirect(stack, stack.chain.accounts[LEECHER].privateKey as Hex, contentId);
    const leecher = await user(LEECHER);
    await leecher.page.getByTestId("nav-library").click();
    const card = leecher.page.getByTestId(`license-${contentId}`);
    await card.getByTestId("download-cap").fill(formatEther(2n * PRICE));
    await card.getByTestId("download").click();
    await card.locator("[data-testid=download-phase][data-phase=done]").waitFor({ timeout: 120_000 });
    await screenshot(leecher.page, "library-downloaded-from-tab");
    // The seeding tab counts the file data it served, not the protocol's messages (terms, vouchers, receipts).
    await seeder.page.waitForFunction(
      (size) => Number(document.querySelector("[data-testid^=seeded-] [data-testid=uploaded]")?.getAttribute("data-bytes")) >= size,
      SIZE,
    );
    assert.equal(Number(await seeder.page.locator("[data-testid^=seeded-] [data-testid=uploaded]").getAttribute("data-bytes")), SIZE);
    // The leecher tab seeds nothing it did not choose to.
    await leecher.page.getByTestId("nav-seeding").click();
    assert.equal(await leecher.page.locator("[data-testid^=seeded-]").count(), 0);
    await leecher.page.getByTestId("nav-library").click();

    // The leecher's session key signed Close reaches the tab, which settles it as the headless seeder does: its last
    // voucher, the close, its waiver and — the only paid seeder — the leecher's refund, in one transaction. The
    // leecher's wallet is asked for nothing more.
    const [opened] = await stack.publicClient.getContractEvents({
      address: stack.chain.contracts.CheckpointEscrow,
      abi: checkpointEscrowAbi,
      eventName: "EscrowOpened",
      args: { leecher: leecher.wallet.account.address },
      fromBlock: 0n,
    });
    const escrowId = opened.args.escrowId!;
    await leecher.page.locator(`[data-testid=escrow-${escrowId}][data-status=Closed]`).waitFor({ timeout: 60_000 });
    const [used] = await stack.publicClient.getContractEvents({
      address: stack.chain.contracts.CheckpointEscrow,
      abi: checkpointEscrowAbi,
      eventName: "CloseSignatureUsed",
      args: { escrowId },
      fromBlock: 0n,
    });
    assert.equal(used.args.submitter, seeder.wallet.account.address, "the tab seeder submitted the session key's Close");
    const [refunded] = await stack.publicClient.getContractEvents({
      address: stack.chain.contracts.CheckpointEscrow,
      abi: checkpointEscrowAbi,
      eventName: "EscrowRefunded",
      args: { escrowId },
      fromBlock: 0n,
    });
    assert.equal(refunded.args.amount, opened.args.deposit! - amountFor(BigInt(SIZE), PRICE));
    assert.deepEqual(
      leecher.wallet.requests.filter((m) => m === "eth_signTypedData_v4" || m === "eth_sendTransaction"),
      ["eth_signTypedData_v4", "eth_sendTransaction"],
      "the delegation and the deposit: no close or refund prompt",
    );
    await screenshot(leecher.page, "library-refunded-by-tab-seeder");

    // Its last voucher was redeemed in that settlement; the receipt waits for the Seeding page.
    const holdings = seeder.page.locator("[data-testid=holdings][data-vouchers='0'][data-receipts='1']");
    await holdings.waitFor();
    await screenshot(seeder.page, "seeding-tab-holdings");
    await seeder.page.getByTestId("submit-receipts").click();
    await seeder.page.locator("[data-testid=holdings][data-receipts='0']").waitFor();

    const seederAddress = seeder.wallet.account.address;
    const redeemed = await stack.publicClient.getContractEvents({
      address: stack.chain.contracts.CheckpointEscrow,
      abi: checkpointEscrowAbi,
      eventName: "VoucherRedeemed",
      args: { seeder: seederAddress },
      fromBlock: 0n,
    });
    const paid = redeemed.reduce((sum, e) => sum + e.args.paid!, 0n);
    assert.equal(paid, amountFor(BigInt(SIZE), PRICE), "the tab was paid its price for every byte");
    const credited = await stack.publicClient.getContractEvents({
      address: stack.chain.contracts.RebatePool,
      abi: rebatePoolAbi,
      eventName: "ReceiptCredited",
      args: { seeder: seederAddress },
      fromBlock: 0n,
    });
    assert.equal(credited.length, 1);
    assert.equal(credited[0].args.creditedBytes, BigInt(SIZE));
    await seeder.page.locator(`[data-testid=escrow-earned] [data-wei="${paid}"]`).waitFor();
    await seeder.page.locator(`[data-testid=rebates-earned] [data-wei="${credited[0].args.payout}"]`).waitFor();
    await screenshot(seeder.page, "seeding-tab-earnings");
  });
});
