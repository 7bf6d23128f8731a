/**
 * The acknowledgement of a voucher waits for the seeder's disk, not for the chain (issue 20): on a chain that mines a
 * block every few seconds, the seeder acknowledges the second checkpoint's voucher and serves the rest of the
 * content while the reservation it sent for the next interval is still waiting for its block. Before, the seeder
 * acknowledged only once `redeemAndReserve` was mined, and the wire stood still δ past the checkpoint until then.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { FIRST_CHECKPOINT } from "@web3torrent/sdk/checkpointSchedule";
import { checkpointEscrowAbi } from "@web3torrent/sdk/generated/contracts";
import { LeecherSession, PAYMENT_GRACE, type SeederLedger } from "@web3torrent/sdk/wire/index";
import type { Seeder } from "../src/seeder.ts";
import { MiB, startSwarm, type Published, type Swarm } from "../src/testing.ts";

const PRICE = 10n ** 12n;
const SEEDER = 2;
const LEECHER = 3;
const SECOND_CHECKPOINT = 3n * FIRST_CHECKPOINT;
/** Far longer than the last 10 MiB take on one machine, even a loaded one. */
const BLOCK_TIME_MS = 8_000;

describe("a seeder on a slow chain", () => {
  let swarm: Swarm;
  let content: Published;
  let seeder: Seeder;

  before(async () => {
    swarm = await startSwarm();
    const file = swarm.file("slow.bin", 40 * MiB); // checkpoints at 10, 30 and 40 MiB
    content = await swarm.publish(file);
    await swarm.buyLicense(content.contentId, LEECHER);
    seeder = await swarm.startSeeder({ accountIndex: SEEDER, pricePerMiB: PRICE });
    await seeder.seed(file);
  });
  after(() => swarm.stop());

  it("acknowledges the voucher and serves on past checkpoint + δ while its reservation waits for a block", async () => {
    const key = await swarm.downloadKey(LEECHER);
    const escrowId = await swarm.openEscrow(content, LEECHER, key.sessionKey.address, PRICE);
    const session = new LeecherSession({
      chainId: swarm.chain.chainId,
      contracts: swarm.contracts,
      contentId: content.contentId,
      account: swarm.account(LEECHER).address,
      escrowId,
      mode: "exponential",
      maxBytes: content.size,
      pricePerMiBCap: PRICE,
      sessionKey: key.sessionKey,
      delegation: key.delegation,
    });
    /** The seeder's reservations as the chain has mined them, each with the bytes the leecher had then. */
    const mined: { untilBytes: bigint; receivedThen: bigint }[] = [];
    let ledger: SeederLedger | undefined;
    let ackedSecondAt: bigint | null = null;
    session.observer = {
      ack: (l) => {
        ledger = l;
        if (ackedSecondAt === null && l.ackedVoucherBytes >= SECOND_CHECKPOINT) ackedSecondAt = l.received;
      },
    };
    const unwatch = swarm.publicClient.watchContractEvent({
      address: swarm.contracts.escrow,
      abi: checkpointEscrowAbi,
      eventName: "IntervalReserved",
      args: { escrowId },
      pollingInterval: 50,
      onLogs: (logs) => {
        for (const log of logs) mined.push({ untilBytes: log.args.untilBytes!, receivedThen: ledger?.received ?? 0n });
      },
    });
    // From here on a block every BLOCK_TIME_MS: every transaction waits for it, reads see the latest block.
    await swarm.publicClient.request({ method: "evm_setAutomine" as never, params: [false] as never });
    await swarm.publicClient.request({ method: "evm_setIntervalMining" as never, params: [BLOCK_TIME_MS] as never });
    try {
      const torrent = swarm.attach(swarm.client(), content.infoHash, session);
      await new Promise<void>((resolve) => torrent.once("done", () => resolve()));
      const received = session.ledgers.get(seeder.address)!.received;
      assert.equal(received, content.size);
      assert.ok(ackedSecondAt !== null && ackedSecondAt <= SECOND_CHECKPOINT + PAYMENT_GRACE, `the second voucher acknowledged at ${ackedSecondAt} bytes`);
      // The first reservation pays the first interval, served on credit: it is mined before the seeder goes on.
      const first = mined.find((m) => m.untilBytes === SECOND_CHECKPOINT);
      assert.ok(first && first.receivedThen <= FIRST_CHECKPOINT + PAYMENT_GRACE, `first reservation mined at ${first?.receivedThen} bytes`);
      // The second is simulated, sent and left to its block: the whole content arrived before that block.
      assert.equal(mined.find((m) => m.untilBytes === content.size), undefined, "the download ended before the second reservation was mined");
      await new Promise<void>((resolve) => {
        const wait = setInterval(() => mined.some((m) => m.untilBytes === content.size) && (clearInterval(wait), resolve()), 100);
      });
      const { reserved } = await seeder.chain.redeemedBy(escrowId);
      assert.ok(reserved > 0n, "the reservation was mined in the end");
    } finally {
      unwatch();
      await swarm.publicClient.request({ method: "evm_setAutomine" as never, params: [true] as never });
    }
  });
});
