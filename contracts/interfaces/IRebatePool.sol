// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ILicenseMarket} from "./ILicenseMarket.sol";

/// @title IRebatePool
/// @notice The types, events and errors of {RebatePool}, and how the license market hands it a purchase's fees.
interface IRebatePool {
    /// @notice A leecher's receipt for `seeder` (the batch's seeder), with the wallet's delegation of the session key.
    /// @param leecher The license holder who received the bytes and whose wallet signed the delegation.
    /// @param contentId The content served.
    /// @param cumulativeBytes All bytes of `contentId` this seeder has served this leecher so far.
    /// @param sessionKey The key that signed the receipt.
    /// @param delegationExpiry Unix time after which the delegation is no longer accepted.
    /// @param delegationSig The leecher wallet's EIP-712 signature of
    /// `Delegation(wallet: leecher, sessionKey, expiry: delegationExpiry)`.
    /// @param receiptSig The session key's EIP-712 signature of `Receipt(leecher, seeder, contentId, cumulativeBytes)`.
    struct SignedReceipt {
        address leecher;
        uint256 contentId;
        uint256 cumulativeBytes;
        address sessionKey;
        uint64 delegationExpiry;
        bytes delegationSig;
        bytes receiptSig;
    }

    /// @notice Names one license for {sweepMany}.
    struct LicenseKey {
        address licensee;
        uint256 contentId;
    }

    /// @notice The license market was bound.
    event LicenseMarketBound(address indexed market);

    /// @notice Emitted once, at deployment: epoch `n` runs from `genesis + n * epochDuration`, and an allowance can be
    /// swept `allowanceExpiry` seconds after its last funding.
    event EpochScheduleSet(uint256 genesis, uint32 epochDuration, uint32 allowanceExpiry);
    /// @notice `amount` was added to the allowance of (`licensee`, `contentId`); its expiry restarts now.
    event AllowanceFunded(address indexed licensee, uint256 indexed contentId, uint256 amount, uint256 remainingAfter);
    /// @notice The network fee `amount` of a purchase for (`licensee`, `contentId`) went into the pool during `epoch`
    /// (the carry: the pool of `epoch` if it gets weight, else of the next epoch with weight) and into the license's
    /// weight budget.
    event NetworkFeePooled(address indexed licensee, uint256 indexed contentId, uint256 amount, uint256 epoch);
    /// @notice A receipt was accepted: `creditedBytes` (after the size cap) count in `epoch`, paid `payout` wei from
    /// the license's allowance to the seeder's balance and added `weight` (their network-fee part) to the seeder's
    /// weight in `epoch`. The seeder's cumulative amount is now `cumulativeBytes`.
    event ReceiptCredited(
        address indexed leecher,
        address indexed seeder,
        uint256 indexed contentId,
        uint256 cumulativeBytes,
        uint256 creditedBytes,
        uint256 payout,
        uint256 weight,
        uint256 epoch
    );
    /// @notice A receipt of a batch was not newer than the `alreadyCredited` bytes of its (leecher, seeder, content),
    /// e.g. someone else submitted it first: it was skipped and the rest of the batch went on.
    event ReceiptSkipped(
        address indexed leecher,
        address indexed seeder,
        uint256 indexed contentId,
        uint256 cumulativeBytes,
        uint256 alreadyCredited
    );
    /// @notice The unearned `amount` of (`licensee`, `contentId`) moved to the carry during `epoch`; it becomes the
    /// pool of the next epoch (from `epoch` on) with weight. `weightDropped`, the license's unused weight budget, can
    /// no longer be credited (its network fee is already in a pool).
    event AllowanceSwept(
        address indexed licensee, uint256 indexed contentId, uint256 amount, uint256 weightDropped, uint256 epoch
    );
    /// @notice `epoch` is over and its pool is final: `pool` wei shared in proportion to weight, `totalWeight` for all
    /// seeders together. The carry it got above its weight, `rolledForward`, stayed in the carry for the next epoch
    /// with weight (so `pool <= totalWeight` and every share is `pool * weight / totalWeight`). Its credited bytes are
    /// the sum of the `creditedBytes` of its {ReceiptCredited} events.
    event EpochFinalized(uint256 indexed epoch, uint256 pool, uint256 totalWeight, uint256 rolledForward);
    /// @notice The owner moved the carry's surplus `amount`, which no weight could ever claim, to `to`.
    event SurplusReleased(address indexed to, uint256 amount);
    /// @notice `seeder` claimed its share of `epoch`'s pool: `amount`, in proportion to its `weight` in `epoch` (for
    /// `bytesCredited` bytes), at most `weight`.
    event EpochShareClaimed(
        address indexed seeder, uint256 indexed epoch, uint256 bytesCredited, uint256 weight, uint256 amount
    );
    /// @notice Someone settled `seeder`'s share of `epoch`'s pool (see {EpochShareClaimed}): `amount` was added to the
    /// seeder's balance.
    event EpochShareSettled(
        address indexed seeder, uint256 indexed epoch, uint256 bytesCredited, uint256 weight, uint256 amount
    );
    /// @notice `seeder` was paid `fromBalance + fromEpochs`: its whole balance and its epoch shares.
    event Claimed(address indexed seeder, uint256 fromBalance, uint256 fromEpochs);

    /// @notice An epoch must last at least one second.
    error ZeroEpochDuration();
    /// @notice An allowance must stay unsweepable for at least one second after its funding.
    error ZeroAllowanceExpiry();
    /// @notice The allowance expiry is above `MAX_ALLOWANCE_EXPIRY`.
    error AllowanceExpiryTooLong(uint32 allowanceExpiry, uint256 max);
    /// @notice The purchase would fund the license's allowance above `MAX_ALLOWANCE`.
    error AllowanceAboveMax(address licensee, uint256 contentId, uint256 allowance);
    /// @notice The purchase would fund the license's weight budget above `MAX_WEIGHT_BUDGET`.
    error WeightBudgetAboveMax(address licensee, uint256 contentId, uint256 weightBudget);
    /// @notice The market to bind must be non-zero.
    error ZeroLicenseMarket();
    /// @notice The license market is bound already, to `market`; it is bound once.
    error MarketAlreadyBound(ILicenseMarket market);
    /// @notice Receipts are credited only once a license market is bound.
    error MarketNotBound();
    /// @notice Only the bound license market may fund licenses.
    error OnlyLicenseMarket(address caller);
    /// @notice A batch (of receipts, licenses or seeders) holds at least one item.
    error EmptyBatch();
    /// @notice The leecher's delegation of its session key expired at `expiry`.
    error DelegationExpired(address leecher, uint64 expiry);
    /// @notice The delegation of `sessionKey` is not signed by `leecher`'s wallet (ECDSA or ERC-1271).
    error InvalidDelegationSignature(address leecher, address sessionKey);
    /// @notice The receipt is not signed by the delegated `sessionKey` (ECDSA only).
    error InvalidReceiptSignature(address leecher, address sessionKey);
    /// @notice `leecher` holds no license of `contentId` now.
    error NoLicense(address leecher, uint256 contentId);
    /// @notice The allowance and the weight budget of the license are both empty.
    error NothingToSweep(address licensee, uint256 contentId);
    /// @notice The license's allowance may be swept only from `expiresAt`.
    error NotExpired(address licensee, uint256 contentId, uint256 expiresAt);
    /// @notice Only an epoch before `currentEpoch` has a final pool.
    error EpochNotFinished(uint256 epoch, uint256 currentEpoch);
    /// @notice `seeder` has no balance and no share of the epochs listed.
    error NothingToClaim(address seeder);
    /// @notice No seeder listed had an unsettled share of `epoch`.
    error NothingToSettle(uint256 epoch);
    /// @notice The market passed a network fee above the value it sent.
    error NetworkFeeAboveValue(uint256 networkFee, uint256 value);
    /// @notice The carry holds no surplus: all of it may still pay weight.
    error NothingToRelease();

    /// @notice Takes a purchase's fees (`msg.value`): `networkFee` goes into the current epoch's pool and buys the
    /// license's weight budget, the rest (the bounty fee) is added to the rebate allowance of the license
    /// (`licensee`, `contentId`).
    /// @dev Only the bound license market may call it; `networkFee <= msg.value`.
    function fundLicense(address licensee, uint256 contentId, uint256 networkFee) external payable;
}
