/**
 * Leecher sessions as the seeder's tests drive them: one that never pays, and the seeder's refusal as a leecher
 * receives it.
 */
import { LeecherSession, type RefusalMessage, type W3tPayMessage } from "@web3torrent/sdk/wire/index";

/** Takes the blocks and signs nothing: no voucher, no receipt. */
export class SilentSession extends LeecherSession {
  /** Whether the seeder asked it to pay. */
  asked = false;
  override async answer(): Promise<W3tPayMessage[]> {
    this.asked = true;
    return [];
  }
}

/**
 * The first refusal `session` receives from a seeder (not one it sends), with the bytes it had from that seeder then.
 * Takes over `session.observer`.
 */
export function seederRefusal(session: LeecherSession): Promise<{ refusal: RefusalMessage; receivedThen: bigint }> {
  return new Promise((resolve) => {
    session.observer = {
      refused: (ledger, refusal, bySeeder) => {
        if (bySeeder) resolve({ refusal, receivedThen: ledger?.received ?? 0n });
      },
    };
  });
}
