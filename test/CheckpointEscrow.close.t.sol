// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {vm} from "./utils/Vm.sol";
import {CheckpointEscrow} from "../contracts/CheckpointEscrow.sol";
import {CheckpointSchedule} from "../contracts/libraries/CheckpointSchedule.sol";
import {EscrowFixture} from "./CheckpointEscrow.t.sol";
import {ICheckpointEscrow} from "../contracts/interfaces/ICheckpointEscrow.sol";

/// @notice The session key's signed `Close(escrowId)`: `closeWithSignature` and the seeder's one-call `settleClose`.
contract CheckpointEscrowCloseTest is EscrowFixture {
    address internal constant SEEDER = address(0xBEEF);
    address internal constant OTHER_SEEDER = address(0xCAFE);
    address internal constant STRANGER = address(0x5712);
    uint96 internal constant PRICE = 1 gwei;

    function _signClose(CheckpointEscrow target, uint256 pk, uint256 escrowId) internal view returns (bytes memory) {
        (uint8 sigV, bytes32 r, bytes32 s) = vm.sign(pk, target.hashClose(escrowId));
        return abi.encodePacked(r, s, sigV);
    }

    function _voucher(uint256 id, address seeder, uint256 bytes_)
        internal
        pure
        returns (ICheckpointEscrow.Voucher memory)
    {
        return ICheckpointEscrow.Voucher(id, seeder, bytes_, CheckpointSchedule.amountFor(bytes_, PRICE));
    }

    /// @dev An exponential escrow of the whole content at `PRICE`.
    function _openWhole() internal returns (uint256) {
        return _open(CONTENT_SIZE, PRICE, CheckpointSchedule.Mode.Exponential);
    }

    /// @dev `seeder`'s last voucher of escrow `id` for `bytes_`, signed, and the session key's `Close(closeId)`: what
    /// {settleClose} takes. Signed before any `expectRevert`, as signing reads the escrow.
    function _signedLast(uint256 id, address seeder, uint256 bytes_, uint256 closeId)
        internal
        view
        returns (ICheckpointEscrow.Voucher memory last, bytes memory voucherSig, bytes memory closeSig)
    {
        last = _voucher(id, seeder, bytes_);
        voucherSig = _sign(escrow, SESSION_PK, last);
        closeSig = _signClose(escrow, SESSION_PK, closeId);
    }

    /// @dev `closeWithSignature(id, sig)` reverts with `selector(id)`.
    function _closeWithSignatureReverts(uint256 id, bytes memory sig, bytes4 selector) internal {
        vm.expectRevert(abi.encodeWithSelector(selector, id));
        escrow.closeWithSignature(id, sig);
    }

    function _redeem(ICheckpointEscrow.Voucher memory v) internal {
        escrow.redeem(v, _sign(escrow, SESSION_PK, v));
    }

    function test_CloseWithSignature_StartsTheWindowForAnySubmitter() public {
        uint256 id = _openWhole();
        bytes memory sig = _signClose(escrow, SESSION_PK, id);
        vm.prank(STRANGER);
        escrow.closeWithSignature(id, sig);
        ICheckpointEscrow.Escrow memory e = escrow.escrow(id);
        assertEq(uint256(e.status), uint256(ICheckpointEscrow.Status.Closing), "closing");
        assertEq(e.closesAt, block.timestamp + CHALLENGE_WINDOW, "window starts now");
    }

    function test_CloseWithSignature_RevertsWhenNotTheSessionKeys() public {
        uint256 id = _openWhole();
        bytes memory sig = _signClose(escrow, OTHER_PK, id);
        _closeWithSignatureReverts(id, sig, ICheckpointEscrow.InvalidCloseSignature.selector);
    }

    function test_CloseWithSignature_RevertsWhenNotOpen() public {
        uint256 id = _openWhole();
        bytes memory sig = _signClose(escrow, SESSION_PK, id);
        escrow.closeWithSignature(id, sig);
        _closeWithSignatureReverts(id, sig, ICheckpointEscrow.EscrowNotOpen.selector);
    }

    /// @notice Attack: a Close signed for escrow A (same session key) is replayed on escrow B.
    function test_CloseWithSignature_RevertsWhenReplayedOnAnotherEscrow() public {
        uint256 a = _openWhole();
        uint256 b = _openWhole();
        bytes memory sigA = _signClose(escrow, SESSION_PK, a);
        _closeWithSignatureReverts(b, sigA, ICheckpointEscrow.InvalidCloseSignature.selector);
    }

    /// @notice Attack: a stranger submits the leecher's Close and asks for the refund at once; the seeder that
    /// redeemed keeps its whole window and redeems its last voucher in it.
    function test_Refund_RevertsWhenAStrangersCloseWouldCutASeedersWindow() public {
        uint256 id = _openWhole();
        _redeem(_voucher(id, SEEDER, FIRST));
        vm.prank(STRANGER);
        escrow.closeWithSignature(id, _signClose(escrow, SESSION_PK, id));
        uint256 closesAt = escrow.escrow(id).closesAt;
        vm.expectRevert(abi.encodeWithSelector(ICheckpointEscrow.ChallengeWindowOpen.selector, id, closesAt));
        vm.prank(STRANGER);
        escrow.refund(id);
        vm.warp(closesAt - 1);
        _redeem(_voucher(id, SEEDER, 3 * FIRST));
        assertEq(SEEDER.balance, CheckpointSchedule.amountFor(3 * FIRST, PRICE), "last voucher paid in the window");
    }

    /// @notice Attack: the leecher's own Close cannot refund before a seeder that served it redeemed or waived.
    function test_Refund_RevertsWhenNoSeederRedeemedAfterASignedClose() public {
        uint256 id = _openWhole();
        vm.prank(leecher);
        escrow.closeWithSignature(id, _signClose(escrow, SESSION_PK, id));
        uint256 closesAt = escrow.escrow(id).closesAt;
        vm.expectRevert(abi.encodeWithSelector(ICheckpointEscrow.ChallengeWindowOpen.selector, id, closesAt));
        vm.prank(leecher);
        escrow.refund(id);
    }

    function test_SettleClose_RedeemsClosesWaivesAndRefundsInOneCall() public {
        uint256 id = _openWhole();
        uint256 deposit = escrow.remaining(id);
        _redeem(_voucher(id, SEEDER, FIRST));
        (ICheckpointEscrow.Voucher memory last, bytes memory voucherSig, bytes memory closeSig) =
            _signedLast(id, SEEDER, 5 * FIRST, id);
        vm.prank(SEEDER);
        (uint256 paid, uint256 refunded) = escrow.settleClose(last, voucherSig, closeSig);
        assertEq(paid, last.cumulativeAmount - CheckpointSchedule.amountFor(FIRST, PRICE), "paid the increase");
        assertEq(SEEDER.balance, last.cumulativeAmount, "seeder holds its last voucher");
        assertEq(refunded, deposit - last.cumulativeAmount, "refund is the rest");
        assertEq(leecher.balance, refunded, "leecher refunded in the same transaction");
        assertEq(uint256(escrow.escrow(id).status), uint256(ICheckpointEscrow.Status.Closed), "closed");
        assertTrue(escrow.redeemedBy(id, SEEDER).waived, "waived");
    }

    function test_SettleClose_KeepsTheWindowWhenAnotherPaidSeederHasNotWaived() public {
        uint256 id = _openWhole();
        _redeem(_voucher(id, OTHER_SEEDER, FIRST));
        (ICheckpointEscrow.Voucher memory last, bytes memory voucherSig, bytes memory closeSig) =
            _signedLast(id, SEEDER, FIRST, id);
        vm.prank(SEEDER);
        (, uint256 refunded) = escrow.settleClose(last, voucherSig, closeSig);
        assertEq(refunded, 0, "no refund yet");
        assertEq(uint256(escrow.escrow(id).status), uint256(ICheckpointEscrow.Status.Closing), "closing");
        _redeem(_voucher(id, OTHER_SEEDER, 2 * FIRST));
        assertEq(OTHER_SEEDER.balance, CheckpointSchedule.amountFor(2 * FIRST, PRICE), "other seeder still redeems");
    }

    function test_SettleClose_SkipsTheCloseWhenAlreadyClosing() public {
        uint256 id = _openWhole();
        vm.prank(leecher);
        escrow.close(id);
        ICheckpointEscrow.Voucher memory last = _voucher(id, SEEDER, FIRST);
        bytes memory voucherSig = _sign(escrow, SESSION_PK, last);
        vm.prank(SEEDER);
        (, uint256 refunded) = escrow.settleClose(last, voucherSig, "");
        assertEq(refunded, escrow.escrow(id).unpaid, "refunded after the leecher's own close");
        assertEq(uint256(escrow.escrow(id).status), uint256(ICheckpointEscrow.Status.Closed), "closed");
    }

    function test_SettleClose_RevertsWhenCallerIsNotTheVouchersSeeder() public {
        uint256 id = _openWhole();
        (ICheckpointEscrow.Voucher memory last, bytes memory voucherSig, bytes memory closeSig) =
            _signedLast(id, SEEDER, FIRST, id);
        vm.expectRevert(abi.encodeWithSelector(ICheckpointEscrow.CallerNotSeeder.selector, STRANGER, SEEDER));
        vm.prank(STRANGER);
        escrow.settleClose(last, voucherSig, closeSig);
    }

    function test_SettleClose_RevertsWhenTheCloseIsForAnotherEscrow() public {
        uint256 a = _openWhole();
        uint256 b = _openWhole();
        (ICheckpointEscrow.Voucher memory last, bytes memory voucherSig, bytes memory closeSig) =
            _signedLast(b, SEEDER, FIRST, a);
        vm.expectRevert(abi.encodeWithSelector(ICheckpointEscrow.InvalidCloseSignature.selector, b));
        vm.prank(SEEDER);
        escrow.settleClose(last, voucherSig, closeSig);
    }

    /// @notice Whatever the seeder's last voucher, a settleClose pays the seeder exactly its voucher, refunds the
    /// leecher exactly the rest, and leaves nothing of the escrow in the contract.
    function testFuzz_SettleClose_PaysVoucherAndRefundsTheRest(uint256 firstBytes, uint256 lastBytes) public {
        uint256 id = _openWhole();
        uint256 deposit = escrow.remaining(id);
        firstBytes = bound(firstBytes, MIB, CONTENT_SIZE);
        lastBytes = bound(lastBytes, firstBytes, CONTENT_SIZE);
        _redeem(_voucher(id, SEEDER, firstBytes));
        (ICheckpointEscrow.Voucher memory last, bytes memory voucherSig, bytes memory closeSig) =
            _signedLast(id, SEEDER, lastBytes, id);
        vm.prank(SEEDER);
        escrow.settleClose(last, voucherSig, closeSig);
        assertEq(SEEDER.balance, last.cumulativeAmount, "seeder paid its voucher");
        assertEq(leecher.balance, deposit - last.cumulativeAmount, "leecher refunded the rest");
        assertEq(address(escrow).balance, 0, "nothing left behind");
    }
}
