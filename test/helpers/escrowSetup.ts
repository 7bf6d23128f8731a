/**
 * Deployment and signing helpers shared by the CheckpointEscrow tests and its gas benchmark: the real
 * LicenseMarket (with the test RebatePoolStub), the escrow, one registered content and a licensed leecher.
 */
import type { network } from "hardhat";
import { keccak256, parseEther, toHex, type Address, type Hex } from "viem";
import type { LocalAccount } from "viem/accounts";
import { escrowDomain, voucherTypes, type Voucher } from "@web3torrent/sdk/eip712";
import { MIB } from "@web3torrent/sdk/checkpointSchedule";
import { MIN_COMMITMENT_AGE, registerAs } from "./registration.ts";

type Connection = Awaited<ReturnType<typeof network.create>>;
export type Viem = Connection["viem"];

/** The deployment values of the product: challenge window 1 hour, idle expiry 7 days. */
export const CHALLENGE_WINDOW = 60 * 60;
export const IDLE_EXPIRY = 7 * 24 * 60 * 60;
export const NETWORK_FEE_BPS = 100;
export const CONTENT_SIZE = 100n * MIB + 12_345n;
export const LICENSE_BASE_PRICE = parseEther("0.01");
export const LINEAR_CURVE = 0;

export async function deployEscrowSystem(viem: Viem) {
  const [owner, leecher, seederA, seederB, stranger, publisher] = await viem.getWalletClients();
  const rebatePool = await viem.deployContract("RebatePoolStub");
  const market = await viem.deployContract("LicenseMarket", [
    owner.account.address,
    rebatePool.address,
    NETWORK_FEE_BPS,
    "ipfs://w3t/{id}.json",
    MIN_COMMITMENT_AGE,
  ]);
  const escrow = await viem.deployContract("CheckpointEscrow", [owner.account.address, market.address, CHALLENGE_WINDOW, IDLE_EXPIRY]);
  const contentId = await registerContent(viem, market.address, publisher.account.address, CONTENT_SIZE, "content-1");
  await buyLicense(viem, market.address, contentId, leecher.account.address);
  const publicClient = await viem.getPublicClient();
  const chainId = await publicClient.getChainId();
  return {
    owner,
    leecher,
    seederA,
    seederB,
    stranger,
    publisher,
    rebatePool,
    market,
    escrow,
    contentId,
    publicClient,
    chainId,
  };
}

export async function registerContent(viem: Viem, market: Address, payout: Address, size: bigint, seed: string) {
  const [publisher] = await viem.getWalletClients();
  return registerAs(market, publisher, {
    infohash: keccak256(toHex(seed)),
    size,
    payout,
    basePrice: LICENSE_BASE_PRICE,
    curve: LINEAR_CURVE,
    growth: 0n,
    maxSupply: 0n,
    bountyFeeBps: 0,
    transferable: false,
    metadataURI: "",
  });
}

export async function buyLicense(viem: Viem, market: Address, contentId: bigint, recipient: Address) {
  const m = await viem.getContractAt("LicenseMarket", market);
  const [, , , total] = await m.read.quote([contentId, 1n]);
  await m.write.buy([contentId, 1n, recipient, total], { value: total });
}

/** Signs a voucher with the sdk's EIP-712 definitions. */
export function signVoucher(key: LocalAccount, chainId: number | bigint, escrow: Address, voucher: Voucher): Promise<Hex> {
  return key.signTypedData({
    domain: escrowDomain(chainId, escrow),
    types: voucherTypes,
    primaryType: "Voucher",
    message: voucher,
  });
}
