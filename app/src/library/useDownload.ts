/**
 * A paid download over WebTorrent in this tab, with the sdk's w3t_pay leecher: one wallet signature authorises a
 * session key (kept for the day), one transaction deposits into the escrow, then the session key signs every
 * voucher and receipt silently as pieces arrive and verify — or, paying by transactions, the wallet sends a release
 * at each checkpoint; declining one pauses the download until the user approves it or stops and closes the escrow. The torrent is tracked downloading → completed, and the
 * seeders' terms, vouchers and refusals are surfaced as they happen. Failures say what to do: the wallet declined,
 * not enough funds, no tracker, tracker unreachable, no peers, a seeder refusing.
 */
import { formatEth } from "../format/formatEth.ts";
import { startPaidDownload, type PaidDownload } from "@web3torrent/sdk/paidDownload";
import { RefusalReason, type PaymentModeName, type PaymentStrategy } from "@web3torrent/sdk/wire/messages";
import type { PaymentPause } from "@web3torrent/sdk/wire/leecherSession";
import { useCallback, useEffect, useState } from "react";
import { type Address, type PublicClient } from "viem";
import { checkpointEscrowAbi } from "@web3torrent/sdk/generated/contracts";
import { usePublicClient } from "wagmi";
import { useAppConfig } from "../config/ConfigContext.tsx";
import type { ContentRecord } from "../data/types.ts";
import { describeError, type DescribedError } from "../errors/describeError.ts";
import { bytes32ToInfohash } from "@web3torrent/sdk/infohash";
import { useTorrents } from "../torrent/TorrentContext.tsx";
import { keepVerifiedPieces, startupBitfield } from "../torrent/verifiedPieces.ts";
import { useReadyWallet } from "../wallet/readyWallet.ts";
import { useWallet } from "../wallet/useWallet.ts";
import { downloadKeyFor } from "./downloadKey.ts";
import { warmUpSigning } from "./warmUpSigning.ts";
import { amountFor } from "@web3torrent/sdk/checkpointSchedule";

/** How long a download may find no peer before the user is told. */
export const NO_PEERS_TIMEOUT_MS = 20_000;

export type DownloadPhase = "idle" | "authorising" | "depositing" | "downloading" | "settling" | "done" | "stopped" | "failed";

export interface DownloadProblem {
  kind: "no-tracker" | "tracker-unreachable" | "no-peers" | "refused" | "torrent" | "wallet";
  message: string;
  title?: string;
  error?: DescribedError;
}

export interface DownloadOptions {
  mode: PaymentModeName;
  /** Checkpoints paid by silent vouchers, or by a wallet release transaction each. */
  payment: PaymentStrategy;
  /** The most the user pays per MiB; the deposit is the whole content at this price. 0: free seeders only. */
  pricePerMiBCap: bigint;
  /** The expiry of a new delegation, as the page showed it before the prompt. */
  delegationExpiry?: bigint;
}

/** `CheckpointEscrow.Status.Open`. */
const ESCROW_OPEN = 1;

/** How often a completed download checks whether its seeders have redeemed, before it closes. */
export const CLOSE_POLL_MS = 2_000;
/** How long a stop waits for the blocks in flight, then for the seeders to acknowledge the final vouchers. */
const STOP_TIMEOUT_MS = 5_000;

/** What the final vouchers of a stopped download carry. */
export type StoppedPayments = Awaited<ReturnType<PaidDownload["stop"]>>;

/**
 * Sends the session key's Close once every paid seeder that served bytes has redeemed something: only those count
 * towards the cooperative close, so a Close sent earlier would let the first seeder's waiver refund the deposit and
 * leave a seeder that redeems by hand (a tab) unpaid. Gives up when the page goes (the escrow card's close remains).
 */
async function closeOnceSeedersCount(paid: PaidDownload, publicClient: PublicClient, escrow: Address): Promise<void> {
  const escrowId = paid.escrowId;
  if (escrowId === null) return;
  const serving = [...paid.session.ledgers.values()].filter((l) => l.pricePerMiB > 0n && l.received > 0n && !l.refusal);
  for (;;) {
    // Closed meanwhile (the escrow card's close): nothing to send.
    const status = await publicClient
      .readContract({ address: escrow, abi: checkpointEscrowAbi, functionName: "escrow", args: [escrowId] })
      .then(
        (e) => e.status,
        () => null,
      );
    if (status !== null && status !== ESCROW_OPEN) return;
    const redeemed = await Promise.all(
      serving.map((l) =>
        publicClient.readContract({ address: escrow, abi: checkpointEscrowAbi, functionName: "redeemedBy", args: [escrowId, l.seeder] }),
      ),
    ).catch(() => null);
    if (redeemed && redeemed.every((r) => r.amount > 0n)) break;
    await new Promise((resolve) => setTimeout(resolve, CLOSE_POLL_MS));
  }
  await paid.session.sendClose().catch(() => 0);
}

export function useDownload(content: ContentRecord) {
  const config = useAppConfig();
  const publicClient = usePublicClient({ chainId: config.chainId });
  const { address } = useWallet();
  const { getClient, track, update, remove } = useTorrents();
  const { balanceFor, walletClientFor } = useReadyWallet();
  const [phase, setPhase] = useState<DownloadPhase>("idle");
  const [problem, setProblem] = useState<DownloadProblem | null>(null);
  const [download, setDownload] = useState<PaidDownload | null>(null);
  const [paused, setPaused] = useState<PaymentPause | null>(null);

  // The session key made at the click would otherwise pay for the page's first key derivation (./warmUpSigning.ts).
  useEffect(() => {
    warmUpSigning().catch(() => undefined); // the click derives its key itself then
  }, []);

  const start = useCallback(
    async (options: DownloadOptions): Promise<PaidDownload | undefined> => {
      setProblem(null);
      if (!address || !publicClient) return undefined;
      if (config.trackerUrls.length === 0) {
        setProblem({ kind: "no-tracker", message: "No tracker is configured, so no peer can be found. Set trackerUrls in config.json." });
        return undefined;
      }
      const deposit = amountFor(content.size, options.pricePerMiBCap);
      const infoHash = bytes32ToInfohash(content.infohash);
      // The pieces this tab verified before: WebTorrent trusts them (spot-checked) instead of hashing its store. Read
      // while the wallet is asked.
      const bitfield = startupBitfield(infoHash, Number(content.size));
      try {
        // Side by side: Play waits for the slowest of them, not for their sum.
        const [balance, walletClient, client] = await Promise.all([balanceFor(address, deposit), walletClientFor(address), getClient()]);
        if (balance < deposit) {
          setPhase("failed");
          setProblem({
            kind: "wallet",
            message: "",
            error: {
              kind: "insufficient-funds",
              title: "Insufficient funds",
              message: `The deposit is ${formatEth(deposit)} ETH plus gas; your balance is ${formatEth(balance)} ETH. Lower the price cap or add ETH.`,
            },
          });
          return undefined;
        }
        setPhase("authorising");
        // The wallet's delegation prompt (once a day): the sdk reads the chain meanwhile. A decline rejects the download.
        const key = downloadKeyFor(
          walletClient,
          address,
          { chainId: config.chainId, rebatePool: config.contracts.RebatePool },
          options.delegationExpiry,
        );
        key.then(
          () => setPhase(options.pricePerMiBCap > 0n ? "depositing" : "downloading"),
          () => undefined, // reported by startPaidDownload, which awaits the same promise
        );
        const paid = await startPaidDownload({
          client: client as never,
          publicClient: publicClient as PublicClient,
          walletClient,
          account: address,
          chainId: config.chainId,
          contracts: {
            market: config.contracts.LicenseMarket,
            escrow: config.contracts.CheckpointEscrow,
            rebatePool: config.contracts.RebatePool,
          },
          contentId: content.contentId,
          // As the index has it: the torrent starts at once, and the sdk checks it against the chain before the deposit.
          content: { infohash: content.infohash, size: content.size },
          key,
          pricePerMiBCap: options.pricePerMiBCap,
          mode: options.mode,
          payment: options.payment,
          announce: config.trackerUrls,
          torrentOptions: { bitfield: await bitfield },
        });
        setDownload(paid);
        setPhase("downloading");
        const torrent = paid.torrent as unknown as import("../torrent/webtorrentTypes.ts").Torrent;
        keepVerifiedPieces(torrent);
        track({
          infoHash,
          contentId: content.contentId,
          name: content.metadata.name,
          status: torrent.done ? "completed" : "downloading",
          torrent,
          startedAt: Date.now(),
          escrowId: paid.escrowId,
          session: paid.session,
        });
        // The download never uploads (the sdk's leecher refuses uploads on every wire); it seeds only through the
        // seeder extension, once the user chooses to ("Seed it").
        paid.session.observer = {
          paused: setPaused,
          refused: (ledger, refusal, bySeeder) => {
            // A completed download stays completed and paid: a seeder that ends its wire afterwards (the escrow
            // is closing) changes nothing the user needs to act on.
            if (torrent.done) return;
            const who = ledger ? ` ${ledger.seeder.slice(0, 10)}…` : "";
            if (refusal.reason === RefusalReason.BadData) {
              setProblem({
                kind: "refused",
                title: "A seeder sent data that failed its check",
                message: `Seeder${who} sent data that failed its check (${refusal.message}). It is paid nothing more, and the piece is fetched again. Wait for other seeders, or stop and close the escrow to get the rest of your deposit back.`,
              });
              return;
            }
            setProblem({
              kind: "refused",
              title: bySeeder ? "A seeder refused to serve you" : "You declined a seeder's terms",
              message: bySeeder
                ? `Seeder${who} refused to serve you: ${refusal.message} (${refusal.reason}). Other seeders may still serve you; if none does, stop and close the escrow to get your deposit back.`
                : `You declined seeder${who}: ${refusal.message}. Nothing was paid to it. Wait for other seeders, or stop, close the escrow and download again with a higher price cap.`,
            });
          },
        };
        torrent.on("done", () => {
          update(infoHash, { status: "completed" });
          setPhase("settling");
        });
        torrent.on("warning", (warning: Error | string) => {
          const text = typeof warning === "string" ? warning : warning.message;
          if (/tracker|websocket|connect/i.test(text) && torrent.numPeers === 0) {
            setProblem({
              kind: "tracker-unreachable",
              message: `The tracker is unreachable (${text}). WebTorrent keeps retrying; check that the tracker runs and trackerUrls in config.json.`,
            });
          }
        });
        const noPeers = setTimeout(() => {
          if (!torrent.done && torrent.numPeers === 0) {
            setProblem({
              kind: "no-peers",
              message:
                "No seeder has answered yet. The download starts as soon as one connects; your deposit stays yours (close the escrow below to get it back).",
            });
          }
        }, NO_PEERS_TIMEOUT_MS);
        torrent.on("wire", () => {
          clearTimeout(noPeers);
          setProblem((p) => (p?.kind === "no-peers" || p?.kind === "tracker-unreachable" ? null : p));
        });
        paid.done.then(
          () => {
            setPhase("done");
            // Kept with the torrent, not in this component: the user may have left the page meanwhile.
            update(infoHash, { settled: true });
            // The session key closes the escrow (no prompt): the seeders submit it with their last voucher and
            // the refund lands in their transaction. No seeder reached: the escrow card's close is the way out.
            void closeOnceSeedersCount(paid, publicClient as PublicClient, config.contracts.CheckpointEscrow);
          },
          (error: Error) => {
            setPhase("failed");
            setProblem({ kind: "torrent", message: error.message });
          },
        );
        return paid;
      } catch (error) {
        setPhase("failed");
        setProblem({ kind: "wallet", message: "", error: describeError(error) });
        return undefined;
      }
    },
    [address, balanceFor, config, content, getClient, publicClient, track, update, walletClientFor],
  );

  /**
   * Stops the download and pays the seeders for exactly the bytes received: nothing more is requested, the blocks in
   * flight land, and each seeder gets one final voucher for what it delivered; then the session key's signed Close goes
   * to the seeders, which settle the escrow. Resolves with the number of seeders the Close reached (0 leaves the escrow
   * open, for the wallet's close) and what the final vouchers carry (null when nothing ran).
   */
  const stop = useCallback(async (): Promise<{ sent: number; final: StoppedPayments | null }> => {
    if (!download) return { sent: 0, final: null };
    // A seeder that does not acknowledge in time keeps what it holds; the Close goes anyway (the escrow stops either way).
    const final = await download.stop(STOP_TIMEOUT_MS).catch(() => null);
    const sent = await download.session.sendClose().catch(() => 0);
    await remove(bytes32ToInfohash(content.infohash));
    setPhase("stopped");
    setProblem(null);
    setPaused(null);
    return { sent, final };
  }, [content.infohash, download, remove]);

  /** After a declined release: asks the wallet again for what the seeders wait for. */
  const resume = useCallback(() => download?.session.resume(), [download]);

  return { start, stop, resume, paused, phase, problem, download, dismiss: () => setProblem(null) };
}
