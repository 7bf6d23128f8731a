/**
 * A paid download in the browser paying "a transaction per checkpoint": the wallet sends the escrow's release at
 * each checkpoint instead of the session key signing vouchers. Declining a release pauses the download with a
 * message and two ways out, both taken here: approve it (the download resumes and completes, every checkpoint
 * released on-chain) or stop and close the escrow (the deposit comes back after the challenge window).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { formatEther } from "viem";
import { amountFor, FIRST_CHECKPOINT, MIB } from "@web3torrent/sdk/checkpointSchedule";
import { checkpointEscrowAbi } from "@web3torrent/sdk/generated/contracts";
import type { Swarm } from "@web3torrent/seeder/testing";
import type { Seeder } from "@web3torrent/seeder";
import type { Published } from "@web3torrent/seeder/publish";
import { screenshot, type UserPage } from "./support/browser.ts";
import { escrowEvents, refundFromCard } from "./support/escrow.ts";
import { startSeededApp, type SeededApp } from "./support/seededApp.ts";

const SIZE = 24 * Number(MIB); // checkpoints at 10 MiB and at the end
const PRICE = 10n ** 12n; // wei per MiB asked by the seeder; releases pay the escrow's cap, so the cap is the price
const [SEEDER, PAYER, QUITTER] = [2, 3, 4];

describe("paying a download with a transaction per checkpoint", () => {
  let swarm: Swarm;
  let content: Published;
  let seeder: Seeder;
  let stage: SeededApp;
  const user = (index: number) => stage.user(index);

  /** Starts a download paid by transactions, the wallet declining the first release (the deposit goes through). */
  async function startDecliningFirstRelease(u: UserPage) {
    const card = u.page.getByTestId(`license-${content.contentId}`);
    await card.getByTestId("download-mode").selectOption("transactions");
    await card.getByTestId("transactions-note").waitFor();
    await card.getByTestId("download-cap").fill(formatEther(PRICE));
    u.wallet.rejectNext("eth_sendTransaction", { after: 1 });
    await card.getByTestId("download").click();
    const declined = card.locator("[data-error-kind=rejected]", { hasText: "You declined a release" });
    await declined.waitFor({ timeout: 60_000 });
    assert.match(await declined.innerText(), /seeder waits at this checkpoint.*Approve it to resume, or stop and close the escrow/s);
    const [opened] = await escrowEvents(swarm, "EscrowOpened", { leecher: u.wallet.account.address });
    const escrowId = opened.args.escrowId!;
    const escrowCard = u.page.getByTestId(`escrow-${escrowId}`);
    await escrowCard.locator(`[data-testid=checkpoint-timeline] li[data-state=declined][data-bytes="${FIRST_CHECKPOINT}"]`).waitFor();
    // Paused at the checkpoint: the first interval only, nothing released.
    const progress = Number(await card.getByTestId("download-stats").getAttribute("data-progress"));
    assert.ok(progress < 1, `paused at ${progress}`);
    assert.equal((await seeder.chain.redeemedBy(escrowId)).amount, 0n);
    return { card, escrowCard, escrowId, deposit: opened.args.deposit! };
  }

  before(async () => {
    stage = await startSeededApp({ name: "season.bin", size: SIZE, pricePerMiB: PRICE, seederIndex: SEEDER, buyers: [PAYER, QUITTER] });
    ({ swarm, content, seeder } = stage);
  });

  after(() => stage?.stop());

  it("pauses on a declined release and completes once the user approves it, every checkpoint released on-chain", async () => {
    const u = await user(PAYER);
    const { card, escrowCard, escrowId } = await startDecliningFirstRelease(u);
    await screenshot(u.page, "download-release-declined");

    await card.getByTestId("approve-release").click();
    await card.locator("[data-testid=download-phase][data-phase=done]").waitFor({ timeout: 120_000 });
    await card.locator(`[data-testid=voucher][data-bytes="${SIZE}"][data-release-tx]`).waitFor();
    const sent = u.wallet.requests.filter((m) => m === "eth_signTypedData_v4" || m === "eth_sendTransaction");
    assert.deepEqual(
      sent,
      ["eth_signTypedData_v4", "eth_sendTransaction", "eth_sendTransaction", "eth_sendTransaction", "eth_sendTransaction"],
      "the delegation, the deposit, the declined release, the same release approved, the last checkpoint's release",
    );
    const released = await escrowEvents(swarm, "CheckpointReleased", { escrowId });
    assert.deepEqual(
      released.map((e) => e.args.cumulativeBytes),
      [FIRST_CHECKPOINT, BigInt(SIZE)],
    );
    assert.equal((await seeder.chain.redeemedBy(escrowId)).amount, amountFor(BigInt(SIZE), PRICE));
    await escrowCard.locator("[data-testid=checkpoint-timeline] li[data-state=paid]").nth(1).waitFor();
    const { redeemed } = await seeder.flush();
    assert.deepEqual(redeemed, [], "the seeder redeems nothing: it was paid by the releases");
    await screenshot(u.page, "download-paid-by-releases");
  });

  it("stops and closes the escrow after a declined release, and refunds the whole deposit after the challenge window", async () => {
    const u = await user(QUITTER);
    const { card, escrowId, deposit } = await startDecliningFirstRelease(u);
    await card.getByTestId("stop-and-close").click();
    await u.page.locator(`[data-testid=escrow-${escrowId}][data-status=Closing]`).waitFor();
    const window = await swarm.publicClient.readContract({
      address: swarm.contracts.escrow,
      abi: checkpointEscrowAbi,
      functionName: "challengeWindow",
    });
    await swarm.chain.increaseTime(window + 1);
    await refundFromCard(u.page, escrowId);
    const [refunded] = await escrowEvents(swarm, "EscrowRefunded", { escrowId });
    assert.equal(refunded.args.amount, deposit, "nothing was released: the seeder's loss is the first interval, served on credit");
    await screenshot(u.page, "download-release-declined-refunded");
  });
});
