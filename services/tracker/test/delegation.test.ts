/**
 * Who may prove a license to the gated tracker, against a dev chain: a license held by a contract wallet (its
 * owner's key delegates a session key; the wallet accepts the Delegation through ERC-1271) is admitted; an expired
 * delegation is refused and its peer stops being introduced when it expires; a delegation the wallet revokes stops
 * introductions within the cache's bound, and is refused afterwards.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { Abi, Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { buyLicense, registerContent } from "@web3torrent/sdk/market";
import { SessionKey, delegationTypedData, signDelegation, type SignedDelegation } from "@web3torrent/sdk/sessionKey";
import { TrackerCredentials, sessionKeySigner } from "@web3torrent/sdk/trackerAuth";
import { startSwarm, type Swarm } from "@web3torrent/seeder/testing";
import { LicenseGate, viemLicenseChain } from "../src/licenseGate.ts";
import { startTracker, type Tracker } from "../src/tracker.ts";
import { announce, connect, hexPeerId, offers, reply, settle, until } from "./wsAnnounce.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../../..");
/** Short cache timings, so a revocation shows within the test: re-read after 300 ms, swept every 100 ms. */
const TIMINGS = { licenseTtlMs: 300, licenseSweepMs: 100, licenseMaxAgeMs: 1_500 };
const BY_WALLET = "44".repeat(20);
const PAID_TO_WALLET = "55".repeat(20);
const [PUBLISHER, SEEDER, OWNER, LEECHER] = [1, 2, 6, 3];
const HOUR = 3600n;

function artifact(name: string): { abi: Abi; bytecode: Hex } {
  return JSON.parse(readFileSync(join(ROOT, `artifacts/contracts/test/${name}.sol/${name}.json`), "utf8"));
}

describe("delegated and contract-wallet proofs at the gated tracker", () => {
  let swarm: Swarm;
  let tracker: Tracker;
  let chainId: number;
  let erc1271Wallet: Address;
  let revocableWallet: Address;
  const stops: TrackerCredentials[] = [];

  const seconds = () => BigInt(Math.floor(Date.now() / 1000));

  async function deploy(name: string): Promise<Address> {
    const { abi, bytecode } = artifact(name);
    const owner = swarm.wallet(OWNER);
    const hash = await owner.deployContract({ abi, bytecode, args: [owner.account.address], account: owner.account, chain: null });
    return (await swarm.publicClient.waitForTransactionReceipt({ hash })).contractAddress!;
  }

  /** A session key's proof for `account`, whose Delegation `delegation` signed (the account's key or its owner's). */
  async function proofFor(infoHash: string, n: number, delegate: (key: Address) => Promise<SignedDelegation>) {
    const key = SessionKey.generate();
    const credentials = new TrackerCredentials({ chainId, signer: sessionKeySigner(key), delegation: await delegate(key.address) });
    stops.push(credentials);
    await credentials.prepare(infoHash, hexPeerId(n));
    return credentials.announceOpts(infoHash, hexPeerId(n)).w3t;
  }

  /** The Delegation of `wallet` (a contract) signed by the key that owns it: what its ERC-1271 check accepts. */
  const byOwner =
    (wallet: Address, expiry: bigint) =>
    async (sessionKey: Address): Promise<SignedDelegation> => {
      const owner = privateKeyToAccount(swarm.chain.accounts[OWNER].privateKey);
      const signature = await owner.signTypedData(
        delegationTypedData({ chainId, rebatePool: swarm.contracts.rebatePool }, { wallet, sessionKey, expiry }),
      );
      return { account: wallet, sessionKey, expiry, signature };
    };
  const byAccount = (index: number, expiry: bigint) => (sessionKey: Address) =>
    signDelegation(
      swarm.wallet(index),
      swarm.wallet(index).account,
      { chainId, rebatePool: swarm.contracts.rebatePool },
      sessionKey,
      expiry,
    );

  /** Announces a seeder (no offers) and a leecher (one offer); whether the leecher's offer reached the seeder. */
  async function introduced(infoHash: string, seederProof: unknown, n: number): Promise<{ seeder: string | undefined; reached: boolean }> {
    const seeder = await connect(tracker);
    announce(seeder.socket, infoHash, n, 0, seederProof);
    await until(() => reply(seeder.messages) !== undefined);
    const leecher = await connect(tracker);
    announce(leecher.socket, infoHash, n + 1, 1, await proofFor(infoHash, n + 1, byAccount(LEECHER, seconds() + HOUR)));
    await until(() => reply(leecher.messages) !== undefined);
    await settle();
    const result = { seeder: reply(seeder.messages)!["failure reason"] as string | undefined, reached: offers(seeder.messages).length > 0 };
    seeder.socket.close();
    leecher.socket.close();
    return result;
  }

  before(async () => {
    swarm = await startSwarm();
    chainId = swarm.chain.chainId;
    [erc1271Wallet, revocableWallet] = [await deploy("TestERC1271Wallet"), await deploy("TestRevocableSessionKey")];
    const publisher = swarm.wallet(PUBLISHER);
    const register = (infohash: string, payout: Address) =>
      registerContent(swarm.publicClient, publisher, publisher.account, swarm.contracts.market, {
        infohash: `0x${infohash}${"0".repeat(24)}` as Hex,
        size: 1n << 20n,
        payout,
        basePrice: 10n ** 15n,
      });
    const byWalletId = await register(BY_WALLET, publisher.account.address);
    // The revocable wallet holds no ERC-1155 receiver: it proves as the title's payout instead of a license holder.
    const paidToWalletId = await register(PAID_TO_WALLET, revocableWallet);
    const owner = swarm.wallet(OWNER);
    await buyLicense(swarm.publicClient, owner, owner.account, swarm.contracts.market, byWalletId, erc1271Wallet);
    const leecher = swarm.wallet(LEECHER);
    for (const id of [byWalletId, paidToWalletId])
      await buyLicense(swarm.publicClient, leecher, leecher.account, swarm.contracts.market, id);
    const gate = new LicenseGate(
      viemLicenseChain(swarm.publicClient, chainId, swarm.contracts.market, swarm.contracts.rebatePool),
      chainId,
      TIMINGS,
    );
    tracker = await startTracker({ gate });
  });
  after(async () => {
    for (const c of stops) c.stop();
    await tracker.close();
    await swarm.stop();
  });

  it("admits a session key delegated by a contract wallet that holds the license (ERC-1271) and introduces it", async () => {
    const result = await introduced(BY_WALLET, await proofFor(BY_WALLET, 1, byOwner(erc1271Wallet, seconds() + HOUR)), 1);
    assert.equal(result.seeder, undefined, "the wallet's session key is admitted");
    assert.ok(result.reached, "the licensed leecher's offer reached the wallet's peer");
  });

  it("refuses a contract wallet's delegation signed by a key that does not own it", async () => {
    const stranger = privateKeyToAccount(swarm.chain.accounts[SEEDER].privateKey);
    const forged = async (sessionKey: Address): Promise<SignedDelegation> => {
      const expiry = seconds() + HOUR;
      const signature = await stranger.signTypedData(
        delegationTypedData({ chainId, rebatePool: swarm.contracts.rebatePool }, { wallet: erc1271Wallet, sessionKey, expiry }),
      );
      return { account: erc1271Wallet, sessionKey, expiry, signature };
    };
    const result = await introduced(BY_WALLET, await proofFor(BY_WALLET, 11, forged), 11);
    assert.match(String(result.seeder), /delegation of the session key is not signed by the account/);
    assert.equal(result.reached, false, "the refused peer met nobody");
  });

  it("refuses an expired delegation, and stops introducing a peer when its delegation expires", async () => {
    const expired = await introduced(BY_WALLET, await proofFor(BY_WALLET, 21, byOwner(erc1271Wallet, seconds() - 1n)), 21);
    assert.match(String(expired.seeder), /delegation expired/);
    assert.equal(expired.reached, false);

    const seeder = await connect(tracker);
    announce(seeder.socket, BY_WALLET, 23, 0, await proofFor(BY_WALLET, 23, byAccount(LEECHER, seconds() + 2n)));
    await until(() => reply(seeder.messages) !== undefined);
    assert.equal(reply(seeder.messages)!["failure reason"], undefined, "admitted while its delegation lasts");
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const late = await connect(tracker);
    announce(late.socket, BY_WALLET, 24, 1, await proofFor(BY_WALLET, 24, byOwner(erc1271Wallet, seconds() + HOUR)));
    await until(() => reply(late.messages) !== undefined);
    await settle();
    assert.deepEqual(offers(seeder.messages), [], "a peer whose delegation expired is no longer introduced");
    seeder.socket.close();
    late.socket.close();
  });

  it("stops introducing a contract wallet's peer once the wallet revokes its delegation, and refuses it afterwards", async () => {
    const proof = await proofFor(PAID_TO_WALLET, 31, byOwner(revocableWallet, seconds() + HOUR));
    const seeder = await connect(tracker);
    announce(seeder.socket, PAID_TO_WALLET, 31, 0, proof);
    await until(() => reply(seeder.messages) !== undefined);
    assert.equal(reply(seeder.messages)!["failure reason"], undefined, "the payout wallet's session key is admitted");
    const before = await connect(tracker);
    announce(before.socket, PAID_TO_WALLET, 32, 1, await proofFor(PAID_TO_WALLET, 32, byAccount(LEECHER, seconds() + HOUR)));
    await until(() => offers(seeder.messages).length === 1);
    before.socket.close();

    const owner = swarm.wallet(OWNER);
    const hash = await owner.writeContract({
      address: revocableWallet,
      abi: artifact("TestRevocableSessionKey").abi,
      functionName: "revoke",
      account: owner.account,
      chain: null,
    });
    await swarm.publicClient.waitForTransactionReceipt({ hash });
    // The bound: one cache life and one sweep (and the chain read).
    await new Promise((resolve) => setTimeout(resolve, TIMINGS.licenseTtlMs + TIMINGS.licenseSweepMs + 300));

    seeder.messages.length = 0;
    const after = await connect(tracker);
    announce(after.socket, PAID_TO_WALLET, 33, 1, await proofFor(PAID_TO_WALLET, 33, byAccount(LEECHER, seconds() + HOUR)));
    await until(() => reply(after.messages) !== undefined);
    await settle();
    assert.deepEqual(offers(seeder.messages), [], "the revoked wallet's peer is no longer introduced");

    announce(seeder.socket, PAID_TO_WALLET, 31, 0, await proofFor(PAID_TO_WALLET, 31, byOwner(revocableWallet, seconds() + HOUR)));
    await until(() => reply(seeder.messages) !== undefined);
    assert.match(String(reply(seeder.messages)!["failure reason"]), /not signed by the account \(nor accepted by its wallet\)/);
    seeder.socket.close();
    after.socket.close();
  });
});
