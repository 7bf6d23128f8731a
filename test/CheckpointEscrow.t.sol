// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "./utils/Test.sol";
import {vm} from "./utils/Vm.sol";
import {CheckpointEscrow} from "../contracts/CheckpointEscrow.sol";
import {LicenseMarket} from "../contracts/LicenseMarket.sol";
import {CheckpointSchedule} from "../contracts/libraries/CheckpointSchedule.sol";
import {RebatePoolStub} from "../contracts/test/RebatePoolStub.sol";
import {SessionKeySignature} from "../contracts/utils/SessionKeySignature.sol";
import {TestRevocableSessionKey} from "../contracts/test/TestRevocableSessionKey.sol";
import {Registration} from "./helpers/Registration.sol";
import {ICheckpointEscrow} from "../contracts/interfaces/ICheckpointEscrow.sol";

/// @notice Deploys the real market and the escrow, registers one large content and licenses a leecher.
abstract contract EscrowFixture is Test {
    uint32 internal constant CHALLENGE_WINDOW = 1 hours;
    uint32 internal constant IDLE_EXPIRY = 7 days;
    uint16 internal constant NETWORK_FEE_BPS = 100;
    uint128 internal constant LICENSE_PRICE = 0.01 ether;
    uint64 internal constant CONTENT_SIZE = 5 * 1024 * 1024 * 1024; // 5 GiB
    uint256 internal constant MIB = CheckpointSchedule.MIB;
    uint256 internal constant FIRST = CheckpointSchedule.FIRST_CHECKPOINT;
    uint256 internal constant SESSION_PK = 0x5E55;
    uint256 internal constant OTHER_PK = 0xBAD;

    LicenseMarket internal market;
    CheckpointEscrow internal escrow;
    uint256 internal contentId;
    address internal leecher = address(0x1EEC);
    address internal sessionKey;

    function setUp() public virtual {
        market = new LicenseMarket(address(this), new RebatePoolStub(), NETWORK_FEE_BPS, "", Registration.MIN_COMMITMENT_AGE);
        escrow = new CheckpointEscrow(address(this), market, CHALLENGE_WINDOW, IDLE_EXPIRY);
        contentId = Registration.commitAndRegister(
            market, Registration.flatContent(keccak256("content"), CONTENT_SIZE, address(this), LICENSE_PRICE)
        );
        _license(leecher);
        sessionKey = vm.addr(SESSION_PK);
    }

    function _license(address account) internal {
        (,,, uint256 total) = market.quote(contentId, 1);
        market.buy{value: total}(contentId, 1, account, total);
    }

    function _open(uint64 maxBytes, uint96 price, CheckpointSchedule.Mode mode) internal returns (uint256 escrowId) {
        uint256 deposit = CheckpointSchedule.amountFor(maxBytes, price);
        vm.deal(leecher, deposit);
        vm.prank(leecher);
        escrowId = escrow.open{value: deposit}(contentId, maxBytes, price, sessionKey, mode);
    }

    function _sign(CheckpointEscrow target, uint256 pk, ICheckpointEscrow.Voucher memory v)
        internal
        view
        returns (bytes memory)
    {
        (uint8 sigV, bytes32 r, bytes32 s) = vm.sign(pk, target.hashVoucher(v));
        return abi.encodePacked(r, s, sigV);
    }
}

contract CheckpointEscrowTest is EscrowFixture {
    uint256 internal constant SEEDERS = 3;
    uint256 internal constant VOUCHERS = 6;
    uint256 internal constant MAX_PRICE = 1 ether;

    /// @dev So that the test contract can receive the market's license overpayment refunds (none expected).
    receive() external payable {}

    function test_Redeem_PaysTheVoucher() public {
        uint256 id = _open(CONTENT_SIZE, 1 gwei, CheckpointSchedule.Mode.Exponential);
        ICheckpointEscrow.Voucher memory v = ICheckpointEscrow.Voucher(id, address(0xBEEF), FIRST, 10 gwei);
        escrow.redeem(v, _sign(escrow, SESSION_PK, v));
        assertEq(address(0xBEEF).balance, 10 gwei, "seeder paid");
        assertEq(escrow.redeemedBy(id, address(0xBEEF)).amount, 10 gwei, "record");
    }

    /// @notice A leecher cannot cut short the challenge window of a seeder that has redeemed: a seeder address of its
    /// own that redeems a wei and waives at once does not make the refund immediate, and the honest seeder still
    /// redeems its last voucher within the window. (A seeder that has redeemed nothing yet does not count towards the
    /// cooperative close; that residual risk is the contract's IMPORTANT note, and the seeder service redeems the first
    /// voucher at once.)
    function test_Refund_SybilWaiverDoesNotCutOutARedeemedSeeder() public {
        uint256 id = _open(CONTENT_SIZE, 1 gwei, CheckpointSchedule.Mode.Exponential);
        address honest = address(0xBEEF);
        address sybil = address(0x5B11);
        ICheckpointEscrow.Voucher memory first = ICheckpointEscrow.Voucher(id, honest, FIRST, 10 gwei);
        escrow.redeem(first, _sign(escrow, SESSION_PK, first));

        vm.prank(leecher);
        escrow.close(id);
        uint256 closesAt = escrow.escrow(id).closesAt;
        ICheckpointEscrow.Voucher memory own = ICheckpointEscrow.Voucher(id, sybil, MIB, 1);
        escrow.redeem(own, _sign(escrow, SESSION_PK, own));
        vm.prank(sybil);
        escrow.waiveChallenge(id);

        vm.expectRevert(abi.encodeWithSelector(ICheckpointEscrow.ChallengeWindowOpen.selector, id, closesAt));
        escrow.refund(id);

        ICheckpointEscrow.Voucher memory last = ICheckpointEscrow.Voucher(id, honest, 3 * FIRST, 30 gwei);
        escrow.redeem(last, _sign(escrow, SESSION_PK, last));
        assertEq(honest.balance, 30 gwei, "the honest seeder is paid its last voucher");
    }

    /// @notice However many seeders redeem however many vouchers (each within its price), in any order, the escrow
    /// never pays out more than the deposit, each seeder's record is what it received, and the records add up to
    /// what left the escrow.
    function testFuzz_Redeem_NeverPaysMoreThanDeposit(
        uint64 maxBytes,
        uint96 price,
        uint256 extra,
        uint256[VOUCHERS] memory byteSeeds,
        uint256[VOUCHERS] memory amountSeeds
    ) public {
        // Another leecher's deposit sits in the contract too, so an overpayment would not just fail for lack of ETH.
        uint256 bystander = _open(CONTENT_SIZE, uint96(MAX_PRICE), CheckpointSchedule.Mode.Upfront);
        uint256 bystanderDeposit = escrow.remaining(bystander);

        maxBytes = uint64(bound(maxBytes, 1, CONTENT_SIZE));
        price = uint96(bound(price, 1, MAX_PRICE));
        extra = bound(extra, 0, 1 ether);
        uint256 deposit = CheckpointSchedule.amountFor(maxBytes, price) + extra;
        vm.deal(leecher, deposit);
        vm.prank(leecher);
        uint256 id =
            escrow.open{value: deposit}(contentId, maxBytes, price, sessionKey, CheckpointSchedule.Mode.Exponential);

        uint256[SEEDERS] memory maxSigned = _redeemRandomVouchers(id, maxBytes, price, byteSeeds, amountSeeds);

        uint256 paid;
        for (uint256 s; s < SEEDERS; ++s) {
            address seeder = address(uint160(0x5EED00 + s));
            uint256 record = escrow.redeemedBy(id, seeder).amount;
            assertEq(seeder.balance, record, "seeder received its record");
            assertLe(record, maxSigned[s], "record within what the session key signed");
            paid += record;
        }
        assertLe(paid, deposit, "paid within deposit");
        assertEq(escrow.remaining(id), deposit - paid, "remaining");
        assertEq(escrow.remaining(bystander), bystanderDeposit, "other escrows untouched");
        assertEq(address(escrow).balance, bystanderDeposit + deposit - paid, "escrow keeps the rest");
    }

    /// @dev Signs and submits vouchers for three seeders in turn, each within its price; returns, per seeder, the
    /// largest amount among its vouchers that were accepted.
    function _redeemRandomVouchers(
        uint256 id,
        uint256 maxBytes,
        uint256 price,
        uint256[VOUCHERS] memory byteSeeds,
        uint256[VOUCHERS] memory amountSeeds
    ) internal returns (uint256[SEEDERS] memory maxSigned) {
        for (uint256 i; i < VOUCHERS; ++i) {
            uint256 cumulativeBytes = bound(byteSeeds[i], 0, maxBytes);
            uint256 amount = bound(amountSeeds[i], 0, CheckpointSchedule.amountFor(cumulativeBytes, price));
            ICheckpointEscrow.Voucher memory v =
                ICheckpointEscrow.Voucher(id, address(uint160(0x5EED00 + i % SEEDERS)), cumulativeBytes, amount);
            try escrow.redeem(v, _sign(escrow, SESSION_PK, v)) {
                if (amount > maxSigned[i % SEEDERS]) maxSigned[i % SEEDERS] = amount;
            } catch {}
        }
    }

    /// @notice A voucher signed for one escrow cannot be redeemed on another one with the same session key, on
    /// another escrow contract, or on another chain.
    function testFuzz_Redeem_VoucherBoundToEscrowContractAndChain(uint256 cumulativeBytes, uint64 otherChain) public {
        cumulativeBytes = bound(cumulativeBytes, 1, CONTENT_SIZE);
        vm.assume(otherChain != block.chainid && otherChain != 0);
        uint256 a = _open(CONTENT_SIZE, 1 gwei, CheckpointSchedule.Mode.Exponential);
        uint256 b = _open(CONTENT_SIZE, 1 gwei, CheckpointSchedule.Mode.Exponential);
        uint256 amount = CheckpointSchedule.amountFor(cumulativeBytes, 1 gwei);
        vm.assume(amount > 0);
        ICheckpointEscrow.Voucher memory v = ICheckpointEscrow.Voucher(a, address(0xBEEF), cumulativeBytes, amount);
        bytes memory sig = _sign(escrow, SESSION_PK, v);

        ICheckpointEscrow.Voucher memory onB = ICheckpointEscrow.Voucher(b, address(0xBEEF), cumulativeBytes, amount);
        vm.expectRevert(abi.encodeWithSelector(ICheckpointEscrow.InvalidVoucherSignature.selector, b));
        escrow.redeem(onB, sig);

        CheckpointEscrow twin = new CheckpointEscrow(address(this), market, CHALLENGE_WINDOW, IDLE_EXPIRY);
        vm.deal(leecher, CheckpointSchedule.amountFor(CONTENT_SIZE, 1 gwei));
        vm.prank(leecher);
        twin.open{value: CheckpointSchedule.amountFor(CONTENT_SIZE, 1 gwei)}(
            contentId, CONTENT_SIZE, 1 gwei, sessionKey, CheckpointSchedule.Mode.Exponential
        );
        vm.expectRevert(abi.encodeWithSelector(ICheckpointEscrow.InvalidVoucherSignature.selector, a));
        twin.redeem(v, sig);

        uint256 chainId = block.chainid;
        vm.chainId(otherChain);
        vm.expectRevert(abi.encodeWithSelector(ICheckpointEscrow.InvalidVoucherSignature.selector, a));
        escrow.redeem(v, sig);
        vm.chainId(chainId);

        escrow.redeem(v, sig);
        assertEq(address(0xBEEF).balance, amount, "redeemed once where it belongs");
        vm.expectRevert(abi.encodeWithSelector(ICheckpointEscrow.VoucherNotNewer.selector, amount, amount));
        escrow.redeem(v, sig);
    }

    /// @notice A session key is a plain key: a contract, even one that accepts the key's signatures now, is refused.
    function test_Open_RefusesContractSessionKey() public {
        TestRevocableSessionKey key = new TestRevocableSessionKey(sessionKey);
        uint256 deposit = CheckpointSchedule.amountFor(CONTENT_SIZE, 1);
        vm.deal(leecher, deposit);
        vm.prank(leecher);
        vm.expectRevert(abi.encodeWithSelector(SessionKeySignature.SessionKeyHasCode.selector, address(key)));
        escrow.open{value: deposit}(contentId, CONTENT_SIZE, 1, address(key), CheckpointSchedule.Mode.Exponential);
    }

    /// @notice A voucher the key signed pays after the key's address is delegated (EIP-7702) to code that answers
    /// ERC-1271 with "invalid".
    function testFuzz_Redeem_PaysVoucherAfterTheKeyGainsCode(uint256 cumulativeBytes) public {
        uint96 price = 1 gwei;
        uint256 id = _open(CONTENT_SIZE, price, CheckpointSchedule.Mode.Exponential);
        cumulativeBytes = bound(cumulativeBytes, MIB, CONTENT_SIZE);
        uint256 amount = CheckpointSchedule.amountFor(cumulativeBytes, price);
        ICheckpointEscrow.Voucher memory v = ICheckpointEscrow.Voucher(id, address(0xBEEF), cumulativeBytes, amount);
        bytes memory served = _sign(escrow, SESSION_PK, v);
        TestRevocableSessionKey disowning = new TestRevocableSessionKey(sessionKey);
        disowning.revoke();
        vm.etch(sessionKey, abi.encodePacked(bytes3(0xef0100), disowning));
        escrow.redeem(v, served);
        assertEq(address(0xBEEF).balance, amount, "seeder paid the signed amount");
    }

    /// @notice Finding 2 fails: whoever redeems one voucher of a seeder's batch first (the leecher, near closesAt),
    /// the batch pays the seeder every other voucher, and the seeder ends with every signed amount.
    function testFuzz_RedeemBatch_FrontRunCannotVoidTheBatch(uint256 bytesA, uint256 bytesB, uint256 lateBy) public {
        uint96 price = 1 gwei;
        uint256 a = _open(CONTENT_SIZE, price, CheckpointSchedule.Mode.Exponential);
        uint256 b = _open(CONTENT_SIZE, price, CheckpointSchedule.Mode.Exponential);
        address seeder = address(0x5EED);
        ICheckpointEscrow.Voucher[] memory vouchers = new ICheckpointEscrow.Voucher[](2);
        bytes[] memory sigs = new bytes[](2);
        bytesA = bound(bytesA, MIB, CONTENT_SIZE);
        bytesB = bound(bytesB, MIB, CONTENT_SIZE);
        vouchers[0] = ICheckpointEscrow.Voucher(a, seeder, bytesA, CheckpointSchedule.amountFor(bytesA, price));
        vouchers[1] = ICheckpointEscrow.Voucher(b, seeder, bytesB, CheckpointSchedule.amountFor(bytesB, price));
        sigs[0] = _sign(escrow, SESSION_PK, vouchers[0]);
        sigs[1] = _sign(escrow, SESSION_PK, vouchers[1]);
        vm.startPrank(leecher);
        escrow.close(a);
        escrow.close(b);
        vm.warp(block.timestamp + CHALLENGE_WINDOW - 1 - bound(lateBy, 0, CHALLENGE_WINDOW - 1));
        escrow.redeem(vouchers[0], sigs[0]);
        vm.stopPrank();

        vm.prank(seeder);
        escrow.redeemBatch(seeder, vouchers, sigs);
        assertEq(seeder.balance, vouchers[0].cumulativeAmount + vouchers[1].cumulativeAmount, "both vouchers paid");
    }
}
