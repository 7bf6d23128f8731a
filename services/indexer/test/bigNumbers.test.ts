/** graph-node's BigInt byte encoding and BigDecimal arithmetic, as mappings see them through the host functions. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BigDecimal, bigIntFromSignedLE, bigIntToSignedLE, checkBigIntSize } from "../src/runtime/bigNumbers.ts";

describe("BigInt bytes", () => {
  it("are the shortest little-endian two's complement, as num-bigint's to_signed_bytes_le", () => {
    const cases: [bigint, number[]][] = [
      [0n, [0]],
      [1n, [1]],
      [127n, [0x7f]],
      [128n, [0x80, 0]],
      [255n, [0xff, 0]],
      [256n, [0, 1]],
      [-1n, [0xff]],
      [-128n, [0x80]],
      [-129n, [0x7f, 0xff]],
      [-256n, [0, 0xff]],
    ];
    for (const [value, bytes] of cases) {
      assert.deepEqual([...bigIntToSignedLE(value)], bytes, `${value}`);
      assert.equal(bigIntFromSignedLE(Uint8Array.from(bytes)), value);
    }
    assert.equal(bigIntFromSignedLE(new Uint8Array()), 0n);
  });

  it("round-trips uint256 and int256 extremes", () => {
    for (const value of [2n ** 256n - 1n, -(2n ** 255n), 2n ** 255n - 1n, 10n ** 30n, -(10n ** 30n)]) {
      assert.equal(bigIntFromSignedLE(bigIntToSignedLE(value)), value);
    }
    assert.equal(bigIntToSignedLE(2n ** 256n - 1n).length, 33, "a set top bit takes a sign byte");
  });

  it("refuses numbers far beyond any on-chain value", () => {
    assert.equal(checkBigIntSize(2n ** 1000n), 2n ** 1000n);
    assert.throws(() => checkBigIntSize(2n ** 500_000n), /BigInt is too big/);
  });
});

describe("BigDecimal", () => {
  it("normalises: no trailing zeros, zero is 0e0", () => {
    const x = BigDecimal.of(12_300n, -2);
    assert.equal(x.digits, 123n);
    assert.equal(x.exp, 0);
    assert.deepEqual([BigDecimal.of(0n, -7).digits, BigDecimal.of(0n, -7).exp], [0n, 0]);
  });

  it("keeps 34 significant digits, rounding positive values half up and truncating negative ones", () => {
    const up = BigDecimal.of(12_345_678_901_234_567_890_123_456_789_012_345n, 0); // 35 digits, last 5
    assert.equal(up.toString(), "12345678901234567890123456789012350");
    const down = BigDecimal.of(12_345_678_901_234_567_890_123_456_789_012_344n, 0);
    assert.equal(down.toString(), "12345678901234567890123456789012340");
    const negative = BigDecimal.of(-12_345_678_901_234_567_890_123_456_789_012_349n, 0);
    assert.equal(negative.toString(), "-12345678901234567890123456789012340");
  });

  it("prints plain decimal notation", () => {
    assert.equal(BigDecimal.parse("1e3").toString(), "1000");
    assert.equal(BigDecimal.parse("0.001").toString(), "0.001");
    assert.equal(BigDecimal.parse("-12.50").toString(), "-12.5");
    assert.equal(BigDecimal.parse("+7E-2").toString(), "0.07");
    assert.equal(BigDecimal.parse("0").toString(), "0");
  });

  it("adds, subtracts, multiplies and compares exactly", () => {
    const a = BigDecimal.parse("1.25");
    const b = BigDecimal.parse("0.75");
    assert.equal(a.plus(b).toString(), "2");
    assert.equal(a.minus(b).toString(), "0.5");
    assert.equal(a.times(b).toString(), "0.9375");
    assert.equal(a.compare(b), 1);
    assert.equal(b.compare(a), -1);
    assert.ok(BigDecimal.parse("2.0").equals(BigDecimal.parse("2")));
  });

  it("divides to 34 significant digits and refuses a zero divisor", () => {
    assert.equal(BigDecimal.parse("1").dividedBy(BigDecimal.parse("3")).toString(), "0." + "3".repeat(34));
    assert.equal(BigDecimal.parse("2").dividedBy(BigDecimal.parse("3")).toString(), "0." + "6".repeat(33) + "7");
    assert.equal(BigDecimal.parse("-1").dividedBy(BigDecimal.parse("8")).toString(), "-0.125");
    assert.equal(BigDecimal.parse("10").dividedBy(BigDecimal.parse("4")).toString(), "2.5");
    assert.throws(() => BigDecimal.parse("1").dividedBy(BigDecimal.parse("0")), /attempted to divide BigDecimal `1` by zero/);
  });

  it("rejects what is not a decimal number", () => {
    for (const text of ["", "abc", "1.2.3", "1e", "."]) assert.throws(() => BigDecimal.parse(text), /is not a BigDecimal/, text);
  });
});
