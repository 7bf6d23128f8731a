/**
 * WebTorrent client options for Web3Torrent peers. Paid content travels only between peers that found each other
 * through the project's trackers: no DHT, no local discovery, no NAT port mapping, no web seeds.
 */

/** ICE servers: none on one machine or a LAN (a STUN server that cannot be reached only delays every connection). */
export function torrentClientOptions(iceServers: { urls: string | string[] }[] = []): Record<string, unknown> {
  return {
    dht: false,
    lsd: false,
    utp: false,
    natUpnp: false,
    natPmp: false,
    webSeeds: false,
    tracker: { rtcConfig: { iceServers } },
  };
}
