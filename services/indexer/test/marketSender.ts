/** Test support: an account of the devchain sending LicenseMarket transactions, each waited for until mined. */
import { type Abi, type Address, createPublicClient, createWalletClient, http, keccak256, parseEther, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { DevChain } from "@web3torrent/devchain";
import { chainFor } from "@web3torrent/sdk/chain";
import { licenseMarketAbi } from "@web3torrent/sdk/generated/contracts";
import { registerContent } from "@web3torrent/sdk/market";

export interface MarketSender {
  address: Address;
  /** Sends a LicenseMarket transaction; resolves to its block number. */
  send(functionName: string, args: readonly unknown[], value?: bigint): Promise<bigint>;
  /** Registers a linear-curve content at a fixed price, paid out to this account (commit, wait, reveal); resolves
   * to its content id. */
  registerContent(label: string, metadataURI?: string): Promise<bigint>;
}

export function marketSender(chain: DevChain, accountIndex = 1): MarketSender {
  const viemChain = chainFor(chain.rpcUrl, chain.chainId, { name: "devchain" });
  const client = createPublicClient({ chain: viemChain, transport: http(chain.rpcUrl) });
  const account = privateKeyToAccount(chain.accounts[accountIndex].privateKey);
  const wallet = createWalletClient({ account, chain: viemChain, transport: http(chain.rpcUrl) });
  const send: MarketSender["send"] = async (functionName, args, value) => {
    const hash = await wallet.writeContract({
      address: chain.contracts.LicenseMarket,
      abi: licenseMarketAbi as Abi,
      functionName,
      args,
      value,
    } as never);
    return (await client.waitForTransactionReceipt({ hash })).blockNumber;
  };
  return {
    address: account.address,
    send,
    registerContent: (label, metadataURI = "") =>
      registerContent(client, wallet, account, chain.contracts.LicenseMarket, {
        infohash: keccak256(toHex(label)),
        size: 1_000_000n,
        payout: account.address,
        basePrice: parseEther("0.001"),
        metadataURI,
      }),
  };
}
