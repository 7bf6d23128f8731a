/**
 * The part of `bittorrent-protocol`'s Wire (WebTorrent's peer connection) that `w3t_pay` uses, and the shape of a
 * BEP 10 extension for `wire.use(...)`. Declared here so the sdk needs neither package at runtime: the browser app
 * and the Node services pass their WebTorrent wires in.
 */
export interface PayWire {
  readonly peerId?: string;
  readonly amChoking: boolean;
  readonly peerInterested: boolean;
  readonly hasFast?: boolean;
  readonly destroyed?: boolean;
  readonly peerExtendedMapping: Record<string, number>;
  /** The BEP 10 handshake this side sends; an extension may add keys (such as `reqq`) before it goes out. */
  readonly extendedHandshake: Record<string, unknown>;
  /** Bytes received in piece messages on this wire. */
  downloaded: number;
  extended(ext: string | number, payload: Uint8Array): void;
  choke(): void;
  unchoke(): void;
  piece(index: number, offset: number, buffer: Uint8Array): void;
  /** Asks the peer for a block; `callback` gets an error when the request is cancelled, rejected or times out. */
  request(index: number, offset: number, length: number, callback?: (error: Error | null, block?: Uint8Array) => void): void;
  reject(index: number, offset: number, length: number): void;
  destroy(): void;
  on(event: "download", listener: (bytes: number) => void): unknown;
  on(event: "close", listener: () => void): unknown;
  on(event: "piece", listener: (index: number, offset: number, block: Uint8Array) => void): unknown;
  on(event: string, listener: (...args: never[]) => void): unknown;
  once(event: "close", listener: () => void): unknown;
}

/** The handshake dictionary a peer sends in BEP 10 (only `m` matters here). */
export interface ExtendedHandshake {
  m?: Record<string, unknown>;
}

/** What `wire.use` takes: a constructor called with the wire, whose prototype carries the extension name. */
export interface ExtensionConstructor {
  new (wire: PayWire): {
    onExtendedHandshake?(handshake: ExtendedHandshake): void;
    onMessage?(payload: Uint8Array): void;
  };
  prototype: { name: string };
}
