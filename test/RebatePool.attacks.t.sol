// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "./utils/Test.sol";
import {vm} from "./utils/Vm.sol";
import {RebatePoolFixture} from "./helpers/RebatePoolFixture.sol";
import {RebatePool} from "../contracts/RebatePool.sol";

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
    uint256 private constant OWN_CAPITAL = 10 ether;
    uint64 private constant ONE_BYTE = 1;

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
        uint256 contentId = _register(ATTACKER, ONE_BYTE, 1 ether, false);
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
