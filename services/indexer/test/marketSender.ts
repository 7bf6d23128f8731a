/** Test support: an account of the devchain sending LicenseMarket transactions, each waited for until mined. */
import { type Abi, type Address, createPublicClient, createWalletClient, defineChain, http, keccak256, parseEther, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { DevChain } from "@web3torrent/devchain";
import { licenseMarketAbi } from "@web3torrent/sdk/generated/contracts";

export interface MarketSender {
  address: Address;
  /** Sends a LicenseMarket transaction; resolves to its block number. */
  send(functionName: string, args: readonly unknown[], value?: bigint): Promise<bigint>;
  /** Registers a linear-curve content at a fixed price, paid out to this account. */
  registerContent(label: string, metadataURI?: string): Promise<bigint>;
}

export function marketSender(chain: DevChain, accountIndex = 1): MarketSender {
  const viemChain = defineChain({
    id: chain.chainId,
    name: "devchain",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [chain.rpcUrl] } },
  });
  const client = createPublicClient({ chain: viemChain, transport: http(chain.rpcUrl) });
  const account = privateKeyToAccount(chain.accounts[accountIndex].privateKey);
  const wallet = createWalletClient({ account, chain: viemChain, transport: http(chain.rpcUrl) });
  const send: MarketSender["send"] = async (functionName, args, value) => {
    const hash = await wallet.writeContract({ address: chain.contracts.LicenseMarket, abi: licenseMarketAbi as Abi, functionName, args, value } as never);
    return (await client.waitForTransactionReceipt({ hash })).blockNumber;
  };
  return {
    address: account.address,
    send,
    registerContent: (label, metadataURI = "") =>
      send("registerContent", [
        {
          infohash: keccak256(toHex(label)),
          size: 1_000_000n,
          payout: account.address,
          basePrice: parseEther("0.001"),
          curve: 0,
          growth: 0n,
          maxSupply: 0n,
          bountyFeeBps: 0,
          transferable: false,
          metadataURI,
        },
      ]),
  };
}
