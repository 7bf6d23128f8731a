/**
 * One live WS402 session with the sdk client: the deposit (one wallet transaction; the session key is generated
 * here and signs the usage receipts silently), the connection and its HTTP access, usage updates for the meter,
 * the end (the gateway settles and the refund comes back on its own), and the on-chain fallback when the gateway
 * is gone.
 */
import {
  Ws402Client,
  type Ws402Access,
  type Ws402Ended,
  type Ws402Outcome,
  type Ws402State,
  type Ws402Usage,
  type Ws402WalletClient,
} from "@web3torrent/sdk/ws402/index";
import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import type { PublicClient } from "viem";
import { useConfig, usePublicClient } from "wagmi";
import { getWalletClient } from "wagmi/actions";
import { useAppConfig } from "../config/ConfigContext.tsx";
import { describeError, type DescribedError } from "../errors/describeError.ts";
import { useWallet } from "../wallet/useWallet.ts";

/** How long to wait for the gateway's settlement before offering the on-chain close. */
const SETTLEMENT_TIMEOUT_MS = 30_000;

export type LivePhase = "idle" | "depositing" | "connecting" | "live" | "ending" | "ended" | "gateway-lost" | "failed";

export interface LiveSessionState {
  phase: LivePhase;
  sessionId?: bigint;
  deposit?: bigint;
  maxSeconds?: number;
  access?: Ws402Access;
  usage?: Ws402Usage;
  ended?: Ws402Ended;
  outcome?: Ws402Outcome;
  error?: DescribedError;
  connection?: Ws402State;
}

export function useWs402Session() {
  const config = useAppConfig();
  const wagmiConfig = useConfig();
  const publicClient = usePublicClient({ chainId: config.chainId }) as PublicClient;
  const { address } = useWallet();
  const queryClient = useQueryClient();
  const client = useRef<Ws402Client | null>(null);
  const endingByUser = useRef(false);
  const [state, setState] = useState<LiveSessionState>({ phase: "idle" });
  const patch = (p: Partial<LiveSessionState>) => setState((s) => ({ ...s, ...p }));

  useEffect(() => () => client.current?.disconnect(), []);

  const awaitSettlement = useCallback(
    async (c: Ws402Client) => {
      patch({ phase: "ending" });
      try {
        const outcome = await c.waitForSettlement({ timeoutMs: SETTLEMENT_TIMEOUT_MS });
        patch({ phase: "ended", outcome });
        await queryClient.invalidateQueries();
      } catch (error) {
        patch({ phase: "gateway-lost", error: describeError(error) });
      }
    },
    [queryClient],
  );

  const open = useCallback(
    async (schemaUrl: string, maxSeconds: number) => {
      if (!address) return;
      endingByUser.current = false;
      setState({ phase: "depositing" });
      try {
        const walletClient = (await getWalletClient(wagmiConfig, {
          chainId: config.chainId,
          account: address,
        })) as unknown as Ws402WalletClient;
        // Deposits go only into the configured WS402Deposits: a gateway naming another contract is refused.
        const c = await Ws402Client.open({ schemaUrl, walletClient, publicClient, maxSeconds, deposits: config.contracts.WS402Deposits });
        client.current = c;
        await queryClient.invalidateQueries();
        patch({ phase: "connecting", sessionId: c.sessionId, deposit: c.deposit?.deposit, maxSeconds: c.deposit?.maxSeconds });
        c.on("usage", (usage) => patch({ usage }));
        c.on("state", (connection) => {
          patch({ connection });
          if (connection === "disconnected")
            setState((s) => (s.phase === "live" || s.phase === "connecting" ? { ...s, phase: "gateway-lost" } : s));
        });
        c.on("ended", (ended) => {
          patch({ ended });
          // Ended by the gateway (shutting down, deposit used up): its settlement brings the refund, or it never comes.
          if (!endingByUser.current) void awaitSettlement(c);
        });
        c.on("error", (error) =>
          setState((s) => ({
            ...s,
            error: describeError(error),
            phase: s.phase === "live" || s.phase === "connecting" ? "gateway-lost" : s.phase,
          })),
        );
        const access = await c.connect();
        patch({ phase: "live", access });
      } catch (error) {
        setState((s) => ({ ...s, phase: s.sessionId ? "gateway-lost" : "failed", error: describeError(error) }));
      }
    },
    [address, awaitSettlement, config.chainId, config.contracts.WS402Deposits, publicClient, queryClient, wagmiConfig],
  );

  const end = useCallback(async () => {
    const c = client.current;
    if (!c) return;
    endingByUser.current = true;
    patch({ phase: "ending" });
    try {
      patch({ ended: await c.close() });
    } catch (error) {
      patch({ phase: "gateway-lost", error: describeError(error) });
      return;
    }
    await awaitSettlement(c);
  }, [awaitSettlement]);

  const reset = useCallback(() => {
    client.current?.disconnect();
    client.current = null;
    setState({ phase: "idle" });
  }, []);

  return { ...state, open, end, reset };
}
