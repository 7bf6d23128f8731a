/** bittorrent-protocol ships no types; the sdk declares the part it uses (sdk/src/wire/wire.ts), tests cast. */
declare module "bittorrent-protocol" {
  const Wire: unknown;
  export default Wire;
}
