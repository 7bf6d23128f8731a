/**
 * Tracker announce proofs: signed ahead for bittorrent-tracker's synchronous `getAnnounceOpts`, bound to one
 * infohash and peer id, and fresh after every use.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { recoverTypedDataAddress } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { SessionKey } from "../src/sessionKey.ts";
import { trackerAnnounceTypes, trackerDomain } from "../src/eip712.ts";
import { TrackerCredentials, ownKeyCredentials, sessionKeySigner, trackerAnnounceMessage, type AnnounceProof } from "../src/trackerAuth.ts";

const CHAIN_ID = 31337;
const INFO_HASH = "ab".repeat(20);
const PEER_ID = "cd".repeat(20);
const delegation = {
  account: privateKeyToAccount(generatePrivateKey()).address,
  sessionKey: "0x" as const,
  expiry: 1n,
  signature: "0x" as const,
};

const signerOf = (proof: AnnounceProof, infoHash = INFO_HASH, peerId = PEER_ID) =>
  recoverTypedDataAddress({
    domain: trackerDomain(CHAIN_ID),
    types: trackerAnnounceTypes,
    primaryType: "TrackerAnnounce",
    message: trackerAnnounceMessage(infoHash, peerId, BigInt(proof.issuedAtMs)),
    signature: proof.signature,
  });

describe("tracker announce proofs", () => {
  it("has a proof ready before the first announce, signed by the session key for this infohash and peer id only", async () => {
    const key = SessionKey.generate();
    const credentials = new TrackerCredentials({
      chainId: CHAIN_ID,
      signer: sessionKeySigner(key),
      delegation: { ...delegation, sessionKey: key.address },
    });
    assert.deepEqual(credentials.announceOpts(INFO_HASH, PEER_ID), {}, "nothing before prepare");
    await credentials.prepare(INFO_HASH, PEER_ID);
    const { w3t } = credentials.announceOpts(INFO_HASH, PEER_ID);
    assert.ok(w3t);
    assert.equal(await signerOf(w3t), key.address);
    assert.notEqual(await signerOf(w3t, "ef".repeat(20)), key.address, "not valid for another infohash");
    assert.notEqual(await signerOf(w3t, INFO_HASH, "01".repeat(20)), key.address, "not valid for another peer id");
    assert.equal(w3t.account, delegation.account);
    credentials.stop();
  });

  it("signs a fresh proof after each use, so no two announces carry the same one", async () => {
    const credentials = new TrackerCredentials({ chainId: CHAIN_ID, signer: sessionKeySigner(SessionKey.generate()), delegation });
    await credentials.prepare(INFO_HASH, PEER_ID);
    const first = credentials.announceOpts(INFO_HASH, PEER_ID).w3t!;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = credentials.announceOpts(INFO_HASH, PEER_ID).w3t!;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const third = credentials.announceOpts(INFO_HASH, PEER_ID).w3t!;
    assert.notEqual(second.signature, first.signature);
    assert.notEqual(third.signature, second.signature);
    assert.ok(BigInt(third.issuedAtMs) > BigInt(first.issuedAtMs));
    credentials.stop();
  });

  it("lets a key holder (the headless seeder) delegate to itself: account and session key are its address", async () => {
    const privateKey = generatePrivateKey();
    const credentials = await ownKeyCredentials(privateKey, {
      chainId: CHAIN_ID,
      rebatePool: privateKeyToAccount(generatePrivateKey()).address,
    });
    await credentials.prepare(INFO_HASH, PEER_ID);
    const { w3t } = credentials.announceOpts(INFO_HASH, PEER_ID);
    const address = privateKeyToAccount(privateKey).address;
    assert.equal(w3t!.account, address);
    assert.equal(w3t!.sessionKey, address);
    assert.equal(await signerOf(w3t!), address);
    credentials.stop();
  });
});
