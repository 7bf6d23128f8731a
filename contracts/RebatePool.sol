// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
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
/// Allowance left unearned after `allowanceExpiry` is swept into an epoch pool, shared by the seeders of an epoch in
/// proportion to the bytes credited to them in it. Claims are pull payments.
///
/// INVARIANTS:
/// - Solvent: `address(this).balance >= Σ remaining allowances + carry + Σ unclaimed epoch pools + Σ balances`.
///   Every wei received sits in exactly one of these buckets until it is claimed; shares round down.
/// - The pool never pays out more than it received: ETH leaves only through {claim}, which pays out a seeder's balance
///   (moved out of allowances) and epoch shares (each at most the epoch's pool, all of them at most the pool).
/// - One license never pays out more than it was funded with: a credited byte pays
///   `remaining / (size - bytesCredited)`, so crediting the whole size pays exactly what was funded until then and any
///   partial sequence pays less.
/// - The bytes credited against one license (licensee, content), summed over all seeders, never exceed the content's
///   size; bytes beyond it are neither paid nor counted in an epoch.
/// - A receipt byte is credited once: receipts are cumulative per (leecher, seeder, content) and only the part above
///   the last credited amount counts.
/// - Signatures are bound to this contract and chain (EIP-712 domain), the delegation to the leecher's wallet
///   (EOA or ERC-1271), the receipt to the delegated session key, and the receipt to its seeder.
/// - Nothing can be paused and the owner can only bind the market, once: receipts and claims are never blocked.
///
/// NOTE: The allowance belongs to the license's recipient recorded at purchase. When a transferable license changes
/// hands, the allowance stays with the old holder (who no longer holds a license, so receipts against it are refused
/// and it is swept at expiry); the new holder's receipts are credited against its own, possibly empty, allowance.
///
/// NOTE: A delegation is checked when its receipts are submitted, not when they were signed: a seeder must submit a
/// leecher's receipts before the delegation's expiry, or they are refused. A delegation cannot be revoked before its
/// expiry; whoever holds the session key can sign receipts for the leecher to any seeder, up to the content's size.
///
/// NOTE: Self-dealing through an allowance returns at most the allowance, i.e. the fees the self-dealer paid. The
/// epoch pool is NOT bounded by what a claimant paid in: a self-dealer's share of epoch `e` is
/// `pool(e) * B_s / (B_s + B_h)`, where `B_h` are the other seeders' bytes in `e` and `B_s` the bytes its own licenses
/// let it credit, at most the content size once per (license-holding address, content) over the licenses' lifetime.
/// With priced content, k licenses (price p, size S each) profit iff `pool(e) * S / (k * S + B_h) > p`: in an epoch
/// with a large pool and few honest bytes, self-dealing pays. Worse, a license of free content with a huge size (which
/// anyone can register) buys nearly the whole pool for nothing, and a transferable license earns a fresh cap for every
/// address that holds it in turn. RebatePool.economics.test.ts prints these cases against the licenses' cost.
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
/// NOTE: Epoch shares round down; the dust stays in the contract for good.
contract RebatePool is IRebatePool, EIP712, Ownable2Step, ReentrancyGuard {
    /// @notice A leecher's receipt for `seeder` (the batch's seeder), with the wallet's delegation of the session key.
    /// @param leecher The license holder who received the bytes and whose wallet signed the delegation.
    /// @param contentId The content served.
    /// @param cumulativeBytes All bytes of `contentId` this seeder has served this leecher so far.
    /// @param sessionKey The key that signed the receipt.
    /// @param delegationExpiry Unix time after which the delegation is no longer accepted.
    /// @param delegationSig The leecher wallet's EIP-712 signature of `Delegation(sessionKey, delegationExpiry)`.
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

    /// @dev One slot per epoch: written by credits (`totalBytes`) and once by finalisation (`pool`).
    struct Epoch {
        uint128 pool;
        uint128 totalBytes;
    }

    /// @dev The rollover state, one slot. `carry` is swept allowance not yet assigned to an epoch; it becomes the pool
    /// of `activeEpoch`, the latest epoch with credited bytes, once that epoch is over.
    struct Rollover {
        uint128 carry;
        uint64 activeEpoch;
        bool hasActiveEpoch;
    }

    bytes32 public constant RECEIPT_TYPEHASH =
        keccak256("Receipt(address leecher,address seeder,uint256 contentId,uint256 cumulativeBytes)");
    bytes32 public constant DELEGATION_TYPEHASH = keccak256("Delegation(address sessionKey,uint64 expiry)");

    string private constant DOMAIN_NAME = "Web3Torrent RebatePool";
    string private constant DOMAIN_VERSION = "1";

    /// @notice Start of epoch 0 (the deployment time).
    uint256 public immutable genesis;
    /// @notice Length of an epoch in seconds.
    uint32 public immutable epochDuration;
    /// @notice Seconds after its last funding from which a license's unearned allowance may be swept.
    uint32 public immutable allowanceExpiry;

    /// @notice The market whose purchases fund allowances and whose licenses gate receipts; set once.
    ILicenseMarket public licenseMarket;

    /// @notice Allowance earnings a seeder can claim.
    mapping(address seeder => uint256 amount) public balances;

    mapping(address licensee => mapping(uint256 contentId => Allowance)) private _allowances;
    mapping(address leecher => mapping(address seeder => mapping(uint256 contentId => Cumulative))) private _credited;
    mapping(uint256 epoch => Epoch) private _epochs;
    mapping(uint256 epoch => mapping(address seeder => uint128 bytesCredited)) private _seederEpochBytes;
    Rollover private _rollover;

    /// @notice The license market was bound.
    event LicenseMarketBound(address indexed market);
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
    /// pool of the next epoch (from `epoch` on) that has credited bytes.
    event AllowanceSwept(address indexed licensee, uint256 indexed contentId, uint256 amount, uint256 epoch);
    /// @notice `epoch` is over and its pool is final: `pool` wei shared over `totalBytes` credited bytes.
    event EpochFinalized(uint256 indexed epoch, uint256 pool, uint256 totalBytes);
    /// @notice `seeder` claimed `amount`, its share of `epoch`'s pool for `bytesCredited` bytes.
    event EpochShareClaimed(address indexed seeder, uint256 indexed epoch, uint256 bytesCredited, uint256 amount);
    /// @notice `seeder` was paid `fromBalance + fromEpochs`: its whole allowance earnings and the epoch shares.
    event Claimed(address indexed seeder, uint256 fromBalance, uint256 fromEpochs);

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
    }

    // ---------------------------------------------------------------------------------------------------- admin

    /// @notice Binds the license market, once. The market is deployed after the pool, with the pool's address.
    /// @dev Only the owner. Reverts with `MarketAlreadyBound` on a second call.
    function bindLicenseMarket(ILicenseMarket market) external onlyOwner {
        if (address(market) == address(0)) revert ZeroLicenseMarket();
        if (address(licenseMarket) != address(0)) revert MarketAlreadyBound(licenseMarket);
        licenseMarket = market;
        emit LicenseMarketBound(address(market));
    }

    // ---------------------------------------------------------------------------------------------------- funding

    /// @inheritdoc IRebatePool
    /// @dev Adds `msg.value` to the license's allowance and restarts its expiry. Reverts with `OnlyLicenseMarket`
    /// unless called by the bound market.
    function fundAllowance(address licensee, uint256 contentId) external payable {
        if (msg.sender != address(licenseMarket)) revert OnlyLicenseMarket(msg.sender);
        Allowance memory a = _allowances[licensee][contentId];
        uint128 remaining = SafeCast.toUint128(a.remaining + msg.value);
        _allowances[licensee][contentId] = Allowance(remaining, a.bytesCredited, uint64(block.timestamp));
        emit AllowanceFunded(licensee, contentId, msg.value, remaining);
    }

    // ---------------------------------------------------------------------------------------------------- receipts

    /// @notice Credits a batch of receipts to `seeder`: pays each from its license's allowance into `seeder`'s balance
    /// and counts the credited bytes in the current epoch. Anyone may submit; the seeder is the one paid.
    /// @dev For each receipt: the delegation is unexpired and signed by the leecher (EOA or ERC-1271), the receipt is
    /// signed by the session key, the leecher holds a license now, and `cumulativeBytes` is above what this seeder was
    /// credited for this leecher and content. Any failure reverts the whole batch (see the NOTE on batches).
    /// @param seeder The seeder named in every receipt of the batch.
    /// @param receipts The receipts, each with its delegation.
    function submitReceipts(address seeder, SignedReceipt[] calldata receipts) external nonReentrant {
        uint256 count = receipts.length;
        if (count == 0) revert EmptyBatch();
        ILicenseMarket market = licenseMarket;
        if (address(market) == address(0)) revert MarketNotBound();
        uint256 epoch = _checkpoint();

        uint256 batchBytes;
        uint256 batchPayout;
        for (uint256 i; i < count; ++i) {
            (uint256 creditedBytes, uint256 payout) = _creditReceipt(market, seeder, receipts[i], epoch);
            batchBytes += creditedBytes;
            batchPayout += payout;
        }

        // Aggregated so that the seeder's balance and the epoch counters are written once per batch.
        if (batchPayout != 0) balances[seeder] += batchPayout;
        if (batchBytes != 0) {
            // Each receipt credits fewer than 2^64 bytes, so a batch's sum fits in 128 bits.
            uint128 batchBytes128 = uint128(batchBytes);
            _epochs[epoch].totalBytes += batchBytes128;
            _seederEpochBytes[epoch][seeder] += batchBytes128;
            // After the checkpoint the active epoch is either unset or already this one.
            if (!_rollover.hasActiveEpoch) {
                _rollover.activeEpoch = uint64(epoch);
                _rollover.hasActiveEpoch = true;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------- expiry

    /// @notice Moves the unearned allowance of an expired license into the epoch pool (see {AllowanceSwept}).
    /// @dev Anyone may call. Reverts with `NothingToSweep` when the allowance is empty and `NotExpired` before
    /// `fundedAt + allowanceExpiry`.
    function sweep(address licensee, uint256 contentId) external {
        uint256 epoch = _checkpoint();
        _rollover.carry += _sweep(licensee, contentId, epoch);
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
        _rollover.carry += total;
    }

    // ---------------------------------------------------------------------------------------------------- claims

    /// @notice Pays the caller its allowance earnings and its shares of the given finished epochs.
    /// @dev A share is `pool * seederBytes / totalBytes`, rounded down; the caller's bytes in each epoch are then
    /// cleared, so an epoch is claimed once (repeats in `epochs` and epochs without the caller's bytes add nothing).
    /// Reverts with `EpochNotFinished` for the current or a future epoch and `NothingToClaim` when the total is zero.
    /// @param epochs The finished epochs to claim; may be empty to claim only the balance.
    function claim(uint256[] calldata epochs) external nonReentrant {
        uint256 current = _checkpoint();
        uint256 fromBalance = balances[msg.sender];
        if (fromBalance != 0) delete balances[msg.sender];

        uint256 fromEpochs;
        for (uint256 i; i < epochs.length; ++i) {
            uint256 e = epochs[i];
            if (e >= current) revert EpochNotFinished(e, current);
            uint128 seederBytes = _seederEpochBytes[e][msg.sender];
            if (seederBytes == 0) continue;
            delete _seederEpochBytes[e][msg.sender];
            Epoch memory ep = _epochs[e];
            uint256 share = RebateMath.epochShare(ep.pool, seederBytes, ep.totalBytes);
            fromEpochs += share;
            emit EpochShareClaimed(msg.sender, e, seederBytes, share);
        }

        uint256 total = fromBalance + fromEpochs;
        if (total == 0) revert NothingToClaim(msg.sender);
        emit Claimed(msg.sender, fromBalance, fromEpochs);
        Address.sendValue(payable(msg.sender), total);
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

    /// @notice An epoch's pool, credited bytes and whether it is over.
    /// @dev For the current epoch, once it has credited bytes, `pool` is what it would get if it ended now (the
    /// carry); for an epoch without bytes it is 0 (its sweeps roll on to the next epoch with bytes).
    function epochInfo(uint256 epoch) external view returns (uint256 pool, uint256 totalBytes, bool finished) {
        return (_epochPool(epoch), _epochs[epoch].totalBytes, epoch < currentEpoch());
    }

    /// @notice Bytes credited to `seeder` in `epoch` and not yet claimed.
    function seederEpochBytes(uint256 epoch, address seeder) external view returns (uint256) {
        return _seederEpochBytes[epoch][seeder];
    }

    /// @notice The swept allowance not yet assigned to an epoch, and the epoch it will go to if known.
    /// @return carry Wei swept since the last finalised epoch with bytes.
    /// @return hasActiveEpoch Whether an epoch with credited bytes is waiting for its pool.
    /// @return activeEpoch That epoch (meaningful only when `hasActiveEpoch`).
    function rollover() external view returns (uint256 carry, bool hasActiveEpoch, uint256 activeEpoch) {
        Rollover memory r = _rollover;
        return (r.carry, r.hasActiveEpoch, r.activeEpoch);
    }

    /// @notice What {claim} would pay `seeder` for `epochs` now: its balance plus its shares of the finished ones.
    /// @dev Unfinished epochs add nothing here ({claim} reverts on them); list each epoch once.
    function claimable(address seeder, uint256[] calldata epochs) external view returns (uint256 total) {
        total = balances[seeder];
        uint256 current = currentEpoch();
        for (uint256 i; i < epochs.length; ++i) {
            uint256 e = epochs[i];
            if (e >= current) continue;
            total += RebateMath.epochShare(uint128(_epochPool(e)), _seederEpochBytes[e][seeder], _epochs[e].totalBytes);
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

    /// @notice The EIP-712 digest the leecher's wallet signs to delegate receipts to `sessionKey` until `expiry`.
    function hashDelegation(address sessionKey, uint64 expiry) public view returns (bytes32) {
        bytes32 typeHash = DELEGATION_TYPEHASH;
        bytes32 structHash;
        // keccak256(abi.encode(DELEGATION_TYPEHASH, sessionKey, expiry)), without allocating (see {hashReceipt}).
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, typeHash)
            mstore(add(ptr, 0x20), and(sessionKey, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(ptr, 0x40), and(expiry, 0xffffffffffffffff))
            structHash := keccak256(ptr, 0x60)
        }
        return _hashTypedDataV4(structHash);
    }

    // ---------------------------------------------------------------------------------------------------- internals

    /// @dev Finalises the active epoch once it is over (its pool is the carry) and returns the current epoch. Runs
    /// before every sweep, credit and claim, so pools roll over in O(1): sweeps accumulate in the carry until an
    /// epoch with bytes ends.
    function _checkpoint() private returns (uint256 epoch) {
        epoch = currentEpoch();
        Rollover memory r = _rollover;
        if (r.hasActiveEpoch && r.activeEpoch < epoch) {
            Epoch storage ep = _epochs[r.activeEpoch];
            ep.pool = r.carry;
            emit EpochFinalized(r.activeEpoch, r.carry, ep.totalBytes);
            delete _rollover;
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
        if (!_isLeecherSignature(leecher, hashDelegation(sessionKey, expiry), r.delegationSig)) {
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
        assembly ("memory-safe") {
            sstore(stored.slot, packed)
        }
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
        Rollover memory r = _rollover;
        if (r.hasActiveEpoch && r.activeEpoch == epoch) return r.carry;
        return _epochs[epoch].pool;
    }
}
