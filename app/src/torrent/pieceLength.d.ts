declare module "piece-length" {
  /** create-torrent's default piece length for content of `bytes` bytes. */
  export default function calcPieceLength(bytes: number): number;
}
