/** A past or open session: what it cost and what came back; the on-chain close for open ones. */
import { ErrorNotice } from "../errors/ErrorNotice.tsx";
import { Eth } from "../format/Eth.tsx";
import { useChainTime } from "../library/useChainTime.ts";
import { TxProgress } from "../tx/TxProgress.tsx";
import type { MySession } from "./useMySessions.ts";
import { useSessionFallback } from "./useSessionFallback.ts";

export function SessionHistoryRow({ session, name, live }: { session: MySession; name: string; live: boolean }) {
  const fallback = useSessionFallback();
  const now = useChainTime();
  const canReclaim = session.closeDeadline !== 0n && now !== null && now >= session.closeDeadline;
  return (
    <tr data-testid={`session-${session.sessionId}`} data-status={session.status}>
      <td>#{session.sessionId.toString()}</td>
      <td>{name}</td>
      <td>
        <Eth wei={session.deposit} />
      </td>
      <td>{session.status}</td>
      <td data-testid="session-refund">
        {session.settled ? (
          <>
            {session.settled.elapsedSeconds.toString()} s used: paid <Eth wei={session.settled.paidToProvider} />, refunded{" "}
            <Eth wei={session.settled.refundedToUser} />
          </>
        ) : session.reclaimed !== null ? (
          <>
            reclaimed <Eth wei={session.reclaimed} />
          </>
        ) : (
          "—"
        )}
      </td>
      <td>
        {session.status === "Open" && !live && (
          <>
            {session.closeDeadline === 0n ? (
              <button
                type="button"
                className="secondary"
                onClick={() => fallback.requestClose(session.sessionId)}
                disabled={fallback.busy}
                data-testid="request-close"
                title="When the gateway is gone: the provider may still settle during the grace period, then you reclaim everything"
              >
                End on-chain
              </button>
            ) : (
              <button
                type="button"
                onClick={() => fallback.reclaim(session.sessionId)}
                disabled={!canReclaim || fallback.busy}
                data-testid="reclaim"
              >
                {canReclaim ? "Reclaim deposit" : `Reclaim in ${now === null ? "…" : `${session.closeDeadline - now} s`}`}
              </button>
            )}
            <TxProgress state={fallback} />
            {fallback.error && <ErrorNotice error={fallback.error} onDismiss={fallback.reset} />}
          </>
        )}
      </td>
    </tr>
  );
}
