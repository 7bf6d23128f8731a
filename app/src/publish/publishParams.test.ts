import { describe, expect, it } from "vitest";
import { parseEther } from "viem";
import { DEFAULT_FORM, nameForPickedFile, percentToBps, validatePublishForm } from "./publishParams.ts";
import { bytes32ToInfohash, infohashToBytes32, magnetURI } from "@web3torrent/sdk/infohash";

const me = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

describe("validatePublishForm", () => {
  it("turns the form into registerContent parameters", () => {
    const v = validatePublishForm(
      { ...DEFAULT_FORM, name: "Album", basePriceEth: "0.05", growth: "0.001", bountyFeePercent: "7.5", maxSupply: "100" },
      me,
    );
    expect(v.errors).toEqual({});
    expect(v).toMatchObject({
      curve: 0,
      basePrice: parseEther("0.05"),
      growth: parseEther("0.001"),
      bountyFeeBps: 750,
      maxSupply: 100n,
      payout: me,
    });
  });

  it("reads exponential growth in percent and enforces the contract's caps", () => {
    expect(validatePublishForm({ ...DEFAULT_FORM, name: "x", curve: "exponential", growth: "5" }, me).growth).toBe(500n);
    expect(validatePublishForm({ ...DEFAULT_FORM, name: "x", curve: "exponential", growth: "100.01" }, me).errors.growth).toMatch(
      /capped at 100%/,
    );
    expect(validatePublishForm({ ...DEFAULT_FORM, name: "x", bountyFeePercent: "20.5" }, me).errors.bountyFeePercent).toMatch(
      /capped at 20%/,
    );
  });

  it("says what is wrong with each field", () => {
    const v = validatePublishForm(
      { ...DEFAULT_FORM, name: " ", basePriceEth: "abc", growth: "-1", maxSupply: "1.5", payout: "0x123" },
      undefined,
    );
    expect(Object.keys(v.errors).sort()).toEqual(["basePriceEth", "growth", "maxSupply", "name", "payout"]);
  });

  it("parses percentages with at most two decimals", () => {
    expect(percentToBps("5")).toBe(500n);
    expect(percentToBps("0.01")).toBe(1n);
    expect(percentToBps("0.001")).toBeNull();
  });
});

describe("infohash", () => {
  it("left-aligns a v1 infohash in a bytes32 and back", () => {
    const hash = "c9e15763f722f23e98a29decdfae341b98d53056";
    const b32 = infohashToBytes32(hash.toUpperCase());
    expect(b32).toBe(`0x${hash}${"0".repeat(24)}`);
    expect(bytes32ToInfohash(b32)).toBe(hash);
    expect(() => infohashToBytes32("xyz")).toThrow(RangeError);
  });

  it("builds a magnet with name and trackers", () => {
    expect(magnetURI("ab", ["ws://127.0.0.1:8000"], "a b")).toBe("magnet:?xt=urn:btih:ab&dn=a%20b&tr=ws%3A%2F%2F127.0.0.1%3A8000");
  });
});

describe("nameForPickedFile", () => {
  it("takes a second file's name when Name still holds the first file's", () => {
    expect(nameForPickedFile("", null, "first.mp4")).toBe("first.mp4");
    expect(nameForPickedFile("first.mp4", "first.mp4", "second.mp4")).toBe("second.mp4");
  });

  it("keeps a name the user typed", () => {
    expect(nameForPickedFile("My film", "first.mp4", "second.mp4")).toBe("My film");
  });
});
