/** The swarm around this tab: you in the middle, each connected peer around, lines as thick as the bytes moved. */
import type { PeerStats } from "./useTorrentStats.ts";

const SIZE = 220;
const CENTER = SIZE / 2;
const RADIUS = 80;

export function PeerGraph({ peers }: { peers: PeerStats[] }) {
  const max = Math.max(1, ...peers.map((p) => p.downloaded + p.uploaded));
  return (
    <figure className="peer-graph" data-testid="peer-graph" data-peers={peers.length}>
      <svg viewBox={`0 0 ${SIZE} ${SIZE}`} width={SIZE} height={SIZE} role="img" aria-label={`${peers.length} peers`}>
        {peers.map((peer, i) => {
          const angle = (2 * Math.PI * i) / peers.length - Math.PI / 2;
          const x = CENTER + RADIUS * Math.cos(angle);
          const y = CENTER + RADIUS * Math.sin(angle);
          const width = 1 + (4 * (peer.downloaded + peer.uploaded)) / max;
          return (
            <g key={peer.id}>
              <line x1={CENTER} y1={CENTER} x2={x} y2={y} stroke="currentColor" strokeOpacity="0.6" strokeWidth={width} />
              <circle cx={x} cy={y} r="9" fill="#1f2840" stroke="currentColor" />
              <text x={x} y={y + 22} fontSize="9" textAnchor="middle" fill="#93a0b8">
                {peer.id.slice(0, 6)}
              </text>
            </g>
          );
        })}
        <circle cx={CENTER} cy={CENTER} r="14" fill="currentColor" />
        <text x={CENTER} y={CENTER + 4} fontSize="9" textAnchor="middle" fill="#0f1420">
          you
        </text>
      </svg>
      <figcaption className="muted">
        {peers.length === 0 ? "No peers connected" : `${peers.length} peer${peers.length === 1 ? "" : "s"}`}
      </figcaption>
    </figure>
  );
}
