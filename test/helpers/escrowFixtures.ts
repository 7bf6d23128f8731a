/**
 * Shared set-up of the CheckpointEscrow test files (`test/CheckpointEscrow.*.test.ts`): one network connection, the
 * constants and the fixtures they all use.
 */
import { network } from "hardhat";
import { toFunctionSelector, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount, type LocalAccount } from "viem/accounts";
import { type Voucher } from "@web3torrent/sdk/eip712";
import { CheckpointMode, FIRST_CHECKPOINT, amountFor } from "@web3torrent/sdk/checkpointSchedule";
import { CHALLENGE_WINDOW, CONTENT_SIZE, deployEscrowSystem, signVoucher } from "./escrowSetup.ts";

export const { viem, networkHelpers } = await network.create();
export const { loadFixture, time } = networkHelpers;

export const EXPONENTIAL = CheckpointMode.Exponential;
export const UPFRONT = CheckpointMode.Upfront;
export const STATUS = { None: 0, Open: 1, Closing: 2, Closed: 3 } as const;
export const PRICE = 10n ** 12n; // wei per MiB
export const MAX_BYTES = CONTENT_SIZE;
export const DEPOSIT = amountFor(MAX_BYTES, PRICE);
export const MIB_10 = FIRST_CHECKPOINT;
export const MIB_30 = 3n * FIRST_CHECKPOINT;
export const MIB_70 = 7n * FIRST_CHECKPOINT;
export const MAX_PRICE_PER_MIB = (1n << 96n) - 1n;
export const MIN_CHALLENGE_WINDOW = 60;
export const MAX_CHALLENGE_WINDOW = 7 * 24 * 60 * 60;
export const MIN_IDLE_EXPIRY = 24 * 60 * 60;
export const MAX_IDLE_EXPIRY = 365 * 24 * 60 * 60;
export const REENTRANCY_ERROR_SELECTOR = toFunctionSelector("ReentrancyGuardReentrantCall()");
export const ATTACK = { None: 0, Redeem: 1, Refund: 2, Reject: 3 } as const;
/** CheckpointEscrow.SkipReason: why a batch passed over a voucher. */
export const SKIP = { NotNewer: 0, NotRedeemable: 1, DepositExhausted: 2 } as const;
export const SINGLE_REDEMPTION_GAS_TARGET = 75_000n;
export const BATCH_REDEMPTION_GAS_TARGET = 45_000n;
export const BATCH_SIZE = 10;
/** The order of secp256k1: `n - s` is the malleable twin of a signature's s. */
export const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** The download's session key (fixed for the fixtures), and a key the escrow does not know. */
export const sessionKey = privateKeyToAccount(generatePrivateKey());
export const strangerKey = privateKeyToAccount(generatePrivateKey());

export async function deployed() {
  return deployEscrowSystem(viem);
}

/** Escrow 1: the leecher's exponential download of the whole content, deposit exactly its price. */
export async function opened() {
  const system = await deployEscrowSystem(viem);
  await openEscrow(system);
  return { ...system, escrowId: 1n };
}

/** Escrows 1 and 2 of the same leecher and content, alike but for their keys: `sessionKey` signs 1, `strangerKey` 2. */
export async function twoOpened() {
  const system = await opened();
  await openEscrow(system, { key: strangerKey.address });
  return system;
}

export type System = Awaited<ReturnType<typeof deployed>>;

/** What an `open` call may change from escrow 1's; `from` is the caller (the leecher unless said). */
export type OpenOptions = {
  contentId?: bigint;
  maxBytes?: bigint;
  price?: bigint;
  key?: Address;
  mode?: CheckpointMode;
  from?: System["leecher"];
  value?: bigint;
};

/** Sends `open` with escrow 1's arguments but for `o`, so a test names only what it changes. */
export function openEscrow(system: System, o: OpenOptions = {}) {
  return system.escrow.write.open(
    [o.contentId ?? system.contentId, o.maxBytes ?? MAX_BYTES, o.price ?? PRICE, o.key ?? sessionKey.address, o.mode ?? EXPONENTIAL],
    { account: (o.from ?? system.leecher).account, value: o.value ?? DEPOSIT },
  );
}

export async function signed(
  system: System,
  fields: { seeder: Address; cumulativeBytes: bigint; cumulativeAmount?: bigint; escrowId?: bigint },
  key: LocalAccount = sessionKey,
): Promise<{ v: Voucher; sig: Hex }> {
  const v: Voucher = {
    escrowId: fields.escrowId ?? 1n,
    seeder: fields.seeder,
    cumulativeBytes: fields.cumulativeBytes,
    cumulativeAmount: fields.cumulativeAmount ?? amountFor(fields.cumulativeBytes, PRICE),
  };
  return { v, sig: await signVoucher(key, system.chainId, system.escrow.address, v) };
}

export async function closeAndWait(system: System, escrowId = 1n) {
  await system.escrow.write.close([escrowId], { account: system.leecher.account });
  await time.increase(CHALLENGE_WINDOW);
}
