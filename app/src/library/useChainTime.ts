/** The chain's latest block timestamp (unix seconds), for windows measured on-chain (challenge, grace). */
import { useBlock } from "wagmi";
import { useAppConfig } from "../config/ConfigContext.tsx";

export function useChainTime(): bigint | null {
  const { chainId } = useAppConfig();
  const block = useBlock({ chainId, watch: true });
  return block.data?.timestamp ?? null;
}
