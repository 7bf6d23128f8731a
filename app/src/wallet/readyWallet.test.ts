import type { WalletClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, test, vi } from "vitest";
import { balanceCovering, walletClientOf } from "./readyWallet.ts";

const ALICE = privateKeyToAccount(`0x${"11".repeat(32)}`);
const BOB = privateKeyToAccount(`0x${"22".repeat(32)}`);

describe("balanceCovering", () => {
  test("takes the known balance when it covers the deposit, without a read", async () => {
    const read = vi.fn(async () => 1n);
    expect(await balanceCovering(10n, 10n, read)).toBe(10n);
    expect(read).not.toHaveBeenCalled();
  });

  test("reads again when the known balance falls short or is unknown: a top-up since counts", async () => {
    expect(await balanceCovering(9n, 10n, async () => 50n)).toBe(50n);
    expect(await balanceCovering(undefined, 10n, async () => 50n)).toBe(50n);
  });
});

describe("walletClientOf", () => {
  const clientOf = (account: typeof ALICE) => ({ account }) as unknown as WalletClient;

  test("takes the client kept ready for the account, without asking the wallet", async () => {
    const ready = clientOf(ALICE);
    const get = vi.fn(async () => clientOf(ALICE));
    expect(await walletClientOf(ALICE.address, ready, get)).toBe(ready);
    expect(get).not.toHaveBeenCalled();
  });

  test("asks the wallet when the client kept is another account's, or there is none", async () => {
    const fresh = clientOf(ALICE);
    expect(await walletClientOf(ALICE.address, clientOf(BOB), async () => fresh)).toBe(fresh);
    expect(await walletClientOf(ALICE.address, undefined, async () => fresh)).toBe(fresh);
  });
});
