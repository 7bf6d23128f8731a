/**
 * A "seeder" that holds no copy of the content sends blocks the leecher never asked for, then a voucher request for
 * them. The leecher pays only for blocks it requested on that wire: the unsolicited blocks are a protocol violation,
 * the peer is refused, and the session key signs nothing (nor does the wallet release anything).
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { PrivateKeyAccount } from "viem";
import { FIRST_CHECKPOINT, amountFor } from "@web3torrent/sdk/checkpointSchedule";
import {
  RefusalReason,
  W3T_PAY,
  decodeMessage,
  encodeMessage,
  newNonce,
  signIdentity,
  type PayWire,
  type RefusalMessage,
  type W3tPayMessage,
} from "@web3torrent/sdk/wire/index";
import { createContentTorrent } from "../src/torrent.ts";
import { MiB, startSwarm, type Published, type Swarm } from "../src/testing.ts";
import { until } from "./until.ts";

const PRICE = 10n ** 12n;
const ATTACKER = 5;
const LEECHER = 3;
/** A standard 16 KiB block (a WebRTC data channel message carries no more than 256 KiB). */
const BLOCK = 16 * 1024;
/** More than the first interval, every block "piece 0, offset 0". */
const BLOCKS = (12 * MiB) / BLOCK;

/** The attacker's side of w3t_pay: terms naming its own address, then unsolicited blocks and a voucher request. */
function floodingSeeder(swarm: Swarm, content: Published, attacker: PrivateKeyAccount, attackerPeerId: string, refusals: RefusalMessage[]) {
  class Flood {
    readonly #wire: PayWire;
    constructor(wire: PayWire) {
      this.#wire = wire;
    }
    #send(message: W3tPayMessage): void {
      this.#wire.extended(W3T_PAY, encodeMessage(message));
    }
    onExtendedHandshake(handshake: { m?: Record<string, unknown> }): void {
      if (!handshake.m?.[W3T_PAY]) return;
      this.#send({
        type: "terms",
        chainId: swarm.chain.chainId,
        market: swarm.contracts.market,
        escrow: swarm.contracts.escrow,
        rebatePool: swarm.contracts.rebatePool,
        contentId: content.contentId,
        seeder: attacker.address,
        pricePerMiB: PRICE,
        firstCheckpoint: FIRST_CHECKPOINT,
        modes: ["exponential"],
        voucherTimeoutMs: 60_000,
        acceptsReleases: true,
        releaseTimeoutMs: 60_000,
        nonce: newNonce(),
      });
    }
    async onMessage(payload: Uint8Array): Promise<void> {
      const message = decodeMessage(payload);
      if (message.type === "refusal") refusals.push(message);
      if (message.type !== "hello") return;
      // It proves its own address: the blocks are booked to it, and it asks to be paid for them.
      const binding = { infoHash: content.infoHash, seederPeerId: attackerPeerId, leecherPeerId: this.#wire.peerId! };
      this.#send({
        type: "identity",
        ...(await signIdentity({ signer: attacker, delegation: null }, swarm.chain.chainId, binding, message.nonce, attacker.address)),
      });
      const junk = new Uint8Array(BLOCK);
      for (let i = 0; i < BLOCKS; i++) this.#wire.piece(0, 0, junk);
      const bytes = BigInt(BLOCKS * BLOCK);
      this.#send({ type: "voucher_request", cumulativeBytes: bytes, voucherBytes: bytes, voucherAmount: amountFor(bytes, PRICE) });
    }
  }
  Object.defineProperty(Flood.prototype, "name", { value: W3T_PAY });
  return Flood;
}

describe("a peer sending blocks that were never requested", () => {
  let swarm: Swarm;
  let content: Published;
  let torrentFile: Uint8Array;

  before(async () => {
    swarm = await startSwarm();
    let file: string;
    ({ file, content } = await swarm.published("unsolicited.bin", 16 * MiB, [LEECHER]));
    ({ torrentFile } = await createContentTorrent(file, [swarm.tracker.url]));
  });
  after(() => swarm.stop());

  /** Starts the attacker (no copy of the file: an empty folder) and a paid download; resolves once refused. */
  async function attack(payment: "vouchers" | "transactions") {
    const refusals: RefusalMessage[] = [];
    const attacker = swarm.client();
    const urls = swarm.announce();
    const torrent = attacker.add(torrentFile, { announce: urls, path: mkdtempSync(join(swarm.dir, "empty-")) });
    const flood = floodingSeeder(swarm, content, swarm.account(ATTACKER), attacker.peerId, refusals);
    torrent.on("wire", (wire: { use(e: unknown): void }) => wire.use(flood));
    const { paid } = await swarm.download(content, LEECHER, { pricePerMiBCap: PRICE, payment });
    await until(() => refusals.length > 0 || paid.session.signatures > 0 || paid.session.releases.length > 0, {
      timeoutMs: 120_000,
      what: "a refusal, a voucher or a release",
    });
    // Give a voucher (or a release) every chance to be signed after the refusal.
    await new Promise((r) => setTimeout(r, 1_000));
    // The next attack starts a swarm of its own peers: these leave it.
    await new Promise<void>((r) => torrent.destroy(() => r()));
    await new Promise<void>((r) => paid.torrent.destroy(() => r()));
    return { paid, refusals };
  }

  it("refuses the peer as unsolicited and signs no voucher and no receipt for its blocks", async () => {
    const { paid, refusals } = await attack("vouchers");
    assert.equal(paid.session.signatures, 0, "the session key signed for unsolicited blocks");
    assert.equal(refusals[0]?.reason, RefusalReason.Unsolicited, refusals[0]?.message);
    const ledger = paid.session.ledgers.get(swarm.account(ATTACKER).address)!;
    assert.equal(ledger.received, 0n, "no requested and verified byte came from it");
    assert.equal(ledger.voucher, null);
    assert.equal(ledger.receipt, null);
    assert.equal(paid.session.signatures, 0);
  });

  it("asks the wallet to release nothing for unsolicited blocks (payment by transactions)", async () => {
    const { paid, refusals } = await attack("transactions");
    assert.deepEqual(paid.session.releases, [], "the wallet was asked to release unsolicited blocks");
    assert.equal(refusals[0]?.reason, RefusalReason.Unsolicited, refusals[0]?.message);
    assert.equal(paid.session.signatures, 0);
  });
});
