// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "./utils/Test.sol";
import {vm} from "./utils/Vm.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {CheckpointEscrow} from "../contracts/CheckpointEscrow.sol";
import {LicenseMarket} from "../contracts/LicenseMarket.sol";
import {CheckpointSchedule} from "../contracts/libraries/CheckpointSchedule.sol";
import {RebatePoolStub} from "../contracts/test/RebatePoolStub.sol";
import {TestRevocableSessionKey} from "../contracts/test/TestRevocableSessionKey.sol";
import {Registration} from "./helpers/Registration.sol";
import {ICheckpointEscrow} from "../contracts/interfaces/ICheckpointEscrow.sol";

/// @notice Drives the escrow like its users: leechers open escrows (two session keys shared among them, so that a
/// voucher moved to another escrow would carry a valid signature if the escrow id were not signed), session keys
/// sign vouchers for three seeders, seeders redeem them alone and in batches, replay old ones, move them to other
/// escrows, leechers release checkpoints (and non-checkpoints), close (by transaction, or anyone with the session key's
/// signed Close, also one signed for another escrow), seeders waive or settle in one call (last voucher, Close,
/// waiver, refund), anyone refunds, time passes.
/// Hostile leechers join in: they try to open escrows with a contract session key they could switch off, delegate a
/// session key's address to code that disowns its signatures (EIP-7702, installed with `etch` of the delegation
/// indicator), and redeem a voucher of a seeder's pending batch first (front-running). Ghost state records every wei,
/// what each session key signed, and flags any call that succeeded when it must not or failed when it must not.
contract EscrowHandler {
    uint256 internal constant LEECHERS = 3;
    uint256 internal constant SEEDERS = 3;
    uint256 internal constant SESSION_KEYS = 2;
    uint256 internal constant MAX_ESCROWS = 8;
    uint256 internal constant MAX_BATCH = 3;
    uint256 internal constant MAX_WARP = 8 days;
    uint256 internal constant MAX_PRICE = 1e15; // wei per MiB
    uint256 internal constant MAX_EXTRA = 1e15;
    uint64 internal constant CONTENT_SIZE = 500 * 1024 * 1024;
    uint256 internal constant FIRST_SESSION_PK = 0xC0FFEE;
    address internal constant STRANGER = address(0x57A9);
    /// @dev EIP-7702's delegation indicator: an account whose code is this prefix and an address runs that address's code.
    bytes3 internal constant DELEGATION_PREFIX = 0xef0100;

    LicenseMarket public immutable market;
    CheckpointEscrow public immutable escrow;
    uint256 public immutable contentId;
    /// @notice The code a hostile leecher delegates its session keys to: it answers every ERC-1271 check "invalid".
    TestRevocableSessionKey public immutable disowningCode;
    address[LEECHERS] internal _leechers;
    address[SEEDERS] internal _seeders;

    uint256[] internal _ids;
    mapping(uint256 escrowId => uint256 pk) internal _sessionPk;
    ICheckpointEscrow.Voucher[] internal _redeemed;
    bytes[] internal _redeemedSigs;

    /// @notice Ghosts: wei deposited and refunded in total; wei each seeder received from each escrow; the largest
    /// amount each seeder was authorised (signed voucher redeemed, or checkpoint released) per escrow.
    uint256 public deposited;
    uint256 public refunded;
    mapping(uint256 escrowId => mapping(address seeder => uint256 amount)) public received;
    mapping(uint256 escrowId => mapping(address seeder => uint256 amount)) public authorised;
    mapping(uint256 escrowId => uint256 count) public refunds;
    /// @notice The largest amount the escrow's session key signed for each seeder (submitted or not), or the leecher
    /// released to it by transaction: what the leecher agreed to pay.
    mapping(uint256 escrowId => mapping(address seeder => uint256 amount)) public signed;
    /// @notice Flags: a contract was accepted as session key; a valid voucher submitted in time, with deposit left,
    /// was not paid what the rules give; a batch of the seeder's valid vouchers was voided by someone else.
    bool public contractKeyAccepted;
    bool public honestRedemptionRefused;
    bool public batchVoided;
    /// @notice Flags: a call succeeded that must fail, or paid a different amount than the rules say.
    bool public replayAccepted;
    bool public wrongPayment;
    bool public nonCheckpointReleased;
    bool public overCapReleased;

    constructor() payable {
        disowningCode = new TestRevocableSessionKey(address(0));
        disowningCode.revoke();
        market = new LicenseMarket(address(this), new RebatePoolStub(), 100, "", Registration.MIN_COMMITMENT_AGE);
        escrow = new CheckpointEscrow(address(this), market, 1 hours, 7 days);
        contentId = Registration.commitAndRegister(
            market, Registration.flatContent(keccak256("invariants"), CONTENT_SIZE, address(this), 0.01 ether)
        );
        for (uint256 i; i < LEECHERS; ++i) {
            _leechers[i] = address(uint160(0x1EEC00 + i));
            (,,, uint256 total) = market.quote(contentId, 1);
            market.buy{value: total}(contentId, 1, _leechers[i], total);
        }
        for (uint256 i; i < SEEDERS; ++i) {
            _seeders[i] = address(uint160(0x5EED00 + i));
        }
    }

    // ------------------------------------------------------------------------------------------------ actions

    function open(uint256 leecherSeed, uint256 bytesSeed, uint256 priceSeed, uint256 extraSeed, bool upfront) external {
        if (_ids.length >= MAX_ESCROWS) return;
        address leecher = _leechers[leecherSeed % LEECHERS];
        uint64 maxBytes = uint64(_bound(bytesSeed, 1, CONTENT_SIZE));
        uint96 price = uint96(_bound(priceSeed, 1, MAX_PRICE));
        uint256 deposit = CheckpointSchedule.amountFor(maxBytes, price) + _bound(extraSeed, 0, MAX_EXTRA);
        uint256 pk = FIRST_SESSION_PK + (leecherSeed >> 8) % SESSION_KEYS;
        vm.deal(leecher, deposit);
        vm.prank(leecher);
        uint256 id;
        try escrow.open{value: deposit}(
            contentId,
            maxBytes,
            price,
            vm.addr(pk),
            upfront ? CheckpointSchedule.Mode.Upfront : CheckpointSchedule.Mode.Exponential
        ) returns (uint256 opened) {
            id = opened;
        } catch {
            // Only a key that has been delegated to code is refused here.
            if (vm.addr(pk).code.length == 0) wrongPayment = true;
            return;
        }
        if (vm.addr(pk).code.length != 0) contractKeyAccepted = true;
        _ids.push(id);
        _sessionPk[id] = pk;
        deposited += deposit;
    }

    function redeem(uint256 escrowSeed, uint256 seederSeed, uint256 bytesSeed, uint256 amountSeed) external {
        if (_ids.length == 0) return;
        uint256 id = _ids[escrowSeed % _ids.length];
        address seeder = _seeders[seederSeed % SEEDERS];
        (ICheckpointEscrow.Voucher memory v, bytes memory sig) = _voucher(id, seeder, bytesSeed, amountSeed);
        uint256 recordBefore = escrow.redeemedBy(id, seeder).amount;
        // What this seeder can be paid: what nobody reserved plus its own reservation (a release reserves).
        uint256 unpaidBefore = escrow.escrow(id).unpaid + escrow.redeemedBy(id, seeder).reserved;
        bool owed = _payable(id, seeder, v.cumulativeAmount);
        uint256 balanceBefore = seeder.balance;
        try escrow.redeem(v, sig) {
            uint256 gained = seeder.balance - balanceBefore;
            if (v.cumulativeAmount <= recordBefore || gained != Math.min(v.cumulativeAmount - recordBefore, unpaidBefore)) {
                wrongPayment = true;
            }
            _credit(id, seeder, gained, v.cumulativeAmount);
            _redeemed.push(v);
            _redeemedSigs.push(sig);
        } catch {
            if (owed) honestRedemptionRefused = true;
        }
    }

    /// @dev A seeder redeems a batch of vouchers of distinct escrows; with `frontRun`, the leecher of one of them
    /// first redeems that voucher itself, as it could from the mempool. The batch must pay every voucher that is
    /// still payable and may revert only for the seeder's own waived record.
    function redeemBatch(
        uint256 escrowSeed,
        uint256 seederSeed,
        uint256 countSeed,
        uint256 bytesSeed,
        uint256 amountSeed,
        bool frontRun,
        uint256 frontRunSeed
    ) external {
        if (_ids.length == 0) return;
        address seeder = _seeders[seederSeed % SEEDERS];
        (ICheckpointEscrow.Voucher[] memory vouchers, bytes[] memory sigs) =
            _batch(seeder, escrowSeed, _bound(countSeed, 1, Math.min(MAX_BATCH, _ids.length)), bytesSeed, amountSeed);
        uint256 count = vouchers.length;
        if (frontRun) _frontRun(seeder, vouchers[frontRunSeed % count], sigs[frontRunSeed % count]);
        (uint256[] memory recordsBefore, uint256[] memory due, bool mayRevert) = _dues(seeder, vouchers);
        uint256 balanceBefore = seeder.balance;
        try escrow.redeemBatch(seeder, vouchers, sigs) {
            uint256 gainedTotal;
            for (uint256 i; i < count; ++i) {
                uint256 id = vouchers[i].escrowId;
                uint256 gained = escrow.redeemedBy(id, seeder).amount - recordsBefore[i];
                if (gained != due[i]) honestRedemptionRefused = true;
                _credit(id, seeder, gained, vouchers[i].cumulativeAmount);
                gainedTotal += gained;
                _redeemed.push(vouchers[i]);
                _redeemedSigs.push(sigs[i]);
            }
            if (seeder.balance - balanceBefore != gainedTotal) wrongPayment = true;
        } catch {
            if (!mayRevert) batchVoided = true;
        }
    }

    /// @dev The hostile leecher tries to open an escrow with a contract session key it could switch off later.
    function openWithContractKey(uint256 leecherSeed) external {
        address leecher = _leechers[leecherSeed % LEECHERS];
        TestRevocableSessionKey key = new TestRevocableSessionKey(vm.addr(FIRST_SESSION_PK));
        uint256 deposit = CheckpointSchedule.amountFor(CONTENT_SIZE, 1);
        vm.deal(leecher, deposit);
        vm.prank(leecher);
        try escrow.open{value: deposit}(contentId, CONTENT_SIZE, 1, address(key), CheckpointSchedule.Mode.Exponential) {
            contractKeyAccepted = true;
            deposited += deposit;
        } catch {}
    }

    /// @dev The hostile leecher delegates a session key's address (EIP-7702) to code that disowns every signature,
    /// after the key signed vouchers seeders hold. `etch` installs the delegation indicator as a type-4 transaction
    /// would.
    function delegateSessionKey(uint256 keySeed) external {
        vm.etch(vm.addr(FIRST_SESSION_PK + keySeed % SESSION_KEYS), abi.encodePacked(DELEGATION_PREFIX, disowningCode));
    }

    /// @dev Submits a voucher that was already redeemed, as it was or moved to another escrow: it must fail.
    function replay(uint256 indexSeed, uint256 escrowSeed, bool moveToOtherEscrow) external {
        if (_redeemed.length == 0) return;
        uint256 index = indexSeed % _redeemed.length;
        ICheckpointEscrow.Voucher memory v = _redeemed[index];
        if (moveToOtherEscrow) {
            uint256 other = _ids[escrowSeed % _ids.length];
            if (other == v.escrowId) return;
            v.escrowId = other;
        }
        try escrow.redeem(v, _redeemedSigs[index]) {
            replayAccepted = true;
        } catch {}
    }

    function release(uint256 escrowSeed, uint256 seederSeed, uint256 indexSeed, bool offByOne, uint256 priceSeed)
        external
    {
        if (_ids.length == 0) return;
        uint256 id = _ids[escrowSeed % _ids.length];
        address seeder = _seeders[seederSeed % SEEDERS];
        ICheckpointEscrow.Escrow memory e = escrow.escrow(id);
        uint256 count = CheckpointSchedule.checkpointCount(e.mode, e.maxBytes);
        uint256 cumulativeBytes = CheckpointSchedule.checkpointAt(e.mode, indexSeed % count, e.maxBytes);
        if (offByOne) cumulativeBytes += 1;
        bool checkpoint = CheckpointSchedule.isCheckpoint(e.mode, cumulativeBytes, e.maxBytes);
        // The seeder's price: anything up to the cap, or one wei over it (which must be refused).
        uint256 price = priceSeed % (uint256(e.pricePerMiB) + 2);
        uint256 amount = CheckpointSchedule.amountFor(cumulativeBytes, price);
        uint256 recordBefore = escrow.redeemedBy(id, seeder).amount;
        uint256 available = e.unpaid + escrow.redeemedBy(id, seeder).reserved;
        uint256 balanceBefore = seeder.balance;
        vm.prank(e.leecher);
        try escrow.release(id, seeder, cumulativeBytes, price) {
            if (amount > signed[id][seeder]) signed[id][seeder] = amount;
            if (!checkpoint) nonCheckpointReleased = true;
            if (price > e.pricePerMiB) overCapReleased = true;
            uint256 gained = seeder.balance - balanceBefore;
            if (amount <= recordBefore || gained != Math.min(amount - recordBefore, available)) wrongPayment = true;
            _credit(id, seeder, gained, amount);
        } catch {}
    }

    function close(uint256 escrowSeed, bool byStranger) external {
        if (_ids.length == 0) return;
        uint256 id = _ids[escrowSeed % _ids.length];
        vm.prank(byStranger ? STRANGER : escrow.escrow(id).leecher);
        try escrow.close(id) {} catch {}
    }

    /// @dev Anyone submits the session key's signed Close (or a Close signed for another escrow, which must fail).
    function closeWithSignature(uint256 escrowSeed, uint256 signedSeed) external {
        if (_ids.length == 0) return;
        uint256 id = _ids[escrowSeed % _ids.length];
        uint256 signedFor = _ids[signedSeed % _ids.length];
        bytes memory sig = _closeSig(signedFor);
        vm.prank(STRANGER);
        try escrow.closeWithSignature(id, sig) {
            if (signedFor != id) replayAccepted = true;
        } catch {}
    }

    /// @dev A seeder ends the download in one call: last voucher, signed Close, waiver, refund when all waived.
    function settleClose(uint256 escrowSeed, uint256 seederSeed, uint256 bytesSeed, uint256 amountSeed) external {
        if (_ids.length == 0) return;
        uint256 id = _ids[escrowSeed % _ids.length];
        address seeder = _seeders[seederSeed % SEEDERS];
        (ICheckpointEscrow.Voucher memory v, bytes memory sig) = _voucher(id, seeder, bytesSeed, amountSeed);
        ICheckpointEscrow.Escrow memory e = escrow.escrow(id);
        uint256 recordBefore = escrow.redeemedBy(id, seeder).amount;
        uint256 seederBefore = seeder.balance;
        uint256 leecherBefore = e.leecher.balance;
        vm.prank(seeder);
        try escrow.settleClose(v, sig, _closeSig(id)) returns (uint256 paid, uint256 refundedNow) {
            if (seeder.balance - seederBefore != paid) wrongPayment = true;
            _credit(id, seeder, paid, v.cumulativeAmount);
            if (refundedNow != 0 || escrow.escrow(id).status == ICheckpointEscrow.Status.Closed) {
                if (e.leecher.balance - leecherBefore != refundedNow) wrongPayment = true;
                refunded += refundedNow;
                ++refunds[id];
            }
            if (escrow.redeemedBy(id, seeder).amount != recordBefore + paid) wrongPayment = true;
        } catch {}
    }

    function waive(uint256 escrowSeed, uint256 seederSeed) external {
        if (_ids.length == 0) return;
        uint256 id = _ids[escrowSeed % _ids.length];
        vm.prank(_seeders[seederSeed % SEEDERS]);
        try escrow.waiveChallenge(id) {} catch {}
    }

    function refund(uint256 escrowSeed) external {
        if (_ids.length == 0) return;
        uint256 id = _ids[escrowSeed % _ids.length];
        ICheckpointEscrow.Escrow memory e = escrow.escrow(id);
        uint256 balanceBefore = e.leecher.balance;
        vm.prank(STRANGER);
        try escrow.refund(id) {
            uint256 gained = e.leecher.balance - balanceBefore;
            if (gained != e.unpaid + e.reserved) wrongPayment = true;
            refunded += gained;
            ++refunds[id];
        } catch {}
    }

    function warp(uint256 secondsSeed) external {
        vm.warp(block.timestamp + _bound(secondsSeed, 0, MAX_WARP));
    }

    // ------------------------------------------------------------------------------------------------ reading

    function escrowIds() external view returns (uint256[] memory) {
        return _ids;
    }

    function seederAt(uint256 index) external view returns (address) {
        return _seeders[index];
    }

    function seederCount() external pure returns (uint256) {
        return SEEDERS;
    }

    // ------------------------------------------------------------------------------------------------ internals

    /// @dev `count` vouchers for `seeder` of consecutive, distinct escrows, signed by their session keys.
    function _batch(address seeder, uint256 escrowSeed, uint256 count, uint256 bytesSeed, uint256 amountSeed)
        internal
        returns (ICheckpointEscrow.Voucher[] memory vouchers, bytes[] memory sigs)
    {
        vouchers = new ICheckpointEscrow.Voucher[](count);
        sigs = new bytes[](count);
        for (uint256 i; i < count; ++i) {
            uint256 id = _ids[(escrowSeed + i) % _ids.length];
            (vouchers[i], sigs[i]) = _voucher(id, seeder, uint256(keccak256(abi.encode(bytesSeed, i))), amountSeed >> i);
        }
    }

    /// @dev Each voucher's record now and what it must pay: its increase over the record, capped by what is left, if
    /// its escrow still pays; and whether the batch may revert (only for a voucher the seeder itself waived).
    function _dues(address seeder, ICheckpointEscrow.Voucher[] memory vouchers)
        internal
        view
        returns (uint256[] memory records, uint256[] memory due, bool mayRevert)
    {
        records = new uint256[](vouchers.length);
        due = new uint256[](vouchers.length);
        for (uint256 i; i < vouchers.length; ++i) {
            uint256 id = vouchers[i].escrowId;
            ICheckpointEscrow.Redemption memory r = escrow.redeemedBy(id, seeder);
            records[i] = r.amount;
            if (_isRedeemable(id) && vouchers[i].cumulativeAmount > r.amount) {
                if (r.waived) mayRevert = true;
                due[i] = Math.min(vouchers[i].cumulativeAmount - r.amount, escrow.escrow(id).unpaid + r.reserved);
            }
        }
    }

    /// @dev The leecher redeems the seeder's voucher itself, ahead of the seeder's batch (the seeder is still paid).
    function _frontRun(address seeder, ICheckpointEscrow.Voucher memory v, bytes memory sig) internal {
        uint256 recordBefore = escrow.redeemedBy(v.escrowId, seeder).amount;
        uint256 balanceBefore = seeder.balance;
        vm.prank(escrow.escrow(v.escrowId).leecher);
        try escrow.redeem(v, sig) {
            uint256 gained = seeder.balance - balanceBefore;
            if (escrow.redeemedBy(v.escrowId, seeder).amount - recordBefore != gained) wrongPayment = true;
            _credit(v.escrowId, seeder, gained, v.cumulativeAmount);
        } catch {}
    }

    /// @dev Whether a valid voucher for `amount` submitted now must pay: the escrow pays, the seeder has not waived,
    /// the voucher is newer and something is left.
    function _payable(uint256 id, address seeder_, uint256 amount) internal view returns (bool) {
        ICheckpointEscrow.Redemption memory r = escrow.redeemedBy(id, seeder_);
        return _isRedeemable(id) && !r.waived && amount > r.amount && escrow.escrow(id).unpaid + r.reserved != 0;
    }

    function _isRedeemable(uint256 id) internal view returns (bool) {
        ICheckpointEscrow.Escrow memory e = escrow.escrow(id);
        return e.status == ICheckpointEscrow.Status.Open
            || (e.status == ICheckpointEscrow.Status.Closing && block.timestamp < e.closesAt);
    }

    function _voucher(uint256 id, address seeder_, uint256 bytesSeed, uint256 amountSeed)
        internal
        returns (ICheckpointEscrow.Voucher memory v, bytes memory sig)
    {
        ICheckpointEscrow.Escrow memory e = escrow.escrow(id);
        uint256 cumulativeBytes = _bound(bytesSeed, 0, e.maxBytes);
        uint256 amount = _bound(amountSeed, 0, CheckpointSchedule.amountFor(cumulativeBytes, e.pricePerMiB));
        v = ICheckpointEscrow.Voucher(id, seeder_, cumulativeBytes, amount);
        (uint8 sigV, bytes32 r, bytes32 s) = vm.sign(_sessionPk[id], escrow.hashVoucher(v));
        sig = abi.encodePacked(r, s, sigV);
        if (amount > signed[id][seeder_]) signed[id][seeder_] = amount;
    }

    function _closeSig(uint256 id) internal view returns (bytes memory) {
        (uint8 sigV, bytes32 r, bytes32 s) = vm.sign(_sessionPk[id], escrow.hashClose(id));
        return abi.encodePacked(r, s, sigV);
    }

    function _credit(uint256 id, address seeder_, uint256 gained, uint256 authorisedAmount) internal {
        received[id][seeder_] += gained;
        if (authorisedAmount > authorised[id][seeder_]) authorised[id][seeder_] = authorisedAmount;
    }

    function _bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        return min + x % (max - min + 1);
    }
}

/// @notice Invariants of CheckpointEscrow under the handler's random sequences (256 runs of 40 calls: enough for
/// opens, redemptions, closes, warps and refunds to interleave, and under a minute on a small machine).
/// forge-config: default.invariant.depth = 40
contract CheckpointEscrowInvariants is Test {
    EscrowHandler internal handler;
    CheckpointEscrow internal escrow;

    function setUp() public {
        handler = new EscrowHandler{value: 1 ether}();
        escrow = handler.escrow();
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @notice The contract holds at least what every escrow not Closed still owes, and every wei deposited is
    /// accounted for: held, paid to a seeder, or refunded.
    function invariant_Solvent() public view {
        uint256[] memory ids = handler.escrowIds();
        uint256 owed;
        uint256 paidToSeeders;
        for (uint256 i; i < ids.length; ++i) {
            ICheckpointEscrow.Escrow memory e = escrow.escrow(ids[i]);
            if (e.status != ICheckpointEscrow.Status.Closed) owed += e.unpaid + e.reserved;
        }
        for (uint256 s; s < handler.seederCount(); ++s) {
            paidToSeeders += handler.seederAt(s).balance;
        }
        assertGe(address(escrow).balance, owed, "balance covers what is owed");
        assertEq(handler.deposited(), address(escrow).balance + paidToSeeders + handler.refunded(), "every wei");
    }

    /// @notice Per escrow, paid = deposit - unpaid - reserved never exceeds the deposit and is the sum of the seeders'
    /// records.
    function invariant_PaidWithinDepositPerEscrow() public view {
        uint256[] memory ids = handler.escrowIds();
        for (uint256 i; i < ids.length; ++i) {
            ICheckpointEscrow.Escrow memory e = escrow.escrow(ids[i]);
            assertLe(e.unpaid, e.deposit, "unpaid within deposit");
            uint256 records;
            for (uint256 s; s < handler.seederCount(); ++s) {
                records += escrow.redeemedBy(ids[i], handler.seederAt(s)).amount;
            }
            assertEq(records, e.deposit - e.unpaid - e.reserved, "paid is the sum of the records");
        }
    }

    /// @notice No voucher is counted twice: every seeder received from each escrow exactly its record, which never
    /// exceeds the largest amount it was authorised; replayed or moved vouchers never paid, and every payment was
    /// the amount the rules give.
    function invariant_NoVoucherCountedTwice() public view {
        assertTrue(!handler.replayAccepted(), "a replayed or moved voucher was accepted");
        assertTrue(!handler.wrongPayment(), "a payment differed from the rules");
        assertTrue(!handler.nonCheckpointReleased(), "a non-checkpoint was released");
        assertTrue(!handler.overCapReleased(), "a release above the escrow's price cap was paid");
        uint256[] memory ids = handler.escrowIds();
        for (uint256 s; s < handler.seederCount(); ++s) {
            address seeder = handler.seederAt(s);
            uint256 total;
            for (uint256 i; i < ids.length; ++i) {
                uint256 record = escrow.redeemedBy(ids[i], seeder).amount;
                assertEq(handler.received(ids[i], seeder), record, "received its record");
                assertLe(record, handler.authorised(ids[i], seeder), "record within what was authorised");
                total += record;
            }
            assertEq(seeder.balance, total, "seeder balance is the sum of its records");
        }
    }

    /// @notice Who gets paid: a seeder is paid at most what the escrow's session key signed for it (or the leecher
    /// released to it), so a leecher never loses more than its key signed; a seeder that submits a valid voucher in
    /// time with deposit left is paid what the voucher adds, whatever code the key's address gained since and
    /// whoever redeemed part of its batch first; no contract is ever accepted as a session key.
    function invariant_PaidExactlyWhatTheKeySigned() public view {
        assertTrue(!handler.contractKeyAccepted(), "a session key with code was accepted");
        assertTrue(!handler.honestRedemptionRefused(), "a valid voucher submitted in time was not paid");
        assertTrue(!handler.batchVoided(), "a seeder's batch of valid vouchers was voided");
        uint256[] memory ids = handler.escrowIds();
        for (uint256 i; i < ids.length; ++i) {
            ICheckpointEscrow.Escrow memory e = escrow.escrow(ids[i]);
            uint256 signedTotal;
            for (uint256 s; s < handler.seederCount(); ++s) {
                address seeder = handler.seederAt(s);
                uint256 signedForSeeder = handler.signed(ids[i], seeder);
                assertLe(escrow.redeemedBy(ids[i], seeder).amount, signedForSeeder, "seeder paid within what was signed");
                signedTotal += signedForSeeder;
            }
            assertLe(e.deposit - e.unpaid - e.reserved, signedTotal, "leecher lost at most what its key signed");
        }
    }

    /// @notice An escrow is refunded at most once, exactly when it is Closed.
    function invariant_RefundOnce() public view {
        uint256[] memory ids = handler.escrowIds();
        for (uint256 i; i < ids.length; ++i) {
            uint256 count = handler.refunds(ids[i]);
            assertLe(count, 1, "refunded at most once");
            assertEq(
                count,
                escrow.escrow(ids[i]).status == ICheckpointEscrow.Status.Closed ? 1 : 0,
                "refunded iff Closed"
            );
        }
    }
}
