/**
 * Watch while paying: plays a licensed video or audio file in a media element while its paid download runs.
 * Play starts the download if it is not running (the same wallet flow as Download), then points the element at
 * WebTorrent's stream server: the element's range requests select the pieces at the playhead first (WebTorrent's
 * stream selection and critical pieces), so a seek moves the fetch. The seeder's checkpoints are unchanged: vouchers
 * are signed as the bytes arrive. Stop early stops the download and settles the escrow; the page then shows
 * what was watched, received, paid and refunded.
 *
 * Settling costs no prompt: stopping the download sends the session key's signed Close to the seeders, which
 * submit it with their last voucher and waiver (`settleClose`), so the escrow may go from Open straight to refunded.
 * Only when no seeder was reached does the wallet close it, and then take the refund once the seeders waived
 * their challenge window (or it passed).
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { useTorrents, type AppTorrent } from "../torrent/TorrentContext.tsx";
import type { Torrent, TorrentFile } from "../torrent/webtorrentTypes.ts";
import { useWallet } from "../wallet/useWallet.ts";
import { mediaKindOf, playedSeconds } from "./player/mediaKind.ts";
import { followPlayhead } from "./player/followPlayhead.ts";
import { ensureStreamServer } from "./player/streamServer.ts";
import { useChainTime } from "./useChainTime.ts";
import type { useDownload } from "./useDownload.ts";
import { useEscrowActions } from "./useEscrowActions.ts";
import { useMyEscrows, type MyEscrow } from "./useMyEscrows.ts";

export type PlaybackPhase = "idle" | "starting" | "playing" | "closing" | "refunding" | "settled" | "failed";

/** Who closes the escrow on Stop: the seeders with the session key's Close (no prompt), or the wallet. */
export type ClosedBy = "session-key" | "wallet";

export interface WatchSummary {
  watchedSeconds: number;
  /** Bytes received from the seeders: for a stopped download, what its final receipts attest. */
  receivedBytes: bigint;
  /** What the final vouchers of a stopped download carry (null for one that had completed). */
  paid: { paidBytes: bigint; paidAmount: bigint } | null;
  escrow: MyEscrow | null;
}

type Watch = Omit<WatchSummary, "escrow"> & { escrowId: bigint | null };

type Download = ReturnType<typeof useDownload>;

function whenReady(torrent: Torrent): Promise<void> {
  if (torrent.ready || torrent.files.length > 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    torrent.once("ready", () => resolve());
    torrent.once("error", (error: Error | string) => reject(typeof error === "string" ? new Error(error) : error));
  });
}

function mediaFile(files: TorrentFile[]): TorrentFile | undefined {
  return files.find((f) => mediaKindOf(f.name)) ?? files[0];
}

/** Starts the element, muted if the browser refuses sound without a fresh click (the wallet steps took it). */
async function startElement(media: HTMLMediaElement): Promise<boolean> {
  try {
    await media.play();
    return false;
  } catch (error) {
    if ((error as DOMException).name !== "NotAllowedError") throw error;
    media.muted = true;
    await media.play();
    return true;
  }
}

export function usePlayback({
  entry,
  download,
  startDownload,
}: {
  entry: AppTorrent | undefined;
  download: Download;
  startDownload: () => Promise<unknown>;
}) {
  const { getClient } = useTorrents();
  const { address } = useWallet();
  const escrows = useMyEscrows(address);
  const actions = useEscrowActions();
  const now = useChainTime();
  const element = useRef<HTMLMediaElement | null>(null);
  const torrentRef = useRef<Torrent | null>(null);
  const refundSent = useRef(false);
  const unfollow = useRef<(() => void) | null>(null);
  const [phase, setPhase] = useState<PlaybackPhase>("idle");
  const [closedBy, setClosedBy] = useState<ClosedBy | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [mutedByBrowser, setMutedByBrowser] = useState(false);
  const [watch, setWatch] = useState<Watch | null>(null);
  if (entry) torrentRef.current = entry.torrent;

  // Warms up while the viewer decides: WebTorrent's bundle loaded, its client made, the service worker active,
  // so that Play waits only for the wallet and the first pieces. The client announces nothing until a download.
  useEffect(() => {
    getClient()
      .then(ensureStreamServer)
      .catch(() => undefined); // Play reports the failure, when the viewer asks for it
  }, [getClient]);

  const play = useCallback(async () => {
    setError(null);
    setWatch(null);
    setClosedBy(null);
    setPhase("starting");
    try {
      let torrent: Torrent | undefined = entry?.torrent;
      if (!torrent) torrent = ((await startDownload()) as { torrent?: Torrent } | undefined)?.torrent;
      // No torrent: the wallet step failed or was declined; the download panel says why.
      if (!torrent) return setPhase("idle");
      torrentRef.current = torrent;
      await ensureStreamServer(await getClient());
      await whenReady(torrent);
      const file = mediaFile(torrent.files);
      const media = element.current;
      if (!file || !media) throw new Error("The torrent has no file to play.");
      unfollow.current?.();
      unfollow.current = followPlayhead(torrent, file, media);
      file.streamTo(media);
      setPhase("playing");
      setMutedByBrowser(await startElement(media));
    } catch (e) {
      setPhase("failed");
      setError((e as Error).message);
    }
  }, [entry, getClient, startDownload]);

  /**
   * Stops watching: the download asks for nothing more, the blocks in flight land, and the final vouchers pay each
   * seeder for exactly what it delivered; the summary shows those same numbers, then the escrow's settlement.
   */
  const stop = useCallback(async () => {
    unfollow.current?.();
    unfollow.current = null;
    const media = element.current;
    const watchedSeconds = media ? playedSeconds(media.played) : 0;
    if (media) {
      media.pause();
      media.removeAttribute("src");
      media.load();
    }
    const escrowId = download.download?.escrowId ?? entry?.escrowId ?? null;
    const running = entry?.status === "downloading";
    // A completed download was paid in full when it completed: its bytes are the whole content.
    const downloaded = (): Pick<Watch, "receivedBytes" | "paid"> => ({
      receivedBytes: BigInt(torrentRef.current?.downloaded ?? 0),
      paid: null,
    });
    if (!running || escrowId === null) {
      const final = running ? (await download.stop()).final : null;
      setWatch({ watchedSeconds, escrowId: null, ...(final ? { receivedBytes: final.receivedBytes, paid: final } : downloaded()) });
      return setPhase("settled");
    }
    refundSent.current = false;
    setClosedBy("session-key");
    setPhase("closing");
    // The seeders settle the escrow with the Close: their last voucher, the close, their waiver and the refund in one
    // transaction. The escrow may then be refunded without ever showing "Closing": the effect below waits for the
    // refund whichever way it comes.
    const { sent, final } = await download.stop();
    setWatch({ watchedSeconds, escrowId, ...(final ? { receivedBytes: final.receivedBytes, paid: final } : downloaded()) });
    if (sent > 0) return setPhase("refunding");
    // No seeder reached: the wallet closes it; the refund follows once the seeders' challenge window is waived
    // or over (effect below).
    setClosedBy("wallet");
    const receipt = await actions.close(escrowId);
    setPhase(receipt ? "refunding" : "failed");
  }, [actions, download, entry]);

  const escrow = watch?.escrowId != null ? (escrows.data?.find((e) => e.escrowId === watch.escrowId) ?? null) : null;
  useEffect(() => {
    if (phase !== "refunding" || !escrow) return;
    if (escrow.status === "Closed") return setPhase("settled");
    // Closed by the session key's Close, the seeders take the refund for the user (no prompt); the escrow card's
    // refund stays the way out if none does.
    if (closedBy !== "wallet") return;
    const refundable = escrow.status === "Closing" && (escrow.allWaived || (now !== null && now >= escrow.closesAt));
    if (refundable && !refundSent.current && !actions.busy) {
      refundSent.current = true;
      actions.refund(escrow.escrowId).then((receipt) => {
        if (!receipt) setPhase("failed");
      });
    }
  }, [actions, closedBy, escrow, now, phase]);

  const summary: WatchSummary | null = watch
    ? { watchedSeconds: watch.watchedSeconds, receivedBytes: watch.receivedBytes, paid: watch.paid, escrow }
    : null;
  return { element, phase, closedBy, error, mutedByBrowser, play, stop, summary, actions, torrent: torrentRef.current };
}
