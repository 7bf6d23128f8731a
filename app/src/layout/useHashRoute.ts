/** The page in the URL hash (#/marketplace ...), so links work in a static bundle served from anywhere. */
import { useEffect, useState } from "react";

export const ROUTES = ["marketplace", "publish", "library", "seeding", "sessions"] as const;
export type Route = (typeof ROUTES)[number];

function current(): Route {
  const name = window.location.hash.replace(/^#\/?/, "").split(/[/?]/)[0];
  return (ROUTES as readonly string[]).includes(name) ? (name as Route) : "marketplace";
}

export function useHashRoute(): Route {
  const [route, setRoute] = useState<Route>(current);
  useEffect(() => {
    const onChange = () => setRoute(current());
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
