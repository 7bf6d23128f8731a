/**
 * Watch while paying, in Debian's Chromium: Play on the demo video (the WebM `npm start` publishes) starts the paid
 * download and plays it as it arrives, through WebTorrent's service worker; a checkpoint is paid while it plays; a
 * seek to 80% moves the fetch there; stopping early settles the escrow without a prompt (the session key's Close, sent
 * to the seeder) and the refund is the deposit less what the seeder was paid, on-chain. After a reload, Play again
 * starts from the pieces verified before (the app's record of them), without fetching them again.
 */
import assert from "node:assert/strict";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { formatEther, type Hex } from "viem";
import { amountFor, FIRST_CHECKPOINT } from "@web3torrent/sdk/checkpointSchedule";
import { checkpointEscrowAbi } from "@web3torrent/sdk/generated/contracts";
import { startSwarm, type Swarm } from "@web3torrent/seeder/testing";
import type { Seeder } from "@web3torrent/seeder";
import type { Published } from "@web3torrent/seeder/publish";
import type { AppServer } from "../../scripts/stack/app.ts";
import { startSwarmApp } from "./support/seededApp.ts";
import { DEMO_VIDEO, demoVideo } from "../../scripts/stack/demoVideo.ts";
import { launchBrowser, openApp, screenshot, type UserPage } from "./support/browser.ts";
import { TestWallet } from "./support/testWallet.ts";

const PRICE = 10n ** 12n; // wei per MiB asked by the seeder
const PRICE_CAP = 2n * PRICE;
const [SEEDER, VIEWER] = [2, 3];
const HAVE_FUTURE_DATA = 3;
const MiB = 1_048_576;
/**
 * The seeder's upload rate: under twice the video's bitrate (5 Mbit/s), as a viewer's seeder on the Internet may be,
 * so that the download outlasts the first three steps below (on loopback it would end in seconds). At 3 MiB/s a fast
 * machine finished the 50 MiB before the stop step began.
 */
const SEEDER_UPLOAD_BYTES_PER_SECOND = 1_048_576;

/** The pieces listed in the player's `data-have` ("0-40,300-310"). */
function havePieces(have: string): Set<number> {
  const pieces = new Set<number>();
  for (const range of have.split(",").filter(Boolean)) {
    const [a, b] = range.split("-").map(Number);
    for (let i = a; i <= b; i++) pieces.add(i);
  }
  return pieces;
}

describe("watching while paying in the browser", () => {
  let swarm: Swarm;
  let app: AppServer;
  let browser: Browser;
  let content: Published;
  let seeder: Seeder;
  let viewer: UserPage;

  before(async () => {
    swarm = await startSwarm({ gated: true });
    const file = join(swarm.dir, "web3torrent-demo-video.webm");
    copyFileSync(await demoVideo(DEMO_VIDEO), file);
    content = await swarm.publish(file);
    // The tracker's license gate is on, as in production: the seeder is introduced as a license holder.
    await swarm.buyLicense(content.contentId, SEEDER);
    await swarm.buyLicense(content.contentId, VIEWER);
    seeder = await swarm.startSeeder({ accountIndex: SEEDER, pricePerMiB: PRICE });
    seeder.client.throttleUpload(SEEDER_UPLOAD_BYTES_PER_SECOND);
    await seeder.seed(file);
    app = await startSwarmApp(swarm);
    browser = await launchBrowser();
    const wallet = new TestWallet(swarm.chain.rpcUrl, swarm.chain.chainId, swarm.chain.accounts[VIEWER].privateKey as Hex);
    viewer = await openApp(browser, app.url, wallet);
    await viewer.page.getByTestId("connect-io.metamask").click();
    await viewer.page.getByTestId("account").waitFor();
    await viewer.page.getByTestId("nav-library").click();
  });

  after(async () => {
    if (viewer?.errors.length) console.log("page errors:", viewer.errors.join("\n"));
    await browser?.close();
    await app?.close();
    await swarm?.stop();
  });

  it("plays the video before the download completes, and pays a checkpoint while it plays", async () => {
    const { page } = viewer;
    const card = page.getByTestId(`license-${content.contentId}`);
    await card.getByTestId("download-cap").fill(formatEther(PRICE_CAP));
    await card.getByTestId("play").click();
    const media = card.getByTestId("media");
    await page.waitForFunction(
      ({ id, ready }) => {
        const element = document.querySelector(`[data-testid=license-${id}] [data-testid=media]`) as HTMLMediaElement | null;
        return !!element && element.currentTime > 1 && element.readyState >= ready;
      },
      { id: String(content.contentId), ready: HAVE_FUTURE_DATA },
      { timeout: 60_000, polling: 50 },
    );
    const progress = Number(await card.getByTestId("download-stats").getAttribute("data-progress"));
    assert.ok(progress < 1, `playing before the download completes (progress ${progress})`);
    // The first checkpoint (10 MiB) is paid by a voucher while the video plays.
    await card
      .locator(`[data-testid=voucher]`)
      .filter({ hasNot: page.locator(`[data-bytes="0"]`) })
      .first()
      .waitFor({ timeout: 60_000 });
    await page.waitForFunction(
      (id) => Number(document.querySelector(`[data-testid=license-${id}] [data-testid=voucher]`)?.getAttribute("data-bytes") ?? 0) > 0,
      String(content.contentId),
    );
    const voucherBytes = BigInt((await card.getByTestId("voucher").first().getAttribute("data-bytes")) ?? "0");
    assert.ok(voucherBytes >= FIRST_CHECKPOINT, `a checkpoint voucher was signed (${voucherBytes} bytes)`);
    assert.equal(await media.evaluate((e: HTMLMediaElement) => e.paused || e.ended), false, "still playing when the checkpoint was paid");
    await screenshot(page, "watch-playing");
  });

  it("resumes at 80% after a seek, the pieces there arriving before the ones in between", async () => {
    const { page } = viewer;
    const card = page.getByTestId(`license-${content.contentId}`);
    const media = card.getByTestId("media");
    const arrived = card.getByTestId("arrived");
    const pieceCount = Number(await arrived.getAttribute("data-pieces"));
    const before = havePieces((await arrived.getAttribute("data-have")) ?? "");
    const { target, duration } = await media.evaluate((e: HTMLMediaElement) => {
      const to = e.duration * 0.8;
      e.currentTime = to;
      return { target: to, duration: e.duration };
    });
    const targetPiece = Math.floor((pieceCount * target) / duration);
    // Samples what has arrived until the pieces at the seek target are there.
    let whenThere: Set<number> | null = null;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && !whenThere;) {
      const have = havePieces((await arrived.getAttribute("data-have")) ?? "");
      if (have.has(targetPiece)) whenThere = have;
      else await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(whenThere, "the pieces at 80% arrived");
    const frontier = Math.max(...before, 0) + 1;
    const between = targetPiece - frontier;
    let gotBetween = 0;
    for (let i = frontier; i < targetPiece; i++) if (whenThere.has(i)) gotBetween++;
    console.log(`seek: ${gotBetween} of the ${between} pieces in between had arrived when piece ${targetPiece} (80%) did`);
    assert.ok(
      between > 0 && gotBetween < between / 2,
      `the fetch jumped to 80%: ${gotBetween} of the ${between} pieces in between had arrived`,
    );
    await page.waitForFunction(
      ({ id, to, ready }) => {
        const element = document.querySelector(`[data-testid=license-${id}] [data-testid=media]`) as HTMLMediaElement | null;
        return !!element && !element.seeking && element.currentTime > to + 0.5 && element.readyState >= ready && !element.paused;
      },
      { id: String(content.contentId), to: target, ready: HAVE_FUTURE_DATA },
      { timeout: 60_000, polling: 50 },
    );
    await screenshot(page, "watch-seeked");
  });

  it("stops early: shows what the final voucher pays, which the seeder redeems, and refunds the rest", async () => {
    const { page } = viewer;
    const card = page.getByTestId(`license-${content.contentId}`);
    const progress = Number(await card.getByTestId("download-stats").getAttribute("data-progress"));
    assert.ok(progress < 1, `stopping before the download completes (progress ${progress})`);
    await card.getByTestId("stop-watching").click();
    // No prompt closes it: the session key's Close goes to the seeder, which redeems its last voucher, closes,
    // waives and refunds in one transaction; the player shows it settling, then the summary once the refund lands.
    await card.locator("[data-testid=player][data-phase=refunding]").waitFor({ timeout: 60_000 });
    await card.locator("[data-testid=watch-summary][data-settled=true]").waitFor({ timeout: 60_000 });

    const [opened] = await swarm.publicClient.getContractEvents({
      address: swarm.contracts.escrow,
      abi: checkpointEscrowAbi,
      eventName: "EscrowOpened",
      fromBlock: 0n,
    });
    const escrowId = opened.args.escrowId!;
    assert.equal(opened.args.deposit, amountFor(content.size, PRICE_CAP));
    const redeemed = await swarm.publicClient.getContractEvents({
      address: swarm.contracts.escrow,
      abi: checkpointEscrowAbi,
      eventName: "VoucherRedeemed",
      args: { escrowId },
      fromBlock: 0n,
    });
    const paid = redeemed.reduce((sum, log) => sum + log.args.paid!, 0n);
    assert.ok(paid > 0n, "the seeder was paid for the checkpoints it served");
    const [refunded] = await swarm.publicClient.getContractEvents({
      address: swarm.contracts.escrow,
      abi: checkpointEscrowAbi,
      eventName: "EscrowRefunded",
      args: { escrowId },
      fromBlock: 0n,
    });
    assert.equal(refunded.args.amount, opened.args.deposit! - paid, "the refund is the deposit less what the seeder was paid");
    const [used] = await swarm.publicClient.getContractEvents({
      address: swarm.contracts.escrow,
      abi: checkpointEscrowAbi,
      eventName: "CloseSignatureUsed",
      args: { escrowId },
      fromBlock: 0n,
    });
    assert.equal(used?.args.submitter, seeder.address, "the seeder submitted the session key's Close");
    const cycle = viewer.wallet.requests.filter((m) => m === "eth_signTypedData_v4" || m === "eth_sendTransaction");
    assert.deepEqual(
      cycle,
      ["eth_signTypedData_v4", "eth_sendTransaction"],
      "play -> paid -> refunded: the delegation and the deposit, no close or refund prompt",
    );

    // The figures shown are the final vouchers' own, and the chain settled exactly those: no block arrived unpaid or
    // was paid unshown between the click and the Close (the download asked for nothing more, then signed once).
    await card.locator(`[data-testid=watch-refund] [data-wei="${refunded.args.amount}"]`).waitFor();
    const summary = await card.getByTestId("watch-summary").innerText();
    const shown = summary.match(/^Watched \d+:\d\d, received (\d+\.\d{3}) MiB, paid .+ ETH, refunded .+ ETH\.$/);
    assert.ok(shown, `the summary reads "watched m:ss, received X MiB, paid …, refunded …": ${summary}`);
    const receivedBytes = BigInt((await card.getByTestId("watch-received").getAttribute("data-bytes")) ?? "-1");
    assert.ok(
      Math.abs(Number(shown[1]) * MiB - Number(receivedBytes)) <= MiB / 2000,
      `${shown[1]} MiB shown is ${receivedBytes} bytes to the KiB`,
    );
    const voucherBytes = BigInt((await card.getByTestId("watch-paid").getAttribute("data-bytes")) ?? "-1");
    assert.equal(voucherBytes, receivedBytes, "the final voucher covers exactly the bytes received (one seeder, priced)");
    const redeemedBytes = redeemed.reduce((max, log) => (log.args.cumulativeBytes! > max ? log.args.cumulativeBytes! : max), 0n);
    assert.equal(redeemedBytes, receivedBytes, "the seeder redeemed on-chain exactly the bytes shown as received");
    const signedWei = BigInt((await card.locator("[data-testid=watch-paid] [data-wei]").getAttribute("data-wei")) ?? "-1");
    assert.equal(
      signedWei,
      amountFor(receivedBytes, PRICE),
      "the amount shown is the final voucher's: the bytes received at the seeder's price",
    );
    assert.equal(paid, signedWei, "the seeder was paid on-chain what the vouchers shown carry");
    assert.equal(
      await card.getByTestId("watch-redeemed").getAttribute("data-bytes"),
      String(redeemedBytes),
      "the on-chain line shows the bytes redeemed",
    );
    console.log(
      `stop: received ${receivedBytes} bytes (${shown[1]} MiB shown), redeemed ${redeemedBytes} bytes, paid ${paid} wei, refunded ${refunded.args.amount} wei`,
    );
    assert.deepEqual(viewer.cspViolations, [], "streaming through the service worker raised no Content-Security-Policy violation");
    await screenshot(page, "watch-stopped");
  });

  /** The pieces the app's record says this tab verified (see app/src/torrent/verifiedPieces.ts), and their bytes. */
  async function recordedPieces(page: Page): Promise<{ verified: number[]; bytes: number }> {
    const record = await page.evaluate((infoHash) => localStorage.getItem(`w3t.verifiedPieces.${infoHash}`), content.infoHash);
    assert.ok(record, "the verified pieces are recorded");
    const bits = Buffer.from(record, "base64");
    const torrent = await seeder.client.get(content.infoHash);
    assert.ok(torrent, "the seeder holds the torrent");
    const pieceCount = torrent.pieces.length;
    assert.equal(bits.length, Math.ceil(pieceCount / 8), "the record has a bit per piece");
    const verified: number[] = [];
    for (let i = 0; i < pieceCount; i++) if (bits[i >> 3] & (0x80 >> (i & 7))) verified.push(i);
    assert.ok(verified.length > 0 && verified.length < pieceCount, `a part of the video was verified (${verified.length} pieces)`);
    return { verified, bytes: (verified.length * Number(content.size)) / pieceCount };
  }

  /**
   * Reloads, plays again, and checks the pieces verified before are there without fetching them again. `forget`
   * removes the record after the reload (before it, the torrent still playing would write it again).
   */
  async function playAgainAfterReload(page: Page, verified: number[], verifiedBytes: number, forget: boolean) {
    const what = forget ? "without the record" : "with the record";
    await page.reload();
    if (forget) await page.evaluate((infoHash) => localStorage.removeItem(`w3t.verifiedPieces.${infoHash}`), content.infoHash);
    const connect = page.getByTestId("connect-io.metamask");
    await page.getByTestId("account").or(connect).first().waitFor();
    if (await connect.isVisible()) await connect.click();
    await page.getByTestId("nav-library").click();
    const card = page.getByTestId(`license-${content.contentId}`);
    await card.getByTestId("download-cap").fill(formatEther(PRICE_CAP));
    await card.getByTestId("play").click();
    await page.waitForFunction(
      ({ id, pieces }) => {
        const have = document.querySelector(`[data-testid=license-${id}] [data-testid=arrived]`)?.getAttribute("data-have") ?? "";
        const ranges = have
          .split(",")
          .filter(Boolean)
          .map((r) => r.split("-").map(Number));
        return pieces.every((p) => ranges.some(([a, b]) => a <= p && p <= b));
      },
      { id: String(content.contentId), pieces: verified },
      { timeout: 60_000, polling: 50 },
    );
    // The panel samples the torrent every second: read the bytes received from peers once a sample is current. At
    // the seeder's rate fetching the verified part again would take seconds; the store gives it at once,
    // so what came from peers by then is the second's new pieces, not the verified ones again.
    await page.waitForTimeout(1_200);
    const received = Number(await card.getByTestId("download-stats").getAttribute("data-received"));
    console.log(
      `reload ${what}: ${verified.length} pieces (${(verifiedBytes / MiB).toFixed(1)} MiB) there again, ${received} bytes from peers`,
    );
    assert.ok(
      received < verifiedBytes / 2,
      `${what}: the pieces verified before came from the store: ${received} bytes from peers for ${verifiedBytes}`,
    );
  }

  it("after a reload, Play again starts from the pieces verified before, not fetching them again", async () => {
    const { page } = viewer;
    const before = await recordedPieces(page);
    await playAgainAfterReload(page, before.verified, before.bytes, false);
    // A store without a record (downloaded before records existed, or the site's local storage cleared alone) is
    // hashed, not taken for a fresh download: the app must not fetch, and pay for, what the store already holds.
    const again = await recordedPieces(page);
    await playAgainAfterReload(page, again.verified, again.bytes, true);
  });
});
