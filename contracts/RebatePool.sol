// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {ILicenseMarket} from "./interfaces/ILicenseMarket.sol";
import {IRebatePool} from "./interfaces/IRebatePool.sol";
import {RebateMath} from "./libraries/RebateMath.sol";

/// @title RebatePool
/// @notice Rewards for seeding. Every purchase's network and bounty fees become the rebate allowance of the license
/// just bought (licensee, content). Seeders submit bandwidth receipts signed by the leecher's session key, which the
/// leecher's wallet authorised with a `Delegation`; each credited byte is paid from that license's allowance.
/// Allowance left unearned after `allowanceExpiry` is swept into an epoch pool. A seeder's share of an epoch's pool is
/// its part by the allowance wei its receipts earned in the epoch (its bytes weighted by the allowance they paid),
/// capped at that amount; the part above the cap rolls forward to a later epoch. Claims are pull payments.
///
/// INVARIANTS:
/// - Solvent: `address(this).balance >= Σ remaining allowances + carry + Σ balances + Σ unsettled pro-rata epoch
///   shares` (each of which goes, when claimed or settled, partly to its seeder and the rest to the carry). Every wei
///   received sits in exactly one of these buckets until it is claimed; shares round down.
/// - The pool never pays out more than it received: ETH leaves only through {claim}, which pays out a seeder's balance
///   (moved out of allowances and settled shares) and epoch shares (each at most the seeder's pro-rata part of the
///   epoch's pool, all of them together at most the pool).
/// - An epoch's pool is split by the allowance wei each seeder earned in the epoch, each share capped at it:
///   `share = min(pool * seederEarned / epochEarned, seederEarned)`, where `epochEarned` is what all seeders earned in
///   the epoch. Each credited byte weighs what it paid from its license's allowance: bytes that earned nothing (free
///   content, an empty allowance) weigh nothing and win nothing, whatever their number.
/// - An epoch gets a pool only if its credits earned something (`epochEarned > 0`); this is what "an epoch with
///   credited bytes" means here. An epoch without credits, or whose credits all earned 0 wei, rolls its pool (its
///   sweeps and what caps cut during it) on to the next epoch whose credits earn something.
/// - Pool money is conserved: every wei swept or cut by a cap enters the carry, and the carry moves whole into the
///   pool of exactly one epoch when that epoch is finalised: `Σ swept + Σ rolled forward = Σ finalised pools + carry`.
///   An epoch's pool covers the shares paid from it and the parts rolled forward from it.
/// - One license never pays out more than it was funded with: a credited byte pays
///   `remaining / (size - bytesCredited)`, so crediting the whole size pays exactly what was funded until then and any
///   partial sequence pays less.
/// - The bytes credited against one license (licensee, content), summed over all seeders, never exceed the content's
///   size; bytes beyond it are neither paid nor counted in an epoch.
/// - A receipt byte is credited once: receipts are cumulative per (leecher, seeder, content) and only the part above
///   the last credited amount counts.
/// - Signatures are bound to this contract and chain (EIP-712 domain), the delegation to the leecher's wallet
///   (EOA or ERC-1271), the receipt to the delegated session key, and the receipt to its seeder.
/// - Nothing can be paused and the owner can only bind the market, once: receipts, settlements and claims are never
///   blocked.
///
/// NOTE: Self-dealing returns at most what the self-dealer paid in. A buyer who signs receipts to seeder addresses of
/// its own is paid from its own allowances at most the fees `F` it paid, and its epoch shares are capped at what it
/// earned from allowances in each epoch, at most `F` over all epochs: it recovers at most `2F`. Fees are at most 30%
/// of the curve price `P` (network fee at most 10%, bounty fee at most 20%), so `2F <= P + F`, what it paid. Content
/// with price 0, or a license whose allowance is empty (e.g. a transferable license passed on), earns nothing and so
/// wins nothing from the pool, whatever the content's size.
///
/// NOTE: The bound above is for a buyer who is not the content's publisher. A publisher buying its own content
/// gets the curve price back as proceeds, so it pays only the fees `F` and can recover `2F`: it can net up to its fees
/// (at most 30% of the curve price) per license from the epoch pool, when the pool is large against what honest
/// seeders earned in the epoch. RebatePool.economics.test.ts prints it.
///
/// NOTE: Weight in an epoch costs fees. Bytes are weighted by the allowance they paid, so crediting bytes that earned
/// nothing (a huge free content, an empty allowance) neither shrinks other seeders' shares nor lifts one's own. The
/// only way to weigh more is to earn more allowance wei, which some buyer paid as fees: a self-dealer that buys
/// licenses to weigh on an epoch lowers the other seeders' parts as any seeder with the same earnings would, and pays
/// for it as the NOTEs above state (a publisher buying its own content pays only the fees, which it can win back).
///
/// NOTE: The caps bind only when an epoch's pool is larger than what its credits earned, and then for all its seeders
/// alike: each gets exactly what it earned, and the rest of the pool rolls forward. Each seeder's part of that rest
/// reaches the carry when its share is claimed ({claim}) or settled ({settleEpochShares}, which anyone may call, e.g.
/// for a seeder who never claims); until then it stays in the contract. It funds the epoch with earnings that is
/// active then, or a later one.
///
/// NOTE: The allowance belongs to the license's recipient recorded at purchase. When a transferable license changes
/// hands, the allowance stays with the old holder (who no longer holds a license, so receipts against it are refused
/// and it is swept at expiry); the new holder's receipts are credited against its own, possibly empty, allowance.
///
/// NOTE: A delegation is checked when its receipts are submitted, not when they were signed: a seeder must submit a
/// leecher's receipts before the delegation's expiry, or they are refused. A delegation cannot be revoked before its
/// expiry; whoever holds the session key can sign receipts for the leecher to any seeder, up to the content's size.
///
/// NOTE: Funding that reaches a license after its whole size was credited (a later purchase for the same account) can
/// no longer be earned by seeding; it is swept into the epoch pool at expiry.
///
/// NOTE: Session keys are plain ECDSA keys (the client generates them); a receipt signed through ERC-1271 is refused.
/// Claims pay `msg.sender`: a seeder address that cannot receive ETH cannot claim.
///
/// NOTE: A batch of receipts is all or nothing: one bad receipt (bad signature, no license, expired delegation, or
/// not newer than what is credited, e.g. a duplicate or a receipt someone else submitted first) reverts the whole
/// batch. Check {credited} before submitting. {sweepMany} is all or nothing the same way.
///
/// NOTE: Epoch shares round down; the dust stays in the contract for good. An epoch's total of credited bytes is not
/// stored (its slot holds the pool and the earnings): indexers sum `creditedBytes` of {ReceiptCredited} by `epoch`.
contract RebatePool is IRebatePool, EIP712, Ownable2Step, ReentrancyGuardTransient {
    /// @notice A leecher's receipt for `seeder` (the batch's seeder), with the wallet's delegation of the session key.
    /// @param leecher The license holder who received the bytes and whose wallet signed the delegation.
    /// @param contentId The content served.
    /// @param cumulativeBytes All bytes of `contentId` this seeder has served this leecher so far.
    /// @param sessionKey The key that signed the receipt.
    /// @param delegationExpiry Unix time after which the delegation is no longer accepted.
    /// @param delegationSig The leecher wallet's EIP-712 signature of
    /// `Delegation(wallet: leecher, sessionKey, expiry: delegationExpiry)`.
    /// @param receiptSig The session key's EIP-712 signature of `Receipt(leecher, seeder, contentId, cumulativeBytes)`.
    struct SignedReceipt {
        address leecher;
        uint256 contentId;
        uint256 cumulativeBytes;
        address sessionKey;
        uint64 delegationExpiry;
        bytes delegationSig;
        bytes receiptSig;
    }

    /// @notice Names one license for {sweepMany}.
    struct LicenseKey {
        address licensee;
        uint256 contentId;
    }

    /// @dev One slot per license.
    struct Allowance {
        uint128 remaining; // wei not yet paid out or swept
        uint64 bytesCredited; // bytes credited over the license's life, all seeders together
        uint64 fundedAt; // time of the last funding; expiry runs from it
    }

    /// @dev A struct around one word, so that the hot path holds a storage pointer instead of hashing the keys twice.
    struct Cumulative {
        uint256 bytesServed;
    }

    /// @dev One slot per epoch: written by credits that earn something (`earned`, the sum of the seeders' weights)
    /// and once by finalisation (`pool`).
    struct Epoch {
        uint128 pool;
        uint128 earned;
    }

    /// @dev What one seeder was credited in one epoch, one slot, written once per batch of receipts: the allowance wei
    /// its receipts earned (its weight in the epoch's pool and the cap on its share) and the bytes that earned it,
    /// kept for information.
    struct SeederEpoch {
        uint128 bytesCredited;
        uint128 earned;
    }

    /// @dev The slot every batch, sweep and claim reads first: the market and the rollover's epoch. `activeEpoch` is
    /// the latest epoch whose credits earned something; the carry becomes its pool once it is over. The market shares
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

    mapping(address licensee => mapping(uint256 contentId => Allowance)) private _allowances;
    mapping(address leecher => mapping(address seeder => mapping(uint256 contentId => Cumulative))) private _credited;
    mapping(uint256 epoch => Epoch) private _epochs;
    mapping(uint256 epoch => mapping(address seeder => SeederEpoch)) private _seederEpochs;
    Head private _head;
    /// @dev Swept allowance and capped-off shares not yet assigned to an epoch (see {Head}).
    uint128 private _carry;

    /// @notice The license market was bound.
    event LicenseMarketBound(address indexed market);

    /// @notice Emitted once, at deployment: epoch `n` runs from `genesis + n * epochDuration`, and an allowance can be
    /// swept `allowanceExpiry` seconds after its last funding.
    event EpochScheduleSet(uint256 genesis, uint32 epochDuration, uint32 allowanceExpiry);
    /// @notice `amount` was added to the allowance of (`licensee`, `contentId`); its expiry restarts now.
    event AllowanceFunded(address indexed licensee, uint256 indexed contentId, uint256 amount, uint256 remainingAfter);
    /// @notice A receipt was accepted: `creditedBytes` (after the size cap) count in `epoch` and paid `payout` wei
    /// from the license's allowance to the seeder's balance. The seeder's cumulative amount is now `cumulativeBytes`.
    event ReceiptCredited(
        address indexed leecher,
        address indexed seeder,
        uint256 indexed contentId,
        uint256 cumulativeBytes,
        uint256 creditedBytes,
        uint256 payout,
        uint256 epoch
    );
    /// @notice The unearned `amount` of (`licensee`, `contentId`) moved to the carry during `epoch`; it becomes the
    /// pool of the next epoch (from `epoch` on) whose credits earn something.
    event AllowanceSwept(address indexed licensee, uint256 indexed contentId, uint256 amount, uint256 epoch);
    /// @notice `epoch` is over and its pool is final: `pool` wei shared in proportion to the `totalEarned` wei of
    /// allowance its credits earned, all seeders together. Its credited bytes are the sum of the `creditedBytes` of
    /// its {ReceiptCredited} events.
    event EpochFinalized(uint256 indexed epoch, uint256 pool, uint256 totalEarned);
    /// @notice `seeder` claimed its share of `epoch`'s pool: in proportion to the `earned` wei of allowance its
    /// receipts earned in `epoch` (for `bytesCredited` bytes), capped at `earned`. `amount` is paid in this claim;
    /// `rolledForward`, the pro-rata part above the cap, was added to the carry.
    event EpochShareClaimed(
        address indexed seeder,
        uint256 indexed epoch,
        uint256 bytesCredited,
        uint256 earned,
        uint256 amount,
        uint256 rolledForward
    );
    /// @notice Someone settled `seeder`'s share of `epoch`'s pool (see {EpochShareClaimed}): `amount` was added to the
    /// seeder's balance and `rolledForward` to the carry.
    event EpochShareSettled(
        address indexed seeder,
        uint256 indexed epoch,
        uint256 bytesCredited,
        uint256 earned,
        uint256 amount,
        uint256 rolledForward
    );
    /// @notice `seeder` was paid `fromBalance + fromEpochs`: its whole balance and the capped epoch shares;
    /// `rolledForward` (the parts of those shares above their caps) was added to the carry.
    event Claimed(address indexed seeder, uint256 fromBalance, uint256 fromEpochs, uint256 rolledForward);

    error ZeroEpochDuration();
    error ZeroAllowanceExpiry();
    error ZeroLicenseMarket();
    error MarketAlreadyBound(ILicenseMarket market);
    error MarketNotBound();
    error OnlyLicenseMarket(address caller);
    error EmptyBatch();
    error DelegationExpired(address leecher, uint64 expiry);
    error InvalidDelegationSignature(address leecher, address sessionKey);
    error InvalidReceiptSignature(address leecher, address sessionKey);
    error NoLicense(address leecher, uint256 contentId);
    error ReceiptNotNewer(
        address leecher, address seeder, uint256 contentId, uint256 cumulativeBytes, uint256 alreadyCredited
    );
    error NothingToSweep(address licensee, uint256 contentId);
    error NotExpired(address licensee, uint256 contentId, uint256 expiresAt);
    error EpochNotFinished(uint256 epoch, uint256 currentEpoch);
    error NothingToClaim(address seeder);
    error NothingToSettle(uint256 epoch);

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
        genesis = block.timestamp;
        epochDuration = epochDuration_;
        allowanceExpiry = allowanceExpiry_;
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

    // ---------------------------------------------------------------------------------------------------- funding

    /// @inheritdoc IRebatePool
    /// @dev Adds `msg.value` to the license's allowance and restarts its expiry. Reverts with `OnlyLicenseMarket`
    /// unless called by the bound market.
    function fundAllowance(address licensee, uint256 contentId) external payable {
        if (msg.sender != address(_head.market)) revert OnlyLicenseMarket(msg.sender);
        Allowance memory a = _allowances[licensee][contentId];
        uint128 remaining = SafeCast.toUint128(a.remaining + msg.value);
        _allowances[licensee][contentId] = Allowance(remaining, a.bytesCredited, uint64(block.timestamp));
        emit AllowanceFunded(licensee, contentId, msg.value, remaining);
    }

    // ---------------------------------------------------------------------------------------------------- receipts

    /// @notice Credits a batch of receipts to `seeder`: pays each from its license's allowance into `seeder`'s balance
    /// and adds what they earned (its weight in the epoch's pool) and their bytes to its record of the current epoch.
    /// Anyone may submit; the seeder is the one paid.
    /// @dev For each receipt: the delegation is unexpired and signed by the leecher (EOA or ERC-1271), the receipt is
    /// signed by the session key, the leecher holds a license now, and `cumulativeBytes` is above what this seeder was
    /// credited for this leecher and content. Any failure reverts the whole batch (see the NOTE on batches).
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
        for (uint256 i; i < count; ++i) {
            (uint256 creditedBytes, uint256 payout) = _creditReceipt(head.market, seeder, receipts[i], epoch);
            batchBytes += creditedBytes;
            batchPayout += payout;
        }

        // Aggregated so that the seeder's balance and the epoch's records are written once per batch. A receipt pays
        // only for bytes it credits, so a batch without bytes earned nothing either.
        if (batchBytes == 0) return;
        uint128 batchEarned = SafeCast.toUint128(batchPayout);
        SeederEpoch storage credit = _seederEpochs[epoch][seeder];
        SeederEpoch memory before = credit;
        // Each receipt credits fewer than 2^64 bytes, so a batch's sum fits in 128 bits.
        _store(credit, before.bytesCredited + uint128(batchBytes), before.earned + batchEarned);
        // Bytes that earned nothing weigh nothing: they neither add to the epoch's weight nor make it active.
        if (batchEarned == 0) return;
        balances[seeder] += batchEarned;
        _epochs[epoch].earned += batchEarned;
        // After the checkpoint the active epoch is either unset or already this one.
        if (!head.hasActiveEpoch) _head = Head(head.market, uint64(epoch), true);
    }

    // ---------------------------------------------------------------------------------------------------- expiry

    /// @notice Moves the unearned allowance of an expired license into the epoch pool (see {AllowanceSwept}).
    /// @dev Anyone may call. Reverts with `NothingToSweep` when the allowance is empty and `NotExpired` before
    /// `fundedAt + allowanceExpiry`.
    function sweep(address licensee, uint256 contentId) external {
        uint256 epoch = _checkpoint();
        _carry += _sweep(licensee, contentId, epoch);
    }

    /// @notice {sweep} for many licenses; all or nothing.
    function sweepMany(LicenseKey[] calldata licenses) external {
        uint256 count = licenses.length;
        if (count == 0) revert EmptyBatch();
        uint256 epoch = _checkpoint();
        uint128 total;
        for (uint256 i; i < count; ++i) {
            total += _sweep(licenses[i].licensee, licenses[i].contentId, epoch);
        }
        _carry += total;
    }

    // ---------------------------------------------------------------------------------------------------- claims

    /// @notice Pays the caller its balance and its shares of the given finished epochs.
    /// @dev A share is `min(pool * earned / epochEarned, earned)`, rounded down, where `earned` is the allowance wei
    /// the caller's receipts earned in the epoch and `epochEarned` what all seeders' receipts earned in it; the
    /// pro-rata part above the cap is added to the carry. The caller's record of each epoch is then cleared, so an
    /// epoch is claimed once (repeats in `epochs`, and epochs in which the caller earned nothing, add nothing).
    /// Reverts with `EpochNotFinished` for the current or a future epoch and `NothingToClaim` when nothing is paid (a
    /// share rounded down to 0 is settled with {settleEpochShares}).
    /// @param epochs The finished epochs to claim; may be empty to claim only the balance.
    function claim(uint256[] calldata epochs) external nonReentrant {
        uint256 current = _checkpoint();
        uint256 fromBalance = balances[msg.sender];
        if (fromBalance != 0) delete balances[msg.sender];

        uint256 fromEpochs;
        uint256 rolledForward;
        for (uint256 i; i < epochs.length; ++i) {
            uint256 e = epochs[i];
            if (e >= current) revert EpochNotFinished(e, current);
            (SeederEpoch memory credit, uint256 share, uint256 rolled) = _takeShare(e, msg.sender);
            if (credit.earned == 0) continue;
            fromEpochs += share;
            rolledForward += rolled;
            emit EpochShareClaimed(msg.sender, e, credit.bytesCredited, credit.earned, share, rolled);
        }

        uint256 total = fromBalance + fromEpochs;
        if (total == 0) revert NothingToClaim(msg.sender);
        _rollForward(rolledForward);
        emit Claimed(msg.sender, fromBalance, fromEpochs, rolledForward);
        Address.sendValue(payable(msg.sender), total);
    }

    /// @notice Settles the shares of `seeders` in the finished `epoch` without paying them: each capped share is added
    /// to its seeder's balance (claimable with {claim}) and the part above the cap to the carry. Anyone may call, so
    /// that what the caps cut funds later epochs even when a seeder never claims.
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
        uint256 rolledForward;
        for (uint256 i; i < count; ++i) {
            address seeder = seeders[i];
            (SeederEpoch memory credit, uint256 share, uint256 rolled) = _takeShare(epoch, seeder);
            if (credit.earned == 0) continue;
            settled = true;
            if (share != 0) balances[seeder] += share;
            rolledForward += rolled;
            emit EpochShareSettled(seeder, epoch, credit.bytesCredited, credit.earned, share, rolled);
        }
        if (!settled) revert NothingToSettle(epoch);
        _rollForward(rolledForward);
    }

    // ---------------------------------------------------------------------------------------------------- views

    /// @notice The allowance of the license (`licensee`, `contentId`).
    /// @return remaining Wei not yet paid out or swept.
    /// @return bytesCredited Bytes credited against it so far, all seeders together (at most the content's size).
    /// @return fundedAt Time of its last funding; it may be swept from `fundedAt + allowanceExpiry`.
    function allowance(address licensee, uint256 contentId)
        external
        view
        returns (uint256 remaining, uint256 bytesCredited, uint256 fundedAt)
    {
        Allowance memory a = _allowances[licensee][contentId];
        return (a.remaining, a.bytesCredited, a.fundedAt);
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

    /// @notice An epoch's pool, the allowance wei its credits earned (the total weight its pool is split by), and
    /// whether it is over.
    /// @dev While an epoch is the active one (its credits earned something and it is not finalised), `pool` is what it
    /// would get if it ended now (the carry); for an epoch whose credits earned nothing it is 0 (its sweeps roll on to
    /// the next epoch whose credits earn something).
    function epochInfo(uint256 epoch) external view returns (uint256 pool, uint256 totalEarned, bool finished) {
        return (_epochPool(epoch), _epochs[epoch].earned, epoch < currentEpoch());
    }

    /// @notice What `seeder` was credited in `epoch` and has not yet claimed or settled. A record that earned nothing
    /// holds no share and is never cleared.
    /// @return bytesCredited Its bytes (for information: they weigh what they earned).
    /// @return earned The allowance wei those bytes earned: its weight in the epoch's pool and the cap on its share.
    function seederEpoch(uint256 epoch, address seeder) external view returns (uint256 bytesCredited, uint256 earned) {
        SeederEpoch memory credit = _seederEpochs[epoch][seeder];
        return (credit.bytesCredited, credit.earned);
    }

    /// @notice The swept allowance not yet assigned to an epoch, and the epoch it will go to if known.
    /// @return carry Wei swept (or cut by caps) since the last finalised epoch.
    /// @return hasActiveEpoch Whether an epoch whose credits earned something is waiting for its pool.
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
                RebateMath.epochShare(uint128(_epochPool(e)), _seederEpochs[e][seeder].earned, _epochs[e].earned);
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
    /// epoch whose credits earned something ends.
    function _checkpoint() private returns (uint256 epoch) {
        epoch = currentEpoch();
        Head memory head = _head;
        if (head.hasActiveEpoch && head.activeEpoch < epoch) {
            uint128 pool = _carry;
            Epoch storage ep = _epochs[head.activeEpoch];
            ep.pool = pool;
            emit EpochFinalized(head.activeEpoch, pool, ep.earned);
            _carry = 0;
            _head = Head(head.market, 0, false);
        }
    }

    /// @dev Verifies one receipt and credits it against its license; returns the credited bytes and the payout.
    function _creditReceipt(ILicenseMarket market, address seeder, SignedReceipt calldata r, uint256 epoch)
        private
        returns (uint256 creditedBytes, uint256 payout)
    {
        address leecher = r.leecher;
        uint256 contentId = r.contentId;
        uint256 cumulativeBytes = r.cumulativeBytes;
        _verifySignatures(leecher, hashReceipt(leecher, seeder, contentId, cumulativeBytes), r);
        (bool licensed, uint256 size) = market.licenseInfo(leecher, contentId);
        if (!licensed) revert NoLicense(leecher, contentId);
        uint256 newBytes = _advanceCumulative(leecher, seeder, contentId, cumulativeBytes);
        (creditedBytes, payout) = _payFromAllowance(leecher, contentId, size, newBytes);
        emit ReceiptCredited(leecher, seeder, contentId, cumulativeBytes, creditedBytes, payout, epoch);
    }

    /// @dev The delegation is unexpired and signed by the leecher; the receipt (`receiptDigest`) is signed by the
    /// delegated session key.
    function _verifySignatures(address leecher, bytes32 receiptDigest, SignedReceipt calldata r) private view {
        address sessionKey = r.sessionKey;
        uint64 expiry = r.delegationExpiry;
        if (block.timestamp > expiry) revert DelegationExpired(leecher, expiry);
        if (!_isLeecherSignature(leecher, hashDelegation(leecher, sessionKey, expiry), r.delegationSig)) {
            revert InvalidDelegationSignature(leecher, sessionKey);
        }
        // Session keys are ephemeral keys generated by the client, never contracts: plain ECDSA.
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(receiptDigest, r.receiptSig);
        if (err != ECDSA.RecoverError.NoError || signer != sessionKey) {
            revert InvalidReceiptSignature(leecher, sessionKey);
        }
    }

    /// @dev The leecher's wallet signed `digest`: an EOA by ECDSA, or a smart-contract wallet by ERC-1271. ECDSA is
    /// tried first (as older releases of OpenZeppelin's SignatureChecker did), so that the common EOA case skips the
    /// cold EXTCODESIZE of the leecher, 2,600 gas per receipt. The only signatures this accepts beyond SignatureChecker
    /// are ECDSA signatures by the key of an account that has code: an EIP-7702 account, which that key controls.
    function _isLeecherSignature(address leecher, bytes32 digest, bytes calldata signature)
        private
        view
        returns (bool)
    {
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err == ECDSA.RecoverError.NoError && signer == leecher) return true;
        return SignatureChecker.isValidERC1271SignatureNowCalldata(leecher, digest, signature);
    }

    /// @dev Records `cumulativeBytes` as the seeder's new total for this leecher and content; returns the increase.
    function _advanceCumulative(address leecher, address seeder, uint256 contentId, uint256 cumulativeBytes)
        private
        returns (uint256 newBytes)
    {
        Cumulative storage last = _credited[leecher][seeder][contentId];
        uint256 already = last.bytesServed;
        if (cumulativeBytes <= already) {
            revert ReceiptNotNewer(leecher, seeder, contentId, cumulativeBytes, already);
        }
        last.bytesServed = cumulativeBytes;
        return cumulativeBytes - already;
    }

    /// @dev Credits `newBytes` against the license, up to its size, and takes their payout from its allowance.
    function _payFromAllowance(address licensee, uint256 contentId, uint256 size, uint256 newBytes)
        private
        returns (uint64 creditedBytes, uint128 payout)
    {
        Allowance storage stored = _allowances[licensee][contentId];
        Allowance memory a = stored;
        // The market stores sizes as uint64; clamp rather than revert so a receipt is never blocked by the cast.
        uint64 size64 = size > type(uint64).max ? type(uint64).max : uint64(size);
        (creditedBytes, payout) = RebateMath.creditLicense(a.remaining, a.bytesCredited, size64, newBytes);
        if (creditedBytes != 0) {
            a.remaining -= payout;
            a.bytesCredited += creditedBytes;
            _store(stored, a);
        }
    }

    /// @dev Writes a license's allowance with one SSTORE: Solidity's member-wise copy of a packed struct reads and
    /// writes the slot per member. Layout as Solidity packs `Allowance`: `remaining` in the low 128 bits, then
    /// `bytesCredited`, then `fundedAt`.
    function _store(Allowance storage stored, Allowance memory a) private {
        uint256 packed = uint256(a.remaining) | (uint256(a.bytesCredited) << 128) | (uint256(a.fundedAt) << 192);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            sstore(stored.slot, packed)
        }
    }

    /// @dev Writes a seeder's epoch record with one SSTORE (see the other {_store}). Layout as Solidity packs
    /// `SeederEpoch`: `bytesCredited` in the low 128 bits, then `earned`.
    function _store(SeederEpoch storage stored, uint128 bytesCredited, uint128 earned) private {
        uint256 packed = uint256(bytesCredited) | (uint256(earned) << 128);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            sstore(stored.slot, packed)
        }
    }

    /// @dev Clears `seeder`'s record of the finished `epoch` and returns it with its capped share and the part above
    /// the cap; a record that earned nothing is left alone (and yields nothing). Runs after {_checkpoint}, so the pool
    /// of every finished epoch is stored.
    function _takeShare(uint256 epoch, address seeder)
        private
        returns (SeederEpoch memory credit, uint256 share, uint256 rolledForward)
    {
        credit = _seederEpochs[epoch][seeder];
        if (credit.earned == 0) return (credit, 0, 0);
        delete _seederEpochs[epoch][seeder];
        Epoch memory ep = _epochs[epoch];
        (share, rolledForward) = RebateMath.epochShare(ep.pool, credit.earned, ep.earned);
    }

    /// @dev Adds what the caps cut to the carry, so that it funds the active or a later epoch with earnings.
    function _rollForward(uint256 amount) private {
        if (amount != 0) _carry += SafeCast.toUint128(amount);
    }

    /// @dev Empties an expired allowance and returns the amount; the caller adds it to the carry.
    function _sweep(address licensee, uint256 contentId, uint256 epoch) private returns (uint128 amount) {
        Allowance storage a = _allowances[licensee][contentId];
        amount = a.remaining;
        if (amount == 0) revert NothingToSweep(licensee, contentId);
        uint256 expiresAt = uint256(a.fundedAt) + allowanceExpiry;
        if (block.timestamp < expiresAt) revert NotExpired(licensee, contentId, expiresAt);
        a.remaining = 0;
        emit AllowanceSwept(licensee, contentId, amount, epoch);
    }

    /// @dev An epoch's pool: stored once finalised; the carry while it is the active epoch; otherwise 0.
    function _epochPool(uint256 epoch) private view returns (uint256) {
        Head memory head = _head;
        if (head.hasActiveEpoch && head.activeEpoch == epoch) return _carry;
        return _epochs[epoch].pool;
    }
}
