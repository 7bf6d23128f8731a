/**
 * The checkpoint schedule of a paid download, mirrored exactly from `contracts/libraries/CheckpointSchedule.sol`.
 *
 * Exponential: payment is due at FIRST_CHECKPOINT·(2^(k+1) − 1) cumulative bytes (10, 30, 70, 150 MiB, ...; each
 * interval twice the previous) below `total`, then at `total`. Upfront: one checkpoint, `total`, before any byte.
 * All values are bigints in the range of a Solidity uint256; the functions throw a RangeError outside it, where the
 * contract would not accept the value or would revert.
 */

/** How a download is paid; the numbers are the Solidity enum's. */
export const CheckpointMode = { Exponential: 0, Upfront: 1 } as const;
export type CheckpointMode = (typeof CheckpointMode)[keyof typeof CheckpointMode];

/** Bytes in one MiB, the unit prices are quoted in. */
export const MIB = 1n << 20n;
/** Cumulative bytes of the first exponential checkpoint. */
export const FIRST_CHECKPOINT = 10n * MIB;

const UINT256_MAX = (1n << 256n) - 1n;

function uint256(name: string, value: bigint): bigint {
  if (value < 0n || value > UINT256_MAX) throw new RangeError(`${name} is not a uint256: ${value}`);
  return value;
}

function mode(value: CheckpointMode): CheckpointMode {
  if (value !== CheckpointMode.Exponential && value !== CheckpointMode.Upfront) {
    throw new RangeError(`unknown checkpoint mode: ${value}`);
  }
  return value;
}

/** floor(log2(x)) for x > 0, as OpenZeppelin's Math.log2. */
function log2(x: bigint): bigint {
  return BigInt(x.toString(2).length - 1);
}

/** The exponential checkpoint k, regardless of total. */
function boundary(k: bigint): bigint {
  return FIRST_CHECKPOINT * ((2n << k) - 1n);
}

/** The number of checkpoints of a download of `total` bytes (0 when `total` is 0). */
export function checkpointCount(m: CheckpointMode, total: bigint): bigint {
  mode(m);
  uint256("total", total);
  if (total === 0n) return 0n;
  if (m === CheckpointMode.Upfront) return 1n;
  return log2((total - 1n) / FIRST_CHECKPOINT + 1n) + 1n;
}

/** The cumulative byte count of checkpoint `index` (0-based); the last one is `total`. */
export function checkpointAt(m: CheckpointMode, index: bigint, total: bigint): bigint {
  uint256("index", index);
  const count = checkpointCount(m, total);
  if (index >= count) throw new RangeError(`checkpoint index ${index} out of range (count ${count})`);
  return index === count - 1n ? total : boundary(index);
}

/**
 * The smallest checkpoint greater than `servedBytes`, or `total` once `servedBytes` has reached it: the byte count
 * at which the seeder stops sending and asks for a voucher.
 */
export function nextCheckpoint(m: CheckpointMode, servedBytes: bigint, total: bigint): bigint {
  mode(m);
  uint256("servedBytes", servedBytes);
  uint256("total", total);
  if (m === CheckpointMode.Upfront || servedBytes >= total) return total;
  const multiple = (2n << log2(servedBytes / FIRST_CHECKPOINT + 1n)) - 1n;
  return multiple > total / FIRST_CHECKPOINT ? total : multiple * FIRST_CHECKPOINT;
}

/** Whether `cumulativeBytes` is one of the checkpoints of a download of `total` bytes. */
export function isCheckpoint(m: CheckpointMode, cumulativeBytes: bigint, total: bigint): boolean {
  mode(m);
  uint256("cumulativeBytes", cumulativeBytes);
  uint256("total", total);
  if (cumulativeBytes === 0n || cumulativeBytes > total) return false;
  if (cumulativeBytes === total) return true;
  if (m === CheckpointMode.Upfront || cumulativeBytes % FIRST_CHECKPOINT !== 0n) return false;
  const multiplePlusOne = cumulativeBytes / FIRST_CHECKPOINT + 1n;
  return (multiplePlusOne & (multiplePlusOne - 1n)) === 0n;
}

/** Every checkpoint of a download of `total` bytes, in increasing order. */
export function checkpoints(m: CheckpointMode, total: bigint): bigint[] {
  const count = checkpointCount(m, total);
  const list: bigint[] = [];
  for (let i = 0n; i < count; i++) list.push(checkpointAt(m, i, total));
  return list;
}

/**
 * The price of `cumulativeBytes` at `pricePerMiB` wei per MiB, rounded down (in the leecher's favour). Like the
 * contract's checked arithmetic, it refuses a product `cumulativeBytes * pricePerMiB` beyond uint256.
 */
export function amountFor(cumulativeBytes: bigint, pricePerMiB: bigint): bigint {
  uint256("cumulativeBytes", cumulativeBytes);
  uint256("pricePerMiB", pricePerMiB);
  return uint256("cumulativeBytes * pricePerMiB", cumulativeBytes * pricePerMiB) / MIB;
}

/**
 * What `CheckpointEscrow.redeemAndReserve` sets aside for a seeder paid `paidAmount` for `paidBytes` so that it is
 * paid up to `until` (as `CheckpointSchedule.reservationFor`): at the seeder's price when the payment shows it exactly,
 * else an upper bound (the cap, or the payment's price rounded up, each plus one wei), before what is left caps it.
 */
export function reservationFor(paidBytes: bigint, paidAmount: bigint, until: bigint, capPricePerMiB: bigint): bigint {
  if (until <= paidBytes || paidBytes === 0n) return 0n;
  const scaled = paidAmount * MIB;
  if (paidBytes % MIB === 0n && scaled % paidBytes === 0n && scaled / paidBytes <= capPricePerMiB)
    return amountFor(until, scaled / paidBytes) - paidAmount;
  const atCap = amountFor(until, capPricePerMiB) - amountFor(paidBytes, capPricePerMiB) + 1n;
  const atPaid = ((paidAmount + 1n) * (until - paidBytes) + paidBytes - 1n) / paidBytes + 1n;
  return atCap < atPaid ? atCap : atPaid;
}
