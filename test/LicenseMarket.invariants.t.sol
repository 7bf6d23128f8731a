// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "./utils/Test.sol";
import {vm} from "./utils/Vm.sol";
import {LicenseMarket} from "../contracts/LicenseMarket.sol";
import {CurveKind} from "../contracts/libraries/BondingCurve.sol";
import {RebatePoolStub} from "../contracts/test/RebatePoolStub.sol";
import {Registration} from "./helpers/Registration.sol";
import {ILicenseMarket} from "../contracts/interfaces/ILicenseMarket.sol";

/// @notice Drives the market with random registrations, purchases (with overpayment and gifts), withdrawals,
/// transfers, fee changes and pauses, among a fixed set of actors, and keeps ghost totals of every wei.
contract LicenseMarketHandler {
    uint256 internal constant ACTORS = 4;
    uint256 internal constant MAX_QUANTITY = 20;

    LicenseMarket public immutable market;
    RebatePoolStub public immutable pool;
    address[ACTORS] internal _actors;

    /// @notice Ghost totals: wei sent by buyers, refunded to them, credited as proceeds, withdrawn.
    uint256 public paidIn;
    uint256 public refunded;
    uint256 public credited;
    uint256 public withdrawn;
    /// @notice Licenses minted per content, counted from the purchases that succeeded.
    mapping(uint256 contentId => uint256 minted) public minted;
    /// @notice Set when a purchase lowered a content's next price, a withdrawal of owed proceeds failed, or a
    /// withdrawal paid other than what `proceeds` said was owed, or left something owed.
    bool public priceDecreased;
    bool public withdrawalBlocked;
    bool public withdrawalInexact;

    /// @dev The handler deploys and owns the market, so it can also change the fee and pause.
    constructor() {
        pool = new RebatePoolStub();
        market = new LicenseMarket(address(this), pool, 500, "", Registration.MIN_COMMITMENT_AGE);
        for (uint256 i; i < ACTORS; ++i) {
            _actors[i] = address(uint160(0xA11CE0 + i));
        }
    }

    function actor(uint256 index) public view returns (address) {
        return _actors[index];
    }

    function actorCount() external pure returns (uint256) {
        return ACTORS;
    }

    function register(uint256 seed, uint128 base, uint128 growth, uint64 maxSupply, uint16 bountyFeeBps) external {
        bool exponential = seed % 2 == 1;
        Registration.commitAndRegister(
            market,
            ILicenseMarket.ContentParams({
                infohash: keccak256(abi.encode(seed, market.contentCount())),
                size: uint64(seed >> 8) | 1,
                payout: _actors[(seed >> 1) % ACTORS],
                basePrice: uint128(base % 1 ether),
                curve: exponential ? CurveKind.Exponential : CurveKind.Linear,
                growth: exponential ? growth % 5_001 : growth % 0.01 ether,
                maxSupply: maxSupply % 50,
                bountyFeeBps: bountyFeeBps % 2_001,
                transferable: (seed >> 4) % 2 == 1,
                metadataURI: ""
            })
        );
    }

    function buy(uint256 contentSeed, uint256 quantity, uint256 buyerSeed, uint256 recipientSeed, uint96 extra)
        external
    {
        uint256 count = market.contentCount();
        if (count == 0) return;
        uint256 id = contentSeed % count + 1;
        quantity = quantity % MAX_QUANTITY + 1;
        uint256 price;
        uint256 total;
        try market.quote(id, quantity) returns (uint256 p, uint256, uint256, uint256 t) {
            (price, total) = (p, t);
        } catch {
            return; // sold out or priced beyond uint256
        }
        uint256 before = market.nextPrice(id);
        _pay(id, quantity, _actors[buyerSeed % ACTORS], _actors[recipientSeed % ACTORS], total, total + extra);
        credited += price;
        minted[id] += quantity;
        _checkPriceRose(id, before);
    }

    function _pay(uint256 id, uint256 quantity, address buyer, address recipient, uint256 total, uint256 value)
        private
    {
        vm.deal(buyer, buyer.balance + value);
        uint256 balanceBefore = buyer.balance;
        vm.prank(buyer);
        market.buy{value: value}(id, quantity, recipient, total);
        paidIn += value;
        refunded += buyer.balance + value - balanceBefore;
    }

    function _checkPriceRose(uint256 id, uint256 before) private {
        ILicenseMarket.Content memory c = market.content(id);
        if (c.maxSupply != 0 && c.supply == c.maxSupply) return; // sold out: no next price
        try market.nextPrice(id) returns (uint256 next) {
            if (next < before) priceDecreased = true;
        } catch {} // the next price left uint256: nothing left to compare
    }

    function withdraw(uint256 actorSeed) external {
        address account = _actors[actorSeed % ACTORS];
        uint256 owed = market.proceeds(account);
        if (owed == 0) return;
        uint256 balanceBefore = account.balance;
        vm.prank(account);
        try market.withdrawProceeds() {
            // What the account received, not what the view said: the two must agree.
            uint256 received = account.balance - balanceBefore;
            withdrawn += received;
            if (received != owed || market.proceeds(account) != 0) withdrawalInexact = true;
        } catch {
            withdrawalBlocked = true;
        }
    }

    function transfer(uint256 contentSeed, uint256 fromSeed, uint256 toSeed) external {
        uint256 count = market.contentCount();
        if (count == 0) return;
        uint256 id = contentSeed % count + 1;
        address from = _actors[fromSeed % ACTORS];
        if (market.balanceOf(from, id) == 0 || !market.content(id).transferable) return;
        vm.prank(from);
        market.safeTransferFrom(from, _actors[toSeed % ACTORS], id, 1, "");
    }

    function setNetworkFee(uint16 feeBps) external {
        market.setNetworkFee(feeBps % 1_001);
    }

    function togglePause() external {
        if (market.paused()) market.unpause();
        else market.pause();
    }
}

/// @notice Invariants of the LicenseMarket under random use (see the contract's INVARIANTS).
contract LicenseMarketInvariants is Test {
    LicenseMarket internal market;
    RebatePoolStub internal pool;
    LicenseMarketHandler internal handler;

    function setUp() public {
        handler = new LicenseMarketHandler();
        market = handler.market();
        pool = handler.pool();
    }

    /// @notice Only the handler is called by the invariant fuzzer.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// hardhat-config: default.invariant.depth = 40
    function invariant_MarketBalanceEqualsProceedsOwed() public view {
        uint256 owed;
        for (uint256 i; i < handler.actorCount(); ++i) {
            owed += market.proceeds(handler.actor(i));
        }
        assertEq(address(market).balance, owed, "market balance != proceeds owed");
        assertEq(owed, handler.credited() - handler.withdrawn(), "proceeds != credited - withdrawn");
    }

    /// hardhat-config: default.invariant.depth = 40
    function invariant_EveryWeiPaidIsProceedsFeesOrRefund() public view {
        assertEq(
            handler.paidIn(),
            handler.credited() + address(pool).balance + handler.refunded(),
            "paid != proceeds + fees + refunds"
        );
    }

    /// hardhat-config: default.invariant.depth = 40
    function invariant_FeesWithinCaps() public view {
        uint256 maxFeeBps = uint256(market.MAX_NETWORK_FEE_BPS()) + market.MAX_BOUNTY_FEE_BPS();
        assertLe(address(pool).balance * market.BPS(), handler.credited() * maxFeeBps, "fees above 30% of proceeds");
    }

    /// hardhat-config: default.invariant.depth = 40
    function invariant_SupplyEqualsMintedWithinMaxSupply() public view {
        for (uint256 id = 1; id <= market.contentCount(); ++id) {
            ILicenseMarket.Content memory c = market.content(id);
            uint256 held;
            for (uint256 i; i < handler.actorCount(); ++i) {
                held += market.balanceOf(handler.actor(i), id);
            }
            assertEq(c.supply, handler.minted(id), "supply != minted");
            assertEq(c.supply, held, "supply != licenses held");
            if (c.maxSupply != 0) assertLe(c.supply, c.maxSupply, "supply above max");
        }
    }

    /// hardhat-config: default.invariant.depth = 40
    function invariant_PriceNeverDecreasesAndWithdrawalsNeverBlocked() public view {
        assertTrue(!handler.priceDecreased(), "a purchase lowered the next price");
        assertTrue(!handler.withdrawalBlocked(), "a withdrawal of owed proceeds failed");
        assertTrue(!handler.withdrawalInexact(), "a withdrawal paid other than what was owed");
    }
}
