/**
 * The license gate, with the real tracker over WebSocket and a dev chain: the peers of a priced title are introduced
 * only to peers that prove a license of it with each announce.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Address, Hex } from "viem";
import { licenseMarketAbi } from "@web3torrent/sdk/generated/contracts";
import { buyLicense, registerContent } from "@web3torrent/sdk/market";
import { SessionKey, signDelegation, type SignedDelegation } from "@web3torrent/sdk/sessionKey";
import { TrackerCredentials, sessionKeySigner } from "@web3torrent/sdk/trackerAuth";
import { startSwarm, type Swarm } from "@web3torrent/seeder/testing";
import { LicenseGate, viemLicenseChain } from "../src/licenseGate.ts";
import { startTracker, type Tracker } from "../src/tracker.ts";
import { announce, connect, hexPeerId, offers, peerId, reply, settle, until } from "./wsAnnounce.ts";

const MiB = 1024n * 1024n;
/** Short cache timings, so a transfer shows within the test: re-read after 300 ms, swept every 100 ms. */
const TIMINGS = { licenseTtlMs: 300, licenseSweepMs: 100, licenseMaxAgeMs: 1_500 };
const PRICED = "11".repeat(20);
const FREE = "22".repeat(20);
const UNREGISTERED = "33".repeat(20);

describe("the tracker's license gate", () => {
  let swarm: Swarm;
  let tracker: Tracker;
  let gate: LicenseGate;
  let chainId: number;
  let pricedId: bigint;
  /** Test account index → its session key's announce proofs. */
  const credentials = new Map<number, TrackerCredentials>();

  async function credentialsOf(index: number): Promise<TrackerCredentials> {
    const known = credentials.get(index);
    if (known) return known;
    const wallet = swarm.wallet(index);
    const key = SessionKey.generate();
    const delegation: SignedDelegation = await signDelegation(
      wallet,
      wallet.account,
      { chainId, rebatePool: swarm.contracts.rebatePool },
      key.address,
      BigInt(Math.floor(Date.now() / 1000) + 3600),
    );
    const c = new TrackerCredentials({ chainId, signer: sessionKeySigner(key), delegation });
    credentials.set(index, c);
    return c;
  }

  async function proof(index: number, infoHash: string, n: number) {
    const c = await credentialsOf(index);
    await c.prepare(infoHash, hexPeerId(n));
    return c.announceOpts(infoHash, hexPeerId(n)).w3t;
  }

  before(async () => {
    swarm = await startSwarm();
    chainId = swarm.chain.chainId;
    const publisher = swarm.wallet(1);
    const register = (infohash: string, basePrice: bigint) =>
      registerContent(swarm.publicClient, publisher, publisher.account, swarm.contracts.market, {
        infohash: `0x${infohash}${"0".repeat(24)}` as Hex,
        size: MiB,
        payout: publisher.account.address,
        basePrice,
        transferable: true,
      });
    [pricedId] = [await register(PRICED, 10n ** 15n), await register(FREE, 0n)];
    await buyLicense(swarm.publicClient, swarm.wallet(2), swarm.wallet(2).account, swarm.contracts.market, pricedId);
    await buyLicense(swarm.publicClient, swarm.wallet(3), swarm.wallet(3).account, swarm.contracts.market, pricedId);
    gate = new LicenseGate(
      viemLicenseChain(swarm.publicClient, chainId, swarm.contracts.market, swarm.contracts.rebatePool),
      chainId,
      TIMINGS,
    );
    tracker = await startTracker({ gate });
  });
  after(async () => {
    for (const c of credentials.values()) c.stop();
    await tracker.close();
    await swarm.stop();
  });

  it("introduces a licensed peer to the licensed peers of a priced title", async () => {
    const seeder = await connect(tracker);
    announce(seeder.socket, PRICED, 1, 0, await proof(2, PRICED, 1));
    await until(() => reply(seeder.messages) !== undefined);
    assert.equal(reply(seeder.messages)!["failure reason"], undefined, "the licensed seeder is admitted");

    const leecher = await connect(tracker);
    announce(leecher.socket, PRICED, 2, 1, await proof(3, PRICED, 2));
    await until(() => offers(seeder.messages).length === 1);
    assert.equal(offers(seeder.messages)[0].peer_id, peerId(2), "the licensed leecher's offer reached the seeder");
    assert.equal(reply(leecher.messages)!["failure reason"], undefined);
    seeder.socket.close();
    leecher.socket.close();
  });

  it("never forwards a licensed peer's offer to an unlicensed client, nor the client's to it, and says why", async () => {
    const seeder = await connect(tracker);
    announce(seeder.socket, PRICED, 11, 0, await proof(2, PRICED, 11));
    await until(() => reply(seeder.messages) !== undefined);

    const plain = await connect(tracker);
    announce(plain.socket, PRICED, 12, 5);
    const stranger = await connect(tracker);
    announce(stranger.socket, PRICED, 13, 5, await proof(4, PRICED, 13)); // a valid proof, but no license
    await until(() => reply(plain.messages) !== undefined && reply(stranger.messages) !== undefined);
    assert.match(String(reply(plain.messages)!["failure reason"]), /license proof/);
    assert.match(String(reply(stranger.messages)!["failure reason"]), /no license of content/);

    // A licensed peer announcing now with offers reaches neither of them.
    const leecher = await connect(tracker);
    announce(leecher.socket, PRICED, 14, 5, await proof(3, PRICED, 14));
    await until(() => offers(seeder.messages).length === 1);
    await settle();
    assert.deepEqual(offers(plain.messages), [], "the plain client received no offer (no address)");
    assert.deepEqual(offers(stranger.messages), [], "the unlicensed account received no offer");
    for (const c of [seeder, plain, stranger, leecher]) c.socket.close();
  });

  it("refuses an announce replayed on another connection", async () => {
    const w3t = await proof(3, PRICED, 21);
    const victim = await connect(tracker);
    announce(victim.socket, PRICED, 21, 0, w3t);
    await until(() => reply(victim.messages) !== undefined);
    assert.equal(reply(victim.messages)!["failure reason"], undefined);

    const replayer = await connect(tracker);
    announce(replayer.socket, PRICED, 21, 5, w3t); // the same announce, peer id and all, from another socket
    await until(() => reply(replayer.messages) !== undefined);
    assert.match(String(reply(replayer.messages)!["failure reason"]), /replayed/);

    const thief = await connect(tracker);
    announce(thief.socket, PRICED, 22, 5, w3t); // the proof under its own peer id
    await until(() => reply(thief.messages) !== undefined);
    assert.match(String(reply(thief.messages)!["failure reason"]), /replayed|not signed/);
    for (const c of [victim, replayer, thief]) c.socket.close();
  });

  it("refuses malformed and stale proofs in words and keeps serving", async () => {
    const c = await connect(tracker);
    const good = (await proof(3, PRICED, 31))!;
    const cases: [unknown, RegExp][] = [
      ["yes", /malformed/],
      [{ ...good, account: "0x1" }, /malformed/],
      [{ ...good, extra: "x".repeat(1000) }, /malformed/],
      [{ ...good, issuedAtMs: "1" }, /stale/],
      [{ ...good, signature: `0x${"ab".repeat(65)}` }, /not signed/],
    ];
    for (const [w3t, reason] of cases) {
      c.messages.length = 0;
      announce(c.socket, PRICED, 31, 0, w3t);
      await until(() => reply(c.messages) !== undefined);
      assert.match(String(reply(c.messages)!["failure reason"]), reason);
    }
    c.socket.close();
  });

  it("keeps introducing a licensed peer past the cache's age, and stops once its license is transferred away", async () => {
    const seeder = await connect(tracker);
    announce(seeder.socket, PRICED, 41, 0, await proof(2, PRICED, 41));
    await until(() => reply(seeder.messages) !== undefined);
    assert.equal(reply(seeder.messages)!["failure reason"], undefined);

    // Longer than the longest a license check is trusted: the sweep re-read it from the chain meanwhile.
    await new Promise((resolve) => setTimeout(resolve, TIMINGS.licenseMaxAgeMs + 200));
    const before = await connect(tracker);
    announce(before.socket, PRICED, 42, 5, await proof(3, PRICED, 42));
    await until(() => offers(seeder.messages).length === 1);
    before.socket.close();

    const holder = swarm.wallet(2);
    const hash = await holder.writeContract({
      address: swarm.contracts.market,
      abi: licenseMarketAbi,
      functionName: "safeTransferFrom",
      args: [holder.account.address, swarm.account(5).address as Address, pricedId, 1n, "0x"],
      chain: null,
      account: holder.account,
    });
    await swarm.publicClient.waitForTransactionReceipt({ hash });
    // The bound: one cache life and one sweep (and the chain read).
    await new Promise((resolve) => setTimeout(resolve, TIMINGS.licenseTtlMs + TIMINGS.licenseSweepMs + 300));

    seeder.messages.length = 0;
    const after = await connect(tracker);
    announce(after.socket, PRICED, 43, 5, await proof(3, PRICED, 43));
    await until(() => reply(after.messages) !== undefined);
    await settle();
    assert.deepEqual(offers(seeder.messages), [], "the former holder is no longer introduced");

    announce(seeder.socket, PRICED, 41, 0, await proof(2, PRICED, 41));
    await until(() => reply(seeder.messages) !== undefined);
    assert.match(String(reply(seeder.messages)!["failure reason"]), /no license/);
    seeder.socket.close();
    after.socket.close();
  });

  it("keeps free content and unregistered infohashes open to plain clients", async () => {
    for (const infoHash of [FREE, UNREGISTERED]) {
      const first = await connect(tracker);
      announce(first.socket, infoHash, 51, 0);
      await until(() => reply(first.messages) !== undefined);
      assert.equal(reply(first.messages)!["failure reason"], undefined);
      const second = await connect(tracker);
      announce(second.socket, infoHash, 52, 1);
      await until(() => offers(first.messages).length === 1);
      first.socket.close();
      second.socket.close();
    }
  });
});
