// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "./utils/Test.sol";
import {vm} from "./utils/Vm.sol";
import {RebatePoolFixture} from "./helpers/RebatePoolFixture.sol";
import {RebatePool} from "../contracts/RebatePool.sol";
import {LicenseMarket} from "../contracts/LicenseMarket.sol";
import {CurveKind} from "../contracts/libraries/BondingCurve.sol";
import {Registration} from "./helpers/Registration.sol";
import {ILicenseMarket} from "../contracts/interfaces/ILicenseMarket.sol";

/// @notice The self-dealing drain of issue 12, replayed through the real market and pool: an attacker that publishes
/// its own 1-byte content, buys licenses of it with borrowed capital, takes the curve price back as proceeds and
/// credits the byte to its own seeder, against an epoch pool that other buyers' unearned allowances funded and one
/// honest seeder. Each scenario runs on a fresh deployment, once without the attacker (the honest seeder's fair share)
/// and once with it.
contract RebatePoolAttacksTest is Test, RebatePoolFixture {
    /// @dev 100 other buyers whose allowances go unearned and are swept into the pool.
    uint256 private constant IDLE_BUYERS = 100;
    uint128 private constant HONEST_PRICE = 0.01 ether;
    uint64 private constant HONEST_SIZE = 100 * 2 ** 20;
    uint256 private constant HONEST_LEECHER_PK = 0xA11CE;
    uint256 private constant HONEST_SESSION_PK = 0x5E55;
    address private constant HONEST_SEEDER = address(0x5EED0);
    /// @dev The attacker's accounts: its wallet (the borrower and the publisher's payout), its buyer key, its session
    /// key and its seeder.
    address private constant ATTACKER = address(0xA77AC);
    uint256 private constant ATTACKER_BUYER_PK = 0xB0B0;
    uint256 private constant ATTACKER_SESSION_PK = 0xB0B1;
    address private constant ATTACKER_SEEDER = address(0x5EEDA);
    /// @dev The capital the attacker borrows and repays inside the transaction.
    uint256 private constant LOAN = 26 ether;
    uint256 private constant OWN_CAPITAL = 100 ether;
    uint64 private constant ONE_BYTE = 1;

    uint256 private constant HONEST_EPOCHS = 3;
    uint256 private constant MAX_ADVERSARY_LICENSES = 1_000;
    uint128 private constant ADVERSARY_PRICE = 0.1 ether;
    /// @dev What the adversary borrows per license: the curve price, which the proceeds repay.
    uint256 private constant LOAN_PER_LICENSE = ADVERSARY_PRICE;

    /// @dev The adversary's choices in the fuzz test, and its profit.
    struct Adversary {
        uint16 networkFeeBps;
        uint16 bountyFeeBps;
        uint64 size;
        uint256 licenses;
        uint256 buyEpoch;
        uint256 creditEpoch;
        int256 profit;
    }

    /// @dev What one run of the scenario measured.
    struct Outcome {
        uint256 honestShare;
        int256 attackerProfit;
        uint256 pool;
    }

    /// @dev The attack of issue 12 in the epoch the honest seeder serves: the attacker's profit is at most 0 and the
    /// honest seeder gets what it gets without the attack.
    function test_Claim_SelfDealingWithBorrowedCapitalDrainsNothing() public {
        Outcome memory fair = _scenario(false);
        Outcome memory attacked = _scenario(true);
        assertGe(fair.pool, 0.29 ether, "the pool holds the idle buyers' unearned allowances");
        assertTrue(fair.honestShare > 0, "the honest seeder earns a share without the attack");
        assertTrue(attacked.attackerProfit <= 0, "the attacker gains nothing");
        assertGe(attacked.honestShare, fair.honestShare, "the honest seeder's share is not reduced");
    }

    /// @dev The property of issue 12, fuzzed: an adversary that publishes its own content (bounty fee and size of its
    /// choice, network fee anywhere within the cap), buys any number of licenses of it with borrowed capital in one
    /// epoch, credits them to its own seeder in the same or a later epoch and claims late, against honest seeders
    /// that serve honest buyers in every epoch, ends with a profit of at most 0, and every honest seeder's share of
    /// every epoch is at least what it is without the adversary.
    function testFuzz_Claim_AdversaryGainsNothingAndDilutesNobody(
        uint16 networkFeeSeed,
        uint16 bountyFeeSeed,
        uint64 sizeSeed,
        uint256 licensesSeed,
        uint8 buyEpochSeed,
        uint8 creditDelaySeed,
        uint64 honestBytesSeed
    ) public {
        Adversary memory adv;
        adv.networkFeeBps = uint16(bound(networkFeeSeed, 0, NETWORK_FEE_BPS));
        adv.bountyFeeBps = uint16(bound(bountyFeeSeed, 0, BOUNTY_FEE_BPS));
        adv.size = uint64(bound(sizeSeed, 1, type(uint64).max));
        adv.licenses = bound(licensesSeed, 1, MAX_ADVERSARY_LICENSES);
        adv.buyEpoch = bound(buyEpochSeed, 0, HONEST_EPOCHS - 1);
        adv.creditEpoch = adv.buyEpoch + bound(creditDelaySeed, 0, HONEST_EPOCHS - adv.buyEpoch);
        uint64 honestBytes = uint64(bound(honestBytesSeed, 1, HONEST_SIZE));

        uint256[HONEST_EPOCHS] memory fair = _epochs(adv, honestBytes, false);
        uint256[HONEST_EPOCHS] memory attacked = _epochs(adv, honestBytes, true);
        assertTrue(adv.profit <= 0, "the adversary gains nothing");
        for (uint256 e; e < HONEST_EPOCHS; ++e) {
            assertGe(attacked[e], fair[e], "no honest seeder's share of any epoch is reduced");
        }
    }

    /// @dev Runs HONEST_EPOCHS epochs, plus one, on a fresh deployment: in each, an honest buyer buys a license and
    /// an honest seeder is credited `honestBytes` of it; with `attack`, the adversary strikes as `adv` says. Then
    /// everyone claims, the adversary last. Returns the honest seeder's share of each epoch and sets `adv.profit`.
    function _epochs(Adversary memory adv, uint64 honestBytes, bool attack)
        private
        returns (uint256[HONEST_EPOCHS] memory shares)
    {
        _deploy();
        market.setNetworkFee(adv.networkFeeBps);
        uint256 honestId = _register(HONEST_SIZE, HONEST_PRICE, false);
        uint256 contentId;
        address buyer = vm.addr(ATTACKER_BUYER_PK);
        vm.deal(ATTACKER, OWN_CAPITAL);
        uint256 before = ATTACKER.balance;
        for (uint256 e; e <= HONEST_EPOCHS; ++e) {
            if (e < HONEST_EPOCHS) {
                uint256 pk = HONEST_LEECHER_PK + e;
                _buy(honestId, vm.addr(pk), 1);
                _submit(
                    HONEST_SEEDER,
                    _signedReceipt(pk, HONEST_SESSION_PK, HONEST_SEEDER, honestId, honestBytes, _expiry())
                );
            }
            if (attack && e == adv.buyEpoch) contentId = _adversaryBuys(adv, buyer);
            if (attack && e == adv.creditEpoch) {
                _submit(
                    ATTACKER_SEEDER,
                    _signedReceipt(ATTACKER_BUYER_PK, ATTACKER_SESSION_PK, ATTACKER_SEEDER, contentId, adv.size, _expiry())
                );
            }
            vm.warp(block.timestamp + EPOCH_DURATION);
        }
        uint256[] memory one = new uint256[](1);
        for (uint256 e; e < HONEST_EPOCHS; ++e) {
            one[0] = e;
            uint256 balance = pool.balances(HONEST_SEEDER);
            shares[e] = _claim(HONEST_SEEDER, one) - balance;
        }
        if (attack) {
            uint256[] memory all = new uint256[](HONEST_EPOCHS + 1);
            for (uint256 e; e <= HONEST_EPOCHS; ++e) {
                all[e] = e;
            }
            _claim(ATTACKER_SEEDER, all);
            vm.prank(ATTACKER_SEEDER);
            payable(ATTACKER).transfer(ATTACKER_SEEDER.balance);
            adv.profit = int256(ATTACKER.balance) - int256(before);
        }
    }

    /// @dev The adversary borrows, publishes its content, buys `adv.licenses` licenses for `buyer`, withdraws the
    /// proceeds and repays; it pays the fees from its own capital.
    function _adversaryBuys(Adversary memory adv, address buyer) private returns (uint256 contentId) {
        vm.deal(ATTACKER, ATTACKER.balance + LOAN_PER_LICENSE * adv.licenses);
        vm.startPrank(ATTACKER);
        contentId = _registerAsAttacker(adv.size, ADVERSARY_PRICE, adv.bountyFeeBps);
        (,,, uint256 total) = market.quote(contentId, adv.licenses);
        market.buy{value: total}(contentId, adv.licenses, buyer, total);
        market.withdrawProceeds();
        payable(address(0xDEAD)).transfer(LOAN_PER_LICENSE * adv.licenses);
        vm.stopPrank();
    }

    /// @dev Registration is open to anyone: the attacker (pranked by the caller) commits to its own content, which
    /// needs no capital and can be done beforehand, then reveals it; the loan is needed only from the purchase on.
    function _registerAsAttacker(uint64 size, uint128 basePrice, uint16 bountyFeeBps) private returns (uint256) {
        ILicenseMarket.ContentParams memory content = ILicenseMarket.ContentParams({
            infohash: keccak256(abi.encode("adversary", market.contentCount() + 1)),
            size: size,
            payout: ATTACKER,
            basePrice: basePrice,
            curve: CurveKind.Linear,
            growth: 0,
            maxSupply: 0,
            bountyFeeBps: bountyFeeBps,
            transferable: false,
            metadataURI: ""
        });
        market.commit(market.makeCommitment(content.infohash, ATTACKER, Registration.SALT));
        vm.warp(block.timestamp + market.minCommitmentAge());
        return market.registerContent(content, Registration.SALT);
    }

    function _expiry() private view returns (uint64) {
        return uint64(block.timestamp + 365 days);
    }

    /// @dev Runs the scenario on a fresh deployment; with `attack`, the attacker strikes in the honest seeder's epoch.
    function _scenario(bool attack) private returns (Outcome memory outcome) {
        _deploy();
        uint256 honestId = _register(HONEST_SIZE, HONEST_PRICE, false);
        for (uint256 i; i < IDLE_BUYERS; ++i) {
            _buy(honestId, address(uint160(0xB000 + i)), 1);
        }
        vm.warp(block.timestamp + ALLOWANCE_EXPIRY);
        for (uint256 i; i < IDLE_BUYERS; ++i) {
            pool.sweep(address(uint160(0xB000 + i)), honestId);
        }
        uint64 expiry = uint64(block.timestamp + 365 days);
        _buy(honestId, vm.addr(HONEST_LEECHER_PK), 1);
        _submit(
            HONEST_SEEDER,
            _signedReceipt(HONEST_LEECHER_PK, HONEST_SESSION_PK, HONEST_SEEDER, honestId, HONEST_SIZE / 5, expiry)
        );
        uint256 epoch = pool.currentEpoch();
        (uint256 carry,,) = pool.rollover();
        outcome.pool = carry;

        // Its own money, for what the loan cannot be repaid from.
        vm.deal(ATTACKER, OWN_CAPITAL);
        uint256 attackerBefore = ATTACKER.balance + ATTACKER_SEEDER.balance;
        if (attack) _drain(expiry);

        vm.warp(block.timestamp + EPOCH_DURATION);
        uint256[] memory epochs = new uint256[](1);
        epochs[0] = epoch;
        outcome.honestShare = _claim(HONEST_SEEDER, epochs);
        if (attack) {
            _claim(ATTACKER_SEEDER, epochs);
            outcome.attackerProfit =
                int256(ATTACKER.balance + ATTACKER_SEEDER.balance) - int256(attackerBefore);
        }
    }

    /// @dev Issue 12's steps 1-5, in one transaction's worth of calls: borrow, publish 1 byte at the bounty cap, buy
    /// every license the loan pays for, withdraw the proceeds, credit the byte to its own seeder, repay.
    function _drain(uint64 expiry) private {
        vm.deal(ATTACKER, ATTACKER.balance + LOAN);
        vm.startPrank(ATTACKER);
        uint256 contentId = _registerAsAttacker(ONE_BYTE, 1 ether, BOUNTY_FEE_BPS);
        address buyer = vm.addr(ATTACKER_BUYER_PK);
        (,,, uint256 total) = market.quote(contentId, 1);
        uint256 licenses = LOAN / total;
        (,,, total) = market.quote(contentId, licenses);
        market.buy{value: total}(contentId, licenses, buyer, total);
        market.withdrawProceeds();
        vm.stopPrank();
        _submit(
            ATTACKER_SEEDER,
            _signedReceipt(ATTACKER_BUYER_PK, ATTACKER_SESSION_PK, ATTACKER_SEEDER, contentId, ONE_BYTE, expiry)
        );
        // The allowance paid the seeder at once: take it now, then repay the loan.
        _claim(ATTACKER_SEEDER, new uint256[](0));
        vm.prank(ATTACKER_SEEDER);
        payable(ATTACKER).transfer(ATTACKER_SEEDER.balance);
        vm.prank(ATTACKER);
        payable(address(0xDEAD)).transfer(LOAN);
    }

    /// @dev `seeder` claims its balance and `epochs` if anything is due; returns what it received.
    function _claim(address seeder, uint256[] memory epochs) private returns (uint256 received) {
        if (pool.claimable(seeder, epochs) == 0) return 0;
        uint256 before = seeder.balance;
        vm.prank(seeder);
        pool.claim(epochs);
        return seeder.balance - before;
    }
}
