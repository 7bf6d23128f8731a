/**
 * What a download needs from the wallet before its first prompt, kept ready while the page is shown: the account's
 * balance (the header's query, refreshed every few seconds) and the wallet's client. Play or Download then goes
 * straight to the wallet's delegation prompt instead of first waiting for an RPC round trip (the balance) and the
 * wallet's own account and chain requests (the client).
 */
import { useCallback } from "react";
import type { Address, WalletClient } from "viem";
import { useBalance, useConfig, useWalletClient } from "wagmi";
import { getBalance, getWalletClient } from "wagmi/actions";
import { useAppConfig } from "../config/ConfigContext.tsx";
import { useWallet } from "./useWallet.ts";

/** As the header's balance: one query for both. */
const BALANCE_REFRESH_MS = 4_000;

/**
 * The balance to check a deposit of `needed` against: the known one when it covers it (the deposit's transaction has
 * the last word), else a fresh read, so that a top-up made since the last refresh counts before the user is told.
 */
export async function balanceCovering(known: bigint | undefined, needed: bigint, read: () => Promise<bigint>): Promise<bigint> {
  return known !== undefined && known >= needed ? known : read();
}

/** The wallet client kept ready when it is `account`'s, else a fresh one. */
export function walletClientOf(account: Address, known: WalletClient | undefined, get: () => Promise<WalletClient>): Promise<WalletClient> {
  return known?.account?.address === account ? Promise.resolve(known) : get();
}

export function useReadyWallet() {
  const config = useAppConfig();
  const wagmiConfig = useConfig();
  const { address } = useWallet();
  const balance = useBalance({ address, chainId: config.chainId, query: { enabled: !!address, refetchInterval: BALANCE_REFRESH_MS } });
  const walletClient = useWalletClient({ chainId: config.chainId, account: address, query: { enabled: !!address } });
  const knownBalance = balance.data?.value;
  const knownClient = walletClient.data as WalletClient | undefined;

  return {
    /** `account`'s balance to check a deposit of `needed` against, as `balanceCovering` decides. */
    balanceFor: useCallback(
      (account: Address, needed: bigint) =>
        balanceCovering(account === address ? knownBalance : undefined, needed, () =>
          getBalance(wagmiConfig, { address: account, chainId: config.chainId }).then((b) => b.value),
        ),
      [address, config.chainId, knownBalance, wagmiConfig],
    ),
    /** `account`'s wallet client, the one kept ready if it is. */
    walletClientFor: useCallback(
      (account: Address) =>
        walletClientOf(
          account,
          knownClient,
          () => getWalletClient(wagmiConfig, { chainId: config.chainId, account }) as Promise<WalletClient>,
        ),
      [config.chainId, knownClient, wagmiConfig],
    ),
  };
}
