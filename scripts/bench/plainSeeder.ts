/**
 * The plain-WebTorrent side of the P2P benchmark: seeds a file with an unmodified WebTorrent client (no w3t_pay),
 * prints "ready" once seeding, and runs until it is killed.
 *
 *   node scripts/bench/plainSeeder.ts <file> <tracker URL>
 */
import WebTorrent from "webtorrent";
import { torrentClientOptions } from "@web3torrent/sdk/torrentClient";
import { createContentTorrent } from "@web3torrent/seeder/torrent";

const [file, tracker] = process.argv.slice(2);
const torrent = await createContentTorrent(file, [tracker]);
const client = new WebTorrent(torrentClientOptions());
const { dirname } = await import("node:path");
client.add(Buffer.from(torrent.torrentFile), { path: dirname(file), announce: [tracker], skipVerify: true }, () => {
  console.log(JSON.stringify({ event: "ready", infoHash: torrent.infoHash }));
});
process.on("SIGTERM", () => client.destroy(() => process.exit(0)));
