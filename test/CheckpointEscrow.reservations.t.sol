// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "./utils/Test.sol";
import {vm} from "./utils/Vm.sol";
import {CheckpointEscrow} from "../contracts/CheckpointEscrow.sol";
import {CheckpointSchedule} from "../contracts/libraries/CheckpointSchedule.sol";
import {EscrowFixture} from "./CheckpointEscrow.t.sol";
import {ICheckpointEscrow} from "../contracts/interfaces/ICheckpointEscrow.sol";

/// @notice A seeder's reservation (issue 13): the leecher's key signs the rest of the deposit to a sybil seeder that
/// redeems while the honest seeder serves the interval it checked; the honest seeder's next voucher is still paid.
contract CheckpointEscrowReservationTest is EscrowFixture {
    address internal constant HONEST = address(0xBEEF);
    address internal constant SYBIL = address(0x5B11);
    uint96 internal constant PRICE = 1 gwei;
    uint64 internal constant MAX_BYTES = uint64(15 * FIRST); // checkpoints at 10, 30, 70 and 150 MiB

    function _voucher(uint256 id, address seeder, uint256 bytes_)
        internal
        view
        returns (ICheckpointEscrow.Voucher memory v, bytes memory sig)
    {
        v = ICheckpointEscrow.Voucher(id, seeder, bytes_, CheckpointSchedule.amountFor(bytes_, PRICE));
        sig = _sign(escrow, SESSION_PK, v);
    }

    /// @notice The attack, on the old rules: a voucher alone is not money. After the honest seeder redeemed its first
    /// voucher and started serving the second interval (the deposit covered it), the sybil redeems the rest of the
    /// deposit; the honest seeder's second voucher pays nothing.
    function test_Redeem_SybilDrainMidIntervalTakesWhatAPlainRedemptionCountedOn() public {
        uint256 id = _open(MAX_BYTES, PRICE, CheckpointSchedule.Mode.Exponential);
        (ICheckpointEscrow.Voucher memory first, bytes memory firstSig) = _voucher(id, HONEST, FIRST);
        escrow.redeem(first, firstSig);
        assertGe(escrow.remaining(id), CheckpointSchedule.amountFor(2 * FIRST, PRICE), "the next interval was covered");

        (ICheckpointEscrow.Voucher memory drain, bytes memory drainSig) = _voucher(id, SYBIL, 14 * FIRST);
        escrow.redeem(drain, drainSig);

        (ICheckpointEscrow.Voucher memory second, bytes memory secondSig) = _voucher(id, HONEST, 3 * FIRST);
        vm.expectRevert(abi.encodeWithSelector(ICheckpointEscrow.DepositExhausted.selector, id));
        escrow.redeem(second, secondSig);
    }

    /// @notice The fix: the honest seeder redeems its first voucher with `redeemAndReserve`, which sets aside its
    /// second interval; the sybil's redemption of "the whole deposit" gets only what nobody reserved, and the honest
    /// seeder's second voucher is paid in full.
    function test_RedeemAndReserve_SybilDrainMidIntervalCannotTakeTheReservation() public {
        uint256 id = _open(MAX_BYTES, PRICE, CheckpointSchedule.Mode.Exponential);
        (ICheckpointEscrow.Voucher memory first, bytes memory firstSig) = _voucher(id, HONEST, FIRST);
        uint256 interval = CheckpointSchedule.amountFor(2 * FIRST, PRICE);
        vm.expectEmit();
        emit ICheckpointEscrow.IntervalReserved(id, HONEST, 3 * FIRST, interval);
        uint256 reserved = escrow.redeemAndReserve(first, firstSig);
        assertEq(reserved, interval, "the next interval, at the seeder's price, is reserved");
        assertEq(escrow.redeemedBy(id, HONEST).reserved, interval, "recorded for the seeder");
        assertEq(escrow.escrow(id).reserved, interval, "and in the escrow's total");

        (ICheckpointEscrow.Voucher memory drain, bytes memory drainSig) = _voucher(id, SYBIL, 14 * FIRST);
        uint256 free = escrow.remaining(id);
        escrow.redeem(drain, drainSig);
        assertEq(SYBIL.balance, free, "the sybil gets only what nobody reserved");

        (ICheckpointEscrow.Voucher memory second, bytes memory secondSig) = _voucher(id, HONEST, 3 * FIRST);
        escrow.redeem(second, secondSig);
        assertEq(HONEST.balance, second.cumulativeAmount, "the honest seeder is paid all it served");
        assertEq(escrow.redeemedBy(id, HONEST).reserved, 0, "the reservation was exactly the interval");
    }

    /// @notice Redeeming the seeder's voucher with a plain `redeem` ahead of it does not deny the seeder its
    /// reservation; a leecher's release reserves the next interval as well; a closed escrow reserves nothing.
    function test_RedeemAndReserve_FrontRunStillReservesAndReleaseReservesToo() public {
        uint256 id = _open(MAX_BYTES, PRICE, CheckpointSchedule.Mode.Exponential);
        (ICheckpointEscrow.Voucher memory first, bytes memory firstSig) = _voucher(id, HONEST, FIRST);
        escrow.redeem(first, firstSig);
        uint256 interval = CheckpointSchedule.amountFor(2 * FIRST, PRICE);
        assertEq(escrow.redeemAndReserve(first, firstSig), interval, "reserved although already redeemed");
        assertEq(HONEST.balance, first.cumulativeAmount, "and paid once");

        vm.prank(leecher);
        escrow.release(id, SYBIL, FIRST, PRICE);
        assertEq(escrow.redeemedBy(id, SYBIL).reserved, interval, "a release reserves the next interval");

        vm.prank(leecher);
        escrow.close(id);
        (ICheckpointEscrow.Voucher memory second, bytes memory secondSig) = _voucher(id, HONEST, 3 * FIRST);
        assertEq(escrow.redeemAndReserve(second, secondSig), 0, "no new reservation once closing");
        assertEq(HONEST.balance, second.cumulativeAmount, "the voucher is still paid from the reservation");
        assertEq(escrow.escrow(id).reserved, interval, "only the sybil's is left: the honest one was used up");
    }

    /// @notice Reserving again releases the old reservation first; the refund returns unused reservations.
    function test_Refund_ReturnsUnusedReservationsToTheLeecher() public {
        uint256 id = _open(MAX_BYTES, PRICE, CheckpointSchedule.Mode.Exponential);
        (ICheckpointEscrow.Voucher memory first, bytes memory firstSig) = _voucher(id, HONEST, FIRST);
        escrow.redeemAndReserve(first, firstSig);
        (ICheckpointEscrow.Voucher memory second, bytes memory secondSig) = _voucher(id, HONEST, 3 * FIRST);
        uint256 reserved = escrow.redeemAndReserve(second, secondSig);
        assertEq(
reserved, CheckpointSchedule.amountFor(4 * FIRST, PRICE), "third interval");
        assertEq(escrow.escrow(id).reserved, reserved, "the old reservation was released, not added");

        vm.prank(leecher);
        escrow.close(id);
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        uint256 deposit = escrow.escrow(id).deposit;
        escrow.refund(id);
        assertEq(leecher.balance, deposit - second.cumulativeAmount, "the leecher gets back all it did not pay");
        assertEq(address(escrow).balance, 0, "nothing stays locked");
    }

    /// @notice Whatever the session key signs to others and in whatever order they redeem, a seeder that reserved
    /// with its voucher is paid its next voucher up to its reservation, and the reservations never exceed what is
    /// unpaid.
    function testFuzz_RedeemAndReserve_ReservationPaysOnlyItsSeeder(
        uint96 price,
        uint8 checkpoint,
        uint256[4] memory sybilBytes,
        uint256 nextSeed
    ) public {
        price = uint96(bound(price, MIB, 1 ether)); // at least a wei per byte, so that every later voucher is newer
        uint256 id = _open(CONTENT_SIZE, price, CheckpointSchedule.Mode.Exponential);
        uint256 first = CheckpointSchedule.checkpointAt(CheckpointSchedule.Mode.Exponential, bound(checkpoint, 0, 8), CONTENT_SIZE);
        ICheckpointEscrow.Voucher memory v =
            ICheckpointEscrow.Voucher(id, HONEST, first, CheckpointSchedule.amountFor(first, price));
        uint256 reserved = escrow.redeemAndReserve(v, _sign(escrow, SESSION_PK, v));

        for (uint256 i; i < sybilBytes.length; ++i) {
            uint256 bytes_ = bound(sybilBytes[i], 1, CONTENT_SIZE);
            address sybil = address(uint160(0x5B1100 + i));
            ICheckpointEscrow.Voucher memory s =
                ICheckpointEscrow.Voucher(id, sybil, bytes_, CheckpointSchedule.amountFor(bytes_, price));
            bytes memory sig = _sign(escrow, SESSION_PK, s);
            if (escrow.remaining(id) == 0) {
                vm.expectRevert(abi.encodeWithSelector(ICheckpointEscrow.DepositExhausted.selector, id));
                escrow.redeem(s, sig);
            } else if (i % 2 == 0) {
                escrow.redeem(s, sig);
            } else {
                escrow.redeemAndReserve(s, sig);
            }
            ICheckpointEscrow.Escrow memory e = escrow.escrow(id);
            assertLe(e.reserved, e.deposit - _paid(id, i), "reservations within what is unpaid");
        }

        uint256 next = CheckpointSchedule.nextCheckpoint(CheckpointSchedule.Mode.Exponential, first, CONTENT_SIZE);
        uint256 upTo = bound(nextSeed, first + 1, next);
        ICheckpointEscrow.Voucher memory later =
            ICheckpointEscrow.Voucher(id, HONEST, upTo, CheckpointSchedule.amountFor(upTo, price));
        uint256 owed = later.cumulativeAmount - v.cumulativeAmount;
        assertLe(owed, reserved, "the reservation covers any voucher up to the next checkpoint");
        escrow.redeem(later, _sign(escrow, SESSION_PK, later));
        assertEq(HONEST.balance, later.cumulativeAmount, "paid in full whatever the sybils redeemed");
    }

    /// @dev The escrow's paid total after `sybils + 1` sybils redeemed: the honest seeder's record and theirs.
    function _paid(uint256 id, uint256 sybils) private view returns (uint256 paid) {
        paid = escrow.redeemedBy(id, HONEST).amount;
        for (uint256 i; i <= sybils; ++i) {
            paid += escrow.redeemedBy(id, address(uint160(0x5B1100 + i))).amount;
        }
    }
}

/// @notice Drives one escrow's seeders: each redeems vouchers the session key signed for it, with or without a
/// reservation, alone or in a batch, in any order; the leecher releases checkpoints, closes, and anyone refunds.
/// Ghosts: the reservation each seeder held when its next voucher was signed, and a flag when a voucher within a
/// seeder's reservation was not paid in full.
contract ReservationHandler {
    uint256 internal constant SEEDERS = 3;
    uint256 internal constant PK = 0xC0FFEE;
    uint256 internal constant PRICE = 1 gwei;
    uint64 internal constant MAX_BYTES = uint64(150 * CheckpointSchedule.MIB);

    CheckpointEscrow public immutable escrow;
    uint256 public immutable escrowId;
    address public immutable leecher;
    address[SEEDERS] internal _seeders;
    bool public reservationNotHonoured;
    bool public refunded;

    constructor(CheckpointEscrow escrow_, uint256 escrowId_, address leecher_) {
        escrow = escrow_;
        escrowId = escrowId_;
        leecher = leecher_;
        for (uint256 i; i < SEEDERS; ++i) {
            _seeders[i] = address(uint160(0x5EED00 + i));
        }
    }

    function seederAt(uint256 i) external view returns (address) {
        return _seeders[i];
    }

    function redeem(uint256 seederSeed, uint256 bytesSeed, bool reserve, bool batch) external {
        address seeder = _seeders[seederSeed % SEEDERS];
        ICheckpointEscrow.Redemption memory before = escrow.redeemedBy(escrowId, seeder);
        uint256 bytes_ = _bound(bytesSeed, 1, MAX_BYTES);
        ICheckpointEscrow.Voucher memory v =
            ICheckpointEscrow.Voucher(escrowId, seeder, bytes_, CheckpointSchedule.amountFor(bytes_, PRICE));
        (uint8 sigV, bytes32 r, bytes32 s) = vm.sign(PK, escrow.hashVoucher(v));
        bytes memory sig = abi.encodePacked(r, s, sigV);
        uint256 balance = seeder.balance;
        bool open = escrow.escrow(escrowId).status == ICheckpointEscrow.Status.Open;
        if (reserve) {
            try escrow.redeemAndReserve(v, sig) {} catch {}
        } else if (batch) {
            ICheckpointEscrow.Voucher[] memory vs = new ICheckpointEscrow.Voucher[](1);
            bytes[] memory sigs = new bytes[](1);
            vs[0] = v;
            sigs[0] = sig;
            try escrow.redeemBatch(seeder, vs, sigs) {} catch {}
        } else {
            try escrow.redeem(v, sig) {} catch {}
        }
        // A voucher newer than the record and within the seeder's reservation is paid in full while the escrow is open.
        if (open && v.cumulativeAmount > before.amount && v.cumulativeAmount - before.amount <= before.reserved) {
            if (seeder.balance - balance != v.cumulativeAmount - before.amount) reservationNotHonoured = true;
        }
    }

    function release(uint256 seederSeed, uint256 index) external {
        address seeder = _seeders[seederSeed % SEEDERS];
        uint256 count = CheckpointSchedule.checkpointCount(CheckpointSchedule.Mode.Exponential, MAX_BYTES);
        uint256 bytes_ = CheckpointSchedule.checkpointAt(CheckpointSchedule.Mode.Exponential, index % count, MAX_BYTES);
        vm.prank(leecher);
        try escrow.release(escrowId, seeder, bytes_, PRICE) {} catch {}
    }

    function closeAndRefund() external {
        if (escrow.escrow(escrowId).status == ICheckpointEscrow.Status.Open) {
            vm.prank(leecher);
            escrow.close(escrowId);
        }
        vm.warp(block.timestamp + 7 days);
        try escrow.refund(escrowId) {
            refunded = true;
        } catch {}
    }

    function _bound(uint256 x, uint256 min, uint256 max) private pure returns (uint256) {
        return min + x % (max - min + 1);
    }
}

/// @notice The reservation rules hold under random interleavings of redemptions with and without reservations,
/// batches, releases and the refund.
/// forge-config: default.invariant.depth = 30
contract CheckpointEscrowReservationInvariants is EscrowFixture {
    ReservationHandler internal handler;
    uint256 internal id;

    function setUp() public override {
        super.setUp();
        sessionKey = vm.addr(0xC0FFEE);
        id = _open(uint64(150 * MIB), 1 gwei, CheckpointSchedule.Mode.Exponential);
        handler = new ReservationHandler(escrow, id, leecher);
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @notice The escrow's reserved total is the sum of its seeders' reservations, and with what is unpaid and what
    /// was paid it makes up the deposit: reservations never exceed `deposit - paid`.
    function invariant_ReservationsAddUpWithinUnpaid() public view {
        ICheckpointEscrow.Escrow memory e = escrow.escrow(id);
        uint256 reservations;
        uint256 paid;
        for (uint256 s; s < 3; ++s) {
            ICheckpointEscrow.Redemption memory r = escrow.redeemedBy(id, handler.seederAt(s));
            reservations += r.reserved;
            paid += r.amount;
            assertEq(handler.seederAt(s).balance, r.amount, "a seeder receives exactly its record");
        }
        assertEq(e.reserved, reservations, "total is the sum of the reservations");
        assertEq(uint256(e.unpaid) + e.reserved + paid, e.deposit, "unpaid + reserved + paid = deposit");
        if (handler.refunded()) {
            assertEq(address(escrow).balance, 0, "the refund returns unused reservations");
            assertEq(leecher.balance, e.deposit - paid, "to the leecher");
        } else {
            assertEq(address(escrow).balance, e.deposit - paid, "the escrow holds what it has not paid");
        }
    }

    /// @notice A seeder's voucher within its reservation is always paid in full: only its own vouchers take it.
    function invariant_ReservationPaidOnlyToItsSeeder() public view {
        assertTrue(!handler.reservationNotHonoured(), "a reservation was taken by someone else");
    }
}
