/**
 * EIP-7702 for the hostile-key tests: a plain key signs one authorization that delegates its address to a contract's
 * code, and someone else (the key holds no ETH) sends the type-4 transaction that installs it. Afterwards the key's
 * address has code `0xef0100 ‖ delegate`, and ERC-1271 calls to it run the delegate against the key's own storage.
 */
import assert from "node:assert/strict";
import type { network } from "hardhat";
import { concat, type Address, type WalletClient } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";

type Viem = Awaited<ReturnType<typeof network.create>>["viem"];

/** The EIP-7702 delegation indicator: an account with this code prefix runs the code of the address after it. */
export const DELEGATION_PREFIX = "0xef0100";

export async function delegateKey(viem: Viem, key: PrivateKeyAccount, delegate: Address, relayer: WalletClient): Promise<void> {
  const publicClient = await viem.getPublicClient();
  const authorization = await key.signAuthorization({
    chainId: await publicClient.getChainId(),
    nonce: await publicClient.getTransactionCount({ address: key.address }),
    address: delegate,
  });
  // A plain transfer to the relayer itself: the authorization is applied whatever the transaction does.
  const hash = await relayer.sendTransaction({
    account: relayer.account!,
    chain: relayer.chain,
    to: relayer.account!.address,
    authorizationList: [authorization],
  });
  await publicClient.waitForTransactionReceipt({ hash });
  const code = await publicClient.getCode({ address: key.address });
  assert.equal(code?.toLowerCase(), concat([DELEGATION_PREFIX, delegate]).toLowerCase(), "the key's address now has code");
}
