/**
 * The tab's one WebTorrent client and the torrents it holds (published, downloading, seeding), shared by the
 * Publish, Library and Seeding pages. The client is created on first use.
 */
import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from "react";
import { useAppConfig } from "../config/ConfigContext.tsx";
import { loadWebTorrent, webTorrentSupported } from "./loadWebTorrent.ts";
import type { Torrent, WebTorrentClient } from "./webtorrentTypes.ts";

export type TorrentStatus = "downloading" | "completed" | "seeding";

export interface AppTorrent {
  infoHash: string;
  contentId: bigint | null;
  name: string;
  status: TorrentStatus;
  torrent: Torrent;
  /** What the download paid for and how; set by the download flow. */
  startedAt: number;
}

interface TorrentContextValue {
  getClient(): Promise<WebTorrentClient>;
  torrents: AppTorrent[];
  track(entry: AppTorrent): void;
  update(infoHash: string, patch: Partial<AppTorrent>): void;
  remove(infoHash: string): Promise<void>;
  /** The last error of the client itself (tracker unreachable and the like). */
  clientError: string | null;
}

const TorrentContext = createContext<TorrentContextValue | null>(null);

export function TorrentProvider({ children }: { children: ReactNode }) {
  const config = useAppConfig();
  const client = useRef<Promise<WebTorrentClient> | null>(null);
  const [torrents, setTorrents] = useState<AppTorrent[]>([]);
  const [clientError, setClientError] = useState<string | null>(null);

  const getClient = useCallback(() => {
    if (!webTorrentSupported()) return Promise.reject(new Error("This browser has no WebRTC: WebTorrent cannot run here."));
    client.current ??= loadWebTorrent().then((WebTorrent) => {
      const instance = new WebTorrent({
        dht: false,
        lsd: false,
        utp: false,
        webSeeds: false,
        tracker: { rtcConfig: { iceServers: config.iceServers } },
      });
      instance.on("error", (error) => setClientError(typeof error === "string" ? error : error.message));
      return instance;
    });
    return client.current;
  }, [config.iceServers]);

  const track = useCallback((entry: AppTorrent) => {
    setTorrents((list) => [...list.filter((t) => t.infoHash !== entry.infoHash), entry]);
  }, []);
  const update = useCallback((infoHash: string, patch: Partial<AppTorrent>) => {
    setTorrents((list) => list.map((t) => (t.infoHash === infoHash ? { ...t, ...patch } : t)));
  }, []);
  const remove = useCallback(async (infoHash: string) => {
    setTorrents((list) => list.filter((t) => t.infoHash !== infoHash));
    const instance = await client.current;
    if (instance && (await instance.get(infoHash))) await instance.remove(infoHash);
  }, []);

  const value = useMemo(() => ({ getClient, torrents, track, update, remove, clientError }), [getClient, torrents, track, update, remove, clientError]);
  return <TorrentContext.Provider value={value}>{children}</TorrentContext.Provider>;
}

export function useTorrents(): TorrentContextValue {
  const value = useContext(TorrentContext);
  if (!value) throw new Error("useTorrents outside TorrentProvider");
  return value;
}
