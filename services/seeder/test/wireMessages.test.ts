/**
 * What reaches the seeder's w3t_pay extension from a peer it cannot trust: malformed, oversized and out-of-order
 * messages are refused (the peer is told why and stays choked) and the seeder goes on serving an honest peer; a
 * plain WebTorrent client without w3t_pay gets no piece at all.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startPaidDownload, type PaidDownload } from "@web3torrent/sdk/paidDownload";
import { SessionKey } from "@web3torrent/sdk/sessionKey";
import { magnetURI } from "@web3torrent/sdk/infohash";
import {
  MAX_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  RefusalReason,
  W3T_PAY,
  decodeMessage,
  encodeMessage,
  newNonce,
  signAdmission,
  type RefusalMessage,
  type TermsMessage,
  type W3tPayMessage,
  type WireBinding,
} from "@web3torrent/sdk/wire/index";
import type { Seeder } from "../src/seeder.ts";
import { MiB, startSwarm, type Published, type Swarm } from "../src/testing.ts";

const PRICE = 10n ** 12n;
const HONEST = 3;
const encoder = new TextEncoder();

interface RawWire {
  peerId: string;
  extended(name: string, payload: Uint8Array): void;
  peerChoking: boolean;
  downloaded: number;
}

/** A peer that speaks w3t_pay by hand: on the seeder's terms it sends `script`'s payloads, and records answers. */
function rawPeer(
  swarm: Swarm,
  content: Published,
  script: (terms: TermsMessage, wire: WireBinding) => Uint8Array[] | Promise<Uint8Array[]>,
) {
  const received: W3tPayMessage[] = [];
  let seederWire: RawWire | null = null;
  let onRefusal!: (refusal: RefusalMessage) => void;
  const refusal = new Promise<RefusalMessage>((resolve) => (onRefusal = resolve));
  class RawExtension {
    readonly wire: RawWire;
    constructor(wire: RawWire) {
      this.wire = wire;
    }
    onExtendedHandshake() {}
    async onMessage(payload: Uint8Array) {
      const message = decodeMessage(payload);
      received.push(message);
      if (message.type === "terms") {
        seederWire = this.wire;
        const binding = { infoHash: content.infoHash, seederPeerId: this.wire.peerId, leecherPeerId: client.peerId };
        for (const bytes of await script(message, binding)) this.wire.extended(W3T_PAY, bytes);
      }
      if (message.type === "refusal" && this.wire === seederWire) onRefusal(message);
    }
  }
  Object.defineProperty(RawExtension.prototype, "name", { value: W3T_PAY });
  const urls = swarm.announce();
  const client = swarm.client();
  const torrent = client.add(magnetURI(content.infoHash, urls), { announce: urls, path: `${swarm.dir}/raw-${urls[0].slice(-4)}` });
  torrent.on("wire", (w: { use(e: unknown): void }) => w.use(RawExtension));
  return { received, refusal, wire: () => seederWire!, torrent };
}

const json = (value: unknown) => encoder.encode(JSON.stringify(value));

describe("the seeder's extension facing untrusted messages", () => {
  let swarm: Swarm;
  let content: Published;
  let seeder: Seeder;
  let honest: PaidDownload;
  let licensed: {
    account: `0x${string}`;
    escrowId: bigint;
    sessionKey: SessionKey;
    delegation: { expiry: bigint; signature: `0x${string}` };
  };

  before(async () => {
    swarm = await startSwarm();
    ({ content, seeder } = await swarm.seeded("paid.bin", 24 * MiB, {
      licensees: [HONEST, 4],
      seeder: { accountIndex: 2, pricePerMiB: PRICE, log: process.env.W3T_DEBUG ? (l) => console.error("[seeder]", l) : undefined },
    }));

    const wallet = swarm.wallet(4);
    const key = await swarm.downloadKey(4);
    const escrowId = await swarm.openEscrow(content, 4, key.sessionKey.address, PRICE);
    licensed = { account: wallet.account.address, escrowId, sessionKey: key.sessionKey, delegation: key.delegation };

    honest = await honestDownload();
  });
  after(() => swarm.stop());

  /** The honest peer downloads the whole content with the sdk's leecher, under a fresh session key. */
  const honestDownload = async (): Promise<PaidDownload> => {
    const wallet = swarm.wallet(HONEST);
    return startPaidDownload({
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
  };

  /** The licensed peer's hello on a raw wire, its proof signing that wire's terms. */
  const hello = async (terms: TermsMessage, wire: WireBinding): Promise<W3tPayMessage> => ({
    type: "hello",
    account: licensed.account,
    escrowId: licensed.escrowId,
    sessionKey: licensed.sessionKey.address,
    delegation: { expiry: licensed.delegation.expiry, signature: licensed.delegation.signature },
    payment: "vouchers",
    nonce: newNonce(),
    proof: await signAdmission(licensed.sessionKey, swarm.chain.chainId, wire, terms.nonce),
  });

  async function refused(script: Parameters<typeof rawPeer>[2], reason: RefusalReason): Promise<void> {
    const peer = rawPeer(swarm, content, script);
    const refusal = await peer.refusal;
    assert.equal(refusal.reason, reason, refusal.message);
    await honest.done; // the seeder is alive and serving
    assert.equal(peer.wire().peerChoking, true, "the peer stays choked");
    assert.equal(peer.wire().downloaded, 0, "and got no block");
  }

  it("refuses bytes that are not JSON", () => refused(() => [new Uint8Array([0xff, 0xfe, 0x00, 0x7b])], RefusalReason.Malformed));

  it("refuses a JSON value that is not a message", () => refused(() => [json([1, 2, 3])], RefusalReason.Malformed));

  it("refuses another protocol version", () => refused(() => [json({ v: PROTOCOL_VERSION - 1, type: "hello" })], RefusalReason.Version));

  it("refuses an unknown message type", () =>
    refused(() => [json({ v: PROTOCOL_VERSION, type: "gimme", bytes: "1" })], RefusalReason.Malformed));

  it("refuses a hello with an invalid address", () =>
    refused(
      () => [
        json({
          v: PROTOCOL_VERSION,
          type: "hello",
          account: "0x1234",
          escrowId: "1",
          sessionKey: licensed.sessionKey.address,
          delegation: { expiry: "1", signature: "0x00" },
        }),
      ],
      RefusalReason.Malformed,
    ));

  it("refuses an oversized message", () =>
    refused(
      () => [json({ v: PROTOCOL_VERSION, type: "refusal", reason: "malformed", message: "x".repeat(MAX_MESSAGE_BYTES) })],
      RefusalReason.Oversized,
    ));

  it("refuses a voucher before any hello", () =>
    refused(async () => {
      const voucher = { escrowId: licensed.escrowId, seeder: seeder.address, cumulativeBytes: BigInt(MiB), cumulativeAmount: PRICE };
      const signature = await licensed.sessionKey.signVoucher(
        { chainId: swarm.chain.chainId, escrow: swarm.contracts.escrow, rebatePool: swarm.contracts.rebatePool },
        voucher,
      );
      return [encodeMessage({ type: "voucher", ...voucher, signature })];
    }, RefusalReason.OutOfOrder));

  it("refuses a seeder's message sent by a leecher", () =>
    refused(
      () => [encodeMessage({ type: "voucher_request", cumulativeBytes: 0n, voucherBytes: 0n, voucherAmount: 0n })],
      RefusalReason.OutOfOrder,
    ));

  it("refuses a second hello from an admitted peer", () =>
    refused(
      async (terms, wire) => [encodeMessage(await hello(terms, wire)), encodeMessage(await hello(terms, wire))],
      RefusalReason.OutOfOrder,
    ));

  it("serves the honest peer in full meanwhile", async () => {
    await honest.done;
    const [ledger] = honest.session.ledgers.values();
    assert.equal(ledger.received, content.size);
    assert.equal(ledger.refusal, null);
  });

  it("sends no piece of paid content to a plain WebTorrent client", async () => {
    const urls = swarm.announce();
    const plain = swarm.client().add(magnetURI(content.infoHash, urls), { announce: urls, path: `${swarm.dir}/plain` });
    // The plain client reaches the seeder, fetches the torrent's metadata and asks for pieces ...
    await new Promise<void>((resolve) => plain.once("metadata", () => resolve()));
    const seederTorrent = await seeder.client.get(content.infoHash);
    const plainWire = () => seederTorrent!.wires.find((w: { peerId: string }) => w.peerId === plain.client.peerId);
    await new Promise<void>((resolve) => {
      const check = () => (plainWire()?.peerInterested ? resolve() : setTimeout(check, 50));
      check();
    });
    // ... while a paying peer downloads the whole content from the same seeder.
    const again = await honestDownload();
    await again.done;
    assert.equal(plain.downloaded, 0);
    assert.equal(plain.progress, 0);
    const wire = plainWire();
    if (wire) {
      assert.equal(wire.amChoking, true, "the seeder never unchoked it");
      assert.equal(wire.uploaded, 0);
    }
  });
});
