/**
 * The acknowledgement of a voucher waits for the seeder's disk, not for the chain (issue 20): on a chain that mines a
 * block every few seconds, the seeder acknowledges the second checkpoint's voucher and serves the rest of the
 * content while the reservation it sent for the next interval is still waiting for its block. Before, the seeder
 * acknowledged only once `redeemAndReserve` was mined, and the wire stood still δ past the checkpoint until then.
 * The price of not waiting: a drain raced into the block that mines the reservation. It costs the seeder at most the
 * interval it serves meanwhile (+ δ): the voucher it holds is paid from its previous reservation.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { FIRST_CHECKPOINT, amountFor } from "@web3torrent/sdk/checkpointSchedule";
import { checkpointEscrowAbi } from "@web3torrent/sdk/generated/contracts";
import {
  LeecherSession,
  PAYMENT_GRACE,
  RefusalReason,
  type RefusalMessage,
  type SeederLedger,
  type VoucherRequestMessage,
  type W3tPayMessage,
} from "@web3torrent/sdk/wire/index";
import type { Seeder } from "../src/seeder.ts";
import { MiB, startSwarm, type Published, type Swarm } from "../src/testing.ts";

const PRICE = 10n ** 12n;
const SEEDER = 2;
const LEECHER = 3;
const RACED_LEECHER = 5;
const SYBIL = 7;
const SECOND_CHECKPOINT = 3n * FIRST_CHECKPOINT;
/** Far longer than the last 10 MiB take on one machine, even a loaded one. */
const BLOCK_TIME_MS = 8_000;

describe("a seeder on a slow chain", () => {
  let swarm: Swarm;
  let content: Published;
  let seeder: Seeder;

  before(async () => {
    swarm = await startSwarm();
    // Checkpoints at 10, 30 and 40 MiB.
    ({ content, seeder } = await swarm.seeded("slow.bin", 40 * MiB, {
      licensees: [LEECHER],
      seeder: { accountIndex: SEEDER, pricePerMiB: PRICE },
    }));
  });
  after(() => swarm.stop());

  it("acknowledges the voucher and serves on past checkpoint + δ while its reservation waits for a block", async () => {
    const options = await swarm.escrowSession(content, LEECHER, PRICE);
    const { escrowId } = options;
    const session = new LeecherSession(options);
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
      assert.ok(
        ackedSecondAt !== null && ackedSecondAt <= SECOND_CHECKPOINT + PAYMENT_GRACE,
        `the second voucher acknowledged at ${ackedSecondAt} bytes`,
      );
      // The first reservation pays the first interval, served on credit: it is mined before the seeder goes on.
      const first = mined.find((m) => m.untilBytes === SECOND_CHECKPOINT);
      assert.ok(first && first.receivedThen <= FIRST_CHECKPOINT + PAYMENT_GRACE, `first reservation mined at ${first?.receivedThen} bytes`);
      // The second is simulated, sent and left to its block: the whole content arrived before that block.
      assert.equal(
        mined.find((m) => m.untilBytes === content.size),
        undefined,
        "the download ended before the second reservation was mined",
      );
      await new Promise<void>((resolve) => {
        const wait = setInterval(() => mined.some((m) => m.untilBytes === content.size) && (clearInterval(wait), resolve()), 100);
      });
      const { reserved } = await seeder.chain.redeemedBy(escrowId);
      assert.ok(reserved > 0n, "the reservation was mined in the end");
    } finally {
      unwatch();
      // Interval mining outlives the test otherwise, and a stray block would mine the next test's reservation early.
      await swarm.publicClient.request({ method: "evm_setIntervalMining" as never, params: [0] as never });
      await swarm.publicClient.request({ method: "evm_setAutomine" as never, params: [true] as never });
    }
  });

  it("loses at most the interval it serves meanwhile + δ to a drain mined ahead of its reservation in the same block, then refuses", async () => {
    // Checkpoints at 10, 30, 70 and 80 MiB: the refusal comes by 70 MiB + δ at the latest, before the end.
    const file = swarm.file("raced.bin", 80 * MiB);
    const raced = await swarm.publish(file);
    await swarm.buyLicense(raced.contentId, RACED_LEECHER);
    await seeder.seed(file);
    const sybil = swarm.wallet(SYBIL);
    const options = await swarm.escrowSession(raced, RACED_LEECHER, PRICE);
    const { escrowId } = options;
    const rpc = (method: string, params: unknown[]) => swarm.publicClient.request({ method: method as never, params: params as never });
    /** Stops the chain's automine before paying the second checkpoint: the seeder's reservation waits in the pool. */
    class RacingSession extends LeecherSession {
      override async answer(ledger: SeederLedger, request: VoucherRequestMessage): Promise<W3tPayMessage[]> {
        if (request.voucherBytes === SECOND_CHECKPOINT) await rpc("evm_setAutomine", [false]);
        return super.answer(ledger, request);
      }
    }
    const session = new RacingSession(options);
    const acked = new Promise<void>((resolve) => {
      session.observer = { ack: (l) => l.ackedVoucherBytes >= SECOND_CHECKPOINT && resolve() };
    });
    const refused = new Promise<RefusalMessage>((resolve) => {
      const ack = session.observer!.ack;
      session.observer = { ack, refused: (_l, refusal, bySeeder) => bySeeder && resolve(refusal) };
    });
    const torrent = swarm.attach(swarm.client(), raced.infoHash, session);
    const done = new Promise<void>((resolve) => torrent.once("done", () => resolve()));
    try {
      await acked;
      // The seeder simulated its reservation against a deposit still there, and sent it: it is in the pool.
      const sent = async () =>
        (await rpc("eth_getTransactionCount", [seeder.address, "pending"])) !==
        (await rpc("eth_getTransactionCount", [seeder.address, "latest"]));
      while (!(await sent())) await new Promise((resolve) => setTimeout(resolve, 20));
      // The leecher's key signs the whole deposit to a sybil that pays a higher tip, so it is mined first.
      const voucher = {
        escrowId,
        seeder: sybil.account.address,
        cumulativeBytes: raced.size,
        cumulativeAmount: amountFor(raced.size, PRICE),
      };
      const signature = await options.sessionKey.signVoucher(
        { chainId: swarm.chain.chainId, escrow: swarm.contracts.escrow, rebatePool: swarm.contracts.rebatePool },
        voucher,
      );
      const drain = await sybil.writeContract({
        address: swarm.contracts.escrow,
        abi: checkpointEscrowAbi,
        functionName: "redeem",
        args: [voucher, signature],
        // No estimate: it would run on the pending block, where the seeder's reservation took what is left.
        gas: 300_000n,
        maxPriorityFeePerGas: 10n ** 11n,
        maxFeePerGas: 10n ** 12n,
      });
      await rpc("evm_mine", []);
      await rpc("evm_setAutomine", [true]);
      assert.equal((await swarm.publicClient.waitForTransactionReceipt({ hash: drain })).status, "success");
    } finally {
      await rpc("evm_setAutomine", [true]);
    }
    const outcome = await Promise.race([refused, done.then(() => null)]);
    assert.ok(outcome, "refused before the end of the content");
    assert.equal(outcome.reason, RefusalReason.EscrowExhausted, outcome.message);
    const received = session.ledgers.get(seeder.address)!.received;
    await seeder.flush();
    const { amount, reserved } = await seeder.chain.redeemedBy(escrowId);
    assert.equal(reserved, 0n, "the drain left nothing to reserve");
    assert.equal(amount, amountFor(SECOND_CHECKPOINT, PRICE), "the voucher held was paid from the previous reservation");
    const nextInterval = 7n * FIRST_CHECKPOINT - SECOND_CHECKPOINT;
    assert.ok(received - SECOND_CHECKPOINT <= nextInterval + PAYMENT_GRACE, `unpaid: ${received - SECOND_CHECKPOINT} bytes`);
  });
});
