/**
 * Gas benchmark of CheckpointEscrow redemptions: one voucher alone, and a batch of ten (one seeder, ten escrows),
 * each for a seeder's first voucher of an escrow (its record is created) and for a later one (its record grows).
 * Run: npx hardhat run scripts/escrow-gas.ts
 */
import { network } from "hardhat";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { CheckpointMode, FIRST_CHECKPOINT, amountFor, nextCheckpoint } from "@web3torrent/sdk/checkpointSchedule";
import { CONTENT_SIZE, deployEscrowSystem, signVoucher } from "../test/helpers/escrowSetup.ts";

const BATCH = 10;
const PRICE_PER_MIB = 10n ** 12n;

const { viem } = await network.create();
const { leecher, seederA, escrow, contentId, publicClient, chainId } = await deployEscrowSystem(viem);
const deposit = amountFor(CONTENT_SIZE, PRICE_PER_MIB);
/** Each escrow has its own session key, as each download does. */
const sessionKeys = new Map<bigint, ReturnType<typeof privateKeyToAccount>>();

async function openEscrow(): Promise<bigint> {
  const sessionKey = privateKeyToAccount(generatePrivateKey());
  const hash = await escrow.write.open(
    [contentId, CONTENT_SIZE, PRICE_PER_MIB, sessionKey.address, CheckpointMode.Exponential],
    {
      account: leecher.account,
      value: deposit,
    },
  );
  await publicClient.waitForTransactionReceipt({ hash });
  const escrowId = await escrow.read.escrowCount();
  sessionKeys.set(escrowId, sessionKey);
  return escrowId;
}

async function voucher(escrowId: bigint, cumulativeBytes: bigint) {
  const v = {
    escrowId,
    seeder: seederA.account.address,
    cumulativeBytes,
    cumulativeAmount: amountFor(cumulativeBytes, PRICE_PER_MIB),
  };
  return { v, sig: await signVoucher(sessionKeys.get(escrowId)!, chainId, escrow.address, v) };
}

async function gasOf(hash: `0x${string}`): Promise<bigint> {
  return (await publicClient.waitForTransactionReceipt({ hash })).gasUsed;
}

const second = nextCheckpoint(CheckpointMode.Exponential, FIRST_CHECKPOINT, CONTENT_SIZE);

// Single redemptions, submitted by the seeder.
const single = await openEscrow();
const first = await voucher(single, FIRST_CHECKPOINT);
const singleFirst = await gasOf(await escrow.write.redeem([first.v, first.sig], { account: seederA.account }));
const later = await voucher(single, second);
const singleLater = await gasOf(await escrow.write.redeem([later.v, later.sig], { account: seederA.account }));

// A batch over ten escrows, twice.
const ids: bigint[] = [];
for (let i = 0; i < BATCH; i++) ids.push(await openEscrow());
async function batchGas(bytes: bigint): Promise<bigint> {
  const signed = await Promise.all(ids.map((id) => voucher(id, bytes)));
  return gasOf(
    await escrow.write.redeemBatch([seederA.account.address, signed.map((s) => s.v), signed.map((s) => s.sig)], {
      account: seederA.account,
    }),
  );
}
const batchFirst = await batchGas(FIRST_CHECKPOINT);
const batchLater = await batchGas(second);

console.log("CheckpointEscrow gas (per transaction, 21000 base included)");
console.table([
  {
    operation: "redeem, seeder's first voucher of the escrow",
    gas: Number(singleFirst),
    perRedemption: Number(singleFirst),
  },
  { operation: "redeem, a later voucher", gas: Number(singleLater), perRedemption: Number(singleLater) },
  {
    operation: `redeemBatch of ${BATCH}, first vouchers`,
    gas: Number(batchFirst),
    perRedemption: Number(batchFirst) / BATCH,
  },
  {
    operation: `redeemBatch of ${BATCH}, later vouchers`,
    gas: Number(batchLater),
    perRedemption: Number(batchLater) / BATCH,
  },
]);
