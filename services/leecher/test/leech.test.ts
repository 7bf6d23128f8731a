/**
 * The leecher: one download paid to two seeders from one escrow, and the `leech` command line.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { amountFor } from "@web3torrent/sdk/checkpointSchedule";
import { checkpointEscrowAbi } from "@web3torrent/sdk/generated/contracts";
import type { Seeder } from "@web3torrent/seeder";
import { MiB, chainArgs, runCli, startSwarm, type Published, type Swarm } from "@web3torrent/seeder/testing";
import { leech } from "../src/leecher.ts";

const PRICE = 10n ** 12n;
const VOUCHER_POLL_MS = 100;
const VOUCHER_WAIT_TRIES = 300;
const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));

describe("a download from two seeders", () => {
  let swarm: Swarm;
  let content: Published;
  let seeders: Seeder[];

  before(async () => {
    swarm = await startSwarm();
    let file: string;
    ({ file, content } = await swarm.published("series.bin", 64 * MiB, [5]));
    seeders = [
      await swarm.startSeeder({ accountIndex: 2, pricePerMiB: PRICE }),
      await swarm.startSeeder({ accountIndex: 4, pricePerMiB: PRICE }),
    ];
    for (const seeder of seeders) await seeder.seed(file);
  });
  after(() => swarm.stop());

  it("pays each seeder for the bytes it served, from one escrow, never more than the deposit", async () => {
    const { download } = await leech({
      rpcUrl: swarm.chain.rpcUrl,
      privateKey: swarm.chain.accounts[5].privateKey,
      contentId: content.contentId,
      pricePerMiBCap: 2n * PRICE,
      outDir: join(swarm.dir, "two-seeders"),
      announce: swarm.announce(),
      contracts: swarm.contracts,
      client: swarm.client(),
    });
    await download.done;
    assert.equal(download.session.ledgers.size, 2, "both seeders served");

    let totalRedeemed = 0n;
    for (const seeder of seeders) {
      // The download ends once every seeder acknowledged its final voucher or the settle timeout passed (a loaded
      // machine): wait for the voucher covering all it served before redeeming.
      const record = () => seeder.store.get(`escrow:${download.escrowId}`)!;
      for (let tries = 0; record().voucherBytes < record().served && tries < VOUCHER_WAIT_TRIES; tries++) await sleep(VOUCHER_POLL_MS);
      await seeder.flush();
      const served = record().served;
      assert.ok(served > 0n, `seeder ${seeder.address} served part of the file`);
      const ledger = download.session.ledgers.get(seeder.address)!;
      assert.equal(ledger.received, served, "the leecher counted what the seeder sent");
      const { amount } = await seeder.chain.redeemedBy(download.escrowId!);
      assert.equal(amount, amountFor(served, PRICE), "paid exactly its own bytes");
      assert.equal(await seeder.chain.credited(swarm.account(5).address, content.contentId), served);
      totalRedeemed += amount;
    }
    assert.ok(download.session.receivedTotal >= content.size);
    const escrow = await seeders[0].chain.escrow(download.escrowId!);
    assert.equal(escrow.paid, totalRedeemed);
    assert.ok(totalRedeemed <= download.deposit);
  });
});

describe("the leech command", () => {
  let swarm: Swarm;
  let content: Published;
  let file: string;

  before(async () => {
    swarm = await startSwarm();
    ({ file, content } = await swarm.seeded("report.bin", 12 * MiB, { licensees: [6], seeder: { accountIndex: 2, pricePerMiB: PRICE } }));
  });
  after(() => swarm.stop());

  it("downloads with a funded licensed key, pays the seeder and closes the escrow", async () => {
    const out = join(swarm.dir, "cli");
    const { code, output } = await runCli(CLI, [
      String(content.contentId),
      "--key",
      swarm.chain.accounts[6].privateKey,
      ...chainArgs(swarm),
      "--tracker",
      swarm.tracker.url,
      "--max-price",
      String(PRICE),
      "--out",
      out,
    ]);
    assert.equal(code, 0, output);
    assert.deepEqual(readFileSync(join(out, content.name)), readFileSync(file));
    const escrowId = BigInt(/escrow (\d+) closed/.exec(output)![1]);
    const escrow = await swarm.publicClient.readContract({
      address: swarm.contracts.escrow,
      abi: checkpointEscrowAbi,
      functionName: "escrow",
      args: [escrowId],
    });
    assert.equal(escrow.status, 2, "closing");
    assert.match(output, /seeder 0x[0-9a-fA-F]{40}: 12582912 bytes, paid 0\.000012 ETH/);
  });
});
