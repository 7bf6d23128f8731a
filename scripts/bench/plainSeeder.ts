/**
 * The plain-WebTorrent side of the P2P benchmark: seeds a file with an unmodified WebTorrent client (no w3t_pay),
 * prints "ready" once seeding, and runs until it is killed. With `--coalesced`, its wires coalesce their writes as the
 * product's do (sdk/src/wire/coalescedWrites.ts), to tell what paying costs from what the transport saves.
 *
 *   node scripts/bench/plainSeeder.ts <file> <tracker URL> [--coalesced]
 */
import WebTorrent from "webtorrent";
import { torrentClientOptions } from "@web3torrent/sdk/torrentClient";
import { createContentTorrent } from "@web3torrent/seeder/torrent";
import { coalesceWrites } from "@web3torrent/sdk/wire/coalescedWrites";

const [file, tracker, coalesced] = process.argv.slice(2);
const torrent = await createContentTorrent(file, [tracker]);
const client = new WebTorrent(torrentClientOptions());
const { dirname } = await import("node:path");
const seeded = client.add(Buffer.from(torrent.torrentFile), { path: dirname(file), announce: [tracker], skipVerify: true }, () => {
  console.log(JSON.stringify({ event: "ready", infoHash: torrent.infoHash }));
});
if (coalesced === "--coalesced") seeded.on("wire", (wire: object) => coalesceWrites(wire));
process.on("SIGTERM", () => client.destroy(() => process.exit(0)));
