import { SessionKey } from "@web3torrent/sdk/sessionKey";
import { describe, expect, test } from "vitest";
import { warmUpSigning } from "./warmUpSigning.ts";

describe("warmUpSigning", () => {
  test("after it, the session key of a click is derived in a fraction of the warm-up's time", async () => {
    const started = performance.now();
    await warmUpSigning();
    const warmUp = performance.now() - started;
    const derived = performance.now();
    SessionKey.generate();
    expect(performance.now() - derived).toBeLessThan(warmUp / 4);
  });

  test("runs once per page", () => {
    expect(warmUpSigning()).toBe(warmUpSigning());
  });
});
