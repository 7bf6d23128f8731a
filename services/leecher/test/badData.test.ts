/**
 * A seeder that serves bad data: its file is rewritten after it started seeding, and WebTorrent serves what the disk
 * holds. Every piece fails the leecher's hash check, and the leecher refuses the seeder before it pays anything.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { after, before, describe, it } from "node:test";
import { RefusalReason } from "@web3torrent/sdk/wire/messages";
import type { Seeder } from "@web3torrent/seeder";
import { writeRandomFile } from "@web3torrent/seeder/randomFile";
import { MiB, startSwarm, type Published, type Swarm } from "@web3torrent/seeder/testing";

const PRICE = 10n ** 12n;
const SEEDER = 2;
const LEECHER = 7;
const SIZE = 16 * MiB;

describe("a seeder that serves bad data", () => {
  let swarm: Swarm;
  let content: Published;
  let seeder: Seeder;

  before(async () => {
    swarm = await startSwarm();
    let file: string;
    ({ file, content, seeder } = await swarm.seeded("tampered.bin", SIZE, {
      licensees: [LEECHER],
      seeder: { accountIndex: SEEDER, pricePerMiB: PRICE },
    }));
    writeRandomFile(file, SIZE); // same size, other bytes: the seeder checked the file when it started, not since
  });
  after(() => swarm.stop());

  it("is refused for its first bad piece and paid nothing: no voucher, no receipt, nothing to redeem", async () => {
    const refused = once(seeder, "peer-refusal", { signal: AbortSignal.timeout(120_000) });
    const { paid } = await swarm.download(content, LEECHER, { pricePerMiBCap: PRICE });
    const [refusal] = (await refused) as [{ reason: string; message: string }];
    assert.equal(refusal.reason, RefusalReason.BadData, refusal.message);
    assert.match(refusal.message, /^piece \d+ failed its hash check$/);

    const ledger = paid.session.ledgers.get(seeder.address)!;
    assert.ok(ledger.received > 0n, "the seeder did send blocks");
    assert.equal(ledger.refusal?.reason, RefusalReason.BadData);
    assert.equal(ledger.voucher, null, "no voucher was signed for bad data");
    assert.equal(ledger.receipt, null, "no rebate receipt either");
    assert.equal(paid.session.signatures, 0);

    await seeder.flush();
    const { amount } = await seeder.chain.redeemedBy(paid.escrowId!);
    assert.equal(amount, 0n, "the seeder redeemed nothing from the escrow");
    assert.equal(await seeder.chain.credited(swarm.account(LEECHER).address, content.contentId), 0n);
  });
});
