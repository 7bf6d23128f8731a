/** The page shell: header, the wrong-network banner, and the page of the URL hash. */
import { lazy, Suspense } from "react";
import { Header } from "./layout/Header.tsx";
import { useHashRoute, type Route } from "./layout/useHashRoute.ts";
import { MarketplacePage } from "./marketplace/MarketplacePage.tsx";
import { NetworkBanner } from "./wallet/NetworkBanner.tsx";

// Pages other than the marketplace load on first visit: WebTorrent stays out of the initial bundle.
const PublishPage = lazy(() => import("./publish/PublishPage.tsx").then((m) => ({ default: m.PublishPage })));
const LibraryPage = lazy(() => import("./library/LibraryPage.tsx").then((m) => ({ default: m.LibraryPage })));
const SeedingPage = lazy(() => import("./seeding/SeedingPage.tsx").then((m) => ({ default: m.SeedingPage })));
const SessionsPage = lazy(() => import("./sessions/SessionsPage.tsx").then((m) => ({ default: m.SessionsPage })));

function Page({ route }: { route: Route }) {
  switch (route) {
    case "publish":
      return <PublishPage />;
    case "library":
      return <LibraryPage />;
    case "seeding":
      return <SeedingPage />;
    case "sessions":
      return <SessionsPage />;
    default:
      return <MarketplacePage />;
  }
}

export function App() {
  const route = useHashRoute();
  return (
    <>
      <Header route={route} />
      <NetworkBanner />
      <main>
        <Suspense fallback={<p className="muted">Loading…</p>}>
          <Page route={route} />
        </Suspense>
      </main>
    </>
  );
}
