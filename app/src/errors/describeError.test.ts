import { describe, expect, it } from "vitest";
import { licenseMarketAbi } from "@web3torrent/sdk/generated/contracts";
import {
  BaseError,
  ContractFunctionExecutionError,
  ContractFunctionRevertedError,
  encodeErrorResult,
  parseEther,
  UserRejectedRequestError,
} from "viem";
import { describeError } from "./describeError.ts";

function revert(errorName: "SlippageExceeded" | "InfohashAlreadyRegistered", args: readonly unknown[]) {
  const data = encodeErrorResult({ abi: licenseMarketAbi, errorName, args: args as never });
  const cause = new ContractFunctionRevertedError({ abi: licenseMarketAbi, data, functionName: "buy" });
  return new ContractFunctionExecutionError(cause, { abi: licenseMarketAbi, functionName: "buy", args: [] });
}

describe("describeError", () => {
  it("decodes the slippage guard with both amounts in ETH", () => {
    const d = describeError(revert("SlippageExceeded", [parseEther("0.0176"), parseEther("0.0154")]));
    expect(d.kind).toBe("slippage");
    expect(d.errorName).toBe("SlippageExceeded");
    expect(d.message).toContain("0.0176 ETH");
    expect(d.message).toContain("0.0154 ETH");
  });

  it("shows amounts with a few decimals, not 18", () => {
    const d = describeError(revert("SlippageExceeded", [1_234_567_890_123_456_789n, 48_000_000_000_000n]));
    expect(d.message).toContain("≈1.234567 ETH");
    expect(d.message).toContain("0.000048 ETH");
    expect(d.message).not.toContain("1.234567890123456789");
  });

  it("points a publisher at the existing content", () => {
    const d = describeError(revert("InfohashAlreadyRegistered", [`0x${"ab".repeat(32)}`, 7n]));
    expect(d.title).toMatch(/already published/);
    expect(d.message).toContain("#7");
  });

  it("recognises a declined wallet request, wrapped or raw", () => {
    expect(describeError(new UserRejectedRequestError(new Error("User denied"))).kind).toBe("rejected");
    expect(describeError({ code: 4001, message: "User denied transaction signature." }).kind).toBe("rejected");
    expect(describeError(new BaseError("wrapped", { cause: Object.assign(new Error("denied"), { code: 4001 }) })).kind).toBe("rejected");
  });

  it("recognises insufficient funds and an unknown chain", () => {
    expect(describeError(new Error("insufficient funds for gas * price + value")).kind).toBe("insufficient-funds");
    expect(
      describeError(new BaseError("switch failed", { cause: Object.assign(new Error("Unrecognized chain"), { code: 4902 }) })).kind,
    ).toBe("wrong-chain");
  });

  it("keeps the message of anything else", () => {
    expect(describeError(new Error("boom"))).toMatchObject({ kind: "unknown", message: "boom" });
  });
});
