/**
 * graph-node's big numbers: BigInt as little-endian two's complement bytes (the AssemblyScript `BigInt` is a
 * Uint8Array), and BigDecimal as `digits × 10^exp`, normalised after every operation to at most 34 significant
 * digits without trailing zeros, printed in plain decimal notation.
 */

/** Reads a BigInt from its little-endian two's complement bytes (empty means zero). */
export function bigIntFromSignedLE(bytes: Uint8Array): bigint {
  const length = bytes.length;
  if (length === 0) return 0n;
  let value = 0n;
  for (let i = length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  if (bytes[length - 1] & 0x80) value -= 1n << BigInt(8 * length);
  return value;
}

/** The shortest little-endian two's complement bytes of `value` (zero is one zero byte). */
export function bigIntToSignedLE(value: bigint): Uint8Array {
  let length = 1;
  if (value >= 0n) {
    while (value >= 1n << BigInt(8 * length - 1)) length++;
  } else {
    while (value < -(1n << BigInt(8 * length - 1))) length++;
  }
  let word = value < 0n ? (1n << BigInt(8 * length)) + value : value;
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    bytes[i] = Number(word & 0xffn);
    word >>= 8n;
  }
  return bytes;
}

/** Arbitrary-precision integers in graph-node are bounded; beyond this a mapping is most likely broken. */
const MAX_BIG_INT_BITS = 435_412n;

export function checkBigIntSize(value: bigint): bigint {
  const magnitude = value < 0n ? -value : value;
  if (magnitude >> MAX_BIG_INT_BITS !== 0n)
    throw new Error(`BigInt is too big, total bits ${magnitude.toString(2).length} (max ${MAX_BIG_INT_BITS})`);
  return value;
}

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

function digitCount(magnitude: bigint): number {
  return magnitude === 0n ? 1 : magnitude.toString().length;
}

/** A decimal number `digits × 10^exp`, always normalised as graph-node normalises it. */
export class BigDecimal {
  static readonly MAX_SIGNIFICANT_DIGITS = 34;
  /** Digits computed by a division before normalisation. */
  static readonly DIVISION_PRECISION = 100;

  readonly digits: bigint;
  readonly exp: number;

  private constructor(digits: bigint, exp: number) {
    this.digits = digits;
    this.exp = exp;
  }

  /** `digits × 10^exp`, rounded to 34 significant digits (half up on the dropped digits' lead, positive values
   * only, as graph-node's decimal library does) and stripped of trailing zeros. */
  static of(digits: bigint, exp: number): BigDecimal {
    if (digits === 0n) return new BigDecimal(0n, 0);
    const negative = digits < 0n;
    const count = digitCount(negative ? -digits : digits);
    if (count > BigDecimal.MAX_SIGNIFICANT_DIGITS) {
      const dropped = count - BigDecimal.MAX_SIGNIFICANT_DIGITS;
      const divisor = pow10(dropped);
      let quotient = digits / divisor;
      const remainder = digits % divisor;
      if (!negative && divisor < 10n * remainder && roundsUp(remainder)) quotient += 1n;
      digits = quotient;
      exp += dropped;
    }
    while (digits !== 0n && digits % 10n === 0n) {
      digits /= 10n;
      exp += 1;
    }
    return digits === 0n ? new BigDecimal(0n, 0) : new BigDecimal(digits, exp);
  }

  static fromBigInt(value: bigint): BigDecimal {
    return BigDecimal.of(value, 0);
  }

  /** Parses `-12.345`, `1e-3`, `+7E+2` ...; throws on anything else. */
  static parse(text: string): BigDecimal {
    const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
    if (!match || (match[2] === "" && (match[3] ?? "") === "")) throw new Error(`string is not a BigDecimal: '${text}'`);
    const [, sign, whole, fraction = "", exponent = "0"] = match;
    const digits = BigInt(whole + fraction || "0");
    return BigDecimal.of(sign === "-" ? -digits : digits, Number(exponent) - fraction.length);
  }

  plus(other: BigDecimal): BigDecimal {
    const exp = Math.min(this.exp, other.exp);
    return BigDecimal.of(this.digits * pow10(this.exp - exp) + other.digits * pow10(other.exp - exp), exp);
  }

  minus(other: BigDecimal): BigDecimal {
    return this.plus(BigDecimal.of(-other.digits, other.exp));
  }

  times(other: BigDecimal): BigDecimal {
    return BigDecimal.of(this.digits * other.digits, this.exp + other.exp);
  }

  /** Long division to 100 digits, the last rounded half up, then normalised. Throws on a zero divisor. */
  dividedBy(other: BigDecimal): BigDecimal {
    if (other.digits === 0n) throw new Error(`attempted to divide BigDecimal \`${this.toString()}\` by zero`);
    if (this.digits === 0n) return this;
    const negative = this.digits < 0n !== other.digits < 0n;
    let numerator = this.digits < 0n ? -this.digits : this.digits;
    const denominator = other.digits < 0n ? -other.digits : other.digits;
    let exp = this.exp - other.exp;
    while (numerator < denominator) {
      numerator *= 10n;
      exp -= 1;
    }
    let quotient = numerator / denominator;
    let remainder = numerator % denominator;
    let precision = digitCount(quotient);
    while (remainder !== 0n && precision < BigDecimal.DIVISION_PRECISION) {
      remainder *= 10n;
      quotient = quotient * 10n + remainder / denominator;
      remainder %= denominator;
      precision += 1;
      exp -= 1;
    }
    if (remainder !== 0n && (remainder * 10n) / denominator >= 5n) quotient += 1n;
    return BigDecimal.of(negative ? -quotient : quotient, exp);
  }

  equals(other: BigDecimal): boolean {
    return this.digits === other.digits && this.exp === other.exp;
  }

  compare(other: BigDecimal): number {
    const difference = this.minus(other).digits;
    return difference === 0n ? 0 : difference < 0n ? -1 : 1;
  }

  /** Plain decimal notation: `1000`, `0.001`, `-12.5`. */
  toString(): string {
    const negative = this.digits < 0n;
    const abs = (negative ? -this.digits : this.digits).toString();
    let text: string;
    if (this.exp >= 0) {
      text = abs + "0".repeat(this.exp);
    } else {
      const scale = -this.exp;
      text =
        scale >= abs.length
          ? `0.${"0".repeat(scale - abs.length)}${abs}`
          : `${abs.slice(0, abs.length - scale)}.${abs.slice(abs.length - scale)}`;
    }
    return negative ? `-${text}` : text;
  }
}

/** Whether the dropped digits `remainder` (with its leading digit non-zero) round the kept part up: lead ≥ 5. */
function roundsUp(remainder: bigint): boolean {
  return Number(remainder.toString()[0]) >= 5;
}
