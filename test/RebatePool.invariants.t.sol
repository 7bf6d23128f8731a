// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {vm} from "./utils/Vm.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {RebatePoolFixture} from "./helpers/RebatePoolFixture.sol";
import {RebatePool} from "../contracts/RebatePool.sol";
import {TestERC1271Wallet} from "../contracts/test/TestERC1271Wallet.sol";
import {IRebatePool} from "../contracts/interfaces/IRebatePool.sol";
import {HandlerInvariants} from "./utils/HandlerInvariants.sol";

/// @notice Drives the pool the way the network does: buys through the real market, signed receipts from several
/// leechers to several seeders, time passing, sweeps, claims and settlements. One content is free and as large as the
/// market allows: under a split by bytes it would be a griefer's free way to weigh on an epoch. Keeps ghost totals
/// for the invariants (among them what each epoch's receipts earned), and measures every share paid or settled (ETH or
/// balance received, carry added) against its own pro-rata formula by earnings.
contract RebatePoolHandler is RebatePoolFixture {
    uint256 public constant LEECHERS = 4;
    /// @dev The last seeder is the adversary's: it serves only the adversary's own licenses (see {selfDeal}).
    uint256 public constant SEEDERS = 4;
    uint256 public constant CONTENTS = 3;
    uint256 internal constant MAX_BATCH = 3;
    uint256 internal constant MAX_WARP = 12 days;
    uint128 internal constant PRICE = 1 ether;
    /// @dev Small sizes, so that licenses fill up and the cap is exercised.
    uint64 internal constant SMALL_SIZE = 1_000;
    uint64 internal constant LARGE_SIZE = 1 << 40;
    uint64 internal constant MAX_SIZE = type(uint64).max;

    uint256[LEECHERS] internal leecherKeys = [uint256(0xA1), 0xA2, 0xA3, 0xA4];
    address[SEEDERS] public seeders = [address(0x5EED1), address(0x5EED2), address(0x5EED3), ADVERSARY_SEEDER];
    /// @dev The adversary: publisher (registration is open), buyer (an EOA key, or an ERC-1271 wallet it controls),
    /// session keys and seeder, with capital it is lent for each round.
    address public constant ADVERSARY = address(0xAD);
    address public constant ADVERSARY_SEEDER = address(0xAD5EED);
    uint256 internal constant ADVERSARY_PK = 0xAD00;
    uint256 internal constant MAX_SELF_LICENSES = 50;
    TestERC1271Wallet public adversaryWallet;
    /// @notice Everything the adversary was lent and spent (it starts with nothing).
    uint256 public adversaryIn;
    /// @notice Rounds of self-dealing (shows the property is exercised).
    uint256 public selfDeals;
    /// @notice Per seeder: shares settled into its balance, and what its claims took from its balance.
    mapping(address seeder => uint256 amount) public settledTo;
    mapping(address seeder => uint256 amount) public claimedFromBalance;
    uint256[CONTENTS] public contentIds;
    uint64[CONTENTS] public sizes = [SMALL_SIZE, LARGE_SIZE, MAX_SIZE];

    uint256 public totalReceived;
    /// @notice Network fees paid into the pool at purchase.
    uint256 public totalNetworkFees;
    uint256 public totalPaidOut;
    uint256 public totalSwept;
    /// @notice What the caps cut, measured as the carry added by claims and settlements.
    uint256 public totalRolledForward;
    mapping(address licensee => mapping(uint256 contentId => uint256 amount)) public fundedOf;
    /// @notice Per license: network fees paid for it, and the weight its credited bytes were given.
    mapping(address licensee => mapping(uint256 contentId => uint256 amount)) public networkFeesOf;
    mapping(address licensee => mapping(uint256 contentId => uint256 amount)) public weightOf;
    /// @notice Per seeder: what receipts naming it paid from allowances (measured on the allowances).
    mapping(address seeder => uint256 amount) public allowancePaidTo;
    mapping(address licensee => mapping(uint256 contentId => uint256 amount)) public paidOf;
    mapping(address licensee => mapping(uint256 contentId => uint256 amount)) public sweptOf;
    mapping(address licensee => mapping(uint256 contentId => uint256 amount)) public weightDroppedOf;
    /// @notice Per epoch: the shares paid or settled from it and the parts rolled forward from it.
    mapping(uint256 epoch => uint256 amount) public takenFrom;
    /// @notice Shares measured above the seeder's earnings in the epoch (must stay 0).
    uint256 public sharesAboveEarned;
    /// @notice Settlements whose share and rolled-forward part do not add up to the pro-rata part, or whose share is
    /// not `min(pro rata, earned)` (must stay 0).
    uint256 public splitMismatches;
    /// @notice Settlements in which a cap cut something (shows the property is exercised).
    uint256 public capsHit;
    /// @notice Every epoch in which bytes were credited (in order, each once), whether or not they earned anything.
    uint256[] public epochsWithBytes;
    mapping(uint256 epoch => bool) internal _seenEpoch;
    /// @notice Per epoch: the weight its receipts took from their licenses' weight budgets (measured on the budgets).
    mapping(uint256 epoch => uint256 amount) public earnedIn;
    /// @notice Batches whose credited bytes earned nothing (shows the weightless case is exercised).
    uint256 public weightlessBatches;
    /// @notice Set if a replayed or not-newer receipt was credited (must stay false).
    bool public replayAccepted;
    /// @notice Set if a newer receipt was not credited because a replay shared its batch (must stay false).
    bool public batchVoided;
    /// @notice Replays skipped (shows the property is exercised).
    uint256 public replaysRefused;

    /// @dev A receipt the pool accepted, kept so that it can be replayed.
    struct Accepted {
        IRebatePool.SignedReceipt receipt;
        address seeder;
    }

    Accepted[] internal _accepted;
    mapping(address leecher => uint256 pk) internal _leecherPk;

    /// @dev What the handler expects of one (epoch, seeder) before it is claimed or settled.
    struct Expected {
        uint256 earned;
        uint256 proRata;
    }

    constructor() {
        _deploy();
        contentIds[0] = _register(SMALL_SIZE, PRICE, false);
        contentIds[1] = _register(LARGE_SIZE, PRICE, true);
        contentIds[2] = _register(MAX_SIZE, 0, false);
        for (uint256 i; i < LEECHERS; ++i) {
            _leecherPk[vm.addr(leecherKeys[i])] = leecherKeys[i];
        }
        adversaryWallet = new TestERC1271Wallet(vm.addr(ADVERSARY_PK));
    }

    // ------------------------------------------------------------------ actions

    function buy(uint256 leecherSeed, uint256 contentSeed, uint256 quantitySeed) external {
        address leecher = leecherAt(leecherSeed);
        uint256 contentId = contentIds[contentSeed % CONTENTS];
        (uint256 networkFee, uint256 bountyFee) = _buyWithFees(contentId, leecher, 1 + quantitySeed % 3);
        fundedOf[leecher][contentId] += bountyFee;
        networkFeesOf[leecher][contentId] += networkFee;
        totalNetworkFees += networkFee;
        totalReceived += networkFee + bountyFee;
    }

    /// @dev A batch of up to MAX_BATCH receipts for one seeder, each from another leecher.
    function submit(uint256 seederSeed, uint256 leecherSeed, uint256 contentSeed, uint256 countSeed, uint256 bytesSeed)
        external
    {
        // The honest seeders only: the adversary's seeder serves nobody but the adversary.
        address seeder = seeders[seederSeed % (SEEDERS - 1)];
        uint256 contentId = contentIds[contentSeed % CONTENTS];
        uint64 size = sizes[contentSeed % CONTENTS];
        uint256 count = 1 + countSeed % MAX_BATCH;
        IRebatePool.SignedReceipt[] memory batch = new IRebatePool.SignedReceipt[](count);
        uint256 n;
        for (uint256 i; i < count; ++i) {
            uint256 pk = leecherKeys[(leecherSeed + i) % LEECHERS];
            address leecher = vm.addr(pk);
            if (!market.hasLicense(leecher, contentId)) continue;
            // Cumulative bytes above what the seeder was credited, sometimes past the content size.
            uint256 increment = 1 + uint256(keccak256(abi.encode(bytesSeed, i))) % (uint256(size) + size / 2);
            uint256 cumulative = pool.credited(leecher, seeder, contentId) + increment;
            batch[n] = _signedReceipt(pk, pk + 1, seeder, contentId, cumulative, uint64(block.timestamp + 1 days));
            ++n;
        }
        if (n == 0) return;
        assembly ("memory-safe") {
            mstore(batch, n)
        }
        uint256 epoch = pool.currentEpoch();
        (uint256 bytesBefore,) = pool.seederEpoch(epoch, seeder);
        uint256 batchWeight = _submitMeasured(seeder, batch);
        _remember(seeder, batch);
        (uint256 bytesAfter,) = pool.seederEpoch(epoch, seeder);
        if (bytesAfter > bytesBefore && batchWeight == 0) ++weightlessBatches;
        if (bytesAfter > bytesBefore && !_seenEpoch[epoch]) {
            _seenEpoch[epoch] = true;
            epochsWithBytes.push(epoch);
        }
    }

    /// @dev Submits an accepted receipt again: as it was, or signed anew (with a live delegation) for a cumulative
    /// count at or below what its seeder is credited now, alone or after a newer receipt in the same batch.
    function replay(uint256 pick, uint256 bytesSeed, bool resign, bool behindNewer) external {
        if (_accepted.length == 0) return;
        Accepted storage a = _accepted[pick % _accepted.length];
        IRebatePool.SignedReceipt memory r = a.receipt;
        address seeder = a.seeder;
        uint256 pk = _leecherPk[r.leecher];
        uint256 credited = pool.credited(r.leecher, seeder, r.contentId);
        uint64 expiry = uint64(block.timestamp + 1 days);
        if (resign) r = _signedReceipt(pk, pk + 1, seeder, r.contentId, bytesSeed % (credited + 1), expiry);
        IRebatePool.SignedReceipt[] memory batch = new IRebatePool.SignedReceipt[](behindNewer ? 2 : 1);
        batch[0] = r;
        if (behindNewer) {
            // A newer receipt after it, as a front-run batch has: the replay is skipped, the newer one credited.
            batch[1] = _signedReceipt(pk, pk + 1, seeder, r.contentId, credited + 1, expiry);
        }
        uint256 epoch = pool.currentEpoch();
        (uint256 bytesBefore,) = pool.seederEpoch(epoch, seeder);
        _submitMeasured(seeder, batch);
        (uint256 bytesAfter,) = pool.seederEpoch(epoch, seeder);
        uint256 creditedAfter = pool.credited(r.leecher, seeder, r.contentId);
        if (behindNewer) {
            if (creditedAfter != credited + 1) batchVoided = true;
            if (bytesAfter > bytesBefore + 1) replayAccepted = true;
            _remember(seeder, batch);
        } else if (creditedAfter != credited || bytesAfter != bytesBefore) {
            replayAccepted = true;
        }
        if (bytesAfter > bytesBefore && !_seenEpoch[epoch]) {
            _seenEpoch[epoch] = true;
            epochsWithBytes.push(epoch);
        }
        ++replaysRefused;
    }

    /// @dev The adversary publishes a small content of its own, buys up to MAX_SELF_LICENSES licenses of it for an
    /// account it controls (its key, or its ERC-1271 wallet), takes the curve price back as proceeds and credits the
    /// whole size to its own seeder, in whatever epoch the sequence has reached; its seeder claims through {claim}.
    function selfDeal(uint256 sizeSeed, uint256 quantitySeed, bool viaWallet) external {
        uint64 size = uint64(1 + sizeSeed % SMALL_SIZE);
        uint256 quantity = 1 + quantitySeed % MAX_SELF_LICENSES;
        // Registered by the handler with the adversary as payout: the proceeds, all that matters here, are its own.
        uint256 contentId = _register(ADVERSARY, size, PRICE, false);
        address buyer = viaWallet ? address(adversaryWallet) : vm.addr(ADVERSARY_PK);
        (, uint256 networkFee, uint256 bountyFee, uint256 total) = market.quote(contentId, quantity);
        vm.deal(ADVERSARY, ADVERSARY.balance + total);
        adversaryIn += total;
        vm.startPrank(ADVERSARY);
        market.buy{value: total}(contentId, quantity, buyer, total);
        market.withdrawProceeds();
        vm.stopPrank();
        totalReceived += networkFee + bountyFee;
        totalNetworkFees += networkFee;

        IRebatePool.SignedReceipt[] memory batch = new IRebatePool.SignedReceipt[](1);
        batch[0] = _signedReceipt(ADVERSARY_PK, ADVERSARY_PK + 1, ADVERSARY_SEEDER, contentId, size, expiryOfDay());
        // The wallet accepts its signer's signature through ERC-1271; the receipt names the wallet as the leecher.
        batch[0].leecher = buyer;
        batch[0].delegationSig =
            _sign(ADVERSARY_PK, pool.hashDelegation(buyer, batch[0].sessionKey, batch[0].delegationExpiry));
        batch[0].receiptSig =
            _sign(ADVERSARY_PK + 1, pool.hashReceipt(buyer, ADVERSARY_SEEDER, contentId, size));
        uint256 epoch = pool.currentEpoch();
        _submitMeasured(ADVERSARY_SEEDER, batch);
        if (!_seenEpoch[epoch]) {
            _seenEpoch[epoch] = true;
            epochsWithBytes.push(epoch);
        }
        ++selfDeals;
    }

    /// @notice What the adversary holds now, all its accounts together.
    function adversaryHolds() external view returns (uint256) {
        return ADVERSARY.balance + ADVERSARY_SEEDER.balance + vm.addr(ADVERSARY_PK).balance + address(adversaryWallet).balance;
    }

    function expiryOfDay() internal view returns (uint64) {
        return uint64(block.timestamp + 1 days);
    }

    function warp(uint256 secondsSeed) external {
        vm.warp(block.timestamp + 1 + secondsSeed % MAX_WARP);
    }

    /// @dev Sweeps the first expired allowance from the seed on, if any (a random pick would rarely find one).
    function sweep(uint256 seed) external {
        for (uint256 i; i < LEECHERS * CONTENTS; ++i) {
            uint256 pick = (seed + i) % (LEECHERS * CONTENTS);
            address leecher = leecherAt(pick / CONTENTS);
            uint256 contentId = contentIds[pick % CONTENTS];
            (uint256 remaining,, uint256 fundedAt) = pool.allowance(leecher, contentId);
            uint256 budget = pool.weightBudget(leecher, contentId);
            if ((remaining == 0 && budget == 0) || block.timestamp < fundedAt + ALLOWANCE_EXPIRY) continue;
            pool.sweep(leecher, contentId);
            weightDroppedOf[leecher][contentId] += budget;
            sweptOf[leecher][contentId] += remaining;
            totalSwept += remaining;
            return;
        }
    }

    /// @dev Claims, for the first seeder from the seed on that has something to claim, its balance and either one
    /// finished epoch it has bytes in or all of them.
    function claim(uint256 seederSeed, uint256 epochSeed, bool allEpochs) external {
        address seeder;
        uint256[] memory epochs;
        for (uint256 i; i < SEEDERS; ++i) {
            seeder = seeders[(seederSeed + i) % SEEDERS];
            epochs = allEpochs ? _finishedEpochsOf(seeder) : _oneFinishedEpochOf(seeder, epochSeed);
            if (pool.claimable(seeder, epochs) != 0) break;
        }
        if (pool.claimable(seeder, epochs) == 0) return;

        Expected[] memory expected = new Expected[](epochs.length);
        uint256 expectedShares;
        uint256 proRataTotal;
        for (uint256 i; i < epochs.length; ++i) {
            expected[i] = _expect(epochs[i], seeder);
            expectedShares += Math.min(expected[i].proRata, expected[i].earned);
            proRataTotal += expected[i].proRata;
        }
        uint256 fromBalance = pool.balances(seeder);
        uint256 carryBefore = _carryBeforeCheckpoint();
        uint256 ethBefore = seeder.balance;
        vm.prank(seeder);
        pool.claim(epochs);
        uint256 received = seeder.balance - ethBefore;
        totalPaidOut += received;
        claimedFromBalance[seeder] += fromBalance;

        uint256 shares = received - fromBalance;
        uint256 rolled = _carry() - carryBefore;
        totalRolledForward += rolled;
        if (shares != expectedShares || shares + rolled != proRataTotal) ++splitMismatches;
        if (rolled != 0) ++capsHit;
        if (epochs.length == 1) {
            // One epoch: its share is measured exactly.
            if (shares > expected[0].earned) ++sharesAboveEarned;
            takenFrom[epochs[0]] += shares + rolled;
        } else {
            for (uint256 i; i < epochs.length; ++i) {
                takenFrom[epochs[i]] += expected[i].proRata;
            }
        }
    }

    /// @dev Settles, as a third party would, one finished epoch's share of the first seeder from the seed on that has
    /// one.
    function settle(uint256 seederSeed, uint256 epochSeed) external {
        address seeder;
        uint256[] memory epochs;
        for (uint256 i; i < SEEDERS && epochs.length == 0; ++i) {
            seeder = seeders[(seederSeed + i) % SEEDERS];
            epochs = _oneFinishedEpochOf(seeder, epochSeed);
        }
        if (epochs.length == 0) return;
        uint256 e = epochs[0];
        Expected memory expected = _expect(e, seeder);
        address[] memory who = new address[](1);
        who[0] = seeder;
        uint256 balanceBefore = pool.balances(seeder);
        uint256 carryBefore = _carryBeforeCheckpoint();
        pool.settleEpochShares(e, who);

        uint256 share = pool.balances(seeder) - balanceBefore;
        settledTo[seeder] += share;
        uint256 rolled = _carry() - carryBefore;
        totalRolledForward += rolled;
        takenFrom[e] += share + rolled;
        if (share > expected.earned) ++sharesAboveEarned;
        if (share != Math.min(expected.proRata, expected.earned) || share + rolled != expected.proRata) ++splitMismatches;
        if (rolled != 0) ++capsHit;
    }

    // ------------------------------------------------------------------ views for the invariants

    function leecherAt(uint256 seed) public view returns (address) {
        return vm.addr(leecherKeys[seed % LEECHERS]);
    }

    function epochCount() external view returns (uint256) {
        return epochsWithBytes.length;
    }

    function poolContract() external view returns (RebatePool) {
        return pool;
    }

    /// @notice Whether `epoch` has its final pool stored (it is not the active epoch, finished or not).
    function isFinalised(uint256 epoch) public view returns (bool) {
        (, bool hasActiveEpoch, uint256 activeEpoch) = pool.rollover();
        return !(hasActiveEpoch && epoch == activeEpoch);
    }

    /// @notice The pro-rata part of `seeder` in `epoch` not yet claimed or settled:
    /// `pool * seeder earned / epoch earned`.
    function proRataOf(uint256 epoch, address seeder) public view returns (uint256) {
        (uint256 epochPool, uint256 epochEarned,) = pool.epochInfo(epoch);
        (, uint256 seederEarned) = pool.seederEpoch(epoch, seeder);
        return epochEarned == 0 ? 0 : epochPool * seederEarned / epochEarned;
    }

    /// @notice What the pool owes: unpaid allowances, the carry, the seeders' balances and their unsettled pro-rata
    /// parts of finalised epochs (each goes to its seeder up to the cap and to the carry above it; the active epoch's
    /// pool is the carry, counted once).
    function liabilities() external view returns (uint256 owed) {
        for (uint256 l; l < LEECHERS; ++l) {
            for (uint256 c; c < CONTENTS; ++c) {
                (uint256 remaining,,) = pool.allowance(leecherAt(l), contentIds[c]);
                owed += remaining;
            }
        }
        (uint256 carry,,) = pool.rollover();
        owed += carry;
        for (uint256 s; s < SEEDERS; ++s) {
            owed += pool.balances(seeders[s]);
            for (uint256 i; i < epochsWithBytes.length; ++i) {
                uint256 e = epochsWithBytes[i];
                if (isFinalised(e)) owed += proRataOf(e, seeders[s]);
            }
        }
    }

    // ------------------------------------------------------------------ internals

    /// @dev Submits `batch` for `seeder`, measuring on each license what it paid and what weight it gave; returns the
    /// batch's weight.
    function _submitMeasured(address seeder, IRebatePool.SignedReceipt[] memory batch)
        internal
        returns (uint256 batchWeight)
    {
        uint256[] memory remainingBefore = new uint256[](batch.length);
        uint256[] memory budgetBefore = new uint256[](batch.length);
        for (uint256 i; i < batch.length; ++i) {
            (remainingBefore[i],,) = pool.allowance(batch[i].leecher, batch[i].contentId);
            budgetBefore[i] = pool.weightBudget(batch[i].leecher, batch[i].contentId);
        }
        uint256 epoch = pool.currentEpoch();
        pool.submitReceipts(seeder, batch);
        for (uint256 i; i < batch.length; ++i) {
            address leecher = batch[i].leecher;
            uint256 contentId = batch[i].contentId;
            // Two receipts of a batch may share a license: measure each change once.
            (uint256 remainingAfter,,) = pool.allowance(leecher, contentId);
            uint256 paid = remainingBefore[i] - remainingAfter;
            uint256 weight = budgetBefore[i] - pool.weightBudget(leecher, contentId);
            for (uint256 j = i + 1; j < batch.length; ++j) {
                if (batch[j].leecher == leecher && batch[j].contentId == contentId) (paid, weight) = (0, 0);
            }
            paidOf[leecher][contentId] += paid;
            allowancePaidTo[seeder] += paid;
            weightOf[leecher][contentId] += weight;
            batchWeight += weight;
        }
        earnedIn[epoch] += batchWeight;
    }

    function _remember(address seeder, IRebatePool.SignedReceipt[] memory batch) internal {
        for (uint256 i; i < batch.length; ++i) {
            _accepted.push(Accepted(batch[i], seeder));
        }
    }

    function _expect(uint256 epoch, address seeder) internal view returns (Expected memory expected) {
        (, expected.earned) = pool.seederEpoch(epoch, seeder);
        expected.proRata = proRataOf(epoch, seeder);
    }

    function _carry() internal view returns (uint256 carry) {
        (carry,,) = pool.rollover();
    }

    /// @dev The carry a claim or settlement starts from: an active epoch that is over is finalised first, which
    /// moves the carry, up to the epoch's weight, into its pool.
    function _carryBeforeCheckpoint() internal view returns (uint256) {
        (uint256 carry, bool hasActiveEpoch, uint256 activeEpoch) = pool.rollover();
        if (!hasActiveEpoch || activeEpoch >= pool.currentEpoch()) return carry;
        (, uint256 weight,) = pool.epochInfo(activeEpoch);
        return carry > weight ? carry - weight : 0;
    }

    function _finishedEpochsOf(address seeder) internal view returns (uint256[] memory epochs) {
        uint256 current = pool.currentEpoch();
        epochs = new uint256[](epochsWithBytes.length);
        uint256 n;
        for (uint256 i; i < epochsWithBytes.length; ++i) {
            uint256 e = epochsWithBytes[i];
            (, uint256 seederEarned) = pool.seederEpoch(e, seeder);
            if (e < current && seederEarned != 0) epochs[n++] = e;
        }
        assembly ("memory-safe") {
            mstore(epochs, n)
        }
    }

    function _oneFinishedEpochOf(address seeder, uint256 seed) internal view returns (uint256[] memory one) {
        uint256[] memory all = _finishedEpochsOf(seeder);
        if (all.length == 0) return all;
        one = new uint256[](1);
        one[0] = all[seed % all.length];
    }
}

/// @notice Invariants of the rebate pool under the handler's random sequences.
/// forge-config: default.invariant.depth = 40
contract RebatePoolInvariantsTest is HandlerInvariants {
    RebatePoolHandler internal handler;
    RebatePool internal pool;

    function setUp() public {
        handler = new RebatePoolHandler();
        pool = handler.poolContract();
        bytes4[] memory selectors = new bytes4[](8);
        selectors[0] = RebatePoolHandler.buy.selector;
        selectors[1] = RebatePoolHandler.submit.selector;
        selectors[2] = RebatePoolHandler.warp.selector;
        selectors[3] = RebatePoolHandler.sweep.selector;
        selectors[4] = RebatePoolHandler.claim.selector;
        selectors[5] = RebatePoolHandler.settle.selector;
        selectors[6] = RebatePoolHandler.replay.selector;
        selectors[7] = RebatePoolHandler.selfDeal.selector;
        _targetHandler(address(handler), selectors);
    }

    /// @dev Solvent: the pool holds at least everything it owes.
    function invariant_Solvent() public view {
        assertGe(address(pool).balance, handler.liabilities(), "balance >= liabilities");
    }

    /// @dev ETH is conserved, and the pool never pays out more than it received.
    function invariant_PaidOutNeverExceedsReceived() public view {
        assertLe(handler.totalPaidOut(), handler.totalReceived(), "paid out <= received");
        assertEq(address(pool).balance, handler.totalReceived() - handler.totalPaidOut(), "balance = received - paid");
    }

    /// @dev Per license: paid out + swept + remaining = funded (so paid <= funded), and credited bytes <= size.
    function invariant_LicensePaysAtMostItsFunding() public view {
        for (uint256 l; l < handler.LEECHERS(); ++l) {
            address leecher = handler.leecherAt(l);
            for (uint256 c; c < handler.CONTENTS(); ++c) {
                uint256 contentId = handler.contentIds(c);
                (uint256 remaining, uint256 bytesCredited,) = pool.allowance(leecher, contentId);
                uint256 funded = handler.fundedOf(leecher, contentId);
                uint256 paid = handler.paidOf(leecher, contentId);
                assertLe(paid, funded, "license paid <= funded");
                uint256 swept = handler.sweptOf(leecher, contentId);
                assertEq(paid + swept + remaining, funded, "paid + swept + remaining = funded");
                assertLe(bytesCredited, handler.sizes(c), "credited <= size");
                uint256 networkFees = handler.networkFeesOf(leecher, contentId);
                uint256 weight = handler.weightOf(leecher, contentId);
                assertLe(weight, networkFees, "a license weighs at most the network fees paid for it");
                assertEq(
                    weight + handler.weightDroppedOf(leecher, contentId) + pool.weightBudget(leecher, contentId),
                    networkFees,
                    "weight given + dropped at the sweep + budget left = network fees paid"
                );
            }
        }
    }

    /// @dev The carry covers every weight still to be paid (the open budgets and the active epoch), and every finalised
    /// epoch's pool is exactly its weight: no seeder's share is ever diluted, whoever credits what and when.
    function invariant_EveryEpochPaysItsWeight() public view {
        (uint256 carry, bool hasActiveEpoch, uint256 activeEpoch) = pool.rollover();
        uint256 reserved = pool.openWeight();
        if (hasActiveEpoch) {
            (, uint256 activeWeight,) = pool.epochInfo(activeEpoch);
            reserved += activeWeight;
        }
        assertGe(carry, reserved, "carry >= open weight + the active epoch's weight");
        assertEq(pool.surplus(), carry - reserved, "the surplus is the rest of the carry");
        for (uint256 i; i < handler.epochCount(); ++i) {
            uint256 e = handler.epochsWithBytes(i);
            if (!handler.isFinalised(e)) continue;
            (uint256 epochPool,,) = pool.epochInfo(e);
            assertEq(epochPool, handler.earnedIn(e), "a finalised epoch's pool is its weight");
        }
    }

    /// @dev Who gets paid: a seeder's balance holds exactly what receipts naming it paid from their allowances, plus
    /// its settled shares, minus what its claims took; nobody else's receipts reach it.
    function invariant_SeederPaidForItsOwnReceipts() public view {
        for (uint256 s; s < handler.SEEDERS(); ++s) {
            address seeder = handler.seeders(s);
            assertEq(
                pool.balances(seeder) + handler.claimedFromBalance(seeder),
                handler.allowancePaidTo(seeder) + handler.settledTo(seeder),
                "balance = paid by its receipts + settled shares - claimed"
            );
        }
    }

    /// @dev Who gets paid: an adversary that publishes, buys (with an EOA key or an ERC-1271 wallet), signs and seeds
    /// only for itself, in any epochs and claiming whenever, never holds more than it was lent and spent, whatever the
    /// honest traffic around it.
    function invariant_SelfDealingNeverProfits() public view {
        assertLe(handler.adversaryHolds(), handler.adversaryIn(), "the adversary gets back at most what it paid");
    }

    /// @dev A seeder's share of an epoch is at most its weight in that epoch: in every claim and
    /// settlement so far, and in what {RebatePool.claimable} offers for every finished epoch now.
    function invariant_EpochShareAtMostEarned() public view {
        assertEq(handler.sharesAboveEarned(), 0, "no share above the seeder's earnings in its epoch");
        uint256 current = pool.currentEpoch();
        uint256[] memory one = new uint256[](1);
        for (uint256 i; i < handler.epochCount(); ++i) {
            uint256 e = handler.epochsWithBytes(i);
            if (e >= current) continue;
            one[0] = e;
            for (uint256 s; s < handler.SEEDERS(); ++s) {
                address seeder = handler.seeders(s);
                (, uint256 earned) = pool.seederEpoch(e, seeder);
                assertLe(pool.claimable(seeder, one) - pool.balances(seeder), earned, "claimable share <= earned");
            }
        }
    }

    /// @dev An epoch's pool is split by weight: its weight is exactly what its receipts took from their licenses'
    /// weight budgets (network fees), so bytes that paid none (the free content of maximum size) weigh nothing; the
    /// unsettled weights of its seeders are part of it; and an epoch is active (waiting for the carry) only if it has
    /// weight.
    function invariant_EpochWeighsWhatItsBytesEarned() public view {
        for (uint256 i; i < handler.epochCount(); ++i) {
            uint256 e = handler.epochsWithBytes(i);
            (, uint256 epochEarned,) = pool.epochInfo(e);
            assertEq(epochEarned, handler.earnedIn(e), "epoch weight = weight its receipts took from budgets");
            uint256 unsettled;
            for (uint256 s; s < handler.SEEDERS(); ++s) {
                (, uint256 earned) = pool.seederEpoch(e, handler.seeders(s));
                unsettled += earned;
            }
            assertLe(unsettled, epochEarned, "the seeders' unsettled earnings are part of the epoch's weight");
        }
        (, bool hasActiveEpoch, uint256 activeEpoch) = pool.rollover();
        if (hasActiveEpoch) assertGe(handler.earnedIn(activeEpoch), 1, "an active epoch has weight");
    }

    /// @dev Pool money is conserved: the network fees, what was swept and what the caps cut is either in the carry or in exactly one
    /// finalised epoch's pool; each share splits exactly into what its seeder got and what rolled forward; and an
    /// epoch's pool covers everything taken from it plus its unsettled pro-rata parts.
    function invariant_PoolConserved() public view {
        assertEq(handler.splitMismatches(), 0, "share + rolled forward = pro-rata part, share = min(pro rata, earned)");
        (uint256 carry,,) = pool.rollover();
        uint256 pools;
        for (uint256 i; i < handler.epochCount(); ++i) {
            uint256 e = handler.epochsWithBytes(i);
            if (!handler.isFinalised(e)) continue;
            (uint256 epochPool,,) = pool.epochInfo(e);
            pools += epochPool;
            uint256 unsettled;
            for (uint256 s; s < handler.SEEDERS(); ++s) {
                unsettled += handler.proRataOf(e, handler.seeders(s));
            }
            assertLe(handler.takenFrom(e) + unsettled, epochPool, "an epoch's pool covers its shares");
        }
        assertEq(
            handler.totalNetworkFees() + handler.totalSwept() + handler.totalRolledForward(),
            pools + carry,
            "network fees + swept + rolled = pools + carry"
        );
    }

    /// @dev No receipt is counted twice: no replayed or not-newer receipt was accepted, and every license's credited
    /// bytes are exactly its seeders' cumulative counts added up, cut at the content size (a receipt counted again
    /// would credit bytes no cumulative count accounts for).
    function invariant_NoReceiptCountedTwice() public view {
        assertTrue(!handler.replayAccepted(), "a replayed or not-newer receipt was credited");
        assertTrue(!handler.batchVoided(), "a replay voided the newer receipt of its batch");
        for (uint256 l; l < handler.LEECHERS(); ++l) {
            address leecher = handler.leecherAt(l);
            for (uint256 c; c < handler.CONTENTS(); ++c) {
                uint256 contentId = handler.contentIds(c);
                uint256 cumulative;
                for (uint256 s; s < handler.SEEDERS(); ++s) {
                    cumulative += pool.credited(leecher, handler.seeders(s), contentId);
                }
                uint256 size = handler.sizes(c);
                (, uint256 bytesCredited,) = pool.allowance(leecher, contentId);
                assertEq(bytesCredited, cumulative < size ? cumulative : size, "license bytes = min(size, sum)");
            }
        }
    }
}
