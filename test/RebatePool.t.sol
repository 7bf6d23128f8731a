// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "./utils/Test.sol";
import {vm} from "./utils/Vm.sol";
import {RebatePoolFixture} from "./helpers/RebatePoolFixture.sol";
import {RebatePool} from "../contracts/RebatePool.sol";
import {IRebatePool} from "../contracts/interfaces/IRebatePool.sol";

/// @notice Fuzz tests of the payout rule and the capped epoch share, through the real market and signed receipts (the
/// rules alone: test/libraries/RebateMath.t.sol).
contract RebatePoolTest is Test, RebatePoolFixture {
    uint256 private constant LEECHER_PK = 0xA11CE;
    uint256 private constant SESSION_PK = 0x5E55;
    /// @dev Signs what it was never delegated or asked to: another session key, another wallet.
    uint256 private constant STRANGER_PK = 0xBAD;
    address private constant RECEIPT_SEEDER = address(0x5EED1);
    uint256 private constant SEEDERS = 3;
    uint256 private constant STEPS = 8;
    /// @dev A step whose pick lands here buys another license for the leecher instead of submitting a receipt.
    uint256 private constant BUY_AGAIN = 3;
    uint128 private constant MAX_PRICE = 1e24;
    uint256 private constant BPS = 10_000;
    /// @dev The honest side of the self-dealing test: a content bought by others, some of whose allowances expire.
    uint64 private constant HONEST_SIZE = 100 * 2 ** 20;
    uint128 private constant HONEST_PRICE = 0.01 ether;
    uint256 private constant MAX_SWEPT = 5;
    uint256 private constant MAX_SELF_LICENSES = 3;
    uint256 private constant HONEST_SESSION_PK = 0x5E56;
    uint256 private constant SELF_KEYS = 0xD000;
    address private constant HONEST_SEEDER = address(0x5EED0);
    address private constant SELF_SEEDER = address(0x5E1F);
    address private constant GRIEFER = address(0x6F1EF);
    uint256 private constant GRIEFER_PK = 0x6F1EF;
    /// @dev The griefer's priced content: a license of it is funded at most this many wei, however large the content.
    uint128 private constant TINY_PRICE = 100;

    address private leecher;
    uint64 private expiry;

    /// @dev What a self-dealer paid and was credited (see the self-dealing test).
    struct SelfDealing {
        uint256 paid;
        uint256 fees;
        uint256 networkFees;
        uint256 proceeds;
        uint256 earned;
        uint256 proRata;
    }

    /// @dev What a license was funded with: its allowance (bounty fees) and weight budget (network fees), in all and
    /// after its whole size was credited.
    struct Funding {
        uint256 bounty;
        uint256 network;
        uint256 bountyAfterFull;
        uint256 networkAfterFull;
    }

    /// @dev What the receipts of the leecher for RECEIPT_SEEDER have moved (see {_creditOf}).
    struct Credit {
        uint256 remaining;
        uint256 licenseBytes;
        uint256 balance;
        uint256 epochEarned;
        uint256 cumulative;
    }

    function setUp() public {
        _deploy();
        leecher = vm.addr(LEECHER_PK);
        expiry = uint64(block.timestamp + 365 days);
    }

    /// @dev Any sequence of cumulative receipts from several seeders, with purchases in between, pays out at most what
    /// the license was funded with, weighs at most the network fees paid for it, credits at most the content size, and
    /// pays (and weighs) exactly the funding received before the whole size was credited.
    function testFuzz_SubmitReceipts_PayoutNeverExceedsAllowance(
        uint64 sizeSeed,
        uint128 priceSeed,
        uint64[STEPS] memory increments,
        uint8[STEPS] memory picks
    ) public {
        uint64 size = uint64(bound(sizeSeed, 1, type(uint64).max));
        uint128 price = uint128(bound(priceSeed, 0, MAX_PRICE));
        uint256 contentId = _register(size, price, false);
        Funding memory f;
        (f.network, f.bounty) = _buyWithFees(contentId, leecher, 1);

        address[SEEDERS] memory seeders = [address(0x5EED1), address(0x5EED2), address(0x5EED3)];
        uint256[SEEDERS] memory cumulative;
        uint256 attempted;
        // Funding that arrives once the whole size is credited can no longer be earned (it waits for the sweep).
        for (uint256 i; i < STEPS; ++i) {
            uint256 pick = picks[i] % (SEEDERS + 1);
            if (pick == BUY_AGAIN) {
                (uint256 networkFee, uint256 bountyFee) = _buyWithFees(contentId, leecher, 1);
                f.bounty += bountyFee;
                f.network += networkFee;
                if (attempted >= size) {
                    f.bountyAfterFull += bountyFee;
                    f.networkAfterFull += networkFee;
                }
                continue;
            }
            uint256 increment = bound(increments[i], 1, size);
            cumulative[pick] += increment;
            attempted += increment;
            _submit(
                seeders[pick], _signedReceipt(LEECHER_PK, SESSION_PK, seeders[pick], contentId, cumulative[pick], expiry)
            );

            uint256 paid = pool.balances(seeders[0]) + pool.balances(seeders[1]) + pool.balances(seeders[2]);
            (uint256 remaining, uint256 bytesCredited,) = pool.allowance(leecher, contentId);
            assertLe(paid, f.bounty, "paid <= funded");
            assertEq(remaining + paid, f.bounty, "remaining + paid = funded");
            assertLe(bytesCredited, size, "credited <= size");
            assertEq(bytesCredited, attempted < size ? attempted : size, "credited = min(attempted, size)");
            if (bytesCredited == size) {
                assertEq(remaining, f.bountyAfterFull, "whole size credited pays all funding received before it");
            }
        }
        (, uint256 epochWeight,) = pool.epochInfo(0);
        (, uint256 licenseBytes,) = pool.allowance(leecher, contentId);
        uint256 seederBytes;
        uint256 seederWeight;
        for (uint256 s; s < SEEDERS; ++s) {
            (uint256 b, uint256 weight) = pool.seederEpoch(0, seeders[s]);
            seederBytes += b;
            seederWeight += weight;
        }
        assertEq(seederBytes, licenseBytes, "the seeders' epoch bytes are the bytes credited against the license");
        assertEq(epochWeight, seederWeight, "the epoch's weight is its seeders' weights");
        assertLe(seederWeight, f.network, "a license weighs at most the network fees paid for it");
        if (licenseBytes == size) {
            assertEq(seederWeight, f.network - f.networkAfterFull, "the whole size weighs the fees paid before it");
        }
        // Credits without weight (price 0, or bytes that round to 0 wei) leave the epoch without a pool.
        (, bool active,) = pool.rollover();
        assertTrue(active == (epochWeight != 0), "the epoch is active exactly when it has weight");
    }

    /// @dev Receipts are cumulative per (leecher, seeder, content): the same receipt again, or a receipt signed anew for
    /// no more bytes than the seeder was credited, alone or repeated in a batch, is skipped with an event and changes
    /// nothing; the next newer receipt credits only the bytes above the last one.
    function testFuzz_SubmitReceipts_NoReceiptCountedTwice(
        uint64 sizeSeed,
        uint64 firstSeed,
        uint64 notNewerSeed,
        uint64 newerSeed
    ) public {
        uint64 size = uint64(bound(sizeSeed, 2, type(uint64).max));
        IRebatePool.SignedReceipt memory r = _licensedReceipt(size, bound(firstSeed, 1, size - 1));
        uint256 first = r.cumulativeBytes;
        IRebatePool.SignedReceipt memory stale = _signedReceipt(
            LEECHER_PK, SESSION_PK, RECEIPT_SEEDER, r.contentId, bound(notNewerSeed, 0, first), expiry
        );
        IRebatePool.SignedReceipt[] memory twice = new IRebatePool.SignedReceipt[](2);
        twice[0] = _signedReceipt(
            LEECHER_PK, SESSION_PK, RECEIPT_SEEDER, r.contentId, bound(newerSeed, first + 1, size), expiry
        );
        twice[1] = twice[0];

        _submit(RECEIPT_SEEDER, r);
        Credit memory before = _creditOf(r);
        _expectSkipped(r, first);
        _submit(RECEIPT_SEEDER, r);
        _expectSkipped(stale, first);
        _submit(RECEIPT_SEEDER, stale);
        Credit memory afterSkips = _creditOf(r);
        assertEq(afterSkips.remaining, before.remaining, "skipped receipts pay nothing from the allowance");
        assertEq(afterSkips.balance, before.balance, "skipped receipts add nothing to the seeder's balance");
        _expectSkipped(twice[0], twice[0].cumulativeBytes);
        pool.submitReceipts(RECEIPT_SEEDER, twice);
        before = _creditOf(r);
        assertEq(before.cumulative, twice[0].cumulativeBytes, "the first copy in the batch is credited");
        pool.submitReceipts(RECEIPT_SEEDER, twice);

        Credit memory afterRefusals = _creditOf(r);
        assertEq(afterRefusals.remaining, before.remaining, "skipped receipts pay nothing from the allowance");
        assertEq(afterRefusals.licenseBytes, before.licenseBytes, "skipped receipts credit no bytes");
        assertEq(afterRefusals.balance, before.balance, "skipped receipts add nothing to the seeder's balance");
        assertEq(afterRefusals.epochEarned, before.epochEarned, "skipped receipts add no weight to the epoch");
        assertEq(afterRefusals.cumulative, twice[0].cumulativeBytes, "the seeder's cumulative count is unchanged");
        assertEq(
            afterRefusals.licenseBytes, twice[0].cumulativeBytes, "the newer receipt credits only the bytes above the last"
        );
    }

    /// @dev A receipt and its delegation count only on the pool deployment and the chain they were signed for; the same
    /// receipt, signed here, is accepted once.
    function testFuzz_SubmitReceipts_SignaturesBoundToPoolAndChain(uint64 sizeSeed, uint64 bytesSeed, uint64 otherChain)
        public
    {
        vm.assume(otherChain != block.chainid && otherChain != 0);
        uint64 size = uint64(bound(sizeSeed, 1, type(uint64).max));
        IRebatePool.SignedReceipt memory r = _licensedReceipt(size, bound(bytesSeed, 1, size));

        // Another deployment of the pool: its delegation is refused here, and so is its receipt with ours.
        RebatePool twin = new RebatePool(address(this), EPOCH_DURATION, ALLOWANCE_EXPIRY);
        IRebatePool.SignedReceipt memory forTwin =
            _signedReceipt(twin, LEECHER_PK, SESSION_PK, RECEIPT_SEEDER, r.contentId, r.cumulativeBytes, expiry);
        vm.expectRevert(_invalidDelegation());
        _submit(RECEIPT_SEEDER, forTwin);
        forTwin.delegationSig = r.delegationSig;
        vm.expectRevert(_invalidReceipt());
        _submit(RECEIPT_SEEDER, forTwin);

        // Another chain, same pool: what was signed here is refused there, delegation and receipt alike.
        uint256 chainId = block.chainid;
        vm.chainId(otherChain);
        IRebatePool.SignedReceipt memory onOtherChain =
            _signedReceipt(LEECHER_PK, SESSION_PK, RECEIPT_SEEDER, r.contentId, r.cumulativeBytes, expiry);
        vm.expectRevert(_invalidDelegation());
        _submit(RECEIPT_SEEDER, r);
        onOtherChain.receiptSig = r.receiptSig;
        vm.expectRevert(_invalidReceipt());
        _submit(RECEIPT_SEEDER, onOtherChain);
        vm.chainId(chainId);

        _acceptOnce(r);
    }

    /// @dev A receipt counts only when signed by the session key the leecher's wallet delegated, with a delegation the
    /// leecher's wallet signed, for the seeder the receipt names; the same receipt, properly signed, is accepted once.
    function testFuzz_SubmitReceipts_BoundToDelegatedSessionWalletAndSeeder(uint64 sizeSeed, uint64 bytesSeed) public {
        uint64 size = uint64(bound(sizeSeed, 1, type(uint64).max));
        IRebatePool.SignedReceipt memory r = _licensedReceipt(size, bound(bytesSeed, 1, size));

        // Another session: a key the wallet did not delegate signs, presented with the delegation of the one it did.
        IRebatePool.SignedReceipt memory otherSession =
            _signedReceipt(LEECHER_PK, SESSION_PK, RECEIPT_SEEDER, r.contentId, r.cumulativeBytes, expiry);
        otherSession.receiptSig =
            _sign(STRANGER_PK, pool.hashReceipt(r.leecher, RECEIPT_SEEDER, r.contentId, r.cumulativeBytes));
        vm.expectRevert(_invalidReceipt());
        _submit(RECEIPT_SEEDER, otherSession);

        // A delegation signed by another wallet than the leecher's.
        IRebatePool.SignedReceipt memory otherWallet =
            _signedReceipt(LEECHER_PK, SESSION_PK, RECEIPT_SEEDER, r.contentId, r.cumulativeBytes, expiry);
        otherWallet.delegationSig = _sign(STRANGER_PK, pool.hashDelegation(r.leecher, r.sessionKey, expiry));
        vm.expectRevert(_invalidDelegation());
        _submit(RECEIPT_SEEDER, otherWallet);

        // Another seeder than the one the receipt names.
        vm.expectRevert(_invalidReceipt());
        _submit(address(0x5EED2), r);

        _acceptOnce(r);
    }

    /// @dev Registers a content of `size` bytes, licenses the leecher and returns its receipt of `cumulativeBytes` for
    /// RECEIPT_SEEDER.
    function _licensedReceipt(uint64 size, uint256 cumulativeBytes) private returns (IRebatePool.SignedReceipt memory) {
        uint256 contentId = _register(size, HONEST_PRICE, false);
        _buy(contentId, leecher, 1);
        return _signedReceipt(LEECHER_PK, SESSION_PK, RECEIPT_SEEDER, contentId, cumulativeBytes, expiry);
    }

    /// @dev What a receipt of the leecher for RECEIPT_SEEDER has moved so far, in epoch 0.
    function _creditOf(IRebatePool.SignedReceipt memory r) private view returns (Credit memory c) {
        (c.remaining, c.licenseBytes,) = pool.allowance(r.leecher, r.contentId);
        c.balance = pool.balances(RECEIPT_SEEDER);
        (, c.epochEarned,) = pool.epochInfo(0);
        c.cumulative = pool.credited(r.leecher, RECEIPT_SEEDER, r.contentId);
    }

    /// @dev `r` is credited to RECEIPT_SEEDER, then refused as not newer.
    function _acceptOnce(IRebatePool.SignedReceipt memory r) private {
        _submit(RECEIPT_SEEDER, r);
        assertEq(pool.credited(r.leecher, RECEIPT_SEEDER, r.contentId), r.cumulativeBytes, "accepted where it belongs");
        uint256 balance = pool.balances(RECEIPT_SEEDER);
        _expectSkipped(r, r.cumulativeBytes);
        _submit(RECEIPT_SEEDER, r);
        assertEq(pool.balances(RECEIPT_SEEDER), balance, "a replay is skipped and pays nothing");
    }

    /// @dev The next call skips `r` for RECEIPT_SEEDER, which was credited `alreadyCredited`.
    function _expectSkipped(IRebatePool.SignedReceipt memory r, uint256 alreadyCredited) private {
        vm.expectEmit();
        emit IRebatePool.ReceiptSkipped(r.leecher, RECEIPT_SEEDER, r.contentId, r.cumulativeBytes, alreadyCredited);
    }

    function _invalidDelegation() private view returns (bytes memory) {
        return abi.encodeWithSelector(IRebatePool.InvalidDelegationSignature.selector, leecher, vm.addr(SESSION_PK));
    }

    function _invalidReceipt() private view returns (bytes memory) {
        return abi.encodeWithSelector(IRebatePool.InvalidReceiptSignature.selector, leecher, vm.addr(SESSION_PK));
    }

    /// @dev A self-dealer buys licenses of a content of any price (0 included) and size (up to 2^64-1), credits each
    /// license's whole size to its own seeder address in an epoch whose pool other buyers' unearned allowances
    /// funded, against some honest traffic. Its allowances pay it back its bounty fees and its epoch share is at most
    /// its weight, the network fees it paid into the pool: it recovers at most its fees F, so even as the publisher
    /// (who gets the curve price back; the curve price goes to PUBLISHER, who may be the self-dealer or not) it nets
    /// at most 0. The part of the pool above the epoch's weight rolls forward at finalisation.
    function testFuzz_Claim_SelfDealingRecoversAtMostWhatItPaid(
        uint128 priceSeed,
        uint64 sizeSeed,
        uint256 licensesSeed,
        uint256 sweptSeed,
        uint64 honestBytesSeed
    ) public {
        uint256 epoch = _honestEpoch(sweptSeed, honestBytesSeed);
        uint128 price = uint128(bound(priceSeed, 0, MAX_PRICE));
        SelfDealing memory d = _selfDeal(
            epoch, uint64(bound(sizeSeed, 1, type(uint64).max)), price, bound(licensesSeed, 1, MAX_SELF_LICENSES)
        );
        assertEq(d.earned, d.networkFees, "its whole size credited, it weighs exactly the network fees it paid");

        vm.warp(block.timestamp + EPOCH_DURATION);
        uint256 recovered = _claimOrSettle(epoch);
        uint256 share = recovered - (d.fees - d.networkFees);

        assertLe(share, d.earned, "epoch share <= weight in the epoch");
        assertEq(share, d.proRata < d.earned ? d.proRata : d.earned, "share = min(pro rata, weight)");
        (uint256 finalPool, uint256 epochWeight,) = pool.epochInfo(epoch);
        assertLe(finalPool, epochWeight, "the epoch kept at most its weight, the rest rolled forward");
        if (d.earned == 0) assertEq(d.proRata, 0, "bytes without weight have no pro-rata part");
        assertLe(recovered, d.fees, "recovers at most its fees");
        assertLe(recovered + d.proceeds, d.paid, "even the publisher, paid the curve price, nets at most 0");
        if (price == 0) assertEq(recovered, 0, "free content wins nothing, whatever its size");
    }

    /// @dev A griefer credits, in the same epoch as an honest seeder, the whole size (up to 2^64-1) of a free content
    /// and of a priced content whose license pays a few wei of network fee. Its bytes weigh their network-fee part:
    /// the free ones nothing, the others at most a license's network fee, which it paid into the pool. The epoch's
    /// weight is exactly the honest weight plus that, the honest share is the pool split by weight, and it is never
    /// less than without the griefer. Under a split by bytes the honest share would be about
    /// `pool * honestBytes / 2^64`, i.e. 0.
    function testFuzz_Claim_BytesThatEarnedNothingDoNotDilute(
        uint256 sweptSeed,
        uint64 honestBytesSeed,
        uint64 freeSizeSeed,
        uint64 pricedSizeSeed,
        bool alsoPriced
    ) public {
        uint256 epoch = _honestEpoch(sweptSeed, honestBytesSeed);
        (uint256 epochPool, uint256 honestEpochEarned,) = pool.epochInfo(epoch);
        (, uint256 honestEarned) = pool.seederEpoch(epoch, HONEST_SEEDER);
        assertEq(honestEpochEarned, honestEarned, "before the griefer, the epoch weighs what the honest seeder earned");

        uint256 grieferEarned = _grief(uint64(bound(freeSizeSeed, 1, type(uint64).max)), 0);
        assertEq(grieferEarned, 0, "free bytes weigh nothing");
        if (alsoPriced) grieferEarned = _grief(uint64(bound(pricedSizeSeed, 1, type(uint64).max)), TINY_PRICE);
        (uint256 poolAfter, uint256 epochEarned,) = pool.epochInfo(epoch);
        assertEq(poolAfter, epochPool + grieferEarned, "the griefer paid its weight into the pool");
        assertEq(epochEarned, honestEarned + grieferEarned, "the epoch weighs the network-fee part of its bytes");
        assertLe(grieferEarned, TINY_PRICE, "a license of a cheap content weighs at most its fees");

        vm.warp(block.timestamp + EPOCH_DURATION);
        uint256[] memory epochs = new uint256[](1);
        epochs[0] = epoch;
        uint256 balance = pool.balances(HONEST_SEEDER);
        uint256 before = HONEST_SEEDER.balance;
        vm.prank(HONEST_SEEDER);
        pool.claim(epochs);
        uint256 share = HONEST_SEEDER.balance - before - balance;
        uint256 proRata = poolAfter * honestEarned / epochEarned;
        assertEq(share, proRata < honestEarned ? proRata : honestEarned, "honest share = min(pro rata, weight)");
        uint256 alone = epochPool < honestEarned ? epochPool : honestEarned;
        assertGe(share, alone, "the griefer's bytes never reduce the honest share");
    }

    /// @dev The griefer registers a content of `size` and price `price`, buys a license of it for itself and credits
    /// its whole size to GRIEFER. Returns what those bytes earned.
    function _grief(uint64 size, uint128 price) private returns (uint256 earned) {
        uint256 contentId = _register(size, price, false);
        uint256 pk = GRIEFER_PK + contentId;
        (uint256 fees,) = _buyWithFees(contentId, vm.addr(pk), 1);
        (, uint256 earnedBefore) = pool.seederEpoch(pool.currentEpoch(), GRIEFER);
        _submit(GRIEFER, _signedReceipt(pk, pk + 1, GRIEFER, contentId, size, expiry));
        (uint256 bytesCredited, uint256 earnedAfter) = pool.seederEpoch(pool.currentEpoch(), GRIEFER);
        assertGe(bytesCredited, size, "its bytes are recorded, for information");
        earned = earnedAfter - earnedBefore;
        assertEq(earned, fees, "crediting the whole size weighs the license's network fee");
    }

    /// @dev An epoch whose pool is the unearned allowances of up to MAX_SWEPT licenses of the honest content, in which
    /// an honest seeder is credited some bytes served to a licensed leecher. Returns the epoch.
    function _honestEpoch(uint256 sweptSeed, uint64 honestBytesSeed) private returns (uint256 epoch) {
        uint256 honestId = _register(HONEST_SIZE, HONEST_PRICE, false);
        uint256 swept = bound(sweptSeed, 1, MAX_SWEPT);
        for (uint256 i; i < swept; ++i) {
            _buy(honestId, address(uint160(0xB000 + i)), 1);
        }
        vm.warp(block.timestamp + ALLOWANCE_EXPIRY);
        expiry = uint64(block.timestamp + 365 days);
        for (uint256 i; i < swept; ++i) {
            pool.sweep(address(uint160(0xB000 + i)), honestId);
        }
        _buy(honestId, leecher, 1);
        uint256 honestBytes = bound(honestBytesSeed, 1, HONEST_SIZE);
        _submit(
            HONEST_SEEDER, _signedReceipt(LEECHER_PK, HONEST_SESSION_PK, HONEST_SEEDER, honestId, honestBytes, expiry)
        );
        return pool.currentEpoch();
    }

    /// @dev Registers a content (payout PUBLISHER), buys `licenses` licenses of it for addresses of the self-dealer
    /// and credits each one's whole size to SELF_SEEDER in `epoch`.
    function _selfDeal(uint256 epoch, uint64 size, uint128 price, uint256 licenses)
        private
        returns (SelfDealing memory d)
    {
        uint256 contentId = _register(size, price, false);
        uint256 proceedsBefore = market.proceeds(PUBLISHER);
        IRebatePool.SignedReceipt[] memory batch = new IRebatePool.SignedReceipt[](licenses);
        for (uint256 i; i < licenses; ++i) {
            uint256 pk = SELF_KEYS + i;
            (,,, uint256 total) = market.quote(contentId, 1);
            d.paid += total;
            _selfBuy(d, contentId, vm.addr(pk));
            batch[i] = _signedReceipt(pk, pk + MAX_SELF_LICENSES, SELF_SEEDER, contentId, size, expiry);
        }
        pool.submitReceipts(SELF_SEEDER, batch);
        d.proceeds = market.proceeds(PUBLISHER) - proceedsBefore;
        (uint256 epochPool, uint256 epochEarned,) = pool.epochInfo(epoch);
        (, d.earned) = pool.seederEpoch(epoch, SELF_SEEDER);
        d.proRata = epochPool * d.earned / epochEarned;
    }

    /// @dev Buys one license of `contentId` for `buyer` and adds its fees to `d`.
    function _selfBuy(SelfDealing memory d, uint256 contentId, address buyer) private {
        (uint256 networkFee, uint256 bountyFee) = _buyWithFees(contentId, buyer, 1);
        d.fees += networkFee + bountyFee;
        d.networkFees += networkFee;
    }

    /// @dev SELF_SEEDER claims its balance and `epoch` when it has anything to be paid; otherwise (a share rounded to 0)
    /// anyone settles its share. Bytes without weight have no share to take. Returns the ETH it received.
    function _claimOrSettle(uint256 epoch) private returns (uint256 recovered) {
        (, uint256 earned) = pool.seederEpoch(epoch, SELF_SEEDER);
        uint256[] memory epochs = new uint256[](earned == 0 ? 0 : 1);
        if (earned != 0) epochs[0] = epoch;
        if (pool.claimable(SELF_SEEDER, epochs) != 0) {
            uint256 before = SELF_SEEDER.balance;
            vm.prank(SELF_SEEDER);
            pool.claim(epochs);
            return SELF_SEEDER.balance - before;
        }
        if (earned == 0) return 0;
        address[] memory self = new address[](1);
        self[0] = SELF_SEEDER;
        pool.settleEpochShares(epoch, self);
    }

    /// @dev A license's allowance and weight budget share one slot (81 and 80 bits). One purchase at the market's fee
    /// caps fills both exactly to their maximum (the bounty fee's cap is twice the network fee's); a purchase that
    /// would fund either above it reverts, the whole purchase with it, and the slot keeps what it held.
    function test_FundLicense_RevertsAboveMaxAllowanceOrWeightBudget() public {
        uint256 maxAllowance = pool.MAX_ALLOWANCE();
        uint256 maxBudget = pool.MAX_WEIGHT_BUDGET();
        // bountyFee = price x 20% = MAX_ALLOWANCE; networkFee = price x 10% = floor(MAX_ALLOWANCE / 2), which is
        // MAX_WEIGHT_BUDGET.
        uint256 contentId = _register(1 << 20, uint128(maxAllowance * BPS / BOUNTY_FEE_BPS), false);
        (uint256 networkFee, uint256 bountyFee) = _buyWithFees(contentId, leecher, 1);
        assertEq(bountyFee, maxAllowance, "one purchase funds the allowance to its maximum");
        assertEq(networkFee, maxBudget, "and the weight budget to its maximum");
        (uint256 remaining,,) = pool.allowance(leecher, contentId);
        assertEq(remaining, maxAllowance, "the allowance holds its maximum");
        assertEq(pool.weightBudget(leecher, contentId), maxBudget, "the budget holds its maximum");

        (,, uint256 second, uint256 total) = market.quote(contentId, 1);
        vm.deal(address(this), total);
        vm.expectRevert(
            abi.encodeWithSelector(IRebatePool.AllowanceAboveMax.selector, leecher, contentId, maxAllowance + second)
        );
        market.buy{value: total}(contentId, 1, leecher, total);

        // The weight budget alone: a network fee one wei above its maximum, with no bounty fee.
        address other = address(0x0DD);
        vm.deal(address(market), maxBudget + 1);
        vm.prank(address(market));
        vm.expectRevert(
            abi.encodeWithSelector(IRebatePool.WeightBudgetAboveMax.selector, other, contentId, maxBudget + 1)
        );
        pool.fundLicense{value: maxBudget + 1}(other, contentId, maxBudget + 1);

        (remaining,,) = pool.allowance(leecher, contentId);
        assertEq(remaining, maxAllowance, "a refused purchase leaves the allowance as it was");
        assertEq(pool.weightBudget(other, contentId), 0, "and funds no budget");
    }

    /// @dev A license keeps its funding time modulo 2^31: `fundedAt` and the expiry are exact whenever it was funded
    /// (across any number of wraps) as long as less than 2^31 seconds have passed since.
    function testFuzz_Sweep_ExpiryExactAcrossTimeWraps(uint64 startSeed, uint32 elapsedSeed) public {
        uint256 contentId = _register(1 << 20, HONEST_PRICE, false);
        vm.warp(block.timestamp + bound(startSeed, 0, 1 << 34));
        uint256 fundedAt = block.timestamp;
        _buy(contentId, leecher, 1);
        uint256 elapsed = bound(elapsedSeed, 0, pool.MAX_ALLOWANCE_EXPIRY());
        vm.warp(fundedAt + elapsed);

        (uint256 remaining,, uint256 seen) = pool.allowance(leecher, contentId);
        assertEq(seen, fundedAt, "fundedAt is the time of the funding");
        if (elapsed < ALLOWANCE_EXPIRY) {
            vm.expectRevert(
                abi.encodeWithSelector(IRebatePool.NotExpired.selector, leecher, contentId, fundedAt + ALLOWANCE_EXPIRY)
            );
            pool.sweep(leecher, contentId);
            vm.warp(fundedAt + ALLOWANCE_EXPIRY);
        }
        pool.sweep(leecher, contentId);
        (uint256 left,,) = pool.allowance(leecher, contentId);
        assertEq(remaining, HONEST_PRICE * BOUNTY_FEE_BPS / BPS, "the allowance was there to sweep");
        assertEq(left, 0, "swept from fundedAt + allowanceExpiry on");
    }

    /// @dev An expiry the packed funding time could not measure is refused at deployment; the longest one is accepted.
    function test_Constructor_RevertsAllowanceExpiryAboveMax() public {
        uint256 max = pool.MAX_ALLOWANCE_EXPIRY();
        vm.expectRevert(abi.encodeWithSelector(IRebatePool.AllowanceExpiryTooLong.selector, uint32(max + 1), max));
        new RebatePool(address(this), EPOCH_DURATION, uint32(max + 1));
        RebatePool longest = new RebatePool(address(this), EPOCH_DURATION, uint32(max));
        assertEq(longest.allowanceExpiry(), max, "the longest is kept");
    }
}
