/** LicenseMarket: agreement with the sdk curve math. Set-up in `helpers/marketFixtures.ts`. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CurveKind, curvePrice, nextPrice, quote as sdkQuote } from "@web3torrent/sdk/bondingCurve";
import {
  viem,
  networkHelpers,
  publicClient,
  DEFAULT_URI,
  PANIC_ARITHMETIC,
  MIN_COMMITMENT_AGE,
  infohash,
  register,
  panicCode,
} from "./helpers/marketFixtures.ts";

describe("LicenseMarket", () => {
  describe("agreement with the sdk curve math", () => {
    /** mulberry32: a small deterministic PRNG, so a failure reproduces from the printed seed. */
    function prng(seed: number) {
      let a = seed >>> 0;
      const next = () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
      const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
      /** A bigint spread over magnitudes: 10^k · u for k uniform in [0, maxDigits]. */
      const magnitude = (maxDigits: number) => BigInt(int(0, 999)) * 10n ** BigInt(int(0, maxDigits));
      return { next, int, magnitude };
    }

    async function deployForAgreement() {
      const [owner, publisher, buyer] = await viem.getWalletClients();
      const pool = await viem.deployContract("RebatePoolStub");
      const market = await viem.deployContract("LicenseMarket", [
        owner.account.address,
        pool.address,
        1_000,
        DEFAULT_URI,
        MIN_COMMITMENT_AGE,
      ]);
      // Exponential purchases far up the curve cost more ether than exists; the test only needs them to happen.
      await networkHelpers.setBalance(buyer.account.address, 2n ** 200n);
      return { market, publisher, buyer };
    }

    it("quote equals the sdk's quote to the wei over 1,000+ random points of each curve kind", async () => {
      const seed = Number(process.env.W3T_AGREEMENT_SEED ?? 0x5eed1ce);
      console.log(`agreement seed ${seed} (set W3T_AGREEMENT_SEED to reproduce another)`);
      const rand = prng(seed);
      const { market, publisher, buyer } = await networkHelpers.loadFixture(deployForAgreement);
      const networkFeeBps = BigInt(await market.read.networkFeeBps());

      const CONTENTS_PER_KIND = 8;
      const ROUNDS = 6; // quotes at 6 supplies per content, moved by random purchases in between
      const QUOTES_PER_ROUND = 26; // 1,248 quotes per curve kind, so each kind has 1,000+ points besides overflows
      const points = { [CurveKind.Linear]: 0, [CurveKind.Exponential]: 0 };
      let overflows = 0;

      for (let k = 0; k < 2 * CONTENTS_PER_KIND; k++) {
        const curve = k % 2 === 0 ? CurveKind.Linear : CurveKind.Exponential;
        const growthBps = [0n, 1n, 10_000n][rand.int(0, 9)] ?? BigInt(rand.int(0, 10_000));
        const params = {
          infohash: infohash(`agreement-${seed}-${k}`),
          size: BigInt(rand.int(1, 2 ** 30)),
          payout: publisher.account.address,
          basePrice: rand.magnitude(18),
          curve,
          growth: curve === CurveKind.Linear ? rand.magnitude(17) : growthBps,
          maxSupply: 0n,
          bountyFeeBps: rand.int(0, 2_000),
          transferable: false,
          metadataURI: "",
        };
        await register(market, params, publisher);
        const id = await market.read.contentCount();
        // Roughly how far up an exponential curve prices stay inside uint256 (r^n · base < 2^256 / 1e18).
        const horizon =
          curve === CurveKind.Exponential && params.growth > 0n ? Math.floor(150 / Math.log2(1 + Number(params.growth) / 10_000)) : 2 ** 40;

        let supply = 0n;
        for (let round = 0; round < ROUNDS; round++) {
          for (let i = 0; i < QUOTES_PER_ROUND; i++) {
            // Mostly small purchases, many up to the curve's horizon, some beyond it (where both must overflow).
            const roll = rand.next();
            const reach = roll < 0.5 ? 16 : roll < 0.9 ? Math.min(horizon, 2 ** 40) : Math.min(4 * horizon, 2 ** 40);
            const quantity = BigInt(rand.int(1, Math.max(1, reach)));
            let expected: ReturnType<typeof sdkQuote> | undefined;
            try {
              expected = sdkQuote(params, supply, quantity, networkFeeBps, BigInt(params.bountyFeeBps));
            } catch (err) {
              assert.ok(err instanceof RangeError);
            }
            if (expected === undefined) {
              // Where the sdk finds the arithmetic out of range, the contract reverts with an overflow panic.
              await assert.rejects(market.read.quote([id, quantity]), (e) => panicCode(e) === PANIC_ARITHMETIC);
              overflows++;
              continue;
            }
            const [price, networkFee, bountyFee, total] = await market.read.quote([id, quantity]);
            assert.deepEqual(
              { curvePrice: price, networkFee, bountyFee, total },
              expected,
              `content ${id} (curve ${curve}, base ${params.basePrice}, growth ${params.growth}) supply ${supply} quantity ${quantity}`,
            );
            points[curve]++;
          }
          assert.equal(await market.read.nextPrice([id]), nextPrice(curve, params.basePrice, params.growth, supply));
          // Move the supply by a random purchase the buyer can pay (2^200 wei), then compare again.
          const step = BigInt(rand.int(1, Math.max(1, Math.floor(Math.min(horizon, 2 ** 32) / (2 * ROUNDS)))));
          const cost = (() => {
            try {
              return sdkQuote(params, supply, step, networkFeeBps, BigInt(params.bountyFeeBps)).total;
            } catch {
              return undefined;
            }
          })();
          if (cost === undefined || cost > 2n ** 199n) continue;
          const hash = await market.write.buy([id, step, buyer.account.address, cost], { account: buyer.account, value: cost });
          const [event] = await publicClient.getContractEvents({
            address: market.address,
            abi: market.abi,
            eventName: "LicensesPurchased",
            blockHash: (await publicClient.getTransactionReceipt({ hash })).blockHash,
          });
          supply += step;
          assert.equal(event.args.newSupply, supply);
          assert.equal(event.args.nextPrice, curvePrice(curve, params.basePrice, params.growth, supply, 1n));
        }
      }
      console.log(
        `agreement: ${points[CurveKind.Linear]} linear + ${points[CurveKind.Exponential]} exponential points equal, ` +
          `${overflows} overflows agreed`,
      );
      assert.ok(points[CurveKind.Linear] >= 1_000, `linear points: ${points[CurveKind.Linear]}`);
      assert.ok(points[CurveKind.Exponential] >= 1_000, `exponential points: ${points[CurveKind.Exponential]}`);
      assert.ok(overflows > 0, "no point reached the overflow edge");
    });
  });
});
