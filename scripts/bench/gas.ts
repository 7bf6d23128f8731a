/**
 * Gas of each user operation, on Hardhat's in-process chain with the contracts deployed by the Ignition module.
 * Prints a table against the targets and rewrites gas-snapshot.json, so a change that costs gas shows in its diff.
 *
 *   npm run bench:gas [-- --json <file>]     (--json: also write the figures as JSON, see results.ts)
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { network } from "hardhat";
import { keccak256, parseEther, toHex, type Hex } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import {
  closeTypes,
  delegationTypes,
  escrowDomain,
  rebatePoolDomain,
  receiptTypes,
  usageTypes,
  voucherTypes,
  ws402Domain,
} from "../../sdk/src/eip712.ts";
import { CurveKind } from "../../sdk/src/bondingCurve.ts";
import { registrationCommitment } from "../../sdk/src/market.ts";
import Web3Torrent from "../../deploy/Web3Torrent.ts";
import { writeBenchResult } from "./results.ts";

const { values: args } = parseArgs({ options: { json: { type: "string" } } });

const MIB = 1n << 20n;
const EPOCH = 600n;
const EXPIRY = 3600n;

const { viem, ignition, networkHelpers } = await network.create();
const publicClient = await viem.getPublicClient();
const chainId = await publicClient.getChainId();
const [, publisher, seeder, provider, ...wallets] = await viem.getWalletClients();
const { licenseMarket, rebatePool, checkpointEscrow, ws402Deposits } = await ignition.deploy(Web3Torrent, {
  parameters: { Web3Torrent: { epochDuration: Number(EPOCH), allowanceExpiry: Number(EXPIRY) } },
});

const results: { operation: string; gas: bigint; target: bigint }[] = [];
async function gasOf(hash: Hex): Promise<bigint> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
  return receipt.gasUsed;
}
function record(operation: string, gas: bigint, target: bigint) {
  results.push({ operation, gas, target });
}

/**
 * Fresh keys, the same on every run: signatures and addresses in calldata, and so the gas, do not change between
 * runs, and gas-snapshot.json moves only when the contracts do.
 */
let keyCounter = 0;
const nextKey = () => keccak256(toHex(`web3torrent gas benchmark key ${keyCounter++}`));

/** A funded fresh account, so "first-time" operations pay for fresh storage as real users do. */
async function freshWallet(key: Hex = nextKey()) {
  const account = privateKeyToAccount(key);
  await networkHelpers.setBalance(account.address, parseEther("1000"));
  return viem.getWalletClient(account.address, { account });
}

// --- LicenseMarket
const SIZE = 200n * MIB;
let contentCounter = 0;
const SALT = keccak256(toHex("bench salt"));
/** Commit, a clock jump over the market's minimum commitment age, reveal: both transactions' hashes. */
async function registerContent(by = publisher): Promise<{ contentId: bigint; hash: Hex; commitHash: Hex }> {
  contentCounter++;
  const infohash = keccak256(toHex(`bench content ${contentCounter}`));
  const commitHash = await licenseMarket.write.commit([registrationCommitment(infohash, by.account.address, SALT)], {
    account: by.account,
  });
  await networkHelpers.time.increase(await licenseMarket.read.minCommitmentAge());
  const hash = await licenseMarket.write.registerContent(
    [
      {
        infohash,
        size: SIZE,
        payout: by.account.address,
        basePrice: parseEther("0.01"),
        curve: CurveKind.Linear,
        growth: parseEther("0.0001"),
        maxSupply: 0n,
        bountyFeeBps: 500,
        transferable: false,
        metadataURI: "ipfs://bench",
      },
      SALT,
    ],
    { account: by.account },
  );
  return { contentId: await licenseMarket.read.contentCount(), hash, commitHash };
}
async function buy(contentId: bigint, quantity: bigint, buyer: Awaited<ReturnType<typeof viem.getWalletClient>>) {
  const [, , , total] = await licenseMarket.read.quote([contentId, quantity]);
  return licenseMarket.write.buy([contentId, quantity, buyer.account.address, total], {
    account: buyer.account,
    value: total,
  });
}

const { contentId } = await registerContent();
await buy(contentId, 1n, wallets[0]); // the rows below buy a content that has sold; a first sale is measured after
record("LicenseMarket.buy 1 license (first-time buyer)", await gasOf(await buy(contentId, 1n, await freshWallet())), 120_000n);
record("LicenseMarket.buy 10 licenses", await gasOf(await buy(contentId, 10n, await freshWallet())), 0n);
{
  // The sales that touch a payout address's proceeds when nothing is owed to it: a new publisher's first sale, and
  // the first sale after it withdrew. The buyer pays these, so they are held to the same target. Own keys, so the
  // accounts of the rows below stay the same.
  const key = (label: string) => keccak256(toHex(`web3torrent gas benchmark ${label}`));
  const newPublisher = await freshWallet(key("new publisher"));
  const registration = await registerContent(newPublisher);
  const newContentId = registration.contentId;
  record("LicenseMarket.commit (step 1 of a registration)", await gasOf(registration.commitHash), 0n);
  record("LicenseMarket.registerContent (a publisher's first content)", await gasOf(registration.hash), 0n);
  const firstSale = await buy(newContentId, 1n, await freshWallet(key("buyer of a new publisher's first sale")));
  record("LicenseMarket.buy 1 license (first-time buyer, publisher's first sale)", await gasOf(firstSale), 120_000n);
  const withdrawal = await licenseMarket.write.withdrawProceeds({ account: newPublisher.account });
  record("LicenseMarket.withdrawProceeds", await gasOf(withdrawal), 0n);
  const afterWithdrawal = await buy(newContentId, 1n, await freshWallet(key("buyer after the publisher withdrew")));
  record("LicenseMarket.buy 1 license (first-time buyer, first sale after a withdrawal)", await gasOf(afterWithdrawal), 120_000n);
}

// --- CheckpointEscrow: vouchers signed by session keys
const PRICE_PER_MIB = parseEther("0.0001");
async function openEscrow() {
  const leecher = await freshWallet();
  await buy(contentId, 1n, leecher);
  const sessionKey = privateKeyToAccount(nextKey());
  const deposit = (SIZE * PRICE_PER_MIB) / MIB;
  await checkpointEscrow.write.open([contentId, SIZE, PRICE_PER_MIB, sessionKey.address, 0], {
    account: leecher.account,
    value: deposit,
  });
  const escrowId = await checkpointEscrow.read.escrowCount();
  return { escrowId, sessionKey };
}
async function voucherFor(escrowId: bigint, sessionKey: ReturnType<typeof privateKeyToAccount>, bytes: bigint) {
  const voucher = { escrowId, seeder: seeder.account.address, cumulativeBytes: bytes, cumulativeAmount: (bytes * PRICE_PER_MIB) / MIB };
  const signature = await sessionKey.signTypedData({
    domain: escrowDomain(chainId, checkpointEscrow.address),
    types: voucherTypes,
    primaryType: "Voucher",
    message: voucher,
  });
  return { voucher, signature };
}
{
  const { escrowId, sessionKey } = await openEscrow();
  const first = await voucherFor(escrowId, sessionKey, 10n * MIB);
  const redeem = async ({ voucher, signature }: typeof first) =>
    gasOf(await checkpointEscrow.write.redeem([voucher, signature], { account: seeder.account }));
  record("CheckpointEscrow.redeem (a seeder's first voucher of an escrow)", await redeem(first), 75_000n);
  record("CheckpointEscrow.redeem (a later voucher)", await redeem(await voucherFor(escrowId, sessionKey, 30n * MIB)), 75_000n);
}
{
  // What a seeder pays at each checkpoint below the end (issue 13): the first reservation of an escrow writes a fresh
  // slot (the escrow's reserved total), later ones pay from and replace the seeder's reservation.
  const { escrowId, sessionKey } = await openEscrow();
  const redeemAndReserve = async ({ voucher, signature }: Awaited<ReturnType<typeof voucherFor>>) =>
    gasOf(await checkpointEscrow.write.redeemAndReserve([voucher, signature], { account: seeder.account }));
  record(
    "CheckpointEscrow.redeemAndReserve (a seeder's first voucher of an escrow)",
    await redeemAndReserve(await voucherFor(escrowId, sessionKey, 10n * MIB)),
    0n,
  );
  record(
    "CheckpointEscrow.redeemAndReserve (a later voucher)",
    await redeemAndReserve(await voucherFor(escrowId, sessionKey, 30n * MIB)),
    0n,
  );
}
{
  const signed = [];
  for (let i = 0; i < 10; i++) {
    const { escrowId, sessionKey } = await openEscrow();
    signed.push(await voucherFor(escrowId, sessionKey, 10n * MIB));
  }
  const gas = await gasOf(
    await checkpointEscrow.write.redeemBatch([seeder.account.address, signed.map((s) => s.voucher), signed.map((s) => s.signature)], {
      account: seeder.account,
    }),
  );
  record("CheckpointEscrow.redeemBatch of 10 (per voucher)", gas / 10n, 45_000n);
}

// --- One download cycle, one seeder: open -> paid -> refunded, gas summed over every party and the leecher's
// wallet prompts (transactions and signatures of its wallet; the daily Delegation is counted apart).
{
  const leecher = await freshWallet();
  await buy(contentId, 1n, leecher);
  const sessionKey = privateKeyToAccount(nextKey());
  const deposit = (SIZE * PRICE_PER_MIB) / MIB;
  let gas = 0n;
  let prompts = 0;
  const leecherTx = async (hash: Hex) => {
    prompts++;
    gas += await gasOf(hash);
  };
  await leecherTx(
    await checkpointEscrow.write.open([contentId, SIZE, PRICE_PER_MIB, sessionKey.address, 0], {
      account: leecher.account,
      value: deposit,
    }),
  );
  const escrowId = await checkpointEscrow.read.escrowCount();
  const first = await voucherFor(escrowId, sessionKey, 10n * MIB);
  gas += await gasOf(await checkpointEscrow.write.redeem([first.voucher, first.signature], { account: seeder.account }));
  const last = await voucherFor(escrowId, sessionKey, 50n * MIB);
  // The session key closes (no prompt); the seeder redeems its last voucher, closes, waives and refunds at once.
  const close = await sessionKey.signTypedData({
    domain: escrowDomain(chainId, checkpointEscrow.address),
    types: closeTypes,
    primaryType: "Close",
    message: { escrowId },
  });
  gas += await gasOf(await checkpointEscrow.write.settleClose([last.voucher, last.signature, close], { account: seeder.account }));
  if ((await checkpointEscrow.read.escrow([escrowId])).status !== 3) throw new Error("the cycle did not end refunded");
  // Target: below the cycle before the signed Close (open, redeem, close, redeem, waiveChallenge, refund: 395,419).
  record("Download cycle, one seeder: gas of every party (open -> paid -> refunded)", gas, 395_419n);
  record("Download cycle: leecher wallet prompts besides the daily Delegation", BigInt(prompts), 1n);
}

// --- RebatePool: receipts from 20 leechers to one seeder, then a claim
{
  // A fixed expiry (2100-01-01), not "now + 30 days": block times differ between runs, and so would the calldata.
  const delegationExpiry = 4_102_444_800n;
  const domain = rebatePoolDomain(chainId, rebatePool.address);
  const leechers: { leecher: PrivateKeyAccount; sessionKey: PrivateKeyAccount; delegationSig: Hex }[] = [];
  for (let i = 0; i < 20; i++) {
    const leecher = privateKeyToAccount(nextKey());
    await networkHelpers.setBalance(leecher.address, parseEther("1000"));
    await buy(contentId, 1n, await viem.getWalletClient(leecher.address, { account: leecher }));
    const sessionKey = privateKeyToAccount(nextKey());
    const delegationSig = await leecher.signTypedData({
      domain,
      types: delegationTypes,
      primaryType: "Delegation",
      message: { wallet: leecher.address, sessionKey: sessionKey.address, expiry: delegationExpiry },
    });
    leechers.push({ leecher, sessionKey, delegationSig });
  }
  const receiptFrom = async ({ leecher, sessionKey, delegationSig }: (typeof leechers)[number], cumulativeBytes: bigint) => ({
    leecher: leecher.address,
    contentId,
    cumulativeBytes,
    sessionKey: sessionKey.address,
    delegationExpiry,
    delegationSig,
    receiptSig: await sessionKey.signTypedData({
      domain,
      types: receiptTypes,
      primaryType: "Receipt",
      message: { leecher: leecher.address, seeder: seeder.account.address, contentId, cumulativeBytes },
    }),
  });
  const batch = await Promise.all(leechers.map((l) => receiptFrom(l, 50n * MIB)));
  const gas = await gasOf(await rebatePool.write.submitReceipts([seeder.account.address, batch], { account: seeder.account }));
  record("RebatePool.submitReceipts of 20 (per receipt)", gas / 20n, 55_000n);

  // An expired allowance swept into an epoch in which the seeder earns from receipts; the epoch ends; claim.
  await networkHelpers.time.increase(EXPIRY);
  await rebatePool.write.sweep([wallets[0].account.address, contentId]);
  await rebatePool.write.submitReceipts([seeder.account.address, [await receiptFrom(leechers[0], 60n * MIB)]], {
    account: seeder.account,
  });
  const epoch = await rebatePool.read.currentEpoch();
  await networkHelpers.time.increase(EPOCH);
  record("RebatePool.claim (one epoch)", await gasOf(await rebatePool.write.claim([[epoch]], { account: seeder.account })), 70_000n);
}

// --- WS402Deposits
{
  await ws402Deposits.write.registerResource([parseEther("0.00001"), provider.account.address, "ipfs://pdf"], {
    account: provider.account,
  });
  const resourceId = 1n;
  const user = await freshWallet();
  const sessionKey = privateKeyToAccount(nextKey());
  const maxSeconds = 600;
  const deposit = await ws402Deposits.read.depositFor([resourceId, maxSeconds]);
  record(
    "WS402Deposits.open",
    await gasOf(await ws402Deposits.write.open([resourceId, maxSeconds, sessionKey.address], { account: user.account, value: deposit })),
    130_000n,
  );
  const sessionId = 1n;
  const signature = await sessionKey.signTypedData({
    domain: ws402Domain(chainId, ws402Deposits.address),
    types: usageTypes,
    primaryType: "Usage",
    message: { sessionId, elapsedSeconds: 42n },
  });
  record(
    "WS402Deposits.settle",
    await gasOf(await ws402Deposits.write.settle([sessionId, 42n, signature], { account: provider.account })),
    70_000n,
  );
}

const rows = results.map(({ operation, gas, target }) => ({
  operation,
  gas: Number(gas),
  target: target === 0n ? "" : `≤ ${Number(target).toLocaleString("en")}`,
  met: target === 0n ? "" : gas <= target ? "yes" : "NO",
}));
console.table(rows);
const snapshot = Object.fromEntries(results.map(({ operation, gas }) => [operation, Number(gas)]));
writeFileSync(join(dirname(fileURLToPath(import.meta.url)), "../../gas-snapshot.json"), JSON.stringify(snapshot, null, 2) + "\n");
writeBenchResult(args.json, {
  bench: "gas",
  options: {},
  figures: results.map(({ operation, gas, target }) => ({
    name: operation,
    value: Number(gas),
    unit: "gas",
    ...(target === 0n ? {} : { target: { op: "<=" as const, value: Number(target) } }),
  })),
});
if (rows.some((r) => r.met === "NO")) process.exitCode = 1;
