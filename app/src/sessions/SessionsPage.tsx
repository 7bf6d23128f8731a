/**
 * WS402 sessions: time-metered resources paid per second from a deposit. Open a session, view the resource with
 * a live meter, end it and see the refund; when the gateway is gone, end it on-chain and reclaim the deposit.
 */
import { ErrorNotice } from "../errors/ErrorNotice.tsx";
import { Eth } from "../format/Eth.tsx";
import { useAppConfig } from "../config/ConfigContext.tsx";
import { RequireWallet } from "../wallet/RequireWallet.tsx";
import { useWallet } from "../wallet/useWallet.ts";
import { SessionHistoryRow } from "./SessionHistoryRow.tsx";
import { useMySessions } from "./useMySessions.ts";
import { useResources } from "./useResources.ts";

export function SessionsPage() {
  const config = useAppConfig();
  const { address } = useWallet();
  const resources = useResources();
  const sessions = useMySessions(address);
  const names = new Map(resources.data?.map((r) => [r.resourceId, r.name]));

  return (
    <section>
      <h1>Sessions</h1>
      <p className="lead">Time-metered resources: deposit up front, pay per second used, the rest comes back when you end the session.</p>
      {!config.gatewayUrl && <p className="notice notice-warn">No WS402 gateway is configured (gatewayUrl in config.json): resources are listed, sessions cannot be opened.</p>}
      {resources.error && <ErrorNotice error={resources.error} />}
      <div className="grid" data-testid="resources">
        {resources.data?.map((r) => (
          <article key={r.resourceId.toString()} className="card" data-testid={`resource-${r.resourceId}`}>
            <h3>{r.name}</h3>
            {r.description && <p className="description">{r.description}</p>}
            <p>
              <Eth wei={r.pricePerSecond} /> per second
            </p>
          </article>
        ))}
      </div>
      {resources.data?.length === 0 && <p className="empty">No resources are registered yet.</p>}
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
                  <SessionHistoryRow key={s.sessionId.toString()} session={s} name={names.get(s.resourceId) ?? `#${s.resourceId}`} live={false} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </RequireWallet>
    </section>
  );
}
