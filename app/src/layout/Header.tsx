/** The app's header: the pages and the wallet. */
import { WalletPanel } from "../wallet/WalletPanel.tsx";
import type { Route } from "./useHashRoute.ts";

const LABELS: Record<Route, string> = {
  marketplace: "Marketplace",
  publish: "Publish",
  library: "Library",
  seeding: "Seeding",
  sessions: "Sessions",
};

export function Header({ route }: { route: Route }) {
  return (
    <header className="app-header">
      <a className="logo" href="#/marketplace">
        Web3Torrent
      </a>
      <nav>
        {(Object.keys(LABELS) as Route[]).map((name) => (
          <a
            key={name}
            href={`#/${name}`}
            className={route === name ? "active" : undefined}
            aria-current={route === name ? "page" : undefined}
            data-testid={`nav-${name}`}
          >
            {LABELS[name]}
          </a>
        ))}
      </nav>
      <WalletPanel />
    </header>
  );
}
