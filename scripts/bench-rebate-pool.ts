/**
 * Gas of the RebatePool's hot paths, printed per operation:
 *  - a receipt in a batch of 20 (20 leechers of one content served by one seeder), first and follow-up receipts,
 *    and first receipts of 20 different contents (each content's record is then a cold read in the market);
 *  - a claim of the allowance balance plus one epoch share.
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
const [owner, publisher, buyer, seeder, latecomer] = await viem.getWalletClients();
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
// One more license, left unearned and swept, so the epoch claimed below has a pool.
await buy(market, buyer, contentId, latecomer.account.address);

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

const rows = [
  ["receipt in a batch of 20 (first receipt per leecher)", first / BigInt(BATCH), GAS_TARGET_RECEIPT],
  ["receipt in a batch of 20 (follow-up receipt)", followUp / BigInt(BATCH), GAS_TARGET_RECEIPT],
  ["receipt in a batch of 20 (first receipt, 20 different contents)", distinct / BigInt(BATCH), GAS_TARGET_RECEIPT],
  ["claim (balance + one epoch share)", claim, GAS_TARGET_CLAIM],
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
