/**
 * Registering a content in the market's two steps, through the sdk's `registerContent`: commit (a wallet prompt),
 * wait the market's minimum commitment age, register (a second prompt). The step in progress is state, so the page
 * shows "committing… waiting Ns… registering…".
 */
import { useQueryClient } from "@tanstack/react-query";
import type { CurveKind } from "@web3torrent/sdk/bondingCurve";
import { registerContent, type RegistrationStep } from "@web3torrent/sdk/market";
import { useCallback, useState } from "react";
import type { PublicClient } from "viem";
import { useConfig, usePublicClient } from "wagmi";
import { getWalletClient } from "wagmi/actions";
import { useAppConfig } from "../config/ConfigContext.tsx";
import type { DescribedError } from "../errors/describeError.ts";
import { describeTxError } from "../tx/useContractTransaction.ts";
import { useWallet } from "../wallet/useWallet.ts";
import type { ContentParams } from "./publishParams.ts";

/** How long after a confirmation the views are refreshed again, for indexers that lag the chain. */
const INDEXER_CATCH_UP_MS = 2_000;

export type RegistrationState =
  | { phase: "idle" }
  | { phase: "committing" }
  | { phase: "waiting"; seconds: number; until: number }
  | { phase: "registering" }
  | { phase: "confirmed" }
  | { phase: "failed"; error: DescribedError };

function stateOf(step: RegistrationStep): RegistrationState {
  if (step.step === "waiting") return { phase: "waiting", seconds: step.seconds, until: Date.now() + step.seconds * 1000 };
  return { phase: step.step };
}

export function useRegisterContent() {
  const config = useAppConfig();
  const wagmiConfig = useConfig();
  const publicClient = usePublicClient({ chainId: config.chainId });
  const { address } = useWallet();
  const queryClient = useQueryClient();
  const [state, setState] = useState<RegistrationState>({ phase: "idle" });

  const register = useCallback(
    async (params: ContentParams): Promise<bigint | undefined> => {
      try {
        if (!address || !publicClient) throw new Error("Connect a wallet first.");
        setState({ phase: "committing" });
        const walletClient = await getWalletClient(wagmiConfig, { chainId: config.chainId, account: address });
        const contentId = await registerContent(
          publicClient as PublicClient,
          walletClient,
          address,
          config.contracts.LicenseMarket,
          { ...params, curve: params.curve as CurveKind },
          {
            onProgress: (step) => setState(stateOf(step)),
          },
        );
        setState({ phase: "confirmed" });
        await queryClient.invalidateQueries();
        setTimeout(() => void queryClient.invalidateQueries(), INDEXER_CATCH_UP_MS);
        return contentId;
      } catch (error) {
        setState({ phase: "failed", error: describeTxError(error) });
        return undefined;
      }
    },
    [address, config, publicClient, queryClient, wagmiConfig],
  );

  const reset = useCallback(() => setState({ phase: "idle" }), []);
  const busy = state.phase === "committing" || state.phase === "waiting" || state.phase === "registering";
  return { state, error: state.phase === "failed" ? state.error : undefined, register, reset, busy };
}
