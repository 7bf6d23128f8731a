/** The account's WS402 sessions from the chain: deposit, status, the close deadline, settlement or reclaim. */
import { useQuery } from "@tanstack/react-query";
import { ws402DepositsAbi } from "@web3torrent/sdk/generated/contracts";
import type { Address } from "viem";
import { useMarketClients } from "../data/useMarketSource.ts";

export const SESSION_STATUS = ["None", "Open", "Settled", "Reclaimed"] as const;

export interface MySession {
  sessionId: bigint;
  resourceId: bigint;
  deposit: bigint;
  pricePerSecond: bigint;
  maxSeconds: bigint;
  openedAt: bigint;
  closeDeadline: bigint;
  status: (typeof SESSION_STATUS)[number];
  settled: { elapsedSeconds: bigint; paidToProvider: bigint; refundedToUser: bigint } | null;
  reclaimed: bigint | null;
}

export function useMySessions(user: Address | undefined) {
  const { config, client } = useMarketClients();
  return useQuery({
    queryKey: ["ws402Sessions", config.chainId, user],
    enabled: !!user,
    refetchInterval: 2_000,
    queryFn: async (): Promise<MySession[]> => {
      const address = config.contracts.WS402Deposits;
      const range = { fromBlock: config.startBlock, toBlock: "latest" as const };
      const opened = await client.getContractEvents({
        address,
        abi: ws402DepositsAbi,
        eventName: "SessionOpened",
        args: { user },
        ...range,
      });
      const ids = opened.map((l) => l.args.sessionId!);
      if (ids.length === 0) return [];
      const [settled, reclaimed, states] = await Promise.all([
        client.getContractEvents({ address, abi: ws402DepositsAbi, eventName: "SessionSettled", args: { sessionId: ids }, ...range }),
        client.getContractEvents({ address, abi: ws402DepositsAbi, eventName: "SessionReclaimed", args: { sessionId: ids }, ...range }),
        Promise.all(ids.map((id) => client.readContract({ address, abi: ws402DepositsAbi, functionName: "session", args: [id] }))),
      ]);
      return opened
        .map((log, i) => {
          const id = log.args.sessionId!;
          const s = states[i];
          const settle = settled.find((e) => e.args.sessionId === id);
          const reclaim = reclaimed.find((e) => e.args.sessionId === id);
          return {
            sessionId: id,
            resourceId: log.args.resourceId!,
            deposit: log.args.deposit!,
            pricePerSecond: log.args.pricePerSecond!,
            maxSeconds: BigInt(log.args.maxSeconds!),
            openedAt: BigInt(s.openedAt),
            closeDeadline: BigInt(s.closeDeadline),
            status: SESSION_STATUS[Number(s.status)] ?? "None",
            settled: settle
              ? {
                  elapsedSeconds: settle.args.elapsedSeconds!,
                  paidToProvider: settle.args.paidToProvider!,
                  refundedToUser: settle.args.refundedToUser!,
                }
              : null,
            reclaimed: reclaim ? reclaim.args.amount! : null,
          };
        })
        .reverse();
    },
  });
}
