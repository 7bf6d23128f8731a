/**
 * Shared set-up of the WS402Deposits test files (`test/WS402Deposits.*.test.ts`): one network connection, the
 * constants and the fixtures they all use.
 */
import assert from "node:assert/strict";
import { network } from "hardhat";
import { keccak256, parseGwei, toHex } from "viem";
import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { PrivateKeyAccount } from "viem/accounts";
import { usageTypes, ws402Domain } from "@web3torrent/sdk/eip712";

export const { viem, networkHelpers } = await network.create();
export const { loadFixture, time } = networkHelpers;
export const publicClient = await viem.getPublicClient();
export const chainId = await publicClient.getChainId();

// The seed's PDF example, at a realistic price: 5 gwei per second, up to 10 minutes.
export const PRICE = parseGwei("5");
export const MAX_SECONDS = 600;
export const DEPOSIT = PRICE * BigInt(MAX_SECONDS);
export const GRACE = 60;
export const METADATA = "ipfs://bafy-pdf-report-2024";
export const RESOURCE_ID = 1n;
export const SESSION_ID = 1n;

// SessionStatus enum values.
export const NONE = 0;
export const OPEN = 1;
export const SETTLED = 2;
export const RECLAIMED = 3;

// How the test contracts behave (TestUserAccount.ReceiveMode, TestReentrantProvider.Attack).
export const ReceiveMode = { Accept: 0, Revert: 1, BurnGas: 2 } as const;
export const Attack = { None: 0, Settle: 1, Withdraw: 2 } as const;

/** The gas the EVM adds to every call that carries value. */
export const EVM_CALL_STIPEND = 2_300n;

// Gas targets from the design.
export const OPEN_GAS_TARGET = 130_000n;
export const SETTLE_GAS_TARGET = 70_000n;

/** Ephemeral browser keys: the session key that signs receipts and a key that has nothing to do with the session. */
export const sessionKey = privateKeyToAccount(keccak256(toHex("w3t test: ws402 session key")));
export const wrongKey = privateKeyToAccount(keccak256(toHex("w3t test: unrelated key")));

export type Deposits = Awaited<ReturnType<typeof viem.deployContract<"WS402Deposits">>>;

/** The session key's receipt: "session `sessionId` has been used for `elapsedSeconds` in total". */
export function signUsage(
  key: PrivateKeyAccount,
  verifyingContract: Address,
  sessionId: bigint,
  elapsedSeconds: bigint,
  signingChainId: number = chainId,
): Promise<Hex> {
  return key.signTypedData({
    domain: ws402Domain(signingChainId, verifyingContract),
    types: usageTypes,
    primaryType: "Usage",
    message: { sessionId, elapsedSeconds },
  });
}

/** The provider settles session 1 for `seconds` with a receipt `sessionKey` signed for them; returns the pending hash. */
export async function settleSigned({ deposits, provider }: Pick<Deployed, "deposits" | "provider">, seconds: bigint): Promise<Hex> {
  const signature = await signUsage(sessionKey, deposits.address, SESSION_ID, seconds);
  return deposits.write.settle([SESSION_ID, seconds, signature], { account: provider.account });
}

export async function gasUsed(hash: Hex | Promise<Hex>): Promise<bigint> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
  return receipt.gasUsed;
}

export async function blockTimestampOf(hash: Hex): Promise<bigint> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  const block = await publicClient.getBlock({ blockNumber: receipt.blockNumber });
  return block.timestamp;
}

export async function deployFixture() {
  const [owner, provider, payout, user, stranger] = await viem.getWalletClients();
  const deposits = await viem.deployContract("WS402Deposits", [owner.account.address, GRACE]);
  return { deposits, owner, provider, payout, user, stranger };
}

/** A provider has registered the PDF (resource 1), paid out to a separate payout address. */
export async function resourceFixture() {
  const f = await deployFixture();
  await f.deposits.write.registerResource([PRICE, f.payout.account.address, METADATA], {
    account: f.provider.account,
  });
  return f;
}

/** A user has opened session 1 on resource 1 for 600 s with `sessionKey`. */
export async function sessionFixture() {
  const f = await resourceFixture();
  await f.deposits.write.open([RESOURCE_ID, MAX_SECONDS, sessionKey.address], {
    account: f.user.account,
    value: DEPOSIT,
  });
  return f;
}

/** Session 1 with its close requested; `deadline` is when the grace period ends. */
export async function closeRequestedFixture() {
  const f = await sessionFixture();
  const hash = await f.deposits.write.requestClose([SESSION_ID], { account: f.user.account });
  const deadline = (await blockTimestampOf(hash)) + BigInt(GRACE);
  return { ...f, deadline };
}

/** A contract account (can be told to refuse ETH) that has opened session 1. */
export async function contractUserFixture() {
  const f = await resourceFixture();
  const account = await viem.deployContract("TestUserAccount", [f.deposits.address]);
  await account.write.open([RESOURCE_ID, MAX_SECONDS, sessionKey.address], {
    account: f.user.account,
    value: DEPOSIT,
  });
  return { ...f, account };
}

/** A hostile provider, its own payout address, whose resource 1 has session 1 opened by an honest user. */
export async function reentrantProviderFixture() {
  const f = await deployFixture();
  const attacker = await viem.deployContract("TestReentrantProvider", [f.deposits.address]);
  await attacker.write.register([PRICE]);
  await f.deposits.write.open([RESOURCE_ID, MAX_SECONDS, sessionKey.address], {
    account: f.user.account,
    value: DEPOSIT,
  });
  return { ...f, attacker };
}

type Deployed = Awaited<ReturnType<typeof deployFixture>>;

export async function assertSessionStatus(deposits: Deposits, sessionId: bigint, status: number) {
  assert.equal((await deposits.read.session([sessionId])).status, status);
}

/** `call` reverts with SessionNotOpen(sessionId, status): the session was never opened, or is settled or reclaimed. */
export async function assertNotOpen(call: Promise<Hex>, deposits: Deposits, sessionId: bigint, status: number) {
  await viem.assertions.revertWithCustomErrorWithArgs(call, deposits, "SessionNotOpen", [sessionId, status]);
}
