/**
 * Peers that do not pay get at most one checkpoint interval of data and δ (`PAYMENT_GRACE`), then nothing, while the seeder goes on serving
 * an honest peer. Every attacker and the honest leecher download the same 40 MiB content (checkpoints at 10, 30
 * and 40 MiB) from one seeder at the same time.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Address } from "viem";
import { FIRST_CHECKPOINT, amountFor } from "@web3torrent/sdk/checkpointSchedule";
import { checkpointEscrowAbi } from "@web3torrent/sdk/generated/contracts";
import { startPaidDownload, type PaidDownload } from "@web3torrent/sdk/paidDownload";
import { SessionKey, signDelegation } from "@web3torrent/sdk/sessionKey";
import {
  LeecherSession,
  PAYMENT_GRACE,
  RefusalReason,
  type LeecherSessionOptions,
  type RefusalMessage,
  type SeederLedger,
  type VoucherMessage,
  type VoucherRequestMessage,
  type W3tPayMessage,
} from "@web3torrent/sdk/wire/index";
import type { Seeder } from "../src/seeder.ts";
import { MiB, startSwarm, type Published, type Swarm } from "../src/testing.ts";
import { SilentSession, seederRefusal } from "./leechers.ts";

const PRICE = 10n ** 12n;
const SEEDER = 2;
const HONEST = 3;
const VOUCHER_TIMEOUT_MS = 2_000;
const SECOND_CHECKPOINT = 3n * FIRST_CHECKPOINT;

/** Signs the vouchers with a key the escrow does not know. */
class ForgingSession extends LeecherSession {
  readonly #forger = SessionKey.generate();
  override async answer(ledger: SeederLedger, request: VoucherRequestMessage): Promise<W3tPayMessage[]> {
    const messages = await super.answer(ledger, request);
    return Promise.all(
      messages.map(async (m) => {
        if (m.type !== "voucher") return m;
        const { type: _type, signature: _signature, ...voucher } = m;
        return { ...m, signature: await this.#forger.signVoucher(this.signingContext, voucher) };
      }),
    );
  }
}

/** Pays the first checkpoint, then answers every request with that same voucher. */
class ReplayingSession extends LeecherSession {
  #first: VoucherMessage | null = null;
  override async answer(ledger: SeederLedger, request: VoucherRequestMessage): Promise<W3tPayMessage[]> {
    const messages = await super.answer(ledger, request);
    const voucher = messages.find((m): m is VoucherMessage => m.type === "voucher");
    if (!this.#first) {
      this.#first = voucher ?? null;
      return messages;
    }
    return messages.map((m) => (m.type === "voucher" ? this.#first! : m));
  }
}

/** Says hello whatever the terms (the sdk's leecher does not, without an escrow to pay a priced seeder). */
class EagerSession extends LeecherSession {
  override checkTerms(): null {
    return null;
  }
}

interface Attack {
  session: LeecherSession;
  /** The seeder's refusal as the attacker received it, and the bytes it had then. */
  refused: Promise<{ refusal: RefusalMessage; receivedThen: bigint }>;
}

describe("peers that do not pay", () => {
  let swarm: Swarm;
  let content: Published;
  let seeder: Seeder;
  let honest: PaidDownload;
  const attacks = new Map<string, Attack>();

  /** Starts a download as test account `index`, with `escrowId`, speaking through `Session`. */
  async function attack(
    name: string,
    index: number,
    escrowId: bigint | null,
    Session: typeof LeecherSession,
    sessionKey = SessionKey.generate(),
  ) {
    const wallet = swarm.wallet(index);
    const delegation = await signDelegation(
      wallet,
      wallet.account,
      { chainId: swarm.chain.chainId, rebatePool: swarm.contracts.rebatePool },
      sessionKey.address,
      BigInt(Math.floor(Date.now() / 1000) + 86_400),
    );
    const options: LeecherSessionOptions = {
      chainId: swarm.chain.chainId,
      contracts: swarm.contracts,
      contentId: content.contentId,
      account: wallet.account.address,
      escrowId,
      mode: "exponential",
      maxBytes: content.size,
      pricePerMiBCap: PRICE,
      sessionKey,
      delegation,
    };
    const session = new Session(options);
    const refused = seederRefusal(session);
    swarm.attach(swarm.client(), content.infoHash, session);
    attacks.set(name, { session, refused });
  }

  async function licensedEscrow(index: number): Promise<{ escrowId: bigint; sessionKey: SessionKey }> {
    await swarm.buyLicense(content.contentId, index);
    const sessionKey = SessionKey.generate();
    const escrowId = await swarm.openEscrow(content, index, sessionKey.address, PRICE);
    return { escrowId, sessionKey };
  }

  function received(name: string): bigint {
    const ledger = attacks.get(name)!.session.ledgers.get(seeder.address as Address);
    return ledger?.received ?? 0n;
  }

  before(async () => {
    swarm = await startSwarm();
    ({ content, seeder } = await swarm.seeded("paid.bin", 40 * MiB, {
      seeder: {
        accountIndex: SEEDER,
        pricePerMiB: PRICE,
        voucherTimeoutMs: VOUCHER_TIMEOUT_MS,
        log: process.env.W3T_DEBUG ? (l) => console.error("[seeder]", l) : undefined,
      },
    }));

    // The exhausted escrow: its own session key signed its whole deposit to another address, which redeemed it.
    const drained = await licensedEscrow(9);
    const thief = swarm.wallet(10);
    const voucher = {
      escrowId: drained.escrowId,
      seeder: thief.account.address,
      cumulativeBytes: content.size,
      cumulativeAmount: amountFor(content.size, PRICE),
    };
    const signature = await drained.sessionKey.signVoucher(
      { chainId: swarm.chain.chainId, escrow: swarm.contracts.escrow, rebatePool: swarm.contracts.rebatePool },
      voucher,
    );
    await swarm.publicClient.waitForTransactionReceipt({
      hash: await thief.writeContract({
        address: swarm.contracts.escrow,
        abi: checkpointEscrowAbi,
        functionName: "redeem",
        args: [voucher, signature],
      }),
    });
    assert.equal(await seeder.chain.remaining(drained.escrowId), 0n);

    const forger = await licensedEscrow(11);
    const replayer = await licensedEscrow(12);
    const silent = await licensedEscrow(13);
    await swarm.buyLicense(content.contentId, 8);
    await swarm.buyLicense(content.contentId, HONEST);

    await attack("no license", 7, null, EagerSession);
    await attack("no escrow", 8, null, EagerSession);
    await attack("exhausted escrow", 9, drained.escrowId, LeecherSession, drained.sessionKey);
    await attack("forged voucher", 11, forger.escrowId, ForgingSession, forger.sessionKey);
    await attack("replayed voucher", 12, replayer.escrowId, ReplayingSession, replayer.sessionKey);
    await attack("no voucher", 13, silent.escrowId, SilentSession, silent.sessionKey);

    const wallet = swarm.wallet(HONEST);
    honest = await startPaidDownload({
      client: swarm.client() as never,
      publicClient: swarm.publicClient,
      walletClient: wallet,
      account: wallet.account,
      chainId: swarm.chain.chainId,
      contracts: swarm.contracts,
      contentId: content.contentId,
      key: await swarm.downloadKey(HONEST),
      pricePerMiBCap: PRICE,
      announce: swarm.announce(),
    });
  });
  after(() => swarm.stop());

  /** Waits for the seeder's refusal of `name`, and checks the attacker got nothing more afterwards. */
  async function refusedAfter(name: string, reason: RefusalReason, maxBytes: bigint): Promise<void> {
    const { refusal, receivedThen } = await attacks.get(name)!.refused;
    assert.equal(refusal.reason, reason, refusal.message);
    assert.ok(receivedThen <= maxBytes, `${name}: ${receivedThen} bytes before the refusal, at most ${maxBytes}`);
    await honest.done; // the seeder kept serving the honest peer meanwhile
    assert.equal(received(name), receivedThen, `${name}: nothing after the refusal`);
  }

  it("a peer without a license gets nothing", () => refusedAfter("no license", RefusalReason.NoLicense, 0n));

  it("a licensed peer without an escrow gets nothing", () => refusedAfter("no escrow", RefusalReason.NoEscrow, 0n));

  it("a peer whose escrow is exhausted gets nothing", () => refusedAfter("exhausted escrow", RefusalReason.EscrowExhausted, 0n));

  it("a peer that forges its voucher gets the first checkpoint and δ, then nothing", () =>
    refusedAfter("forged voucher", RefusalReason.BadSignature, FIRST_CHECKPOINT + PAYMENT_GRACE));

  it("a peer that replays a voucher gets one checkpoint and δ past what it paid, then nothing", async () => {
    await refusedAfter("replayed voucher", RefusalReason.Replayed, SECOND_CHECKPOINT + PAYMENT_GRACE);
    const account = seeder.store.get(`escrow:${attacks.get("replayed voucher")!.session.options.escrowId}`)!;
    assert.equal(account.voucherBytes, FIRST_CHECKPOINT, "it paid the first checkpoint only");
  });

  it("a peer that stops sending vouchers gets the first checkpoint and δ, then nothing", () =>
    refusedAfter("no voucher", RefusalReason.Timeout, FIRST_CHECKPOINT + PAYMENT_GRACE));

  it("meanwhile serves the honest peer in full, paid", async () => {
    await honest.done;
    const [ledger] = honest.session.ledgers.values();
    assert.equal(ledger.refusal, null);
    assert.equal(ledger.received, content.size);
    assert.equal(ledger.ackedVoucherBytes, content.size);
    await seeder.flush();
    assert.equal((await seeder.chain.redeemedBy(honest.escrowId!)).amount, amountFor(content.size, PRICE));
  });
});
