declare module "webtorrent/dist/webtorrent.min.js" {
  const WebTorrent: unknown;
  export default WebTorrent;
}
