// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "./utils/Test.sol";
import {vm} from "./utils/Vm.sol";
import {RebatePoolFixture} from "./helpers/RebatePoolFixture.sol";
import {RebatePool} from "../contracts/RebatePool.sol";
import {RebateMath} from "../contracts/libraries/RebateMath.sol";

/// @notice Drives the pool the way the network does: buys through the real market, signed receipts from several
/// leechers to several seeders, time passing, sweeps and claims. Keeps ghost totals for the invariants.
contract RebatePoolHandler is RebatePoolFixture {
    uint256 internal constant LEECHERS = 4;
    uint256 internal constant SEEDERS = 3;
    uint256 internal constant CONTENTS = 2;
    uint256 internal constant MAX_BATCH = 3;
    uint256 internal constant MAX_WARP = 12 days;
    uint128 internal constant PRICE = 1 ether;
    /// @dev Small sizes, so that licenses fill up and the cap is exercised.
    uint64 internal constant SMALL_SIZE = 1_000;
    uint64 internal constant LARGE_SIZE = 1 << 40;

    uint256[LEECHERS] internal leecherKeys = [uint256(0xA1), 0xA2, 0xA3, 0xA4];
    address[SEEDERS] public seeders = [address(0x5EED1), address(0x5EED2), address(0x5EED3)];
    uint256[CONTENTS] public contentIds;
    uint64[CONTENTS] public sizes = [SMALL_SIZE, LARGE_SIZE];

    uint256 public totalReceived;
    uint256 public totalPaidOut;
    mapping(address licensee => mapping(uint256 contentId => uint256 amount)) public fundedOf;
    mapping(address licensee => mapping(uint256 contentId => uint256 amount)) public paidOf;
    mapping(address licensee => mapping(uint256 contentId => uint256 amount)) public sweptOf;
    /// @notice Every epoch in which bytes were credited (in order, each once).
    uint256[] public epochsWithBytes;
    mapping(uint256 epoch => bool) internal _seenEpoch;

    constructor() {
        _deploy();
        contentIds[0] = _register(SMALL_SIZE, PRICE, false);
        contentIds[1] = _register(LARGE_SIZE, PRICE, true);
    }

    // ------------------------------------------------------------------ actions

    function buy(uint256 leecherSeed, uint256 contentSeed, uint256 quantitySeed) external {
        address leecher = leecherAt(leecherSeed);
        uint256 contentId = contentIds[contentSeed % CONTENTS];
        uint256 fees = _buy(contentId, leecher, 1 + quantitySeed % 3);
        fundedOf[leecher][contentId] += fees;
        totalReceived += fees;
    }

    /// @dev A batch of up to MAX_BATCH receipts for one seeder, each from another leecher.
    function submit(uint256 seederSeed, uint256 leecherSeed, uint256 contentSeed, uint256 countSeed, uint256 bytesSeed)
        external
    {
        address seeder = seeders[seederSeed % SEEDERS];
        uint256 contentId = contentIds[contentSeed % CONTENTS];
        uint64 size = sizes[contentSeed % CONTENTS];
        uint256 count = 1 + countSeed % MAX_BATCH;
        RebatePool.SignedReceipt[] memory batch = new RebatePool.SignedReceipt[](count);
        uint256[] memory remainingBefore = new uint256[](count);
        uint256 n;
        for (uint256 i; i < count; ++i) {
            uint256 pk = leecherKeys[(leecherSeed + i) % LEECHERS];
            address leecher = vm.addr(pk);
            if (!market.hasLicense(leecher, contentId)) continue;
            // Cumulative bytes above what the seeder was credited, sometimes past the content size.
            uint256 increment = 1 + uint256(keccak256(abi.encode(bytesSeed, i))) % (size + size / 2);
            uint256 cumulative = pool.credited(leecher, seeder, contentId) + increment;
            batch[n] = _signedReceipt(pk, pk + 1, seeder, contentId, cumulative, uint64(block.timestamp + 1 days));
            (remainingBefore[n],,) = pool.allowance(leecher, contentId);
            ++n;
        }
        if (n == 0) return;
        assembly ("memory-safe") {
            mstore(batch, n)
        }
        uint256 epoch = pool.currentEpoch();
        (, uint256 bytesBefore,) = pool.epochInfo(epoch);
        pool.submitReceipts(seeder, batch);
        for (uint256 i; i < n; ++i) {
            (uint256 remainingAfter,,) = pool.allowance(batch[i].leecher, contentId);
            paidOf[batch[i].leecher][contentId] += remainingBefore[i] - remainingAfter;
        }
        (, uint256 bytesAfter,) = pool.epochInfo(epoch);
        if (bytesAfter > bytesBefore && !_seenEpoch[epoch]) {
            _seenEpoch[epoch] = true;
            epochsWithBytes.push(epoch);
        }
    }

    function warp(uint256 secondsSeed) external {
        vm.warp(block.timestamp + 1 + secondsSeed % MAX_WARP);
    }

    function sweep(uint256 leecherSeed, uint256 contentSeed) external {
        address leecher = leecherAt(leecherSeed);
        uint256 contentId = contentIds[contentSeed % CONTENTS];
        (uint256 remaining,, uint256 fundedAt) = pool.allowance(leecher, contentId);
        if (remaining == 0 || block.timestamp < fundedAt + ALLOWANCE_EXPIRY) return;
        pool.sweep(leecher, contentId);
        sweptOf[leecher][contentId] += remaining;
    }

    /// @dev Claims the seeder's balance and every finished epoch it may have bytes in.
    function claim(uint256 seederSeed) external {
        address seeder = seeders[seederSeed % SEEDERS];
        uint256 current = pool.currentEpoch();
        uint256 finished;
        for (uint256 i; i < epochsWithBytes.length; ++i) {
            if (epochsWithBytes[i] < current) ++finished;
        }
        uint256[] memory epochs = new uint256[](finished);
        for (uint256 i; i < finished; ++i) {
            epochs[i] = epochsWithBytes[i];
        }
        if (pool.claimable(seeder, epochs) == 0) return;
        uint256 before = seeder.balance;
        vm.prank(seeder);
        pool.claim(epochs);
        totalPaidOut += seeder.balance - before;
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

    /// @notice What the pool owes: unpaid allowances, the carry, the seeders' balances and their unclaimed shares of
    /// finalised epochs (the active epoch's pool is the carry, counted once).
    function liabilities() external view returns (uint256 owed) {
        for (uint256 l; l < LEECHERS; ++l) {
            for (uint256 c; c < CONTENTS; ++c) {
                (uint256 remaining,,) = pool.allowance(leecherAt(l), contentIds[c]);
                owed += remaining;
            }
        }
        (uint256 carry, bool hasActiveEpoch, uint256 activeEpoch) = pool.rollover();
        owed += carry;
        for (uint256 s; s < SEEDERS; ++s) {
            owed += pool.balances(seeders[s]);
            for (uint256 i; i < epochsWithBytes.length; ++i) {
                uint256 e = epochsWithBytes[i];
                if (hasActiveEpoch && e == activeEpoch) continue;
                (uint256 epochPool, uint256 totalBytes,) = pool.epochInfo(e);
                owed += RebateMath.epochShare(
                    uint128(epochPool), uint128(pool.seederEpochBytes(e, seeders[s])), uint128(totalBytes)
                );
            }
        }
    }
}

/// @notice Invariants of the rebate pool under the handler's random sequences.
/// forge-config: default.invariant.depth = 40
contract RebatePoolInvariantsTest is Test {
    RebatePoolHandler internal handler;
    RebatePool internal pool;

    function setUp() public {
        handler = new RebatePoolHandler();
        pool = handler.poolContract();
    }

    /// @dev As forge-std's StdInvariant: the fuzzer calls only these contracts and selectors.
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory selectors = new bytes4[](5);
        selectors[0] = RebatePoolHandler.buy.selector;
        selectors[1] = RebatePoolHandler.submit.selector;
        selectors[2] = RebatePoolHandler.warp.selector;
        selectors[3] = RebatePoolHandler.sweep.selector;
        selectors[4] = RebatePoolHandler.claim.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector({addr: address(handler), selectors: selectors});
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
        for (uint256 l; l < 4; ++l) {
            address leecher = handler.leecherAt(l);
            for (uint256 c; c < 2; ++c) {
                uint256 contentId = handler.contentIds(c);
                (uint256 remaining, uint256 bytesCredited,) = pool.allowance(leecher, contentId);
                uint256 funded = handler.fundedOf(leecher, contentId);
                uint256 paid = handler.paidOf(leecher, contentId);
                assertLe(paid, funded, "license paid <= funded");
                uint256 swept = handler.sweptOf(leecher, contentId);
                assertEq(paid + swept + remaining, funded, "paid + swept + remaining = funded");
                assertLe(bytesCredited, handler.sizes(c), "credited <= size");
            }
        }
    }
}
