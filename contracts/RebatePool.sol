// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {ILicenseMarket} from "./interfaces/ILicenseMarket.sol";
import {IRebatePool} from "./interfaces/IRebatePool.sol";
import {RebateMath} from "./libraries/RebateMath.sol";
import {SessionKeySignature} from "./utils/SessionKeySignature.sol";

/// @title RebatePool
/// @notice Rewards for seeding. Every purchase's bounty fee becomes the rebate allowance of the license just bought
/// (licensee, content); its network fee goes straight into the current epoch's pool and becomes the license's weight
/// budget. Seeders submit bandwidth receipts signed by the leecher's session key, which the leecher's wallet
/// authorised with a `Delegation`; each credited byte is paid from that license's allowance (`allowance / size`) and
/// adds the network-fee part of the byte (`networkFee / size`) to the seeder's weight in the epoch. A seeder's share of
/// an epoch's pool is proportional to its weight and capped at it; what the caps leave rolls forward, as does the pool
/// of an epoch with no weight. Allowance left unearned after `allowanceExpiry` is swept into the pool. Claims are pull
/// payments.
///
/// INVARIANTS:
/// - Solvent: `address(this).balance >= Σ remaining allowances + carry + Σ balances + Σ unsettled epoch shares`.
///   Every wei received sits in exactly one of these buckets until it is paid out; shares round down.
/// - The pool never pays out more than it received: ETH leaves only through {claim} (a seeder's balance, moved out of
///   allowances and settled shares, and its epoch shares, all of them together at most the epoch's pool) and
///   {releaseSurplus} (the carry no weight can ever claim).
/// - The carry covers the weight still to be paid: `carry >= openWeight + weight of the active epoch`.
/// - Weight costs a network fee paid into a pool: the weight credited against one license, over its life and all
///   seeders, is at most the network fees paid for it (`Σ weight <= Σ network fees`), and the network fee reached the
///   pool at purchase, before any of its weight existed.
/// - An epoch's pool is split by weight, each share capped at it: `share = min(pool * weight / epochWeight, weight)`.
///   So a seeder wins at most the network fees of the bytes credited to it, and bytes whose license paid no network
///   fee (free content, a waived fee, a license passed on) weigh nothing and win nothing, whatever their number.
/// - An epoch gets a pool only if it has weight. An epoch without weight rolls its pool (network fees paid during it,
///   sweeps and what caps cut) on to the next epoch with weight.
/// - An epoch's pool is at most its weight: at finalisation it takes `min(carry, weight)` from the carry and leaves
///   the rest (what the caps would cut) in the carry for the next epoch with weight, at once.
/// - Pool money is conserved: every network fee and sweep enters the carry, and the carry leaves only into the pool
///   of an epoch as it is finalised, or through {releaseSurplus}:
///   `Σ network fees + Σ swept = Σ finalised pools + Σ released + carry`.
/// - One license never pays out more than its allowance was funded with, nor weighs more than its network fees: a
///   credited byte pays `remaining / (size - bytesCredited)` and weighs `budget / (size - bytesCredited)`.
/// - The bytes credited against one license (licensee, content), summed over all seeders, never exceed the content's
///   size; bytes beyond it are neither paid nor weighed.
/// - A receipt byte is credited once: receipts are cumulative per (leecher, seeder, content) and only the part above
///   the last credited amount counts; a receipt at or below it is skipped ({ReceiptSkipped}), never credited.
/// - Signatures are bound to this contract and chain (EIP-712 domain), the delegation to the leecher's wallet
///   (EOA or ERC-1271), the receipt to the delegated session key, and the receipt to its seeder.
/// - Nothing can be paused; the owner can only bind the market, once, and release the surplus no weight can claim.
/// - Storage packing: a license's allowance is at most `MAX_ALLOWANCE` (2^81 - 1 wei), its weight budget at most
///   `MAX_WEIGHT_BUDGET` (2^80 - 1 wei) and its credited bytes below 2^64; `allowanceExpiry <= MAX_ALLOWANCE_EXPIRY`.
///
/// NOTE: A license is one storage slot (see {PackedLicense}), which bounds it: a purchase that would fund a license's
/// allowance above about 2.4 million ether, or its weight budget above about 1.2 million, reverts
/// (`AllowanceAboveMax`, `WeightBudgetAboveMax`). An allowance left unswept for 68 years after its funding would look
/// unexpired again for one expiry window. The figures are in docs/THREAT_MODEL.md, "RebatePool economics".
///
/// NOTE: Every seeder wins from the pools exactly its weight, whoever else credits what: self-dealing nets at most 0
/// and dilutes no one; what no weight can win (swept allowances, network fees of bytes no one served) is surplus the
/// owner moves out with {releaseSurplus}. The reasoning is in docs/THREAT_MODEL.md, "RebatePool economics".
///
/// NOTE: The allowance and the weight budget belong to the license's recipient recorded at purchase. When a
/// transferable license changes hands, they stay with the old holder (who no longer holds a license, so receipts
/// against them are refused and they are swept at expiry); the new holder's receipts are credited against its own,
/// possibly empty, allowance and budget.
///
/// NOTE: A delegation is checked when its receipts are submitted, not when they were signed: a seeder must submit a
/// leecher's receipts before the delegation's expiry, or they are refused. A delegation cannot be revoked before its
/// expiry; whoever holds the session key can sign receipts for the leecher to any seeder, up to the content's size.
///
/// NOTE: Funding that reaches a license after its whole size was credited (a later purchase for the same account) can
/// no longer be earned by seeding; its allowance and weight budget are swept at expiry.
///
/// NOTE: Session keys are plain ECDSA keys (the client generates them); a receipt signed through ERC-1271 is refused.
/// Claims pay `msg.sender`: a seeder address that cannot receive ETH cannot claim.
///
/// NOTE: A receipt that is not newer than what its seeder was credited (a duplicate, or one someone else submitted
/// first) is skipped with {ReceiptSkipped}, so front-running one receipt cannot void a seeder's batch (issue 11). Any
/// other bad receipt (bad signature, no license, expired delegation) reverts the whole batch. {sweepMany} is all or
/// nothing.
///
/// NOTE: Epoch shares round down; the dust stays in the contract for good. An epoch's total of credited bytes is not
/// stored (its slot holds the pool and the weight): indexers sum `creditedBytes` of {ReceiptCredited} by `epoch`.
contract RebatePool is IRebatePool, EIP712, Ownable2Step, ReentrancyGuardTransient {
    /// @dev One slot per license, so that a first purchase fills one fresh slot and a receipt reads and writes one:
    /// `remaining` (wei of the allowance not yet paid out or swept) in bits 0-80, `weightBudget` (network fees not
    /// yet turned into weight) in bits 81-160, `bytesCredited` (over the license's life, all seeders together) in
    /// bits 161-224, and the time of the last funding modulo 2^31 in bits 225-255 (expiry runs from it; see
    /// {_fundedAt}). The bounty fee's cap is twice the network fee's, so the allowance gets the extra bit.
    struct PackedLicense {
        uint256 word;
    }

    /// @dev A struct around one word, so that the hot path holds a storage pointer instead of hashing the keys twice.
    struct Cumulative {
        uint256 bytesServed;
    }

    /// @dev One slot per epoch: written by credits that weigh something (`weight`, the sum of the seeders' weights)
    /// and once by finalisation (`pool`).
    struct Epoch {
        uint128 pool;
        uint128 weight;
    }

    /// @dev What one seeder was credited in one epoch, one slot, written once per batch of receipts: the network-fee
    /// part of its credited bytes (its weight in the epoch's pool and the cap on its share) and the bytes, kept for
    /// information.
    struct SeederEpoch {
        uint128 bytesCredited;
        uint128 weight;
    }

    /// @dev The slot every batch, sweep and claim reads first: the market and the rollover's epoch. `activeEpoch` is
    /// the latest epoch with weight; the carry becomes its pool once it is over. The market shares
    /// the slot because every batch reads it anyway, and because, bound once, it keeps the slot non-zero, so marking
    /// an epoch active rewrites a live slot instead of filling an empty one (2,900 gas instead of 20,000).
    struct Head {
        ILicenseMarket market;
        uint64 activeEpoch;
        bool hasActiveEpoch;
    }

    /// @notice The EIP-712 type of a receipt, as `receiptTypes` in `sdk/src/eip712.ts`.
    bytes32 public constant RECEIPT_TYPEHASH =
        keccak256("Receipt(address leecher,address seeder,uint256 contentId,uint256 cumulativeBytes)");
    /// @notice The EIP-712 type of a delegation, as `delegationTypes` in `sdk/src/eip712.ts`. It names the wallet it
    /// speaks for, so a smart wallet that validates its owner's signature over the raw digest cannot lend one
    /// owner's delegation to another wallet of the same owner.
    bytes32 public constant DELEGATION_TYPEHASH =
        keccak256("Delegation(address wallet,address sessionKey,uint64 expiry)");

    /// @notice The most wei one license's allowance can hold (2^81 - 1, about 2.4 million ether): a purchase that would
    /// fund it above this reverts.
    uint256 public constant MAX_ALLOWANCE = (1 << 81) - 1;
    /// @notice The most wei one license's weight budget can hold (2^80 - 1, about 1.2 million ether): a purchase that
    /// would fund it above this reverts.
    uint256 public constant MAX_WEIGHT_BUDGET = (1 << 80) - 1;
    /// @notice The longest `allowanceExpiry` (2^31 - 1 seconds, 68 years): a license keeps its funding time modulo
    /// 2^31.
    uint256 public constant MAX_ALLOWANCE_EXPIRY = (1 << 31) - 1;
    uint256 private constant BUDGET_SHIFT = 81;
    uint256 private constant BYTES_SHIFT = 161;
    uint256 private constant TIME_SHIFT = 225;
    uint256 private constant TIME_MASK = (1 << 31) - 1;

    string private constant DOMAIN_NAME = "Web3Torrent RebatePool";
    string private constant DOMAIN_VERSION = "1";

    /// @notice Start of epoch 0 (the deployment time).
    uint256 public immutable genesis;
    /// @notice Length of an epoch in seconds.
    uint32 public immutable epochDuration;
    /// @notice Seconds after its last funding from which a license's unearned allowance may be swept.
    uint32 public immutable allowanceExpiry;

    /// @notice Allowance earnings a seeder can claim.
    mapping(address seeder => uint256 amount) public balances;

    mapping(address licensee => mapping(uint256 contentId => PackedLicense)) private _licenses;
    mapping(address leecher => mapping(address seeder => mapping(uint256 contentId => Cumulative))) private _credited;
    mapping(uint256 epoch => Epoch) private _epochs;
    mapping(uint256 epoch => mapping(address seeder => SeederEpoch)) private _seederEpochs;
    Head private _head;
    /// @dev Network fees, swept allowance and capped-off shares not yet assigned to an epoch (see {Head}).
    uint128 private _carry;
    /// @dev Σ weight budgets of all licenses: weight that can still be credited. Shares `_carry`'s slot, which every
    /// purchase with a network fee writes anyway. 120 bits (10^36 wei) leave room for `_carrySlotLive`.
    uint120 private _openWeight;
    /// @dev Set at deployment and never cleared: it keeps the slot of `_carry` and `_openWeight` non-zero, so the first
    /// network fee ever paid rewrites a live slot (2,900 gas) instead of filling an empty one (20,000), as every later
    /// one does. The deployer pays for the slot, not the first buyer.
    bool private _carrySlotLive;

    /// @notice Deploys the pool; epoch 0 starts now. The market is bound afterwards with {bindLicenseMarket}.
    /// @param initialOwner The account that binds the market.
    /// @param epochDuration_ Length of an epoch in seconds; epoch 0 starts now.
    /// @param allowanceExpiry_ Seconds after a license's last funding from which its unearned allowance may be swept.
    constructor(address initialOwner, uint32 epochDuration_, uint32 allowanceExpiry_)
        EIP712(DOMAIN_NAME, DOMAIN_VERSION)
        Ownable(initialOwner)
    {
        if (epochDuration_ == 0) revert ZeroEpochDuration();
        if (allowanceExpiry_ == 0) revert ZeroAllowanceExpiry();
        if (allowanceExpiry_ > MAX_ALLOWANCE_EXPIRY) {
            revert AllowanceExpiryTooLong(allowanceExpiry_, MAX_ALLOWANCE_EXPIRY);
        }
        genesis = block.timestamp;
        epochDuration = epochDuration_;
        allowanceExpiry = allowanceExpiry_;
        _carrySlotLive = true;
        emit EpochScheduleSet(block.timestamp, epochDuration_, allowanceExpiry_);
    }

    // ---------------------------------------------------------------------------------------------------- admin

    /// @notice Binds the license market, once. The market is deployed after the pool, with the pool's address.
    /// @dev Only the owner. Reverts with `MarketAlreadyBound` on a second call.
    function bindLicenseMarket(ILicenseMarket market) external onlyOwner {
        if (address(market) == address(0)) revert ZeroLicenseMarket();
        ILicenseMarket bound = _head.market;
        if (address(bound) != address(0)) revert MarketAlreadyBound(bound);
        _head.market = market;
        emit LicenseMarketBound(address(market));
    }

    /// @notice Moves the surplus of the carry to `to`: what no weight can ever claim (see the NOTE on the surplus).
    /// Without this, swept allowances and the network fees of bytes never served would be locked for ever.
    /// @dev Only the owner. The surplus is `carry - openWeight - weight of the active epoch`: every future share is
    /// paid from weight still in a budget or credited to the active epoch, each unit of which left a unit in the
    /// carry. Reverts with `NothingToRelease` when there is no surplus.
    /// @param to Receives the surplus.
    function releaseSurplus(address payable to) external onlyOwner nonReentrant {
        _checkpoint();
        uint256 amount = _surplus();
        if (amount == 0) revert NothingToRelease();
        _carry -= uint128(amount);
        emit SurplusReleased(to, amount);
        Address.sendValue(to, amount);
    }

    // ---------------------------------------------------------------------------------------------------- funding

    /// @inheritdoc IRebatePool
    /// @dev Adds the bounty fee (`msg.value - networkFee`) to the license's allowance and restarts its expiry; adds
    /// `networkFee` to the carry (the current epoch's pool, or the next one with weight) and to the license's weight
    /// budget. Reverts with `OnlyLicenseMarket` unless called by the bound market.
    function fundLicense(address licensee, uint256 contentId, uint256 networkFee) external payable {
        if (msg.sender != address(_head.market)) revert OnlyLicenseMarket(msg.sender);
        if (networkFee > msg.value) revert NetworkFeeAboveValue(networkFee, msg.value);
        uint256 bountyFee = msg.value - networkFee;
        PackedLicense storage stored = _licenses[licensee][contentId];
        uint256 word = stored.word;
        uint256 remaining = (word & MAX_ALLOWANCE) + bountyFee;
        if (remaining > MAX_ALLOWANCE) revert AllowanceAboveMax(licensee, contentId, remaining);
        uint256 budget = ((word >> BUDGET_SHIFT) & MAX_WEIGHT_BUDGET) + networkFee;
        if (budget > MAX_WEIGHT_BUDGET) revert WeightBudgetAboveMax(licensee, contentId, budget);
        // The allowance and the budget share the slot: a first purchase fills one fresh slot, not two.
        stored.word = _pack(remaining, budget, uint64(word >> BYTES_SHIFT), block.timestamp & TIME_MASK);
        emit AllowanceFunded(licensee, contentId, bountyFee, remaining);
        if (networkFee == 0) return;
        // The fee joins the pool now, before any of the weight it buys exists: weight is paid for up front.
        uint256 epoch = _checkpoint();
        // At most MAX_WEIGHT_BUDGET (checked above): the casts cannot truncate.
        _carry += uint128(networkFee);
        _openWeight += uint120(networkFee);
        emit NetworkFeePooled(licensee, contentId, networkFee, epoch);
    }

    // ---------------------------------------------------------------------------------------------------- receipts

    /// @notice Credits a batch of receipts to `seeder`: pays each from its license's allowance into `seeder`'s balance
    /// and adds their network-fee part (its weight in the epoch's pool) and their bytes to its record of the current
    /// epoch. Anyone may submit; the seeder is the one paid.
    /// @dev A receipt whose `cumulativeBytes` is not above what this seeder was credited for this leecher and content
    /// is skipped with {ReceiptSkipped}. For every other receipt: the delegation is unexpired and signed by the leecher
    /// (EOA or ERC-1271), the receipt is signed by the session key and the leecher holds a license now; any failure
    /// reverts the whole batch (see the NOTE on batches).
    /// @param seeder The seeder named in every receipt of the batch.
    /// @param receipts The receipts, each with its delegation.
    function submitReceipts(address seeder, SignedReceipt[] calldata receipts) external nonReentrant {
        uint256 count = receipts.length;
        if (count == 0) revert EmptyBatch();
        uint256 epoch = _checkpoint();
        Head memory head = _head;
        if (address(head.market) == address(0)) revert MarketNotBound();

        uint256 batchBytes;
        uint256 batchPayout;
        uint256 batchWeight;
        for (uint256 i; i < count; ++i) {
            (uint256 creditedBytes, uint256 payout, uint256 weight) =
                _creditReceipt(head.market, seeder, receipts[i], epoch);
            // Each term is below 2^64 bytes or 2^81 wei (a license's caps) and a batch fits in calldata: no overflow.
            unchecked {
                batchBytes += creditedBytes;
                batchPayout += payout;
                batchWeight += weight;
            }
        }

        // Aggregated so that the seeder's balance and the epoch's records are written once per batch. A receipt pays
        // and weighs only for bytes it credits, so a batch without bytes has neither.
        if (batchBytes == 0) return;
        if (batchPayout != 0) balances[seeder] += batchPayout;
        uint128 weight128 = SafeCast.toUint128(batchWeight);
        SeederEpoch storage credit = _seederEpochs[epoch][seeder];
        SeederEpoch memory before = credit;
        // Each receipt credits fewer than 2^64 bytes, so a batch's sum fits in 128 bits.
        _store(credit, before.bytesCredited + uint128(batchBytes), before.weight + weight128);
        // Bytes that paid no network fee weigh nothing: they neither add to the epoch's weight nor make it active.
        if (weight128 == 0) return;
        // The weight came out of budgets counted in the open weight: at most it, so the cast cannot truncate.
        _openWeight -= uint120(weight128);
        _epochs[epoch].weight += weight128;
        // After the checkpoint the active epoch is either unset or already this one.
        if (!head.hasActiveEpoch) _head = Head(head.market, uint64(epoch), true);
    }

    // ---------------------------------------------------------------------------------------------------- expiry

    /// @notice Moves the unearned allowance of an expired license into the epoch pool and drops its unused weight
    /// budget (see {AllowanceSwept}).
    /// @dev Anyone may call. Reverts with `NothingToSweep` when both the allowance and the budget are empty and
    /// `NotExpired` before `fundedAt + allowanceExpiry`.
    function sweep(address licensee, uint256 contentId) external {
        uint256 epoch = _checkpoint();
        (uint128 amount, uint128 weightDropped) = _sweep(licensee, contentId, epoch);
        _carry += amount;
        // A budget dropped was counted in the open weight: the cast cannot truncate.
        _openWeight -= uint120(weightDropped);
    }

    /// @notice {sweep} for many licenses; all or nothing.
    function sweepMany(LicenseKey[] calldata licenses) external {
        uint256 count = licenses.length;
        if (count == 0) revert EmptyBatch();
        uint256 epoch = _checkpoint();
        uint128 total;
        uint128 weightDropped;
        for (uint256 i; i < count; ++i) {
            (uint128 amount, uint128 dropped) = _sweep(licenses[i].licensee, licenses[i].contentId, epoch);
            total += amount;
            weightDropped += dropped;
        }
        _carry += total;
        // The budgets dropped were counted in the open weight: the cast cannot truncate.
        _openWeight -= uint120(weightDropped);
    }

    // ---------------------------------------------------------------------------------------------------- claims

    /// @notice Pays the caller its balance and its shares of the given finished epochs.
    /// @dev A share is `pool * weight / epochWeight`, rounded down, where `weight` is the network-fee part of the
    /// caller's bytes credited in the epoch and `epochWeight` that of all seeders' bytes; finalisation kept the pool
    /// at most `epochWeight`, so a share is at most `weight`. The caller's record of each epoch is then cleared, so an
    /// epoch is claimed once (repeats in `epochs`, and epochs in which the caller had no weight, add nothing).
    /// Reverts with `EpochNotFinished` for the current or a future epoch and `NothingToClaim` when nothing is paid (a
    /// share rounded down to 0 is settled with {settleEpochShares}).
    /// @param epochs The finished epochs to claim; may be empty to claim only the balance.
    function claim(uint256[] calldata epochs) external nonReentrant {
        uint256 current = _checkpoint();
        uint256 fromBalance = balances[msg.sender];
        if (fromBalance != 0) delete balances[msg.sender];

        uint256 fromEpochs;
        for (uint256 i; i < epochs.length; ++i) {
            uint256 e = epochs[i];
            if (e >= current) revert EpochNotFinished(e, current);
            (SeederEpoch memory credit, uint256 share) = _takeShare(e, msg.sender);
            if (credit.weight == 0) continue;
            fromEpochs += share;
            emit EpochShareClaimed(msg.sender, e, credit.bytesCredited, credit.weight, share);
        }

        uint256 total = fromBalance + fromEpochs;
        if (total == 0) revert NothingToClaim(msg.sender);
        emit Claimed(msg.sender, fromBalance, fromEpochs);
        Address.sendValue(payable(msg.sender), total);
    }

    /// @notice Settles the shares of `seeders` in the finished `epoch` without paying them: each share is added to its
    /// seeder's balance (claimable with {claim}). Anyone may call, e.g. a service that settles for seeders in bulk.
    /// @dev Seeders without unsettled earnings in `epoch` are skipped. Reverts with `EmptyBatch` for no seeders,
    /// `EpochNotFinished` for the current or a future epoch and `NothingToSettle` when no seeder had anything to
    /// settle.
    /// @param epoch A finished epoch.
    /// @param seeders The seeders whose shares of `epoch` to settle.
    function settleEpochShares(uint256 epoch, address[] calldata seeders) external {
        uint256 count = seeders.length;
        if (count == 0) revert EmptyBatch();
        uint256 current = _checkpoint();
        if (epoch >= current) revert EpochNotFinished(epoch, current);

        bool settled;
        for (uint256 i; i < count; ++i) {
            address seeder = seeders[i];
            (SeederEpoch memory credit, uint256 share) = _takeShare(epoch, seeder);
            if (credit.weight == 0) continue;
            settled = true;
            if (share != 0) balances[seeder] += share;
            emit EpochShareSettled(seeder, epoch, credit.bytesCredited, credit.weight, share);
        }
        if (!settled) revert NothingToSettle(epoch);
    }

    // ---------------------------------------------------------------------------------------------------- views

    /// @notice The allowance of the license (`licensee`, `contentId`).
    /// @return remaining Wei not yet paid out or swept.
    /// @return bytesCredited Bytes credited against it so far, all seeders together (at most the content's size).
    /// @return fundedAt Time of its last funding (0 if never funded); it may be swept from
    /// `fundedAt + allowanceExpiry`.
    function allowance(address licensee, uint256 contentId)
        external
        view
        returns (uint256 remaining, uint256 bytesCredited, uint256 fundedAt)
    {
        uint256 word = _licenses[licensee][contentId].word;
        return (word & MAX_ALLOWANCE, uint64(word >> BYTES_SHIFT), _fundedAt(word));
    }

    /// @notice The network fees paid for the license (`licensee`, `contentId`) that its credited bytes have not yet
    /// turned into weight: the weight its remaining bytes can still bring (0 once swept).
    function weightBudget(address licensee, uint256 contentId) external view returns (uint256) {
        return (_licenses[licensee][contentId].word >> BUDGET_SHIFT) & MAX_WEIGHT_BUDGET;
    }

    /// @notice Weight that licenses can still be credited, all together: the part of the carry kept for it.
    function openWeight() external view returns (uint256) {
        return _openWeight;
    }

    /// @notice What {releaseSurplus} would move now: the carry no weight can ever claim.
    function surplus() external view returns (uint256) {
        return _surplus();
    }

    /// @notice The cumulative bytes `seeder` was last credited for serving `contentId` to `leecher`; a new receipt
    /// must be above it.
    function credited(address leecher, address seeder, uint256 contentId) external view returns (uint256) {
        return _credited[leecher][seeder][contentId].bytesServed;
    }

    /// @notice The epoch now.
    function currentEpoch() public view returns (uint256) {
        return RebateMath.epochAt(genesis, epochDuration, block.timestamp);
    }

    /// @notice The market whose purchases fund allowances and whose licenses gate receipts; set once.
    function licenseMarket() external view returns (ILicenseMarket) {
        return _head.market;
    }

    /// @notice An epoch's pool, its total weight (the network-fee part of its credited bytes, which its pool is split
    /// by), and whether it is over.
    /// @dev While an epoch is the active one (it has weight and is not finalised), `pool` is what it would get if it
    /// ended now (the carry, up to its weight); for an epoch without weight it is 0 (its network fees and sweeps roll on to the next
    /// epoch with weight).
    function epochInfo(uint256 epoch) external view returns (uint256 pool, uint256 totalWeight, bool finished) {
        return (_epochPool(epoch), _epochs[epoch].weight, epoch < currentEpoch());
    }

    /// @notice What `seeder` was credited in `epoch` and has not yet claimed or settled. A record without weight
    /// holds no share and is never cleared.
    /// @return bytesCredited Its bytes (for information: they weigh their network-fee part).
    /// @return weight The network-fee part of those bytes: its weight in the epoch's pool and the cap on its share.
    function seederEpoch(uint256 epoch, address seeder) external view returns (uint256 bytesCredited, uint256 weight) {
        SeederEpoch memory credit = _seederEpochs[epoch][seeder];
        return (credit.bytesCredited, credit.weight);
    }

    /// @notice The swept allowance not yet assigned to an epoch, and the epoch it will go to if known.
    /// @return carry Wei swept (or cut by caps) since the last finalised epoch.
    /// @return hasActiveEpoch Whether an epoch with weight is waiting for its pool.
    /// @return activeEpoch That epoch (meaningful only when `hasActiveEpoch`).
    function rollover() external view returns (uint256 carry, bool hasActiveEpoch, uint256 activeEpoch) {
        Head memory head = _head;
        return (_carry, head.hasActiveEpoch, head.activeEpoch);
    }

    /// @notice What {claim} would pay `seeder` for `epochs` now: its balance plus its capped shares of the finished
    /// ones.
    /// @dev Unfinished epochs add nothing here ({claim} reverts on them); list each epoch once.
    function claimable(address seeder, uint256[] calldata epochs) external view returns (uint256 total) {
        total = balances[seeder];
        uint256 current = currentEpoch();
        for (uint256 i; i < epochs.length; ++i) {
            uint256 e = epochs[i];
            if (e >= current) continue;
            (uint256 share,) =
                RebateMath.epochShare(uint128(_epochPool(e)), _seederEpochs[e][seeder].weight, _epochs[e].weight);
            total += share;
        }
    }

    /// @notice The EIP-712 digest the session key signs for a receipt.
    function hashReceipt(address leecher, address seeder, uint256 contentId, uint256 cumulativeBytes)
        public
        view
        returns (bytes32)
    {
        bytes32 typeHash = RECEIPT_TYPEHASH;
        bytes32 structHash;
        // keccak256(abi.encode(RECEIPT_TYPEHASH, leecher, seeder, contentId, cumulativeBytes)) in scratch memory past
        // the free pointer: this runs for every receipt of a batch, and abi.encode would allocate each time.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, typeHash)
            mstore(add(ptr, 0x20), and(leecher, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(ptr, 0x40), and(seeder, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(ptr, 0x60), contentId)
            mstore(add(ptr, 0x80), cumulativeBytes)
            structHash := keccak256(ptr, 0xa0)
        }
        return _hashTypedDataV4(structHash);
    }

    /// @notice The EIP-712 digest `wallet` signs to delegate its receipts to `sessionKey` until `expiry`.
    function hashDelegation(address wallet, address sessionKey, uint64 expiry) public view returns (bytes32) {
        bytes32 typeHash = DELEGATION_TYPEHASH;
        bytes32 structHash;
        // keccak256(abi.encode(DELEGATION_TYPEHASH, wallet, sessionKey, expiry)), without allocating (see
        // {hashReceipt}).
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, typeHash)
            mstore(add(ptr, 0x20), and(wallet, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(ptr, 0x40), and(sessionKey, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(ptr, 0x60), and(expiry, 0xffffffffffffffff))
            structHash := keccak256(ptr, 0x80)
        }
        return _hashTypedDataV4(structHash);
    }

    // ---------------------------------------------------------------------------------------------------- internals

    /// @dev Finalises the active epoch once it is over (its pool is the carry) and returns the current epoch. Runs
    /// before every sweep, credit and claim, so pools roll over in O(1): sweeps accumulate in the carry until an
    /// epoch with weight ends.
    function _checkpoint() private returns (uint256 epoch) {
        epoch = currentEpoch();
        Head memory head = _head;
        if (head.hasActiveEpoch && head.activeEpoch < epoch) {
            uint128 carry = _carry;
            Epoch storage ep = _epochs[head.activeEpoch];
            uint128 weight = ep.weight;
            // Every share is capped at its weight, so a pool above the epoch's weight would only cut the same excess
            // at each claim: keep exactly the weight and roll the excess forward now, so that it funds the next
            // epoch with weight whether or not this one's seeders have claimed yet.
            uint128 pool = carry < weight ? carry : weight;
            ep.pool = pool;
            _carry = carry - pool;
            emit EpochFinalized(head.activeEpoch, pool, weight, carry - pool);
            _head = Head(head.market, 0, false);
        }
    }

    /// @dev Skips a receipt that is not newer; otherwise verifies it and credits it against its license. Returns the
    /// credited bytes, the payout and the weight (all 0 for a skipped receipt).
    function _creditReceipt(ILicenseMarket market, address seeder, SignedReceipt calldata r, uint256 epoch)
        private
        returns (uint256 creditedBytes, uint256 payout, uint256 weight)
    {
        // Each field read once from calldata: every access to a field of a calldata struct re-validates it.
        address leecher = r.leecher;
        uint256 contentId = r.contentId;
        uint256 cumulativeBytes = r.cumulativeBytes;
        uint256 newBytes;
        {
            Cumulative storage last = _credited[leecher][seeder][contentId];
            uint256 already = last.bytesServed;
            // Checked before the signatures: a receipt someone else submitted first costs the batch one read, not a
            // revert.
            if (cumulativeBytes <= already) {
                emit ReceiptSkipped(leecher, seeder, contentId, cumulativeBytes, already);
                return (0, 0, 0);
            }
            _verifySignatures(leecher, hashReceipt(leecher, seeder, contentId, cumulativeBytes), r);
            last.bytesServed = cumulativeBytes;
            newBytes = cumulativeBytes - already;
        }
        (creditedBytes, payout, weight) =
            _payFromAllowance(leecher, contentId, _licensedSize(market, leecher, contentId), newBytes);
        emit ReceiptCredited(leecher, seeder, contentId, cumulativeBytes, creditedBytes, payout, weight, epoch);
    }

    /// @dev The content's size; reverts unless `leecher` holds a license to it now.
    function _licensedSize(ILicenseMarket market, address leecher, uint256 contentId) private view returns (uint256) {
        (bool licensed, uint256 size) = market.licenseInfo(leecher, contentId);
        if (!licensed) revert NoLicense(leecher, contentId);
        return size;
    }

    /// @dev The delegation is unexpired and signed by the leecher; the receipt (`receiptDigest`) is signed by the
    /// delegated session key.
    function _verifySignatures(address leecher, bytes32 receiptDigest, SignedReceipt calldata r) private view {
        address sessionKey = r.sessionKey;
        uint64 expiry = r.delegationExpiry;
        if (block.timestamp > expiry) revert DelegationExpired(leecher, expiry);
        if (
            !SessionKeySignature.isSignedByWallet(
                leecher, hashDelegation(leecher, sessionKey, expiry), r.delegationSig
            )
        ) {
            revert InvalidDelegationSignature(leecher, sessionKey);
        }
        // Session keys are ephemeral keys generated by the client, never contracts: plain ECDSA, as
        // SessionKeySignature.isSignedBy checks it, written out because the call would cost 49 gas per receipt.
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(receiptDigest, r.receiptSig);
        if (err != ECDSA.RecoverError.NoError || signer != sessionKey) {
            revert InvalidReceiptSignature(leecher, sessionKey);
        }
    }

    /// @dev Credits `newBytes` against the license, up to its size, takes their payout from its allowance and their
    /// weight from its weight budget (the same per-byte rule, so a license weighs at most its network fees).
    function _payFromAllowance(address licensee, uint256 contentId, uint256 size, uint256 newBytes)
        private
        returns (uint64 creditedBytes, uint128 payout, uint128 weight)
    {
        PackedLicense storage stored = _licenses[licensee][contentId];
        uint256 word = stored.word;
        uint64 bytesCredited = uint64(word >> BYTES_SHIFT);
        // The market stores sizes as uint64; clamp rather than revert so a receipt is never blocked by the cast.
        uint64 size64 = size > type(uint64).max ? type(uint64).max : uint64(size);
        // The masks keep the fields within 81 and 80 bits: the casts cannot truncate.
        uint128 remaining = uint128(word & MAX_ALLOWANCE);
        uint128 budget = uint128((word >> BUDGET_SHIFT) & MAX_WEIGHT_BUDGET);
        (creditedBytes, payout, weight) = RebateMath.creditLicense(remaining, budget, bytesCredited, size64, newBytes);
        if (creditedBytes == 0) return (0, 0, 0);
        // payout <= remaining, weight <= budget and creditedBytes <= size - bytesCredited (see RebateMath): no
        // underflow, and the bytes stay within 64 bits.
        unchecked {
            stored.word =
                _pack(remaining - payout, budget - weight, bytesCredited + creditedBytes, word >> TIME_SHIFT);
        }
    }

    /// @dev A license's slot (see {PackedLicense}). Every field is within its width: the allowance and the budget by
    /// the checks in {fundLicense} (and only ever decrease otherwise), `time` by its mask.
    function _pack(uint256 remaining, uint256 budget, uint64 bytesCredited, uint256 time)
        private
        pure
        returns (uint256)
    {
        return remaining | (budget << BUDGET_SHIFT) | (uint256(bytesCredited) << BYTES_SHIFT) | (time << TIME_SHIFT);
    }

    /// @dev The time of a license's last funding (0 if never funded), from its low 31 bits: the latest time at or
    /// before now with those bits. Exact as long as the license was last funded less than 2^31 seconds (68 years)
    /// ago; {sweep} needs it only up to `allowanceExpiry` (at most `MAX_ALLOWANCE_EXPIRY`) after it.
    function _fundedAt(uint256 word) private view returns (uint256) {
        if (word == 0) return 0;
        unchecked {
            // The stored bits are those of a past time, so the difference of the low bits is the time elapsed.
            return block.timestamp - ((block.timestamp - (word >> TIME_SHIFT)) & TIME_MASK);
        }
    }

    /// @dev Writes a seeder's epoch record with one SSTORE: Solidity's member-wise copy of a packed struct reads and
    /// writes the slot per member. Layout as Solidity packs `SeederEpoch`: `bytesCredited` in the low 128 bits, then
    /// `weight`.
    function _store(SeederEpoch storage stored, uint128 bytesCredited, uint128 weight) private {
        uint256 packed = uint256(bytesCredited) | (uint256(weight) << 128);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            sstore(stored.slot, packed)
        }
    }

    /// @dev Clears `seeder`'s record of the finished `epoch` and returns it with its share; a record without weight
    /// is left alone (and yields nothing). Runs after {_checkpoint}, so the pool of every finished epoch is stored,
    /// at most its weight: the share needs no cap.
    function _takeShare(uint256 epoch, address seeder) private returns (SeederEpoch memory credit, uint256 share) {
        credit = _seederEpochs[epoch][seeder];
        if (credit.weight == 0) return (credit, 0);
        delete _seederEpochs[epoch][seeder];
        Epoch memory ep = _epochs[epoch];
        share = RebateMath.proRataShare(ep.pool, credit.weight, ep.weight);
    }

    /// @dev Empties an expired allowance and weight budget and returns both; the caller adds the amount to the carry
    /// and takes the budget off the open weight.
    function _sweep(address licensee, uint256 contentId, uint256 epoch)
        private
        returns (uint128 amount, uint128 weightDropped)
    {
        PackedLicense storage stored = _licenses[licensee][contentId];
        uint256 word = stored.word;
        // The masks keep the fields within 81 and 80 bits: the casts cannot truncate.
        amount = uint128(word & MAX_ALLOWANCE);
        weightDropped = uint128((word >> BUDGET_SHIFT) & MAX_WEIGHT_BUDGET);
        if (amount == 0 && weightDropped == 0) revert NothingToSweep(licensee, contentId);
        uint256 expiresAt = _fundedAt(word) + allowanceExpiry;
        if (block.timestamp < expiresAt) revert NotExpired(licensee, contentId, expiresAt);
        // Empties the allowance and the budget; the bytes credited and the funding time stay.
        stored.word = (word >> BYTES_SHIFT) << BYTES_SHIFT;
        emit AllowanceSwept(licensee, contentId, amount, weightDropped, epoch);
    }

    /// @dev The carry above the open weight and the active epoch's weight (not yet finalised, or finished and due to
    /// be): each unit of weight left a unit of network fee in the carry, so the carry covers both.
    function _surplus() private view returns (uint256) {
        Head memory head = _head;
        uint256 reserved = _openWeight;
        if (head.hasActiveEpoch) reserved += _epochs[head.activeEpoch].weight;
        uint256 carry = _carry;
        return carry > reserved ? carry - reserved : 0;
    }

    /// @dev An epoch's pool: stored once finalised; while it is the active epoch, what finalisation would give it now
    /// (the carry, up to its weight); otherwise 0.
    function _epochPool(uint256 epoch) private view returns (uint256) {
        Head memory head = _head;
        if (head.hasActiveEpoch && head.activeEpoch == epoch) {
            uint256 weight = _epochs[epoch].weight;
            return _carry < weight ? _carry : weight;
        }
        return _epochs[epoch].pool;
    }
}
