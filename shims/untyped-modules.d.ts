// WebTorrent's packages ship no type declarations; the project uses them through the small typed surfaces in
// sdk/src/wire/wire.ts and sdk/src/paidDownload.ts.
declare module "webtorrent";
declare module "create-torrent";
declare module "parse-torrent";
declare module "bittorrent-tracker";
