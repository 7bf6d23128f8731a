// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {CheckpointSchedule} from "../libraries/CheckpointSchedule.sol";

/// @title ICheckpointEscrow
/// @notice The types, events and errors of {CheckpointEscrow}: incremental payment of seeders for one licensed
/// download, against cumulative vouchers signed by the leecher's session key.
interface ICheckpointEscrow {
    /// @notice Life cycle of an escrow; `None` marks an id never opened.
    enum Status {
        None,
        Open,
        Closing,
        Closed
    }

    /// @notice Signed by the escrow's session key: `seeder` may redeem `cumulativeAmount` in total from `escrowId`
    /// for `cumulativeBytes` in total.
    struct Voucher {
        uint256 escrowId;
        address seeder;
        uint256 cumulativeBytes;
        uint256 cumulativeAmount;
    }

    /// @notice Why {redeemBatch} passed over a voucher without paying it: each is a state others can bring about
    /// (another redemption of the voucher, the leecher's close and the passing time, other seeders' redemptions), so
    /// none may void the seeder's batch.
    enum SkipReason {
        NotNewer,
        NotRedeemable,
        DepositExhausted
    }

    /// @notice One download's deposit. Packed so that a redemption reads two slots and writes only the first.
    /// Amounts are uint96: more wei than will ever exist (2^96 wei is about 79 billion ether).
    struct Escrow {
        // Slot 0: read and written by every redemption and release.
        uint96 unpaid; // deposit - paid - reserved: what any seeder can still be paid; once Closed, refunded too
        uint64 maxBytes;
        uint40 lastActivity;
        Status status;
        CheckpointSchedule.Mode mode;
        uint32 seeders; // seeders that have redeemed a non-zero amount
        // Slot 1: read by every redemption.
        address sessionKey;
        uint96 pricePerMiB;
        // Slot 2.
        address leecher;
        uint96 deposit;
        // Slot 3: read by redemptions only while the escrow is closing.
        uint40 closesAt;
        uint32 waivers; // seeders among `seeders` that have waived their challenge window
        uint96 reserved; // the sum of the seeders' reservations (`Redemption.reserved`), refunded with `unpaid`
        // Slot 4.
        uint256 contentId;
    }

    /// @notice What one seeder has redeemed from one escrow, cumulatively.
    struct Redemption {
        uint96 amount;
        uint64 cumulativeBytes;
        bool waived;
        uint88 reserved; // set aside for this seeder's next interval: only its own vouchers are paid from it
    }

    /// @notice An escrow was opened; `deposit` is the whole `msg.value`.
    event EscrowOpened(
        uint256 indexed escrowId,
        address indexed leecher,
        uint256 indexed contentId,
        address sessionKey,
        CheckpointSchedule.Mode mode,
        uint64 maxBytes,
        uint128 pricePerMiB,
        uint256 deposit
    );
    /// @notice A voucher was redeemed; `paid` is what this redemption added to the seeder's record and the escrow's
    /// paid total (less than the voucher's increase when the deposit ran short).
    event VoucherRedeemed(
        uint256 indexed escrowId,
        address indexed seeder,
        uint256 cumulativeBytes,
        uint256 cumulativeAmount,
        uint256 paid
    );
    /// @notice A batch passed over a voucher of `seeder` for `cumulativeAmount`, paying nothing for it;
    /// `alreadyRedeemed` is the seeder's record in the escrow.
    event VoucherSkipped(
        uint256 indexed escrowId,
        address indexed seeder,
        uint256 cumulativeAmount,
        uint256 alreadyRedeemed,
        SkipReason reason
    );
    /// @notice `seeder` now holds `amount` of the escrow's deposit for the interval up to checkpoint `untilBytes`
    /// (its previous reservation, if any, went back to what any seeder can be paid).
    event IntervalReserved(uint256 indexed escrowId, address indexed seeder, uint256 untilBytes, uint256 amount);
    /// @notice The leecher released checkpoint `cumulativeBytes` to `seeder`; `amount` is what this release added
    /// to the seeder's record and the escrow's paid total.
    event CheckpointReleased(uint256 indexed escrowId, address indexed seeder, uint256 cumulativeBytes, uint256 amount);
    /// @notice The escrow was closed; redemptions remain possible until `closesAt`.
    event EscrowClosing(uint256 indexed escrowId, uint40 closesAt);
    /// @notice `seeder` gave up the rest of its challenge window on the escrow.
    event ChallengeWaived(uint256 indexed escrowId, address indexed seeder);
    /// @notice The session key's signed `Close(escrowId)` closed the escrow; `submitter` sent it.
    event CloseSignatureUsed(uint256 indexed escrowId, address indexed submitter);
    /// @notice The escrow ended (status Closed) and `amount`, the deposit not paid out, went to the leecher.
    event EscrowRefunded(uint256 indexed escrowId, address indexed leecher, uint256 amount);
    /// @notice The challenge window for escrows closed from now on changed (also emitted at deployment).
    event ChallengeWindowUpdated(uint32 oldWindow, uint32 newWindow);
    /// @notice The idle expiry changed (also emitted at deployment).
    event IdleExpiryUpdated(uint32 oldExpiry, uint32 newExpiry);

    /// @notice The constructor was given no license market.
    error ZeroMarket();
    /// @notice The challenge window is outside [`min`, `max`] (`MIN_CHALLENGE_WINDOW`, `MAX_CHALLENGE_WINDOW`).
    error ChallengeWindowOutOfRange(uint32 window, uint32 min, uint32 max);
    /// @notice The idle expiry is outside [`min`, `max`] (`MIN_IDLE_EXPIRY`, `MAX_IDLE_EXPIRY`).
    error IdleExpiryOutOfRange(uint32 expiry, uint32 min, uint32 max);
    /// @notice Only a holder of a license of `contentId` may open an escrow for it.
    error NoLicense(address account, uint256 contentId);
    /// @notice An escrow covers at least one byte and at most the content's size.
    error MaxBytesOutOfRange(uint256 maxBytes, uint256 contentSize);
    /// @notice The price per MiB is zero or above `MAX_PRICE_PER_MIB` (open), or above the escrow's cap (release).
    error PricePerMiBOutOfRange(uint256 pricePerMiB, uint256 maxPricePerMiB);
    /// @notice An escrow needs a session key to sign its vouchers.
    error ZeroSessionKey();
    /// @notice The deposit does not cover `maxBytes` at `pricePerMiB`: `required` wei, only `sent`.
    error InsufficientDeposit(uint256 required, uint256 sent);
    /// @notice No escrow was opened with this id.
    error EscrowNotFound(uint256 escrowId);
    /// @notice The escrow pays seeders only while open or closing within its challenge window.
    error EscrowNotRedeemable(uint256 escrowId);
    /// @notice The signature is not the escrow's session key's over the voucher.
    error InvalidVoucherSignature(uint256 escrowId);
    /// @notice The signature is not the escrow's session key's over `Close(escrowId)`.
    error InvalidCloseSignature(uint256 escrowId);
    /// @notice {settleClose} is sent by the seeder its voucher pays, as its waiver is the sender's.
    error CallerNotSeeder(address caller, address seeder);
    /// @notice A payment needs a seeder to go to.
    error ZeroSeeder();
    /// @notice The voucher counts more bytes than the escrow covers.
    error BytesOverMax(uint256 cumulativeBytes, uint256 maxBytes);
    /// @notice The voucher asks more than its bytes cost at the escrow's price per MiB (`maxAmount`).
    error VoucherOverPrice(uint256 cumulativeAmount, uint256 maxAmount);
    /// @notice The voucher's cumulative amount is not above what the seeder already redeemed (replayed or older).
    error VoucherNotNewer(uint256 cumulativeAmount, uint256 alreadyRedeemed);
    /// @notice The checkpoint released is worth no more than what the seeder already redeemed.
    error CheckpointNotNewer(uint256 cumulativeAmount, uint256 alreadyRedeemed);
    /// @notice The seeder waived its challenge window on the escrow: its record is final.
    error SeederWaived(uint256 escrowId, address seeder);
    /// @notice Nothing is left of the escrow's deposit.
    error DepositExhausted(uint256 escrowId);
    /// @notice A batch redeems at least one voucher.
    error EmptyBatch();
    /// @notice A batch needs exactly one signature per voucher.
    error LengthMismatch(uint256 vouchers, uint256 signatures);
    /// @notice Every voucher of a batch names the batch's seeder.
    error SeederMismatch(address seeder, address voucherSeeder);
    /// @notice Only the escrow's leecher may release checkpoints.
    error CallerNotLeecher(address caller);
    /// @notice The byte count is not a checkpoint of the escrow's schedule.
    error NotACheckpoint(uint256 cumulativeBytes);
    /// @notice Only an open escrow can be closed.
    error EscrowNotOpen(uint256 escrowId);
    /// @notice Only the leecher may close the escrow before `idleAt`, when it becomes idle.
    error EscrowNotIdle(uint256 escrowId, uint256 idleAt);
    /// @notice Refunds and waivers need a closing escrow.
    error EscrowNotClosing(uint256 escrowId);
    /// @notice Only a seeder that has redeemed from the escrow may waive its challenge window.
    error NothingRedeemed(uint256 escrowId, address seeder);
    /// @notice The refund waits until `closesAt`, unless every seeder that has redeemed waived its window.
    error ChallengeWindowOpen(uint256 escrowId, uint256 closesAt);
    /// @notice `to` did not accept the `amount` wei paid to it.
    error TransferFailed(address to, uint256 amount);
}
