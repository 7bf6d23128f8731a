/** A running WS402 session: the resource, a live meter of time, spent and remaining; end it and see the refund. */
import { useEffect, useState } from "react";
import { ErrorNotice } from "../errors/ErrorNotice.tsx";
import { Eth } from "../format/Eth.tsx";
import type { GatewayResource } from "./useGatewayResources.ts";
import type { useWs402Session } from "./useWs402Session.ts";
import { meterReading } from "./meterReading.ts";
import { ResourceViewer } from "./ResourceViewer.tsx";

function clock(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${m}:${String(s).padStart(2, "0")}`;
}

export function LiveSession({ resource, session }: { resource: GatewayResource; session: ReturnType<typeof useWs402Session> }) {
  // Between the gateway's usage updates (every few seconds) the clock ticks locally.
  const [, tick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => tick((n) => n + 1), 1_000);
    return () => clearInterval(timer);
  }, []);
  const reading = meterReading({
    live: session.phase === "live",
    now: Date.now(),
    deposit: session.deposit,
    maxSeconds: session.maxSeconds,
    usage: session.usage,
    ended: session.ended,
    outcome: session.outcome,
  });
  return (
    <div className="card" data-testid="live-session" data-phase={session.phase}>
      <h2>
        {resource.title} · session #{session.sessionId?.toString() ?? "…"}
      </h2>
      <div className="row">
        <div>
          <p
            className="meter"
            data-testid="meter"
            data-elapsed={session.usage?.elapsedSeconds ?? 0}
            data-shown={reading.seconds}
            data-source={reading.source}
          >
            {clock(reading.seconds)} / {clock(reading.maxSeconds)}
          </p>
          <dl className="stats">
            <dt>Deposit</dt>
            <dd>{session.deposit !== undefined ? <Eth wei={session.deposit} /> : "…"}</dd>
            <dt>Spent</dt>
            <dd data-testid="spent">
              <Eth wei={reading.spent} />
            </dd>
            <dt>{reading.source === "settlement" ? "Refunded" : "Remaining"}</dt>
            <dd data-testid="remaining">{reading.remaining !== undefined ? <Eth wei={reading.remaining} /> : "…"}</dd>
          </dl>
          {session.phase === "live" && (
            <button type="button" onClick={session.end} data-testid="end-session">
              End session and get the rest back
            </button>
          )}
          {session.phase === "ending" && <p role="status">Ending: the gateway settles on-chain…</p>}
          {session.phase === "ended" && session.outcome && (
            <div className="notice notice-ok" role="status" data-testid="session-ended">
              {session.outcome.status === "settled" ? (
                <>
                  <strong>Session ended</strong>
                  <p>
                    {session.outcome.elapsedSeconds.toString()} s used: <Eth wei={session.outcome.paidToProvider} /> paid to the provider,{" "}
                    <span data-testid="session-refund-amount">
                      <Eth wei={session.outcome.refundedToUser} />
                    </span>{" "}
                    refunded to you.
                  </p>
                </>
              ) : (
                <>
                  <strong>Deposit reclaimed</strong>
                  <p>
                    <Eth wei={session.outcome.amount} /> came back to you.
                  </p>
                </>
              )}
              <button type="button" className="secondary" onClick={session.reset}>
                Close
              </button>
            </div>
          )}
          {session.phase === "gateway-lost" && (
            <ErrorNotice
              error={{
                kind: "network",
                title: "The gateway is gone",
                message: `${session.error?.message ?? "The connection dropped and did not come back."} Your deposit is safe: end the session on-chain below (the provider may still settle with your last receipt during the grace period), then reclaim it.`,
              }}
            />
          )}
        </div>
        <div style={{ flex: "2 1 420px" }}>
          {session.access && <ResourceViewer url={session.access.url} mimeType={resource.mimeType} title={resource.title} />}
        </div>
      </div>
    </div>
  );
}
