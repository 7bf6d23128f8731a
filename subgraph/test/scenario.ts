/**
 * A scripted use of every contract on a real chain (the devchain, local deployment parameters: 600 s epochs,
 * allowances expiring after 3600 s, a 120 s challenge window, a 60 s grace period), touching every event the
 * subgraph handles: contents of both curve kinds, purchases by several accounts (a gift, an overpayment, a
 * transfer), proceeds withdrawn, escrows paid by vouchers (single and batched) and releases, reservations of the
 * next interval (one paid out, one refunded), cooperative and timed-out closes and refunds, WS402 sessions settled
 * (one refund deferred, then withdrawn) and reclaimed, rebate receipts in two epochs that both get a pool from
 * sweeps, claims across both epochs (capped shares) and a settlement. Single and batched license transfers.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import {
  type Abi,
  type Address,
  type Hex,
  type PublicClient,
  createPublicClient,
  createWalletClient,
  http,
  keccak256,
  parseEther,
  toHex,
} from "viem";
import { type PrivateKeyAccount, generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { DevChain } from "@web3torrent/devchain";
import { chainFor } from "@web3torrent/sdk/chain";
import { CheckpointMode, MIB, amountFor } from "@web3torrent/sdk/checkpointSchedule";
import { CurveKind } from "@web3torrent/sdk/bondingCurve";
import { registerContent, type ContentRegistration } from "@web3torrent/sdk/market";
import {
  delegationTypes,
  escrowDomain,
  rebatePoolDomain,
  receiptTypes,
  usageTypes,
  voucherTypes,
  ws402Domain,
} from "@web3torrent/sdk/eip712";
import { checkpointEscrowAbi, licenseMarketAbi, rebatePoolAbi, ws402DepositsAbi } from "@web3torrent/sdk/generated/contracts";

const require = createRequire(import.meta.url);

export const EPOCH_DURATION = 600;
export const ALLOWANCE_EXPIRY = 3600;
export const CHALLENGE_WINDOW = 120;
export const GRACE_PERIOD = 60;

export interface Actors {
  owner: PrivateKeyAccount;
  publisherA: PrivateKeyAccount;
  publisherB: PrivateKeyAccount;
  leecher1: PrivateKeyAccount;
  leecher2: PrivateKeyAccount;
  leecher3: PrivateKeyAccount;
  seeder1: PrivateKeyAccount;
  seeder2: PrivateKeyAccount;
  provider: PrivateKeyAccount;
  user: PrivateKeyAccount;
}

/** Sends transactions as the devchain's funded accounts and waits for each to be mined. */
export class ChainDriver {
  readonly chain: DevChain;
  readonly client: PublicClient;
  readonly actors: Actors;
  private readonly viemChain;

  constructor(chain: DevChain) {
    this.chain = chain;
    this.viemChain = chainFor(chain.rpcUrl, chain.chainId, { name: "devchain" });
    this.client = createPublicClient({ chain: this.viemChain, transport: http(chain.rpcUrl) }) as PublicClient;
    const [owner, publisherA, publisherB, leecher1, leecher2, leecher3, seeder1, seeder2, provider, user] = chain.accounts.map((a) =>
      privateKeyToAccount(a.privateKey),
    );
    this.actors = { owner, publisherA, publisherB, leecher1, leecher2, leecher3, seeder1, seeder2, provider, user };
  }

  async send(
    account: PrivateKeyAccount,
    address: Address,
    abi: Abi,
    functionName: string,
    args: readonly unknown[] = [],
    value?: bigint,
  ): Promise<{ blockNumber: bigint; hash: Hex }> {
    const wallet = createWalletClient({ account, chain: this.viemChain, transport: http(this.chain.rpcUrl) });
    const hash = await wallet.writeContract({ address, abi, functionName, args, value } as never);
    const receipt = await this.client.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${functionName} reverted`);
    return { blockNumber: receipt.blockNumber, hash };
  }

  /** Registers a content from `account` in the market's two steps (commit, wait, reveal); returns its id. */
  async registerContent(account: PrivateKeyAccount, params: ContentRegistration): Promise<bigint> {
    const wallet = createWalletClient({ account, chain: this.viemChain, transport: http(this.chain.rpcUrl) });
    return registerContent(this.client, wallet, account, this.chain.contracts.LicenseMarket, params);
  }

  async deploy(account: PrivateKeyAccount, artifact: string, args: readonly unknown[]): Promise<Address> {
    const { abi, bytecode } = JSON.parse(readFileSync(require.resolve(`../../artifacts/contracts/${artifact}`), "utf8"));
    const wallet = createWalletClient({ account, chain: this.viemChain, transport: http(this.chain.rpcUrl) });
    const hash = await wallet.deployContract({ abi, bytecode, args } as never);
    const receipt = await this.client.waitForTransactionReceipt({ hash });
    return receipt.contractAddress!;
  }

  async read<T>(address: Address, abi: Abi, functionName: string, args: readonly unknown[] = [], blockNumber?: bigint): Promise<T> {
    return (await this.client.readContract({ address, abi, functionName, args, blockNumber } as never)) as T;
  }

  async blockNumber(): Promise<bigint> {
    return this.client.getBlockNumber({ cacheTime: 0 });
  }
}

export interface ScenarioResult {
  contentIds: bigint[];
  escrowIds: bigint[];
  sessionIds: bigint[];
  resourceIds: bigint[];
  /** Epochs with credited bytes, in order. */
  epochs: bigint[];
  /** Every (licensee, content) that was funded. */
  licenses: { licensee: Address; contentId: bigint }[];
  /** Every (leecher, seeder, content) credited. */
  receiptLines: { leecher: Address; seeder: Address; contentId: bigint }[];
  /** (escrow, seeder) pairs paid. */
  escrowSeeders: { escrowId: bigint; seeder: Address }[];
  /** Every account that took part. */
  accounts: Address[];
  /** The contract account whose WS402 refund was deferred. */
  userContract: Address;
  /** A block in the middle of the scenario, with the supply of content 1 then. */
  midBlock: bigint;
}

/** Runs the scenario; returns what the checks need to read back. */
export async function runScenario(driver: ChainDriver): Promise<ScenarioResult> {
  const { chain, actors } = driver;
  const { LicenseMarket: market, CheckpointEscrow: escrow, WS402Deposits: deposits, RebatePool: pool } = chain.contracts;
  const m = licenseMarketAbi as Abi;
  const e = checkpointEscrowAbi as Abi;
  const w = ws402DepositsAbi as Abi;
  const r = rebatePoolAbi as Abi;

  // ------------------------------------------------------------------------------------------ contents
  await driver.registerContent(actors.publisherA, {
    infohash: keccak256(toHex("scenario: linear content")),
    size: 200n * MIB,
    payout: actors.publisherA.address,
    basePrice: parseEther("0.01"),
    curve: CurveKind.Linear,
    growth: parseEther("0.001"),
    maxSupply: 0n,
    bountyFeeBps: 500,
    transferable: true,
    metadataURI: "ipfs://linear-content",
  });
  await driver.registerContent(actors.publisherB, {
    infohash: keccak256(toHex("scenario: exponential content")),
    size: 50n * MIB,
    payout: actors.publisherB.address,
    basePrice: parseEther("0.02"),
    curve: CurveKind.Exponential,
    growth: 1000n,
    maxSupply: 6n,
    bountyFeeBps: 1000,
    transferable: false,
    metadataURI: "ipfs://exponential-content",
  });

  // ------------------------------------------------------------------------------------------ purchases
  const buy = async (buyer: PrivateKeyAccount, contentId: bigint, quantity: bigint, recipient = buyer.address, extra = 0n) => {
    const [, , , total] = await driver.read<[bigint, bigint, bigint, bigint]>(market, m, "quote", [contentId, quantity]);
    await driver.send(buyer, market, m, "buy", [contentId, quantity, recipient, total], total + extra);
  };
  await buy(actors.leecher1, 1n, 2n);
  await buy(actors.leecher2, 1n, 1n);
  const midBlock = await driver.blockNumber();
  await buy(actors.leecher3, 2n, 1n);
  await buy(actors.leecher1, 2n, 2n);
  await buy(actors.leecher2, 2n, 1n, actors.seeder1.address); // a gift
  await buy(actors.leecher3, 1n, 1n, actors.leecher3.address, parseEther("0.5")); // overpaid, refunded
  // Admin changes: a new network fee, and a pause that stops nothing already bought.
  await driver.send(actors.owner, market, m, "setNetworkFee", [300]);
  await driver.send(actors.owner, market, m, "pause");
  await driver.send(actors.owner, market, m, "unpause");
  await buy(actors.leecher3, 2n, 2n); // the last two: content 2 is sold out
  // A transferable license changes hands; the allowance stays with the buyer.
  await driver.send(actors.leecher1, market, m, "safeTransferFrom", [actors.leecher1.address, actors.leecher3.address, 1n, 1n, "0x"]);
  // A batch transfer (TransferBatch, array parameters), with an entry that moves nothing.
  await driver.send(actors.leecher3, market, m, "safeBatchTransferFrom", [
    actors.leecher3.address,
    actors.leecher2.address,
    [1n, 1n],
    [1n, 0n],
    "0x",
  ]);
  await driver.send(actors.publisherA, market, m, "withdrawProceeds");

  // ------------------------------------------------------------------------------------------ escrows
  const sessionKey1 = privateKeyToAccount(generatePrivateKey());
  const price = 10n ** 12n;
  await driver.send(
    actors.leecher1,
    escrow,
    e,
    "open",
    [1n, 100n * MIB, price, sessionKey1.address, CheckpointMode.Exponential],
    amountFor(100n * MIB, price),
  );
  const escrow1 = 1n;
  const voucher = async (escrowId: bigint, seeder: Address, bytes: bigint) => {
    const message = { escrowId, seeder, cumulativeBytes: bytes, cumulativeAmount: amountFor(bytes, price) };
    const signature = await sessionKey1.signTypedData({
      domain: escrowDomain(chain.chainId, escrow),
      types: voucherTypes,
      primaryType: "Voucher",
      message,
    });
    return { message, signature };
  };
  const v1 = await voucher(escrow1, actors.seeder1.address, 10n * MIB);
  // Reserves seeder 1's next interval (10 to 30 MiB), which pays its 30 MiB voucher below.
  await driver.send(actors.seeder1, escrow, e, "redeemAndReserve", [v1.message, v1.signature]);
  const v2 = await voucher(escrow1, actors.seeder2.address, 30n * MIB);
  await driver.send(actors.owner, escrow, e, "redeem", [v2.message, v2.signature]); // anyone may submit
  const v3 = await voucher(escrow1, actors.seeder1.address, 30n * MIB);
  await driver.send(actors.seeder1, escrow, e, "redeemBatch", [actors.seeder1.address, [v3.message], [v3.signature]]);
  await driver.send(actors.leecher1, escrow, e, "release", [escrow1, actors.seeder2.address, 70n * MIB, price]);
  await driver.send(actors.leecher1, escrow, e, "close", [escrow1]);
  await driver.send(actors.owner, escrow, e, "setChallengeWindow", [60]);
  await driver.send(actors.owner, escrow, e, "setIdleExpiry", [2 * 86_400]);
  await driver.send(actors.owner, escrow, e, "pause");
  await driver.send(actors.owner, escrow, e, "unpause");
  await driver.send(actors.seeder1, escrow, e, "waiveChallenge", [escrow1]);
  await driver.send(actors.seeder2, escrow, e, "waiveChallenge", [escrow1]);
  await driver.send(actors.owner, escrow, e, "refund", [escrow1]); // cooperative: every paid seeder waived

  await driver.send(
    actors.leecher2,
    escrow,
    e,
    "open",
    [1n, 10n * MIB, price, sessionKey1.address, CheckpointMode.Upfront],
    amountFor(10n * MIB, price) + 7n,
  );
  await driver.send(actors.leecher2, escrow, e, "release", [2n, actors.seeder2.address, 10n * MIB, price]);
  await driver.send(actors.leecher2, escrow, e, "close", [2n]);
  await driver.send(
    actors.leecher3,
    escrow,
    e,
    "open",
    [2n, 20n * MIB, price, sessionKey1.address, CheckpointMode.Exponential],
    amountFor(20n * MIB, price),
  );
  // Seeder 1 redeems the first checkpoint and reserves the rest (10 to 20 MiB), which it never serves: the refund
  // returns the reservation.
  const v4 = await voucher(3n, actors.seeder1.address, 10n * MIB);
  await driver.send(actors.seeder1, escrow, e, "redeemAndReserve", [v4.message, v4.signature]);
  await driver.send(actors.leecher3, escrow, e, "close", [3n]);
  await chain.increaseTime(CHALLENGE_WINDOW + 1);
  await driver.send(actors.owner, escrow, e, "refund", [2n]);
  await driver.send(actors.leecher3, escrow, e, "refund", [3n]);
  // Escrow 4 stays open.
  await driver.send(
    actors.leecher1,
    escrow,
    e,
    "open",
    [2n, 5n * MIB, price, sessionKey1.address, CheckpointMode.Exponential],
    amountFor(5n * MIB, price),
  );

  // ------------------------------------------------------------------------------------------ WS402
  const pricePerSecond = 10n ** 12n;
  await driver.send(actors.provider, deposits, w, "registerResource", [
    pricePerSecond,
    actors.provider.address,
    "https://gateway.example/resource/1",
  ]);
  await driver.send(actors.provider, deposits, w, "updateResource", [
    1n,
    pricePerSecond * 2n,
    actors.seeder2.address,
    "https://gateway.example/resource/1?v=2",
  ]);
  await driver.send(actors.provider, deposits, w, "registerResource", [
    pricePerSecond * 3n,
    actors.provider.address,
    "https://gateway.example/resource/2",
  ]);
  const wsKey = privateKeyToAccount(generatePrivateKey());
  const usage = (sessionId: bigint, elapsedSeconds: bigint) =>
    wsKey.signTypedData({
      domain: ws402Domain(chain.chainId, deposits),
      types: usageTypes,
      primaryType: "Usage",
      message: { sessionId, elapsedSeconds },
    });
  await driver.send(actors.user, deposits, w, "open", [1n, 600, wsKey.address], pricePerSecond * 2n * 600n);
  await driver.send(actors.provider, deposits, w, "settle", [1n, 120n, await usage(1n, 120n)]);
  await driver.send(actors.user, deposits, w, "open", [2n, 300, wsKey.address], pricePerSecond * 3n * 300n);
  await driver.send(actors.owner, deposits, w, "setGracePeriod", [45]);
  await driver.send(actors.owner, deposits, w, "pause");
  await driver.send(actors.owner, deposits, w, "unpause");
  await driver.send(actors.user, deposits, w, "requestClose", [2n]);
  // A contract user that refuses ETH: its refund is deferred, then withdrawn.
  const userContract = await driver.deploy(actors.user, "test/TestUserAccount.sol/TestUserAccount.json", [deposits]);
  await driver.send(actors.user, userContract, testUserAbi, "open", [2n, 100, wsKey.address], pricePerSecond * 3n * 100n);
  await driver.send(actors.user, userContract, testUserAbi, "setReceiveMode", [1]);
  await driver.send(actors.provider, deposits, w, "settle", [3n, 40n, await usage(3n, 40n)]);
  await driver.send(actors.user, userContract, testUserAbi, "setReceiveMode", [0]);
  await driver.send(actors.user, userContract, testUserAbi, "withdraw");
  await driver.send(actors.user, deposits, w, "open", [1n, 50, wsKey.address], pricePerSecond * 2n * 50n); // stays open
  await chain.increaseTime(GRACE_PERIOD + 1);
  await driver.send(actors.user, deposits, w, "reclaim", [2n]);

  // ------------------------------------------------------------------------------------------ rebates
  const receiptKey = privateKeyToAccount(generatePrivateKey());
  const delegationExpiry = BigInt(Math.floor(Date.now() / 1000)) + 10n ** 9n;
  const signedReceipt = async (leecher: PrivateKeyAccount, seeder: Address, contentId: bigint, cumulativeBytes: bigint) => {
    const domain = rebatePoolDomain(chain.chainId, pool);
    return {
      leecher: leecher.address,
      contentId,
      cumulativeBytes,
      sessionKey: receiptKey.address,
      delegationExpiry,
      delegationSig: await leecher.signTypedData({
        domain,
        types: delegationTypes,
        primaryType: "Delegation",
        message: { wallet: leecher.address, sessionKey: receiptKey.address, expiry: delegationExpiry },
      }),
      receiptSig: await receiptKey.signTypedData({
        domain,
        types: receiptTypes,
        primaryType: "Receipt",
        message: { leecher: leecher.address, seeder, contentId, cumulativeBytes },
      }),
    };
  };
  // Every allowance is past its expiry from here on, so each epoch below can be given a pool by sweeping.
  await chain.increaseTime(ALLOWANCE_EXPIRY + 1);
  const firstEpoch = await driver.read<bigint>(pool, r, "currentEpoch");
  await driver.send(actors.seeder1, pool, r, "submitReceipts", [
    actors.seeder1.address,
    [
      await signedReceipt(actors.leecher1, actors.seeder1.address, 1n, 50n * MIB),
      await signedReceipt(actors.leecher2, actors.seeder1.address, 1n, 20n * MIB),
    ],
  ]);
  await driver.send(actors.owner, pool, r, "submitReceipts", [
    actors.seeder2.address,
    [
      await signedReceipt(actors.leecher1, actors.seeder2.address, 1n, 30n * MIB),
      await signedReceipt(actors.leecher3, actors.seeder2.address, 2n, 10n * MIB),
    ],
  ]);
  // Credits beyond a license's size count for nothing: content 2 is 50 MiB.
  await driver.send(actors.seeder1, pool, r, "submitReceipts", [
    actors.seeder1.address,
    [await signedReceipt(actors.leecher1, actors.seeder1.address, 2n, 60n * MIB)],
  ]);
  // Swept while the first epoch is the active one: the carry becomes its pool.
  await driver.send(actors.owner, pool, r, "sweep", [actors.seeder1.address, 2n]);

  // The next epoch: its first sweep finalises the first epoch and starts a new carry.
  await chain.increaseTime(EPOCH_DURATION);
  await driver.send(actors.owner, pool, r, "sweepMany", [[{ licensee: actors.leecher2.address, contentId: 1n }]]);
  const secondEpoch = await driver.read<bigint>(pool, r, "currentEpoch");
  // Small receipts in the second epoch: its carry exceeds their weight, the rest rolls forward at finalisation.
  await driver.send(actors.seeder1, pool, r, "submitReceipts", [
    actors.seeder1.address,
    [await signedReceipt(actors.leecher1, actors.seeder1.address, 1n, 51n * MIB)],
  ]);
  await driver.send(actors.seeder2, pool, r, "submitReceipts", [
    actors.seeder2.address,
    [await signedReceipt(actors.leecher3, actors.seeder2.address, 2n, 12n * MIB)],
  ]);
  await driver.send(actors.owner, pool, r, "sweep", [actors.leecher3.address, 1n]);

  // Both epochs are over: seeder 1 claims its shares of both at once, seeder 2's share of the second is settled
  // into its balance and then claimed with its share of the first.
  await chain.increaseTime(EPOCH_DURATION);
  await driver.send(actors.seeder1, pool, r, "claim", [[firstEpoch, secondEpoch]]);
  await driver.send(actors.owner, pool, r, "settleEpochShares", [secondEpoch, [actors.seeder2.address]]);
  await driver.send(actors.seeder2, pool, r, "claim", [[firstEpoch]]);
  // The swept allowances are surplus no weight can claim: the owner releases them.
  await driver.send(actors.owner, pool, r, "releaseSurplus", [actors.owner.address]);

  const licenses = [
    { licensee: actors.leecher1.address, contentId: 1n },
    { licensee: actors.leecher2.address, contentId: 1n },
    { licensee: actors.leecher3.address, contentId: 1n },
    { licensee: actors.leecher1.address, contentId: 2n },
    { licensee: actors.leecher3.address, contentId: 2n },
    { licensee: actors.seeder1.address, contentId: 2n },
  ];
  return {
    contentIds: [1n, 2n],
    escrowIds: [1n, 2n, 3n, 4n],
    sessionIds: [1n, 2n, 3n, 4n],
    resourceIds: [1n, 2n],
    epochs: [firstEpoch, secondEpoch],
    licenses,
    receiptLines: [
      { leecher: actors.leecher1.address, seeder: actors.seeder1.address, contentId: 1n },
      { leecher: actors.leecher2.address, seeder: actors.seeder1.address, contentId: 1n },
      { leecher: actors.leecher1.address, seeder: actors.seeder2.address, contentId: 1n },
      { leecher: actors.leecher3.address, seeder: actors.seeder2.address, contentId: 2n },
      { leecher: actors.leecher1.address, seeder: actors.seeder1.address, contentId: 2n },
    ],
    escrowSeeders: [
      { escrowId: 1n, seeder: actors.seeder1.address },
      { escrowId: 1n, seeder: actors.seeder2.address },
      { escrowId: 2n, seeder: actors.seeder2.address },
      { escrowId: 3n, seeder: actors.seeder1.address },
    ],
    accounts: Object.values(actors).map((a) => a.address),
    userContract,
    midBlock,
  };
}

const testUserAbi = [
  {
    type: "function",
    name: "open",
    stateMutability: "payable",
    inputs: [
      { name: "resourceId", type: "uint256" },
      { name: "maxSeconds", type: "uint32" },
      { name: "sessionKey", type: "address" },
    ],
    outputs: [{ name: "", type: "uint256" }],
  },
  { type: "function", name: "setReceiveMode", stateMutability: "nonpayable", inputs: [{ name: "mode", type: "uint8" }], outputs: [] },
  { type: "function", name: "withdraw", stateMutability: "nonpayable", inputs: [], outputs: [{ name: "", type: "uint256" }] },
] as const satisfies Abi;
