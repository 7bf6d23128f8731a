/**
 * The wallet of the browser tests: an EIP-1193 provider that stands in for the MetaMask extension. The page
 * side (walletPageScript) announces it over EIP-6963 and forwards every request here, where it is answered the
 * way MetaMask answers: accounts after a connect request, a chain the user can switch (4902 for an unknown one,
 * then wallet_addEthereumChain), transactions and EIP-712 typed data (eth_signTypedData_v4, the JSON string with
 * EIP712Domain) signed with a real local key, reads forwarded to the chain. A test can make the user decline the
 * next request of a kind (error 4001).
 */
import { createWalletClient, http, numberToHex, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { chainFor } from "@web3torrent/sdk/chain";

export interface WalletReply {
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
  events?: [string, unknown][];
}

interface RpcError {
  code: number;
  message: string;
}

const USER_REJECTED: RpcError = { code: 4001, message: "MetaMask Tx Signature: User denied transaction signature." };
const SIGNING_METHODS = ["eth_sendTransaction", "eth_signTypedData_v4", "personal_sign"] as const;
export type SigningMethod = (typeof SIGNING_METHODS)[number] | "eth_requestAccounts" | "wallet_switchEthereumChain";

export class TestWallet {
  readonly account;
  /** The chain the wallet is on: starts on another chain when a test wants the wrong-network flow. */
  chainId: number;
  readonly knownChains = new Set<number>();
  /** wallet_addEthereumChain requests, for assertions. */
  readonly addedChains: Record<string, unknown>[] = [];
  readonly requests: string[] = [];
  /** The EIP-712 messages signed (eth_signTypedData_v4), for assertions. */
  readonly signedTypedData: { primaryType: string; message: Record<string, unknown> }[] = [];
  #connected = false;
  /** Per method, how many more requests pass before the next one is declined. */
  #rejectNext = new Map<SigningMethod, number>();
  readonly #walletClient;

  readonly rpcUrl: string;
  readonly appChainId: number;

  constructor(
    rpcUrl: string,
    appChainId: number,
    privateKey: Hex,
    { startOnChain = appChainId, knowsAppChain = true }: { startOnChain?: number; knowsAppChain?: boolean } = {},
  ) {
    this.rpcUrl = rpcUrl;
    this.appChainId = appChainId;
    this.account = privateKeyToAccount(privateKey);
    this.chainId = startOnChain;
    this.knownChains.add(startOnChain);
    if (knowsAppChain) this.knownChains.add(appChainId);
    const chain = chainFor(rpcUrl, appChainId, { name: "devchain" });
    this.#walletClient = createWalletClient({ account: this.account, chain, transport: http(rpcUrl) });
  }

  /** The user will decline the next request of this kind in the wallet (after letting `after` of them through). */
  rejectNext(method: SigningMethod, { after = 0 }: { after?: number } = {}): void {
    this.#rejectNext.set(method, after);
  }

  /** Whether this request is the one to decline; counts down the requests let through. */
  #declines(method: string): boolean {
    const left = this.#rejectNext.get(method as SigningMethod);
    if (left === undefined) return false;
    if (left > 0) {
      this.#rejectNext.set(method as SigningMethod, left - 1);
      return false;
    }
    this.#rejectNext.delete(method as SigningMethod);
    return true;
  }

  async handle(method: string, params: unknown[]): Promise<WalletReply> {
    this.requests.push(method);
    try {
      if (this.#declines(method)) return { error: USER_REJECTED };
      return await this.#answer(method, params);
    } catch (error) {
      const e = error as { code?: number; message?: string; shortMessage?: string; details?: string };
      return {
        error: { code: typeof e.code === "number" ? e.code : -32603, message: e.details ?? e.shortMessage ?? e.message ?? String(error) },
      };
    }
  }

  async #answer(method: string, params: unknown[]): Promise<WalletReply> {
    const address = this.account.address;
    switch (method) {
      case "eth_requestAccounts":
        this.#connected = true;
        return { result: [address], events: [["connect", { chainId: numberToHex(this.chainId) }]] };
      case "eth_accounts":
        return { result: this.#connected ? [address] : [] };
      case "wallet_requestPermissions":
        this.#connected = true;
        return { result: [{ parentCapability: "eth_accounts" }] };
      case "wallet_getPermissions":
        return { result: this.#connected ? [{ parentCapability: "eth_accounts" }] : [] };
      case "wallet_revokePermissions":
        this.#connected = false;
        return { result: null, events: [["accountsChanged", []]] };
      case "eth_chainId":
        return { result: numberToHex(this.chainId) };
      case "net_version":
        return { result: String(this.chainId) };
      case "wallet_switchEthereumChain": {
        const chainId = Number((params[0] as { chainId: string }).chainId);
        if (!this.knownChains.has(chainId)) {
          return {
            error: {
              code: 4902,
              message: `Unrecognized chain ID "${numberToHex(chainId)}". Try adding the chain using wallet_addEthereumChain first.`,
            },
          };
        }
        return this.#switchTo(chainId);
      }
      case "wallet_addEthereumChain": {
        const request = params[0] as { chainId: string; rpcUrls: string[] };
        this.addedChains.push(request as unknown as Record<string, unknown>);
        const chainId = Number(request.chainId);
        this.knownChains.add(chainId);
        return this.#switchTo(chainId);
      }
    }
    if ((SIGNING_METHODS as readonly string[]).includes(method) || method === "eth_sign") {
      if (!this.#connected)
        return { error: { code: 4100, message: "The requested account and/or method has not been authorized by the user." } };
    }
    switch (method) {
      case "eth_sendTransaction": {
        if (this.chainId !== this.appChainId) return { error: { code: -32603, message: `The wallet is on chain ${this.chainId}` } };
        const tx = params[0] as { to?: Hex; data?: Hex; value?: Hex; gas?: Hex };
        const hash = await this.#walletClient.sendTransaction({
          to: tx.to,
          data: tx.data,
          value: tx.value ? BigInt(tx.value) : undefined,
          gas: tx.gas ? BigInt(tx.gas) : undefined,
        });
        return { result: hash };
      }
      case "eth_signTypedData_v4": {
        const [signer, json] = params as [string, string];
        if (signer.toLowerCase() !== address.toLowerCase()) return { error: { code: 4100, message: `Unknown account ${signer}` } };
        const typed = JSON.parse(json) as {
          domain: Record<string, unknown>;
          types: Record<string, unknown>;
          primaryType: string;
          message: Record<string, unknown>;
        };
        const { EIP712Domain: _domainType, ...types } = typed.types;
        this.signedTypedData.push({ primaryType: typed.primaryType, message: typed.message });
        return {
          result: await this.account.signTypedData({
            domain: typed.domain,
            types,
            primaryType: typed.primaryType,
            message: typed.message,
          } as never),
        };
      }
      case "personal_sign": {
        const [message] = params as [Hex];
        return { result: await this.account.signMessage({ message: { raw: message } }) };
      }
    }
    return this.#forward(method, params);
  }

  #switchTo(chainId: number): WalletReply {
    this.chainId = chainId;
    return { result: null, events: [["chainChanged", numberToHex(chainId)]] };
  }

  async #forward(method: string, params: unknown[]): Promise<WalletReply> {
    const response = await fetch(this.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
    const body = (await response.json()) as { result?: unknown; error?: RpcError };
    return body.error ? { error: body.error } : { result: body.result };
  }
}
