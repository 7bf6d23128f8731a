/**
 * Payments seen from the app, against the chain: a seeder's Seeding page shows what an escrow voucher and a rebate
 * receipt paid it and claims the rebates; the leecher's Library shows the escrow's checkpoint timeline, closes it
 * and takes the refund after the challenge window — every amount checked against the chain's events.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { parseEther, type Hex } from "viem";
import { MIB } from "@web3torrent/sdk/checkpointSchedule";
import { checkpointEscrowAbi, rebatePoolAbi } from "@web3torrent/sdk/generated/contracts";
import { launchBrowser, openApp, screenshot, type UserPage } from "./support/browser.ts";
import { openEscrow, redeemVoucher, submitReceipt, type OpenedEscrow } from "./support/payments.ts";
import { buyDirect, registerContent, startStack, type TestStack } from "./support/stack.ts";
import { TestWallet } from "./support/testWallet.ts";

const SIZE = 25n * MIB;
const PRICE_PER_MIB = parseEther("0.0001");
const CHALLENGE_WINDOW_SECONDS = 120;

describe("earnings and refunds in the browser", () => {
  let stack: TestStack;
  let browser: Browser;
  let contentId: bigint;
  let escrow: OpenedEscrow;
  let voucherPaid: bigint;
  let rebatePaid: bigint;
  const pages: UserPage[] = [];
  const key = (index: number): Hex => stack.chain.accounts[index].privateKey;
  const [PUBLISHER, LEECHER, SEEDER] = [1, 2, 3];

  async function user(index: number): Promise<UserPage> {
    const u = await openApp(browser, stack.app.url, new TestWallet(stack.chain.rpcUrl, stack.chain.chainId, key(index)));
    pages.push(u);
    await u.page.getByTestId("connect-io.metamask").click();
    await u.page.getByTestId("account").waitFor();
    return u;
  }
  const wei = async (u: UserPage, testId: string) =>
    BigInt((await u.page.getByTestId(testId).locator("[data-wei]").first().getAttribute("data-wei"))!);

  before(async () => {
    stack = await startStack();
    browser = await launchBrowser();
    contentId = await registerContent(stack, key(PUBLISHER), { name: "Lecture series", size: SIZE });
    await buyDirect(stack, key(LEECHER), contentId);
    escrow = await openEscrow(stack, key(LEECHER), contentId, SIZE, PRICE_PER_MIB);
    voucherPaid = await redeemVoucher(stack, key(SEEDER), escrow, 10n * MIB, PRICE_PER_MIB);
    rebatePaid = await submitReceipt(stack, key(LEECHER), key(SEEDER), escrow, contentId, 10n * MIB);
  });

  after(async () => {
    for (const { errors } of pages) if (errors.length) console.log("page errors:", errors.join("\n"));
    await browser?.close();
    await stack?.stop();
  });

  it("shows a seeder its escrow and rebate earnings, and claims the rebates", async () => {
    const seeder = await user(SEEDER);
    await seeder.page.getByTestId("nav-seeding").click();
    await seeder.page.getByTestId("earnings").waitFor();
    await seeder.page.locator(`[data-testid=escrow-earned] [data-wei="${voucherPaid}"]`).waitFor();
    assert.equal(voucherPaid, 10n * PRICE_PER_MIB, "the voucher paid the first checkpoint");
    assert.ok(rebatePaid > 0n);
    assert.equal(await wei(seeder, "rebates-earned"), rebatePaid);
    assert.equal(await wei(seeder, "claimable"), rebatePaid);
    await seeder.page.getByTestId("roi").getByText("Lecture series").waitFor();
    await screenshot(seeder.page, "seeding-earnings");
    await seeder.page.getByTestId("claim").click();
    await seeder.page.locator("[data-testid=tx-status][data-phase=confirmed]").waitFor();
    const claims = await stack.publicClient.getContractEvents({
      address: stack.chain.contracts.RebatePool,
      abi: rebatePoolAbi,
      eventName: "Claimed",
      fromBlock: 0n,
    });
    assert.equal(claims.length, 1);
    assert.equal(claims[0].args.fromBalance, rebatePaid);
    await seeder.page.locator(`[data-testid=claimable] [data-wei="0"]`).waitFor();
  });

  it("shows the leecher its checkpoint timeline, closes the escrow and refunds the rest after the challenge window", async () => {
    const leecher = await user(LEECHER);
    await leecher.page.getByTestId("nav-library").click();
    await leecher.page.getByTestId(`license-${contentId}`).waitFor();
    const card = leecher.page.getByTestId(`escrow-${escrow.escrowId}`);
    const steps = card.getByTestId("checkpoint-timeline").locator("li");
    await steps.first().waitFor();
    assert.deepEqual(await steps.evaluateAll((lis) => lis.map((li) => [li.getAttribute("data-bytes"), li.getAttribute("data-state")])), [
      [String(10n * MIB), "paid"],
      [String(SIZE), "pending"],
    ]);
    assert.equal(await wei(leecher, "escrow-paid"), voucherPaid);
    await screenshot(leecher.page, "library-escrow");
    await card.getByTestId("close-escrow").click();
    await leecher.page.locator(`[data-testid=escrow-${escrow.escrowId}][data-status=Closing]`).waitFor();
    await stack.chain.increaseTime(CHALLENGE_WINDOW_SECONDS + 1);
    const refundButton = card.getByTestId("refund-escrow");
    await leecher.page.waitForFunction(
      (id) => !(document.querySelector(`[data-testid=escrow-${id}] [data-testid=refund-escrow]`) as HTMLButtonElement | null)?.disabled,
      String(escrow.escrowId),
    );
    await refundButton.click();
    await leecher.page.locator(`[data-testid=escrow-${escrow.escrowId}][data-status=Closed]`).waitFor();
    const refunds = await stack.publicClient.getContractEvents({
      address: stack.chain.contracts.CheckpointEscrow,
      abi: checkpointEscrowAbi,
      eventName: "EscrowRefunded",
      args: { escrowId: escrow.escrowId },
      fromBlock: 0n,
    });
    assert.equal(refunds.length, 1);
    assert.equal(refunds[0].args.amount, escrow.deposit - voucherPaid, "the refund is the deposit less what the seeder was paid");
    await leecher.page
      .locator(`[data-testid=escrow-${escrow.escrowId}] [data-testid=escrow-refund] [data-wei="${escrow.deposit - voucherPaid}"]`)
      .waitFor();
    await screenshot(leecher.page, "library-refunded");
  });
});
