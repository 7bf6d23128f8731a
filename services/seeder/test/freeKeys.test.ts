/**
 * Free content is accounted per license holder, not per session key: a delegation costs the wallet one signature and
 * no gas, so a holder that opened a fresh account with each fresh key would get an interval without a receipt per
 * key, and cost the seeder a row and the on-chain checks of each. While one key of a license owes receipts, the
 * seeder serves no other key of it; once every byte is attested, a new key (another tab, the next day) is served.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { FIRST_CHECKPOINT } from "@web3torrent/sdk/checkpointSchedule";
import { LeecherSession, RefusalReason, type RefusalMessage } from "@web3torrent/sdk/wire/index";
import type { Seeder } from "../src/seeder.ts";
import { MiB, startSwarm, type Published, type Swarm } from "../src/testing.ts";
import { SilentSession } from "./leechers.ts";
import { until } from "./until.ts";

const SEEDER = 2;
const ROTATING = 3;
const HONEST = 4;
/** Bound on waiting for the seeder's verdict on a hello or for a download: far above what it needs. */
const WAIT_MS = 60_000;

describe("free content and fresh session keys", () => {
  let swarm: Swarm;
  let content: Published;
  let seeder: Seeder;

  before(async () => {
    swarm = await startSwarm();
    // Receipts due at 10 and 20 MiB.
    ({ content, seeder } = await swarm.seeded("open-lecture.bin", 20 * MiB, { seeder: { accountIndex: SEEDER, pricePerMiB: 0n } }));
  });
  after(() => swarm.stop());

  /** A free-content session of test account `index` under a fresh key it delegates now. */
  async function session<T extends LeecherSession>(index: number, Session: new (o: LeecherSession["options"]) => T): Promise<T> {
    return new Session(await swarm.freeSession(content, index));
  }

  const rowsOf = (index: number) => seeder.store.all().filter((row) => row.leecher === swarm.account(index).address);

  it("serves no fresh key of a license while another of its keys owes receipts", async () => {
    await swarm.buyLicense(content.contentId, ROTATING);
    const silent = await session(ROTATING, SilentSession);
    swarm.attach(swarm.client(), content.infoHash, silent);
    await until(() => silent.asked, { timeoutMs: WAIT_MS, what: "the seeder's request for a receipt" });
    const [owing] = silent.ledgers.values();
    assert.equal(owing.received, FIRST_CHECKPOINT, "the first interval on credit, then the seeder waits for a receipt");

    const fresh = await session(ROTATING, LeecherSession);
    let refused: RefusalMessage | null = null;
    fresh.observer = { refused: (_ledger, r, bySeeder) => void (bySeeder && (refused = r)) };
    const received = () => fresh.ledgers.get(seeder.address)?.received ?? 0n;
    swarm.attach(swarm.client(), content.infoHash, fresh);
    await until(() => refused !== null || received() > 0n, { timeoutMs: WAIT_MS, what: "the seeder's verdict on the fresh key" });
    assert.equal(received(), 0n, "the fresh key got no interval on credit");
    assert.equal(refused!.reason, RefusalReason.Unattested, refused!.message);
    assert.equal(rowsOf(ROTATING).length, 1, "one account for the license, not one per key");
  });

  it("serves a new key of a license once every byte served to its other keys is attested", async () => {
    await swarm.buyLicense(content.contentId, HONEST);
    for (const round of [1, 2]) {
      const honest = await session(HONEST, LeecherSession);
      const torrent = swarm.attach(swarm.client(), content.infoHash, honest);
      await new Promise<void>((resolve) => torrent.once("done", () => resolve()));
      assert.ok(await honest.settle(), `round ${round}: the seeder acknowledged the last receipt`);
      assert.equal(honest.ledgers.get(seeder.address)!.received, content.size, `round ${round}: the whole file from the seeder`);
      torrent.destroy();
    }
    assert.equal(rowsOf(HONEST).length, 2, "a new account only after the previous key's bytes were attested");
  });
});
