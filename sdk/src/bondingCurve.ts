/**
 * The license price curves of the LicenseMarket, in the same integer operations as
 * `contracts/libraries/BondingCurve.sol` and `LicenseMarket.quote`, so the app and the services show
 * exactly what the contract will charge (a test compares them to the wei). Change both together.
 *
 * License number `i` (0-based) costs `base + slope·i` (linear) or `base·r^i` with `r = 1 + growthBps/10_000`
 * in wad fixed point (exponential). Where the contract would revert on arithmetic overflow, these functions
 * throw a RangeError.
 */

/** The `CurveKind` enum of the contract. */
export const CurveKind = { Linear: 0, Exponential: 1 } as const;
export type CurveKind = (typeof CurveKind)[keyof typeof CurveKind];

/** Fixed-point one. */
export const WAD = 10n ** 18n;
/** One basis point in wad. */
export const WAD_PER_BPS = 10n ** 14n;
/** Basis points in one. */
export const BPS = 10_000n;
/** Fee and growth caps enforced by the contract. */
export const MAX_NETWORK_FEE_BPS = 1_000n;
export const MAX_BOUNTY_FEE_BPS = 2_000n;
export const MAX_GROWTH_BPS = 10_000n;

const MAX_UINT256 = 2n ** 256n - 1n;

/** What `quote(contentId, quantity)` returns. */
export interface Quote {
  curvePrice: bigint;
  networkFee: bigint;
  bountyFee: bigint;
  total: bigint;
}

/** The curve parameters of a content, as in `LicenseMarket.content(id)`. */
export interface CurveParams {
  curve: CurveKind | number;
  basePrice: bigint;
  /** Linear: slope in wei per license. Exponential: growth in basis points per license. */
  growth: bigint;
}

/** Solidity's checked arithmetic: results outside uint256 revert there, so they throw here. */
function checked(x: bigint): bigint {
  if (x < 0n || x > MAX_UINT256) throw new RangeError("arithmetic overflow: the contract reverts");
  return x;
}

/** OpenZeppelin `Math.mulDiv`: floor(a·b/d) with a full-width product; throws where it panics. */
export function mulDiv(a: bigint, b: bigint, d: bigint): bigint {
  if (d === 0n) throw new RangeError("division by zero: the contract reverts");
  return checked((a * b) / d);
}

/** `x^n` in wad by exponentiation by squaring, each product rounded down, as `BondingCurve.rpow`. */
export function rpow(x: bigint, n: bigint): bigint {
  let z = WAD;
  while (n !== 0n) {
    if ((n & 1n) !== 0n) z = mulDiv(z, x, WAD);
    n >>= 1n;
    if (n !== 0n) x = mulDiv(x, x, WAD);
  }
  return z;
}

function linearCost(base: bigint, slope: bigint, supply: bigint, quantity: bigint): bigint {
  if (quantity === 0n) return 0n;
  const pairs = checked(quantity * (quantity - 1n)) / 2n;
  const steps = checked(checked(quantity * supply) + pairs);
  return checked(checked(quantity * base) + checked(slope * steps));
}

function exponentialCost(base: bigint, growthBps: bigint, supply: bigint, quantity: bigint): bigint {
  if (growthBps === 0n) return checked(quantity * base);
  const ratio = checked(WAD + checked(growthBps * WAD_PER_BPS));
  const end = checked(supply + quantity);
  return mulDiv(base, rpow(ratio, end) - rpow(ratio, supply), ratio - WAD);
}

/** The curve price (publisher's share, no fees) of licenses `supply` .. `supply + quantity - 1`. */
export function curvePrice(curve: CurveKind | number, base: bigint, growth: bigint, supply: bigint, quantity: bigint): bigint {
  if (curve === CurveKind.Linear) return linearCost(base, growth, supply, quantity);
  if (curve === CurveKind.Exponential) return exponentialCost(base, growth, supply, quantity);
  throw new RangeError(`unknown curve kind ${curve}`);
}

/** The curve price of the license after `supply` licenses have been sold (`LicenseMarket.nextPrice`). */
export function nextPrice(curve: CurveKind | number, base: bigint, growth: bigint, supply: bigint): bigint {
  return curvePrice(curve, base, growth, supply, 1n);
}

/**
 * `LicenseMarket.quote`: the cost of `quantity` licenses at `supply`, with the network fee and the
 * content's bounty fee, each rounded down. The contract also checks quantity > 0 and the max supply.
 */
export function quote(params: CurveParams, supply: bigint, quantity: bigint, networkFeeBps: bigint, bountyFeeBps: bigint): Quote {
  const price = curvePrice(params.curve, params.basePrice, params.growth, supply, quantity);
  const networkFee = checked(price * networkFeeBps) / BPS;
  const bountyFee = checked(price * bountyFeeBps) / BPS;
  return { curvePrice: price, networkFee, bountyFee, total: checked(checked(price + networkFee) + bountyFee) };
}
