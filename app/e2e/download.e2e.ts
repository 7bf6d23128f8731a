/**
 * A paid download in the browser from the headless seeder, over WebRTC through the local tracker: one wallet
 * signature for the session key and one deposit, then vouchers signed silently at the checkpoints; the checkpoint
 * timeline, the saved file and the final refund checked against the chain and the original file. Declining the
 * session-key signature in the wallet says so and opens nothing. The tracker's license gate is on, as in production:
 * a browser user without a license is refused by it and learns no peer of the title while a license holder downloads.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { formatEther, type Address } from "viem";
import { amountFor, MIB } from "@web3torrent/sdk/checkpointSchedule";
import type { Swarm } from "@web3torrent/seeder/testing";
import type { Seeder } from "@web3torrent/seeder";
import type { Published } from "@web3torrent/seeder/publish";
import { SessionKey, signDelegation } from "@web3torrent/sdk/sessionKey";
import { TrackerCredentials, sessionKeySigner } from "@web3torrent/sdk/trackerAuth";
import type { AppServer } from "../../scripts/stack/app.ts";
import { openApp, screenshot } from "./support/browser.ts";
import { escrowEvents, refundFromCard } from "./support/escrow.ts";
import { startSeededApp, type SeededApp } from "./support/seededApp.ts";

const SIZE = 25 * Number(MIB);
const PRICE = 10n ** 12n; // wei per MiB asked by the seeder
const PRICE_CAP = 2n * PRICE; // what the leecher accepts
const [SEEDER, LEECHER, DECLINER, THRIFTY, HOLDER, STRANGER] = [2, 3, 4, 5, 6, 7];
const CHALLENGE_WINDOW_SECONDS = 120;

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

describe("paid downloads in the browser", () => {
  let swarm: Swarm;
  let app: AppServer;
  let browser: Browser;
  let content: Published;
  let file: string;
  let seeder: Seeder;
  let stage: SeededApp;
  const user = (index: number) => stage.user(index);

  before(async () => {
    stage = await startSeededApp({
      name: "demo-film.bin",
      size: SIZE,
      pricePerMiB: PRICE,
      seederIndex: SEEDER,
      buyers: [HOLDER, LEECHER, DECLINER, THRIFTY],
    });
    ({ swarm, app, browser, content, file, seeder } = stage);
  });

  after(() => stage?.stop());

  it("says so when the session-key signature is declined, and opens no escrow", async () => {
    const u = await user(DECLINER);
    const card = u.page.getByTestId(`license-${content.contentId}`);
    await card.getByTestId("download-cap").fill(formatEther(PRICE_CAP));
    u.wallet.rejectNext("eth_signTypedData_v4");
    await card.getByTestId("download").click();
    const error = card.locator("[data-error-kind=rejected]");
    await error.waitFor();
    assert.match(await error.innerText(), /declined/);
    await error.getByRole("button", { name: "Try again" }).waitFor();
    await screenshot(u.page, "download-rejected");
    const opened = await escrowEvents(swarm, "EscrowOpened");
    assert.equal(opened.length, 0);
    assert.ok(!u.wallet.requests.includes("eth_sendTransaction"));
  });

  it("downloads from the headless seeder paying checkpoints, saves the file, and refunds the rest of the deposit", async () => {
    const u = await user(LEECHER);
    const card = u.page.getByTestId(`license-${content.contentId}`);
    await card.getByTestId("download-cap").fill(formatEther(PRICE_CAP));
    // Before the wallet prompt, the page says in words what the delegation allows and until when, as a date.
    const notice = card.getByTestId("delegation-notice");
    await notice.waitFor();
    assert.equal(await notice.getAttribute("data-signed"), "false");
    const expiry = (await notice.getAttribute("data-expiry"))!;
    const text = await notice.innerText();
    assert.match(text, /sign a delegation/);
    assert.match(text, /receipts of the bytes seeders send you/);
    assert.match(text, /cannot send ETH/);
    assert.ok(!text.includes(expiry), "the expiry is shown as a date, not a unix number");
    const until = await u.page.evaluate(
      (seconds) => new Date(Number(seconds) * 1000).toLocaleString(undefined, { dateStyle: "full", timeStyle: "short" }),
      expiry,
    );
    assert.equal(await card.getByTestId("delegation-until").innerText(), until);
    assert.equal(u.wallet.signedTypedData.length, 0, "nothing signed before the click");
    await card.getByTestId("download").click();
    await card.locator("[data-testid=download-phase][data-phase=done]").waitFor({ timeout: 120_000 });
    const [delegation] = u.wallet.signedTypedData;
    assert.equal(delegation.primaryType, "Delegation");
    assert.equal(
      String(delegation.message.wallet).toLowerCase(),
      u.wallet.account.address.toLowerCase(),
      "the delegation names its wallet",
    );
    assert.equal(String(delegation.message.expiry), expiry, "the wallet signed the expiry the page showed");
    await card
      .locator("[data-status=completed]")
      .or(u.page.locator(`[data-testid=license-${content.contentId}][data-status=completed]`))
      .first()
      .waitFor();
    const signatures = u.wallet.requests.filter((m) => m === "eth_signTypedData_v4" || m === "eth_sendTransaction");
    assert.deepEqual(
      signatures,
      ["eth_signTypedData_v4", "eth_sendTransaction"],
      "one delegation signature and one deposit, nothing per checkpoint",
    );

    const [opened] = await escrowEvents(swarm, "EscrowOpened");
    const escrowId = opened.args.escrowId!;
    const deposit = amountFor(BigInt(SIZE), PRICE_CAP);
    assert.equal(opened.args.deposit, deposit);
    // The final voucher covers the whole file.
    await card.locator(`[data-testid=voucher][data-bytes="${SIZE}"]`).waitFor();
    // One truth while the seeder has not settled yet: what it redeemed on-chain plus what it holds signed is the
    // price of the file, the same figure as the panel's final voucher (read at one instant: it settles any moment).
    const split = await u.page.evaluate((id) => {
      const card = document.querySelector(`[data-testid=escrow-${id}]`);
      const wei = (testId: string) => card?.querySelector(`[data-testid=${testId}] [data-wei]`)?.getAttribute("data-wei") ?? null;
      return { status: card?.getAttribute("data-status") ?? null, redeemed: wei("escrow-paid"), signed: wei("escrow-signed") };
    }, String(escrowId));
    if (split.status === "Open" && split.signed !== null)
      assert.equal(BigInt(split.redeemed ?? "0") + BigInt(split.signed), amountFor(BigInt(SIZE), PRICE));
    await screenshot(u.page, "library-downloaded");

    const [download] = await Promise.all([u.page.waitForEvent("download"), card.getByTestId("save-file").click()]);
    const saved = await download.path();
    assert.equal(sha256(readFileSync(saved)), sha256(readFileSync(file)), "the saved file is the published one");

    // No prompt closes it: the session key's Close goes to the seeder, which redeems its last voucher, closes,
    // waives and refunds in one transaction; the card shows the refund when it lands.
    const escrowCard = u.page.getByTestId(`escrow-${escrowId}`);
    await u.page.locator(`[data-testid=escrow-${escrowId}][data-status=Closed]`).waitFor({ timeout: 60_000 });
    const paid = amountFor(BigInt(SIZE), PRICE);
    const [refunded] = await escrowEvents(swarm, "EscrowRefunded", { escrowId });
    assert.equal(refunded.args.amount, deposit - paid, "the refund is the deposit less the seeder's price for the bytes");
    const [used] = await escrowEvents(swarm, "CloseSignatureUsed", { escrowId });
    assert.equal(used.args.submitter, seeder.address, "the seeder submitted the session key's Close");
    await escrowCard.locator(`[data-testid=escrow-refund] [data-wei="${deposit - paid}"]`).waitFor();
    await escrowCard.locator(`[data-testid=escrow-paid] [data-wei="${paid}"]`).waitFor();
    await escrowCard.locator("[data-testid=checkpoint-timeline] li[data-state=paid]").nth(1).waitFor();
    // Each checkpoint shows what the seeder charges for it, and the escrow's price cap as the cap.
    const rows = await escrowCard.locator("[data-testid=checkpoint-timeline] li").evaluateAll((lis) =>
      lis.map((li) => ({
        bytes: li.getAttribute("data-bytes")!,
        charged: li.querySelector("[data-testid=charged] [data-wei]")?.getAttribute("data-wei"),
        cap: li.querySelector("[data-testid=cap]")?.textContent ?? "",
        capWei: li.querySelector("[data-testid=cap] [data-wei]")?.getAttribute("data-wei"),
      })),
    );
    assert.ok(rows.length > 1);
    for (const row of rows) {
      assert.equal(row.charged, amountFor(BigInt(row.bytes), PRICE).toString());
      assert.equal(row.capWei, amountFor(BigInt(row.bytes), PRICE_CAP).toString());
      assert.match(row.cap, /^cap /);
    }
    assert.doesNotMatch(await escrowCard.innerText(), /≤/);
    const cycle = u.wallet.requests.filter((m) => m === "eth_signTypedData_v4" || m === "eth_sendTransaction");
    assert.deepEqual(
      cycle,
      ["eth_signTypedData_v4", "eth_sendTransaction"],
      "open -> paid -> refunded: the delegation and the deposit, no close or refund prompt",
    );
    // A completed download stays shown as completed and paid: no refusal once the seeder ends its wire.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const done = card.locator("[data-testid=download-phase][data-phase=done]");
    assert.equal(await done.count(), 1);
    // One truth: the panel tells signed vouchers from redeemed ones, as the escrow card does — settled, they are
    // redeemed, no longer "signed, not yet redeemed".
    assert.doesNotMatch(await done.innerText(), /every seeder is paid/);
    await card.getByText(/the seeders redeemed your vouchers and the rest of your deposit came back/).waitFor();
    assert.doesNotMatch(await done.innerText(), /not yet redeemed/);
    assert.doesNotMatch(await card.innerText(), /refused to serve you|no_escrow/);
    await screenshot(u.page, "library-refunded-download");
    // A download never chosen for seeding is not listed as seeded.
    await u.page.getByTestId("nav-seeding").click();
    await u.page.getByText("Nothing yet. Publish a file, finish a download, or pick a file you already have.").waitFor();
    assert.equal(await u.page.locator(`[data-testid=seeded-${content.infoHash}]`).count(), 0);
    await u.page.getByTestId("nav-library").click();
  });

  it("declines a seeder that asks more than the price cap, says so, and refunds the whole deposit", async () => {
    const u = await user(THRIFTY);
    const card = u.page.getByTestId(`license-${content.contentId}`);
    await card.getByTestId("download-cap").fill(formatEther(PRICE / 2n));
    await card.getByTestId("download").click();
    const declined = card.getByText(/You declined seeder/);
    await declined.waitFor({ timeout: 60_000 });
    await screenshot(u.page, "download-declined-seeder");
    await card.getByTestId("stop-download").click();
    await card.locator("[data-testid=download-phase][data-phase=stopped]").waitFor();
    const [opened] = await escrowEvents(swarm, "EscrowOpened", { leecher: u.wallet.account.address });
    const escrowId = opened.args.escrowId!;
    const escrowCard = u.page.getByTestId(`escrow-${escrowId}`);
    await escrowCard.getByTestId("close-escrow").click();
    await u.page.locator(`[data-testid=escrow-${escrowId}][data-status=Closing]`).waitFor();
    await swarm.chain.increaseTime(CHALLENGE_WINDOW_SECONDS + 1);
    await refundFromCard(u.page, escrowId);
    const [refunded] = await escrowEvents(swarm, "EscrowRefunded", { escrowId });
    assert.equal(refunded.args.amount, opened.args.deposit, "nothing was paid to the declined seeder");
  });
  it("refuses a browser user without a license at the tracker, who learns no peer, while a license holder downloads", async () => {
    const holder = await user(HOLDER);
    const stranger = await user(STRANGER);
    const card = holder.page.getByTestId(`license-${content.contentId}`);
    await card.getByTestId("download-cap").fill(formatEther(PRICE_CAP));
    await card.getByTestId("download").click();

    // The stranger's tab announces the title as a WebTorrent client does, with real WebRTC offers: once plain, once
    // with a valid proof of its own account (its session key, delegated), which holds no license.
    const peerIds = ["-WW0300-plainplainpl", "-WW0300-strangerstra"];
    const key = SessionKey.generate();
    const delegation = await signDelegation(
      swarm.wallet(STRANGER),
      swarm.wallet(STRANGER).account,
      { chainId: swarm.chain.chainId, rebatePool: swarm.contracts.rebatePool },
      key.address,
      BigInt(Math.floor(Date.now() / 1000) + 3600),
    );
    const credentials = new TrackerCredentials({ chainId: swarm.chain.chainId, signer: sessionKeySigner(key), delegation });
    const hexPeerId = Buffer.from(peerIds[1], "latin1").toString("hex");
    await credentials.prepare(content.infoHash, hexPeerId);
    const proof = credentials.announceOpts(content.infoHash, hexPeerId).w3t;
    credentials.stop();
    const heard = stranger.page.evaluate(
      async ({ url, infoHash, peerIds, proof }) => {
        const announce = (peerId: string, w3t?: unknown) =>
          new Promise<Record<string, unknown>[]>((resolve) => {
            const socket = new WebSocket(url);
            const messages: Record<string, unknown>[] = [];
            const peer = new RTCPeerConnection();
            peer.createDataChannel("w3t");
            socket.onmessage = (event) => messages.push(JSON.parse(String(event.data)));
            socket.onopen = async () => {
              const offer = await peer.createOffer();
              await peer.setLocalDescription(offer);
              const bytes = infoHash
                .match(/../g)!
                .map((h) => String.fromCharCode(parseInt(h, 16)))
                .join("");
              socket.send(
                JSON.stringify({
                  action: "announce",
                  info_hash: bytes,
                  peer_id: peerId,
                  event: "started",
                  numwant: 5,
                  uploaded: 0,
                  downloaded: 0,
                  left: null,
                  offers: [{ offer: { type: offer.type, sdp: offer.sdp }, offer_id: "o".repeat(20) }],
                  ...(w3t ? { w3t } : {}),
                }),
              );
              // Long enough for any seeder to answer an offer it was given.
              setTimeout(() => {
                socket.close();
                peer.close();
                resolve(messages);
              }, 15_000);
            };
          });
        return Promise.all([announce(peerIds[0]), announce(peerIds[1], proof)]);
      },
      { url: swarm.tracker.url, infoHash: content.infoHash, peerIds, proof },
    );
    const [plain, unlicensed] = await heard;
    assert.match(
      String(plain.find((m) => m["failure reason"])?.["failure reason"]),
      /license proof/,
      "the plain announce is refused in words",
    );
    assert.match(
      String(unlicensed.find((m) => m["failure reason"])?.["failure reason"]),
      /no license of content/,
      "the unlicensed account is refused in words",
    );
    for (const messages of [plain, unlicensed]) {
      assert.deepEqual(
        messages.filter((m) => m.offer !== undefined || m.answer !== undefined || m.peer_id !== undefined),
        [],
        "no peer's offer, answer or id reached the stranger",
      );
    }
    await card.locator("[data-testid=download-phase][data-phase=done]").waitFor({ timeout: 120_000 });
    const opened = await escrowEvents(swarm, "EscrowOpened", { leecher: holder.wallet.account.address as Address });
    assert.equal(opened.length, 1, "the license holder downloaded through the same tracker");
    await screenshot(stranger.page, "download-stranger-refused");
  });

  it("runs under a strict Content-Security-Policy: the downloads above raised no violation, and injected inline script does not run", async () => {
    const response = await fetch(app.url);
    const policy = response.headers.get("content-security-policy") ?? "";
    assert.match(policy, /script-src 'self' 'wasm-unsafe-eval';/);
    assert.match(policy, /frame-ancestors 'none'/);
    assert.match(await response.text(), /http-equiv="Content-Security-Policy"/, "the built index.html carries it too");
    for (const { cspViolations } of stage.pages) assert.deepEqual(cspViolations, []);
    // The attack, on a page of its own: the violation it provokes is the expected outcome, not one of the users'
    // page errors (which the suite prints).
    const probe = await openApp(browser, app.url, null);
    try {
      await probe.page.getByTestId("nav-library").waitFor();
      await probe.page.evaluate(() =>
        document.body.insertAdjacentHTML("beforeend", '<img src="data:," onerror="window.__injected = true">'),
      );
      await probe.page.waitForTimeout(500);
      assert.equal(
        await probe.page.evaluate(() => (window as { __injected?: boolean }).__injected ?? false),
        false,
        "an inline handler ran",
      );
      assert.ok(probe.cspViolations.length > 0, "the browser reports the blocked handler");
      assert.ok(
        probe.cspViolations.every((v) => /inline event handler/i.test(v)),
        `only the injected handler was blocked: ${probe.cspViolations.join("; ")}`,
      );
    } finally {
      await probe.page.context().close();
    }
  });
});
