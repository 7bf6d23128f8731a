/**
 * A leecher that stops early (a viewer who stops watching) pays for exactly what came: the download asks for nothing
 * more, the blocks in flight land, one final voucher covers the bytes the seeder sent, no block is counted or voucher
 * signed after it, and the seeder, settling the session key's Close, redeems exactly those bytes; the rest of the
 * deposit goes back to the leecher.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { amountFor, FIRST_CHECKPOINT } from "@web3torrent/sdk/checkpointSchedule";
import { checkpointEscrowAbi } from "@web3torrent/sdk/generated/contracts";
import type { Seeder } from "../src/seeder.ts";
import { MiB, startSwarm, type Published, type Swarm } from "../src/testing.ts";

const PRICE = 10n ** 12n; // wei per MiB
const PRICE_CAP = 2n * PRICE;
const SEEDER = 2;
const LEECHER = 3;
/** Slow enough that the download is stopped mid-way, past its first checkpoint, on any machine. */
const SEEDER_UPLOAD_BYTES_PER_SECOND = 4 * MiB;

describe("stopping a paid download early", () => {
  let swarm: Swarm;
  let content: Published;
  let seeder: Seeder;

  before(async () => {
    swarm = await startSwarm();
    ({ content, seeder } = await swarm.seeded("long-film.bin", 64 * MiB, {
      licensees: [LEECHER],
      seeder: { accountIndex: SEEDER, pricePerMiB: PRICE },
    }));
    // No leecher has joined yet: the first byte it gets is throttled.
    seeder.client.throttleUpload(SEEDER_UPLOAD_BYTES_PER_SECOND);
  });
  after(() => swarm.stop());

  it("pays one final voucher for exactly the bytes received, which the seeder redeems with the Close", async () => {
    const { paid } = await swarm.download(content, LEECHER, { pricePerMiBCap: PRICE_CAP });
    let vouchers = 0;
    paid.session.observer = { voucherSigned: () => vouchers++ };
    while (paid.session.receivedTotal < FIRST_CHECKPOINT + 2n * BigInt(MiB)) await new Promise((r) => setTimeout(r, 50));

    const final = await paid.stop(5_000);
    assert.ok(final.acknowledged, "the seeder acknowledged the final voucher");
    assert.ok(final.receivedBytes < content.size, `stopped before the end (${final.receivedBytes} of ${content.size} bytes)`);
    assert.equal(final.paidBytes, final.receivedBytes, "the final voucher covers every byte received (one priced seeder)");
    assert.equal(final.paidAmount, amountFor(final.receivedBytes, PRICE));
    const [ledger] = paid.session.ledgers.values();
    assert.equal(ledger.voucher?.cumulativeBytes, final.paidBytes, "the voucher the seeder holds is the one reported");
    const served = seeder.store.get(`escrow:${paid.escrowId}`)!.served;
    assert.ok(
      served >= final.receivedBytes && served - final.receivedBytes <= BigInt(final.cancelledBlocks) * 16_384n,
      `the seeder sent ${served} bytes, ${final.receivedBytes} received; only cancelled blocks (${final.cancelledBlocks}) may be unpaid`,
    );

    // Nothing is counted, nor signed, after the final voucher.
    const signed = vouchers;
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(paid.session.receivedTotal, final.receivedBytes, "no block counted after the stop");
    assert.equal(vouchers, signed, "no voucher signed after the final one");

    const refunded = new Promise<{ escrowId: bigint }>((resolve) => seeder.once("refunded", resolve));
    assert.equal(await paid.session.sendClose(), 1);
    assert.deepEqual(await refunded, { escrowId: paid.escrowId });
    const redeemed = await swarm.publicClient.readContract({
      address: swarm.contracts.escrow,
      abi: checkpointEscrowAbi,
      functionName: "redeemedBy",
      args: [paid.escrowId!, seeder.address],
    });
    assert.equal(BigInt(redeemed.cumulativeBytes), final.paidBytes, "the seeder redeemed exactly the bytes the final voucher covers");
    assert.equal(BigInt(redeemed.amount), final.paidAmount);
    const refund = await swarm.refund(paid.escrowId!);
    assert.equal(refund.amount, paid.deposit - final.paidAmount, "the rest of the deposit is refunded");
  });
});
