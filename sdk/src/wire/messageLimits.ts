/**
 * Drops a peer that announces a BitTorrent message longer than any valid one, before its body is buffered.
 *
 * `bittorrent-protocol` reads a message's 4-byte length, then buffers that many bytes (re-concatenating on every
 * chunk) before anything looks at the message: a peer announcing 256 MiB made the wire hold 256 MiB before
 * `w3t_pay`'s own 4 KiB limit saw it. `guardWire` replaces the wire's length handler on that one instance (the
 * library reads `this._onMessageLength` each time it waits for a length, so no fork is needed): it reads the
 * message id first and destroys the wire, with a `messageTooLong` event, when the announced length exceeds the
 * largest valid message of that id. Valid messages are passed to the library's own handler unchanged. A message no
 * longer than a piece message (a block and its header) goes to the library at once, whatever its id: buffering it
 * is harmless, and every block then costs no copy and no second parse (the library reads what each id needs).
 *
 * The sdk installs it from both `w3t_pay` extensions (seeder and leecher, Node and browser): `wire.use` runs as
 * the remote handshake arrives, before the first message length is read.
 */

/** The block size WebTorrent requests (and the only one our leechers request). */
export const WIRE_BLOCK_BYTES = 16 * 1024;
/** Message id + piece index + offset, before a piece message's block. */
const PIECE_HEADER_BYTES = 9;
/** Message id + extended id, before an extended message's payload. */
const EXTENDED_HEADER_BYTES = 2;
/** Room for the bencoded dictionary before a ut_metadata piece, or a whole BEP 10 handshake. */
const EXTENDED_DICTIONARY_BYTES = 1024;
/** Pieces a torrent may have: 2^21 pieces of 16 KiB is 32 GiB, and larger content uses larger pieces. */
export const MAX_PIECES = 2 ** 21;

const ID_BYTES = 1;
const UINT32_BYTES = 4;

/** The longest valid message of each BitTorrent message id (BEP 3, BEP 6 fast extension, BEP 10). */
export const MAX_PEER_MESSAGE_BYTES: Readonly<Record<number, number>> = {
  0: ID_BYTES, // choke
  1: ID_BYTES, // unchoke
  2: ID_BYTES, // interested
  3: ID_BYTES, // not interested
  4: ID_BYTES + UINT32_BYTES, // have
  5: ID_BYTES + Math.ceil(MAX_PIECES / 8), // bitfield
  6: ID_BYTES + 3 * UINT32_BYTES, // request
  7: PIECE_HEADER_BYTES + WIRE_BLOCK_BYTES, // piece
  8: ID_BYTES + 3 * UINT32_BYTES, // cancel
  9: ID_BYTES + 2, // port
  0x0d: ID_BYTES + UINT32_BYTES, // suggest
  0x0e: ID_BYTES, // have all
  0x0f: ID_BYTES, // have none
  0x10: ID_BYTES + 3 * UINT32_BYTES, // reject
  0x11: ID_BYTES + UINT32_BYTES, // allowed fast
  20: EXTENDED_HEADER_BYTES + EXTENDED_DICTIONARY_BYTES + WIRE_BLOCK_BYTES, // extended: a ut_metadata piece is the largest
};

/** An id the library does not know: bounded like the largest ordinary message. */
const UNKNOWN_MESSAGE_BYTES = PIECE_HEADER_BYTES + WIRE_BLOCK_BYTES;
/** No message this long or shorter can hurt, whatever its id: the library takes it without the id read first. */
const HARMLESS_MESSAGE_BYTES = PIECE_HEADER_BYTES + WIRE_BLOCK_BYTES;

/** The longest valid message with this id. */
export function maxPeerMessageBytes(id: number): number {
  return MAX_PEER_MESSAGE_BYTES[id] ?? UNKNOWN_MESSAGE_BYTES;
}

/** The private parser of bittorrent-protocol's Wire that the guard hooks into. */
interface ParsingWire {
  _onMessageLength(buffer: Uint8Array): void;
  _onMessage(buffer: Uint8Array): void;
  _parse(size: number, parser: (buffer: Uint8Array) => void): void;
  _parser: ((buffer: Uint8Array) => void) | null;
  _buffer: Uint8Array[];
  _bufferSize: number;
  _write(data: Uint8Array, cb: (error: Error | null) => void): void;
  destroy(): void;
  emit(event: string, ...args: unknown[]): boolean;
}

const GUARDED = Symbol.for("w3t.messageLimits");

/**
 * Installs the length check on `wire` (once; later calls do nothing). The wire emits
 * `messageTooLong(id, length, limit)` and is destroyed when a peer announces a message longer than the limit.
 */
export function guardWire(wire: object): void {
  const target = wire as ParsingWire & { [GUARDED]?: true };
  if (target[GUARDED] || typeof target._onMessageLength !== "function") return;
  target[GUARDED] = true;
  const original = target._onMessageLength;
  const guarded = function (this: ParsingWire, prefix: Uint8Array): void {
    const length = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength).getUint32(0);
    if (length <= HARMLESS_MESSAGE_BYTES) return original.call(this, prefix); // a keep-alive (0) among them
    // Read the id alone, then the rest only if the announced length is valid for that id.
    this._parse(ID_BYTES, (idByte) => {
      const id = idByte[0]!;
      const limit = maxPeerMessageBytes(id);
      if (length > limit) {
        // Nothing more is parsed or kept from this peer while the wire closes.
        this._parse(Number.MAX_VALUE, () => {});
        this._buffer = [];
        this._bufferSize = 0;
        this._write = (_data, cb) => cb(null);
        this.emit("messageTooLong", id, length, limit);
        this.destroy();
        return;
      }
      if (length === ID_BYTES) return this._onMessage(idByte.slice());
      this._parse(length - ID_BYTES, (rest) => {
        const message = new Uint8Array(length);
        message[0] = id;
        message.set(rest, ID_BYTES);
        this._onMessage(message);
      });
    });
  };
  target._onMessageLength = guarded;
  // A wire already waiting for a length (its handshake parsed) waits with the guarded handler instead.
  if (target._parser === original) target._parse(UINT32_BYTES, guarded.bind(target));
}
