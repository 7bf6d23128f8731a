/**
 * A paid hello is admitted in one round trip to the node: the escrow comes with its funds for the seeder, read at one
 * block, and the first interval's check decides on them. Before, the check read the block number and then both
 * funds again: three round trips between the hello and the first block.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createPublicClient, custom, type PublicClient } from "viem";
import { chainFor } from "@web3torrent/sdk/chain";
import { FIRST_CHECKPOINT } from "@web3torrent/sdk/checkpointSchedule";
import { ServiceAccount } from "@web3torrent/sdk/wire/accounting";
import { checkHello } from "@web3torrent/sdk/wire/admission";
import { LeecherSession } from "@web3torrent/sdk/wire/leecherSession";
import { escrowCoversNextInterval } from "@web3torrent/sdk/wire/solvency";
import { MiB, startSwarm, type Published, type Swarm } from "../src/testing.ts";

const PRICE = 10n ** 12n;
const SEEDER = 2;
const LEECHER = 3;
const PEER_ID = "11".repeat(20);
const NONCE = `0x${"22".repeat(32)}` as const;

describe("admitting a paid hello", () => {
  let swarm: Swarm;
  let content: Published;

  before(async () => {
    swarm = await startSwarm();
    ({ content } = await swarm.published("clip.bin", 4 * MiB, [LEECHER]));
  });
  after(() => swarm.stop());

  it("takes one round trip to the node: every request is sent before the first answer", async () => {
    const requests: { sent: number; answered: number; method: string }[] = [];
    const client = createPublicClient({
      chain: chainFor(swarm.chain.rpcUrl, swarm.chain.chainId),
      transport: custom({
        async request({ method, params }) {
          const request = { sent: performance.now(), answered: Infinity, method };
          requests.push(request);
          const result = await swarm.publicClient.request({ method, params } as never);
          request.answered = performance.now();
          return result;
        },
      }),
    }) as PublicClient;
    const seeder = swarm.account(SEEDER).address;
    const session = new LeecherSession(await swarm.escrowSession(content, LEECHER, PRICE));
    const hello = await session.hello({ infoHash: content.infoHash, seederPeerId: PEER_ID, leecherPeerId: PEER_ID }, NONCE, NONCE);
    const ctx = { client, chainId: swarm.chain.chainId, contracts: swarm.contracts, delegationMarginSeconds: 0n };
    const terms = {
      chainId: swarm.chain.chainId,
      ...swarm.contracts,
      contentId: content.contentId,
      seeder,
      pricePerMiB: PRICE,
      firstCheckpoint: FIRST_CHECKPOINT,
      modes: ["exponential" as const],
      voucherTimeoutMs: 1_000,
      acceptsReleases: false,
      releaseTimeoutMs: 1_000,
    };

    const checked = await checkHello(ctx, hello, terms);
    assert.ok("account" in checked, "the hello is admitted");
    const account = new ServiceAccount(checked.account);
    assert.equal(await escrowCoversNextInterval(client, swarm.contracts.escrow, seeder, account, 0n, checked.funds), null);

    const firstAnswer = Math.min(...requests.map((r) => r.answered));
    const late = requests.filter((r) => r.sent > firstAnswer).map((r) => r.method);
    assert.deepEqual(late, [], "no request waited for another's answer");
  });
});
