/** The parts of WebTorrent's browser client that the app uses (its prebuilt bundle ships no types). */
export interface TorrentFile {
  name: string;
  length: number;
  blob(): Promise<Blob>;
  /** Points a media element at the client's stream server (see library/player/streamServer.ts). */
  streamTo(element: HTMLMediaElement): HTMLMediaElement;
}

export interface TorrentWire {
  peerId?: string;
  remoteAddress?: string;
  type?: string;
  downloaded: number;
  uploaded: number;
  use(extension: unknown): void;
  on(event: string, listener: (...args: never[]) => void): unknown;
  destroy(): void;
}

export interface Torrent {
  infoHash: string;
  magnetURI: string;
  name: string;
  length: number;
  progress: number;
  /** Bytes of the verified pieces (wherever they came from) and of the pieces in progress. */
  downloaded: number;
  /** Bytes received from peers in this session. */
  received: number;
  uploaded: number;
  downloadSpeed: number;
  uploadSpeed: number;
  numPeers: number;
  done: boolean;
  ready: boolean;
  files: TorrentFile[];
  wires: TorrentWire[];
  pieceLength: number;
  /** One entry per piece; `bitfield.get(i)`: piece i arrived and verified. */
  pieces: unknown[];
  bitfield?: { get(index: number): boolean; buffer: Uint8Array };
  on(event: string, listener: (...args: never[]) => void): unknown;
  once(event: string, listener: (...args: never[]) => void): unknown;
  destroy(opts?: unknown, cb?: (error?: Error) => void): void;
}

export interface WebTorrentClient {
  /** This client's BitTorrent peer id (hex). */
  peerId: string;
  torrents: Torrent[];
  seed(input: File | Blob | File[], opts: Record<string, unknown>, onseed?: (torrent: Torrent) => void): Torrent;
  add(torrentId: string, opts?: Record<string, unknown>, ontorrent?: (torrent: Torrent) => void): Torrent;
  get(infoHash: string): Promise<Torrent | null>;
  remove(infoHash: string, opts?: unknown, cb?: (error?: Error) => void): Promise<void>;
  on(event: "error", listener: (error: Error | string) => void): unknown;
  destroy(cb?: (error?: Error) => void): void;
  /** The browser stream server, through a service worker registration (once per client). */
  createServer(options: { controller: ServiceWorkerRegistration }): unknown;
}

export type WebTorrentConstructor = new (opts?: Record<string, unknown>) => WebTorrentClient;
