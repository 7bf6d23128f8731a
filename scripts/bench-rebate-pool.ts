/**
 * Gas of the RebatePool's hot paths, printed per operation:
 *  - a receipt in a batch of 20 (20 leechers of one content served by one seeder), first and follow-up receipts,
 *    and first receipts of 20 different contents (each content's record is then a cold read in the market);
 *  - a claim of the allowance balance plus one epoch share, the share within its cap (this claim also finalises the
 *    epoch);
 *  - the worst claim: a share cut by its cap, so the part above the cap is written into an empty carry slot;
 *  - settling one seeder's share for it (anyone may), its share cut by its cap the same way.
 * Run: npx hardhat run scripts/bench-rebate-pool.ts
 */
import { network } from "hardhat";
import { parseEther } from "viem";
import {
  ALLOWANCE_EXPIRY,
  EPOCH_DURATION,
  LeecherSession,
  MAX_NETWORK_FEE_BPS,
  buy,
  newSessionKey,
  registerContent,
} from "../test/helpers/rebate.ts";

const BATCH = 20;
const SIZE = 100n * 1024n * 1024n;
const GAS_TARGET_RECEIPT = 55_000n;
const GAS_TARGET_CLAIM = 70_000n;

const { viem, networkHelpers } = await network.create();
const publicClient = await viem.getPublicClient();
const [owner, publisher, buyer, seeder, latecomer, latecomer2, latecomer3, seeder2, cappedSeeder, keeper] =
  await viem.getWalletClients();
const chainId = await publicClient.getChainId();

const pool = await viem.deployContract("RebatePool", [
  owner.account.address,
  Number(EPOCH_DURATION),
  Number(ALLOWANCE_EXPIRY),
]);
const market = await viem.deployContract("LicenseMarket", [
  owner.account.address,
  pool.address,
  MAX_NETWORK_FEE_BPS,
  "",
]);
await pool.write.bindLicenseMarket([market.address]);
const contentId = await registerContent(market, publisher, { size: SIZE, basePrice: parseEther("0.01") });

const expiry = BigInt(await networkHelpers.time.latest()) + 365n * 86_400n;
const sessions: LeecherSession[] = [];
for (let i = 0; i < BATCH; i++) {
  const wallet = newSessionKey();
  await buy(market, buyer, contentId, wallet.address);
  sessions.push(new LeecherSession(wallet, wallet.address, expiry, { chainId, pool: pool.address }));
}
// One leecher with a license of each of 20 contents.
const manyContents: Array<{ contentId: bigint; session: LeecherSession }> = [];
for (let i = 0; i < BATCH; i++) {
  const id = await registerContent(market, publisher, { size: SIZE, basePrice: parseEther("0.01") });
  const wallet = newSessionKey();
  await buy(market, buyer, id, wallet.address);
  manyContents.push({
    contentId: id,
    session: new LeecherSession(wallet, wallet.address, expiry, { chainId, pool: pool.address }),
  });
}
// More licenses, left unearned and swept, so the epochs claimed below have pools.
for (const late of [latecomer, latecomer2, latecomer3]) await buy(market, buyer, contentId, late.account.address);
// A cheap content: its allowance per byte is 1% of the main content's, so its seeder's share is cut by its cap.
const cheapId = await registerContent(market, publisher, { size: SIZE, basePrice: parseEther("0.0001") });
const cheapSessions: LeecherSession[] = [];
for (let i = 0; i < 2; i++) {
  const wallet = newSessionKey();
  await buy(market, buyer, cheapId, wallet.address);
  cheapSessions.push(new LeecherSession(wallet, wallet.address, expiry, { chainId, pool: pool.address }));
}

async function gasOf(hash: `0x${string}`) {
  return (await publicClient.waitForTransactionReceipt({ hash })).gasUsed;
}

async function batch(cumulativeBytes: bigint) {
  const s = seeder.account.address;
  const receipts = await Promise.all(sessions.map((session) => session.receipt(s, contentId, cumulativeBytes)));
  return gasOf(await pool.write.submitReceipts([s, receipts], { account: seeder.account }));
}

await networkHelpers.time.increase(ALLOWANCE_EXPIRY);
const epoch = await pool.read.currentEpoch();
await pool.write.sweep([latecomer.account.address, contentId]);
const first = await batch(10n * 1024n * 1024n);
const followUp = await batch(30n * 1024n * 1024n);
const s = seeder.account.address;
const distinct = await gasOf(
  await pool.write.submitReceipts(
    [
      s,
      await Promise.all(manyContents.map(({ contentId: id, session }) => session.receipt(s, id, 10n * 1024n * 1024n))),
    ],
    { account: seeder.account },
  ),
);
await networkHelpers.time.increase(EPOCH_DURATION);
const claim = await gasOf(await pool.write.claim([[epoch]], { account: seeder.account }));

/**
 * One epoch with a swept pool, seeder2 (its share within its cap: earned 70% of an allowance) and cappedSeeder (a
 * whole cheap content: earned 1% of an allowance, share cut). Returns the epoch.
 */
async function cappedEpoch(
  late: (typeof latecomer)["account"]["address"],
  leecher: LeecherSession,
  cheap: LeecherSession,
) {
  const e = await pool.read.currentEpoch();
  await pool.write.sweep([late, contentId]);
  const s2 = seeder2.account.address;
  const c = cappedSeeder.account.address;
  await pool.write.submitReceipts([s2, [await leecher.receipt(s2, contentId, SIZE)]]);
  await pool.write.submitReceipts([c, [await cheap.receipt(c, cheapId, SIZE)]]);
  await networkHelpers.time.increase(EPOCH_DURATION);
  // seeder2's claim finalises the epoch and cuts nothing: the rollover slot is left empty.
  await pool.write.claim([[e]], { account: seeder2.account });
  const [carry, hasActiveEpoch] = await pool.read.rollover();
  if (carry !== 0n || hasActiveEpoch) throw new Error("the rollover slot should be empty");
  return e;
}
const epoch2 = await cappedEpoch(latecomer2.account.address, sessions[0], cheapSessions[0]);
const cappedClaim = await gasOf(await pool.write.claim([[epoch2]], { account: cappedSeeder.account }));
const [rolled2] = await pool.read.rollover();
if (rolled2 === 0n) throw new Error("the capped claim should roll a part forward");
// Another epoch: the carry is taken by the next epoch with bytes, so empty it first the same way.
await networkHelpers.time.increase(EPOCH_DURATION);
await pool.write.submitReceipts([
  seeder2.account.address,
  [await sessions[1].receipt(seeder2.account.address, contentId, 1n)],
]);
await networkHelpers.time.increase(EPOCH_DURATION);
await pool.write.claim([[(await pool.read.currentEpoch()) - 1n]], { account: seeder2.account });
const epoch3 = await cappedEpoch(latecomer3.account.address, sessions[2], cheapSessions[1]);
const settle = await gasOf(
  await pool.write.settleEpochShares([epoch3, [cappedSeeder.account.address]], { account: keeper.account }),
);

const rows = [
  ["receipt in a batch of 20 (first receipt per leecher)", first / BigInt(BATCH), GAS_TARGET_RECEIPT],
  ["receipt in a batch of 20 (follow-up receipt)", followUp / BigInt(BATCH), GAS_TARGET_RECEIPT],
  ["receipt in a batch of 20 (first receipt, 20 different contents)", distinct / BigInt(BATCH), GAS_TARGET_RECEIPT],
  ["claim (balance + one epoch share, within its cap)", claim, GAS_TARGET_CLAIM],
  ["claim (balance + one epoch share cut by its cap, into an empty carry)", cappedClaim, GAS_TARGET_CLAIM],
  ["settleEpochShares (one seeder, share cut by its cap, into an empty carry)", settle, GAS_TARGET_CLAIM],
] as const;
console.log("RebatePool gas (transaction gas, 21k base included; per receipt = batch / 20)");
console.table(
  rows.map(([operation, gas, target]) => ({
    operation,
    gas: Number(gas),
    target: Number(target),
    within: gas <= target,
  })),
);
