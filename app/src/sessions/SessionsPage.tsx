/**
 * WS402 sessions: time-metered resources paid per second from a deposit. Open a session, view the resource with
 * a live meter, end it and see the refund; when the gateway is gone, end it on-chain and reclaim the deposit.
 */
import { useState } from "react";
import { useAppConfig } from "../config/ConfigContext.tsx";
import { ErrorNotice } from "../errors/ErrorNotice.tsx";
import { Eth } from "../format/Eth.tsx";
import { RequireWallet } from "../wallet/RequireWallet.tsx";
import { useWallet } from "../wallet/useWallet.ts";
import { LiveSession } from "./LiveSession.tsx";
import { SessionHistoryRow } from "./SessionHistoryRow.tsx";
import { useGatewayResources, type GatewayResource } from "./useGatewayResources.ts";
import { useMySessions } from "./useMySessions.ts";
import { useResources } from "./useResources.ts";
import { useWs402Session } from "./useWs402Session.ts";

export function SessionsPage() {
  const config = useAppConfig();
  const { address } = useWallet();
  const onChain = useResources();
  const served = useGatewayResources();
  const sessions = useMySessions(address);
  const live = useWs402Session();
  const [active, setActive] = useState<GatewayResource | null>(null);
  const [minutes, setMinutes] = useState<Record<string, string>>({});
  // A gateway registers its schema URL as the resource's metadata URI: name the resource by the schema's title.
  const names = new Map(onChain.data?.map((r) => [r.resourceId, served.data?.find((g) => g.schemaUrl === r.metadataURI)?.title ?? r.name]));

  function start(resource: GatewayResource) {
    const seconds = Math.round(Number(minutes[resource.id] ?? resource.estimatedSeconds / 60) * 60);
    setActive(resource);
    void live.open(resource.schemaUrl, seconds);
  }

  return (
    <section>
      <h1>Sessions</h1>
      <p className="lead">Time-metered resources: deposit up front, pay per second used, the rest comes back when you end the session.</p>
      {!config.gatewayUrl && (
        <p className="notice notice-warn">No WS402 gateway is configured (gatewayUrl in config.json): sessions cannot be opened here.</p>
      )}
      {served.error && <ErrorNotice error={served.error} />}
      {live.phase === "failed" && live.error && (
        <ErrorNotice error={live.error} onDismiss={live.reset}>
          {active && (
            <button type="button" onClick={() => start(active)}>
              Try again
            </button>
          )}
        </ErrorNotice>
      )}
      {active && live.phase !== "idle" && live.phase !== "failed" && <LiveSession resource={active} session={live} />}
      <div className="grid" data-testid="resources">
        {served.data?.map((r) => (
          <article key={r.id} className="card" data-testid={`resource-${r.id}`}>
            <h3>{r.title}</h3>
            <p className="muted">
              {r.mimeType} · <Eth wei={BigInt(r.pricePerSecond)} /> per second
            </p>
            <label>
              Deposit for (minutes)
              <input
                value={minutes[r.id] ?? String(r.estimatedSeconds / 60)}
                onChange={(e) => setMinutes((m) => ({ ...m, [r.id]: e.target.value }))}
                inputMode="decimal"
                data-testid="session-minutes"
              />
            </label>
            <p className="muted">
              Deposit{" "}
              <Eth
                wei={BigInt(r.pricePerSecond) * BigInt(Math.max(0, Math.round(Number(minutes[r.id] ?? r.estimatedSeconds / 60) * 60)) || 0)}
              />
              , refunded for every second you do not use.
            </p>
            <RequireWallet action="open a session">
              <button
                type="button"
                onClick={() => start(r)}
                disabled={live.phase === "depositing" || live.phase === "connecting" || live.phase === "live"}
                data-testid="open-session"
              >
                {live.phase === "depositing" && active?.id === r.id ? "Confirm the deposit in your wallet…" : "Open a session"}
              </button>
            </RequireWallet>
          </article>
        ))}
      </div>
      {served.data?.length === 0 && <p className="empty">The gateway serves no resources.</p>}
      <RequireWallet action="see your sessions">
        {sessions.data && sessions.data.length > 0 && (
          <div className="card">
            <h2>Your sessions</h2>
            <table>
              <thead>
                <tr>
                  <th>Session</th>
                  <th>Resource</th>
                  <th>Deposit</th>
                  <th>Status</th>
                  <th>Outcome</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {sessions.data.map((s) => (
                  <SessionHistoryRow
                    key={s.sessionId.toString()}
                    session={s}
                    name={names.get(s.resourceId) ?? `#${s.resourceId}`}
                    live={
                      s.sessionId === live.sessionId && (live.phase === "live" || live.phase === "connecting" || live.phase === "ending")
                    }
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </RequireWallet>
    </section>
  );
}
