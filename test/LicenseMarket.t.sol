// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "./utils/Test.sol";
import {vm} from "./utils/Vm.sol";
import {LicenseMarket} from "../contracts/LicenseMarket.sol";
import {CurveKind} from "../contracts/libraries/BondingCurve.sol";
import {RebatePoolStub} from "../contracts/test/RebatePoolStub.sol";
import {Registration} from "./helpers/Registration.sol";
import {ILicenseMarket} from "../contracts/interfaces/ILicenseMarket.sol";

/// @notice Fuzz tests of the LicenseMarket's pricing, fees and payment handling (the curves alone:
/// test/libraries/BondingCurve.t.sol).
contract LicenseMarketTest is Test {
    uint16 internal constant NETWORK_FEE_BPS = 700;
    uint256 internal constant MAX_QUANTITY = 64;
    /// @dev A public chain's minimum commitment age (the deployment default).
    uint256 internal constant MIN_COMMITMENT_AGE = 60;

    LicenseMarket internal market;
    RebatePoolStub internal pool;
    address internal constant PAYOUT = address(0xFEE1);
    address internal constant BUYER = address(0xB0B);

    function setUp() public {
        pool = new RebatePoolStub();
        market = new LicenseMarket(address(this), pool, NETWORK_FEE_BPS, "", MIN_COMMITMENT_AGE);
    }

    // ------------------------------------------------------------------ curve math

    // ------------------------------------------------------------------ buying

    function testFuzz_Buy_RefundsOverpayment(
        bool exponential,
        uint96 base,
        uint256 quantity,
        uint256 extra,
        uint16 bountyFeeBps
    ) public {
        quantity = bound(quantity, 1, MAX_QUANTITY);
        extra = bound(extra, 0, 1_000 ether);
        uint256 id = _register(exponential, base, uint16(bound(bountyFeeBps, 0, 2_000)), 0);
        (uint256 price, uint256 networkFee, uint256 bountyFee, uint256 total) = market.quote(id, quantity);

        vm.deal(BUYER, total + extra);
        vm.prank(BUYER);
        market.buy{value: total + extra}(id, quantity, BUYER, total);

        assertEq(BUYER.balance, extra, "buyer did not get the overpayment back");
        assertEq(address(market).balance, price, "market holds more than the curve price");
        assertEq(market.proceeds(PAYOUT), price, "proceeds");
        assertEq(address(pool).balance, networkFee + bountyFee, "pool did not get the fees");
        assertEq(pool.allowance(BUYER, id), bountyFee, "the bounty fee is the allowance");
        assertEq(pool.weightBudget(BUYER, id), networkFee, "the network fee goes to the pool as the weight budget");
        assertEq(market.balanceOf(BUYER, id), quantity, "licenses minted");
    }

    function testFuzz_Buy_RevertsPastMaxTotal(bool exponential, uint96 base, uint256 quantity, uint256 shortfall)
        public
    {
        quantity = bound(quantity, 1, MAX_QUANTITY);
        uint256 id = _register(exponential, uint96(bound(base, 1, type(uint96).max)), 1_000, 0);
        (,,, uint256 total) = market.quote(id, quantity);
        uint256 maxTotal = total - bound(shortfall, 1, total);

        vm.deal(BUYER, total);
        vm.prank(BUYER);
        vm.expectRevert(abi.encodeWithSelector(ILicenseMarket.SlippageExceeded.selector, total, maxTotal));
        market.buy{value: total}(id, quantity, BUYER, maxTotal);
    }

    function testFuzz_Buy_RevertsOnUnderpayment(uint96 base, uint256 quantity, uint256 shortfall) public {
        quantity = bound(quantity, 1, MAX_QUANTITY);
        uint256 id = _register(false, uint96(bound(base, 1, type(uint96).max)), 0, 0);
        (,,, uint256 total) = market.quote(id, quantity);
        uint256 paid = total - bound(shortfall, 1, total);

        vm.deal(BUYER, paid);
        vm.prank(BUYER);
        vm.expectRevert(abi.encodeWithSelector(ILicenseMarket.InsufficientPayment.selector, total, paid));
        market.buy{value: paid}(id, quantity, BUYER, total);
    }

    function testFuzz_Buy_NeverPastMaxSupply(uint64 maxSupply, uint256 first, uint256 second) public {
        maxSupply = uint64(bound(maxSupply, 1, 100));
        uint256 id = _register(false, 1 gwei, 0, maxSupply);
        first = bound(first, 1, maxSupply);
        _buy(id, first);
        second = bound(second, 1, 200);
        uint256 remaining = maxSupply - first;
        if (second > remaining) {
            vm.expectRevert(
                abi.encodeWithSelector(ILicenseMarket.MaxSupplyExceeded.selector, id, second, remaining)
            );
            market.quote(id, second);
        } else {
            _buy(id, second);
        }
        assertLe(market.content(id).supply, maxSupply, "supply above max");
    }

    // ------------------------------------------------------------------ withdrawing

    /// @dev Around the proceeds sentinel: each withdrawal pays exactly what was credited since the previous one
    /// (down to 1 wei; nothing, with `NothingToWithdraw`, for free licenses), and registering another content for
    /// the same payout keeps what is owed.
    function testFuzz_WithdrawProceeds_PaysExactlyWhatWasCredited(uint96 base, uint256 first, uint256 second)
        public
    {
        uint256 id = _register(false, bound(base, 0, 1 ether), 0, 0);
        assertEq(market.proceeds(PAYOUT), 0, "owed before any sale");
        uint256 price = _buy(id, bound(first, 1, MAX_QUANTITY));
        assertEq(market.proceeds(PAYOUT), price, "owed after the first sale");
        _register(true, 1 ether, 0, 0);
        assertEq(market.proceeds(PAYOUT), price, "owed after registering another content");
        _withdrawExactly(price);
        _withdrawExactly(_buy(id, bound(second, 1, MAX_QUANTITY)));
    }

    // ------------------------------------------------------------------ fees

    function testFuzz_Quote_FeesWithinCaps(uint16 networkFeeBps, uint16 bountyFeeBps, uint96 base, uint256 quantity)
        public
    {
        networkFeeBps = uint16(bound(networkFeeBps, 0, market.MAX_NETWORK_FEE_BPS()));
        market.setNetworkFee(networkFeeBps);
        uint256 id = _register(true, base, uint16(bound(bountyFeeBps, 0, market.MAX_BOUNTY_FEE_BPS())), 0);
        (uint256 price, uint256 networkFee, uint256 bountyFee, uint256 total) =
            market.quote(id, bound(quantity, 1, MAX_QUANTITY));
        assertLe(networkFee * market.BPS(), price * market.MAX_NETWORK_FEE_BPS(), "network fee above 10%");
        assertLe(bountyFee * market.BPS(), price * market.MAX_BOUNTY_FEE_BPS(), "bounty fee above 20%");
        assertEq(total, price + networkFee + bountyFee, "total is not the sum");
    }

    function testFuzz_SetNetworkFee_RevertsAboveCap(uint16 networkFeeBps) public {
        networkFeeBps = uint16(bound(networkFeeBps, uint256(market.MAX_NETWORK_FEE_BPS()) + 1, type(uint16).max));
        vm.expectRevert(abi.encodeWithSelector(ILicenseMarket.NetworkFeeTooHigh.selector, networkFeeBps, 1_000));
        market.setNetworkFee(networkFeeBps);
    }

    function testFuzz_RegisterContent_RevertsAboveBountyCap(uint16 bountyFeeBps) public {
        bountyFeeBps = uint16(bound(bountyFeeBps, uint256(market.MAX_BOUNTY_FEE_BPS()) + 1, type(uint16).max));
        ILicenseMarket.ContentParams memory p = _params(false, 1 ether, 0, 0);
        p.bountyFeeBps = bountyFeeBps;
        vm.expectRevert(abi.encodeWithSelector(ILicenseMarket.BountyFeeTooHigh.selector, bountyFeeBps, 2_000));
        market.registerContent(p, Registration.SALT);
    }

    function testFuzz_RegisterContent_RevertsAboveGrowthCap(uint128 growth) public {
        growth = uint128(bound(growth, uint256(market.MAX_GROWTH_BPS()) + 1, type(uint128).max));
        ILicenseMarket.ContentParams memory p = _params(true, 1 ether, 0, 0);
        p.growth = growth;
        vm.expectRevert(abi.encodeWithSelector(ILicenseMarket.GrowthTooHigh.selector, growth, 10_000));
        market.registerContent(p, Registration.SALT);
    }

    // ------------------------------------------------------------------ commit–reveal

    /// @dev A registration copied from the mempool (its infohash and salt revealed) and sent by any other account,
    /// with the copier's payout, finds no commitment at any time in the window; the publisher's own reveal
    /// succeeds afterwards and pays the publisher's payout.
    function testFuzz_RegisterContent_CopiedRevealByAnotherAccountFails(address copier, bytes32 salt, uint256 wait)
        public
    {
        vm.assume(copier != address(this));
        wait = bound(wait, MIN_COMMITMENT_AGE, market.MAX_COMMITMENT_AGE());
        ILicenseMarket.ContentParams memory p = _params(false, 1 ether, 0, 0);
        market.commit(market.makeCommitment(p.infohash, address(this), salt));
        vm.warp(block.timestamp + wait);

        ILicenseMarket.ContentParams memory copied = _params(false, 1 ether, 0, 0);
        copied.infohash = p.infohash;
        copied.payout = copier == address(0) ? address(1) : copier;
        bytes32 copierCommitment = market.makeCommitment(p.infohash, copier, salt);
        vm.expectRevert(abi.encodeWithSelector(ILicenseMarket.CommitmentNotFound.selector, copierCommitment));
        vm.prank(copier);
        market.registerContent(copied, salt);

        uint256 id = market.registerContent(p, salt);
        assertEq(market.content(id).payout, PAYOUT, "the publisher's payout");
        assertEq(market.contentIdOf(p.infohash), id, "the publisher's registration");
    }

    /// @dev A reveal is accepted exactly from `minCommitmentAge` to `MAX_COMMITMENT_AGE` after its commit.
    function testFuzz_RegisterContent_AcceptedOnlyWithinTheCommitmentWindow(uint256 elapsed) public {
        uint256 maxAge = market.MAX_COMMITMENT_AGE();
        elapsed = bound(elapsed, 0, 2 * maxAge);
        ILicenseMarket.ContentParams memory p = _params(false, 1 ether, 0, 0);
        bytes32 commitment = market.makeCommitment(p.infohash, address(this), Registration.SALT);
        uint256 committedAt = block.timestamp;
        market.commit(commitment);
        vm.warp(committedAt + elapsed);
        if (elapsed < MIN_COMMITMENT_AGE) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    ILicenseMarket.CommitmentTooNew.selector, commitment, committedAt + MIN_COMMITMENT_AGE
                )
            );
        } else if (elapsed > maxAge) {
            vm.expectRevert(
                abi.encodeWithSelector(ILicenseMarket.CommitmentExpired.selector, commitment, committedAt + maxAge)
            );
        }
        market.registerContent(p, Registration.SALT);
        if (elapsed >= MIN_COMMITMENT_AGE && elapsed <= maxAge) {
            assertEq(market.contentCount(), 1, "registered within the window");
            assertEq(market.commitments(commitment), 0, "the commitment is consumed");
        }
    }

    function test_RegisterContent_RevertsCommitmentNotFound() public {
        ILicenseMarket.ContentParams memory p = _params(false, 1 ether, 0, 0);
        bytes32 commitment = market.makeCommitment(p.infohash, address(this), Registration.SALT);
        vm.expectRevert(abi.encodeWithSelector(ILicenseMarket.CommitmentNotFound.selector, commitment));
        market.registerContent(p, Registration.SALT);

        // Another salt than the committed one is another commitment.
        market.commit(commitment);
        vm.warp(block.timestamp + MIN_COMMITMENT_AGE);
        bytes32 otherSalt = keccak256("other salt");
        vm.expectRevert(
            abi.encodeWithSelector(
                ILicenseMarket.CommitmentNotFound.selector, market.makeCommitment(p.infohash, address(this), otherSalt)
            )
        );
        market.registerContent(p, otherSalt);
    }

    function test_Commit_RevertsCommitmentPendingUntilExpired() public {
        bytes32 commitment = keccak256("commitment");
        uint256 committedAt = block.timestamp;
        market.commit(commitment);
        uint256 expiresAt = committedAt + market.MAX_COMMITMENT_AGE();
        vm.warp(expiresAt);
        vm.expectRevert(abi.encodeWithSelector(ILicenseMarket.CommitmentPending.selector, commitment, expiresAt));
        market.commit(commitment);
        vm.warp(expiresAt + 1);
        market.commit(commitment);
        assertEq(market.commitments(commitment), expiresAt + 1, "committed again after expiry");
    }

    function testFuzz_Constructor_RevertsCommitmentAgeOutOfBounds(uint256 age) public {
        uint256 floor = market.MIN_COMMITMENT_AGE_FLOOR();
        uint256 ceiling = market.MIN_COMMITMENT_AGE_CEILING();
        vm.assume(age < floor || age > ceiling);
        vm.expectRevert(abi.encodeWithSelector(ILicenseMarket.CommitmentAgeOutOfBounds.selector, age, floor, ceiling));
        new LicenseMarket(address(this), pool, NETWORK_FEE_BPS, "", age);
    }

    // ------------------------------------------------------------------ helpers

    uint256 private _nonce;

    function _params(bool exponential, uint256 base, uint16 bountyFeeBps, uint64 maxSupply)
        internal
        returns (ILicenseMarket.ContentParams memory)
    {
        return ILicenseMarket.ContentParams({
            infohash: keccak256(abi.encode("content", ++_nonce)),
            size: 1 << 20,
            payout: PAYOUT,
            basePrice: uint128(base),
            curve: exponential ? CurveKind.Exponential : CurveKind.Linear,
            growth: exponential ? 250 : uint128(base / 100),
            maxSupply: maxSupply,
            bountyFeeBps: bountyFeeBps,
            transferable: false,
            metadataURI: ""
        });
    }

    function _register(bool exponential, uint256 base, uint16 bountyFeeBps, uint64 maxSupply)
        internal
        returns (uint256)
    {
        return Registration.commitAndRegister(market, _params(exponential, base, bountyFeeBps, maxSupply));
    }

    /// @return price The curve price, credited to the payout.
    function _buy(uint256 id, uint256 quantity) internal returns (uint256 price) {
        uint256 total;
        (price,,, total) = market.quote(id, quantity);
        vm.deal(BUYER, total);
        vm.prank(BUYER);
        market.buy{value: total}(id, quantity, BUYER, total);
    }

    /// @dev Withdraws as the payout, which must receive exactly `owed` and be owed nothing after.
    function _withdrawExactly(uint256 owed) internal {
        uint256 before = PAYOUT.balance;
        if (owed != 0) {
            vm.prank(PAYOUT);
            market.withdrawProceeds();
        }
        assertEq(PAYOUT.balance - before, owed, "paid != owed");
        assertEq(market.proceeds(PAYOUT), 0, "owed after the withdrawal");
        assertEq(address(market).balance, 0, "the market kept wei");
        vm.prank(PAYOUT);
        vm.expectRevert(ILicenseMarket.NothingToWithdraw.selector);
        market.withdrawProceeds();
    }
}
