/**
 * Signing warmed up while the viewer decides. The first secp256k1 key a page derives builds the curve's precomputed
 * tables (about 100 ms in a busy tab), and a first Play or Download derives one on its click path: the session key
 * made just before the wallet's delegation prompt, which waits for it. Every later key takes about a millisecond. So
 * a page that may download derives a throwaway key and signs once with it, in idle time; nothing of it is kept.
 */
import { SessionKey } from "@web3torrent/sdk/sessionKey";
import { zeroAddress } from "viem";

/** How long the warm-up may wait for an idle moment. */
const IDLE_TIMEOUT_MS = 1_000;

let warming: Promise<void> | null = null;

/** Once per page: derives a throwaway key and signs with it when the page is idle; resolves when done. */
export function warmUpSigning(): Promise<void> {
  warming ??= new Promise<void>((resolve, reject) => {
    const run = () => {
      SessionKey.generate()
        .signClose({ chainId: 1, escrow: zeroAddress }, 0n)
        .then(() => resolve(), reject);
    };
    if (typeof requestIdleCallback === "function") requestIdleCallback(run, { timeout: IDLE_TIMEOUT_MS });
    else setTimeout(run, 0);
  });
  return warming;
}
