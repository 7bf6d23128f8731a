/**
 * Who speaks on a wire: a leecher's hello proves its session key over the seeder's fresh nonce on that wire, and a
 * seeder proves its payout address over the leecher's nonce before the leecher books anything to it. A hello copied
 * from another wire, and terms naming another seeder's address, are refused.
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { FIRST_CHECKPOINT } from "@web3torrent/sdk/checkpointSchedule";
import { SessionKey } from "@web3torrent/sdk/sessionKey";
import {
  LeecherSession,
  RefusalReason,
  ServiceAccount,
  seederExtension,
  type HelloMessage,
  type PayWire,
  type RefusalMessage,
  type SeederLedger,
} from "@web3torrent/sdk/wire/index";
import type { Seeder } from "../src/seeder.ts";
import { createContentTorrent } from "../src/torrent.ts";
import { MiB, startSwarm, type Published, type Swarm } from "../src/testing.ts";
import { until } from "./until.ts";

const PRICE = 10n ** 12n;
const SEEDER = 2;
const VICTIM = 3;
const IMPOSTOR = 5;
const LEECHER = 6;

/** Says the victim's hello, copied from the victim's wire, as its own. */
class ReplayingSession extends LeecherSession {
  readonly copied: HelloMessage;
  constructor(options: ConstructorParameters<typeof LeecherSession>[0], copied: HelloMessage) {
    super(options);
    this.copied = copied;
  }
  override async hello(): Promise<HelloMessage> {
    return this.copied;
  }
}

describe("proofs of who speaks on a wire", () => {
  let swarm: Swarm;
  let content: Published;
  let file: string;
  let seeder: Seeder;

  before(async () => {
    swarm = await startSwarm();
    ({ file, content, seeder } = await swarm.seeded("proofs.bin", 16 * MiB, {
      licensees: [VICTIM, LEECHER],
      seeder: { accountIndex: SEEDER, pricePerMiB: PRICE },
    }));
  });
  after(() => swarm.stop());

  it("refuses a hello replayed from another wire: the replayer downloads nothing", async () => {
    const { paid } = await swarm.download(content, VICTIM, { pricePerMiBCap: PRICE });
    const session = paid.session as unknown as { hello(...args: unknown[]): HelloMessage | Promise<HelloMessage> };
    const hello = session.hello.bind(session);
    let copied: HelloMessage | null = null;
    session.hello = async (...args: unknown[]) => (copied = await hello(...args));
    await until(() => copied !== null, { timeoutMs: 120_000, what: "the victim's hello" });

    const refusals: RefusalMessage[] = [];
    const replayer = new ReplayingSession(
      {
        chainId: swarm.chain.chainId,
        contracts: swarm.contracts,
        contentId: content.contentId,
        account: copied!.account,
        escrowId: copied!.escrowId,
        mode: "exponential",
        maxBytes: content.size,
        pricePerMiBCap: PRICE,
        sessionKey: SessionKey.generate(), // the attacker does not hold the victim's key
        delegation: { account: copied!.account, sessionKey: copied!.sessionKey, ...copied!.delegation },
      },
      copied!,
    );
    replayer.observer = {
      refused: (_ledger: SeederLedger | null, refusal: RefusalMessage, bySeeder: boolean) => bySeeder && refusals.push(refusal),
    };
    swarm.attach(swarm.client(), content.infoHash, replayer);
    await until(() => refusals.length > 0 || replayer.receivedTotal > 0n, {
      timeoutMs: 120_000,
      what: "the replayer's refusal or its first bytes",
    });
    assert.equal(replayer.receivedTotal, 0n, "the replayer got bytes on the victim's credit");
    assert.equal(refusals[0].reason, RefusalReason.BadSignature, refusals[0].message);

    await paid.done;
    assert.equal(paid.session.ledgers.get(seeder.address)!.received, content.size, "the victim got the whole file");
  });

  it("books nothing to a peer that claims an honest seeder's address", async () => {
    const impostor = swarm.client();
    const { torrentFile } = await createContentTorrent(file, [swarm.tracker.url]);
    const key = privateKeyToAccount(swarm.chain.accounts[IMPOSTOR].privateKey as `0x${string}`);
    const refusalsByLeecher: string[] = [];
    const extension = seederExtension({
      terms: {
        chainId: swarm.chain.chainId,
        market: swarm.contracts.market,
        escrow: swarm.contracts.escrow,
        rebatePool: swarm.contracts.rebatePool,
        contentId: content.contentId,
        seeder: seeder.address, // the honest seeder's address, not its own
        pricePerMiB: 1n,
        firstCheckpoint: FIRST_CHECKPOINT,
        modes: ["exponential"],
        voucherTimeoutMs: 60_000,
        acceptsReleases: false,
        releaseTimeoutMs: 60_000,
      },
      backend: {
        admit: async (hello) => ({
          account: new ServiceAccount({
            key: `impostor:${hello.sessionKey}`,
            leecher: hello.account,
            sessionKey: hello.sessionKey,
            contentId: content.contentId,
            escrowId: hello.escrowId,
            mode: "exponential",
            maxBytes: content.size,
            pricePerMiB: 1n,
            priceCapPerMiB: PRICE,
            delegation: hello.delegation,
          }),
        }),
        storeVoucher: async () => {},
        storeReceipt: async () => {},
      },
      observer: { peerRefusal: (_wire: PayWire, refusal: { reason: string }) => refusalsByLeecher.push(refusal.reason) },
      identity: { signer: key, delegation: null },
      localPeer: { infoHash: content.infoHash, peerId: impostor.peerId },
    } as Parameters<typeof seederExtension>[0]);
    const urls = swarm.announce();
    const added = impostor.add(torrentFile, { announce: urls, path: dirname(file), skipVerify: true });
    added.on("wire", (wire: { use(e: unknown): void }) => wire.use(extension));
    await seeder.stop(); // the leecher meets the impostor alone

    const { paid } = await swarm.download(content, LEECHER, { pricePerMiBCap: PRICE });
    const honest: Address = seeder.address;
    await until(() => refusalsByLeecher.length > 0 || (paid.session.ledgers.get(honest)?.received ?? 0n) > 0n, {
      timeoutMs: 120_000,
      what: "the leecher's refusal of the impostor or its first bytes",
    });
    assert.equal(paid.session.ledgers.get(honest), undefined, "the leecher booked the impostor's bytes to the honest seeder");
    assert.equal(refusalsByLeecher[0], RefusalReason.BadSignature);
  });
});
