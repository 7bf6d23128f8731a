// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {ICheckpointEscrow} from "./interfaces/ICheckpointEscrow.sol";
import {ILicenseMarket} from "./interfaces/ILicenseMarket.sol";
import {CheckpointSchedule} from "./libraries/CheckpointSchedule.sol";
import {SessionKeySignature} from "./utils/SessionKeySignature.sol";

/// @title CheckpointEscrow
/// @notice Incremental payment of seeders for one licensed download. The leecher deposits the price of `maxBytes`
/// when it opens an escrow and registers an ephemeral session key; the session key then signs cumulative vouchers
/// `Voucher(escrowId, seeder, cumulativeBytes, cumulativeAmount)` at each checkpoint of the download, and each
/// seeder redeems its latest voucher (alone or in a batch) for the difference from what it already redeemed. One
/// deposit can pay several seeders. The leecher may instead release a checkpoint directly with a transaction. When
/// the leecher closes the escrow (by a transaction, or without one: its session key signs `Close(escrowId)` and its
/// seeder submits it with its last voucher in {settleClose}), a challenge window lets seeders redeem their last
/// vouchers; after it (or at once, when every seeder that has redeemed waives its window) the rest of the deposit is
/// refunded to the leecher. The hazards below are bounded in docs/THREAT_MODEL.md.
///
/// INVARIANTS:
/// - Solvent: the balance of this contract is at least the sum of `unpaid + reserved` (deposit minus what was paid
///   to seeders) over the escrows not Closed.
/// - For every escrow `paid = deposit - unpaid - reserved <= deposit`, and `paid` is the sum of what its seeders
///   redeemed.
/// - Reserved: an escrow's `reserved` is the sum of its seeders' `Redemption.reserved`, so the reservations never
///   add up to more than `deposit - paid`; a seeder's reservation is paid out only against its own vouchers (or the
///   leecher's releases to it), never to another seeder, and the rest goes back to the leecher at the refund.
/// - A seeder's redeemed total in an escrow only grows, and never exceeds the largest `cumulativeAmount` the
///   escrow's session key signed for it (or the largest amount the leecher released to it at a checkpoint),
///   which itself never exceeds the price of the voucher's bytes at the escrow's `pricePerMiB`.
/// - A voucher is bound to one escrow, this contract and this chain (EIP-712 domain plus `escrowId`); as vouchers
///   are cumulative, a replayed or older voucher pays nothing.
/// - The refund happens once, after which nothing can be paid from the escrow.
/// - The refund comes before `closesAt` only when every seeder that has redeemed (at least one) has waived: a close,
///   whoever submits it (the leecher's `close`, or anyone's `closeWithSignature`/`settleClose` carrying the session
///   key's `Close(escrowId)`), only starts the challenge window.
/// - A signed `Close` is bound to one escrow, this contract and this chain, and closes only an open escrow, so it
///   acts at most once.
/// - A voucher the session key signed with ECDSA stays redeemable whatever code the key's address holds later, and
///   no one but the seeder's own mistakes (a bad signature, an amount over price, a waived record, an unknown escrow)
///   can make a batch revert: a voucher already redeemed (by anyone), of an escrow past its window, or of an
///   exhausted deposit is skipped (`VoucherSkipped`) and the others are paid.
///
/// NOTE: A session key is a plain key: {open} refuses an address with code (`SessionKeyHasCode`) and vouchers are
/// checked by ECDSA only (see {SessionKeySignature}), so a leecher cannot disown signed vouchers through ERC-1271 or
/// an EIP-7702 delegation.
///
/// NOTE: A voucher alone is not money: the session key can sign the rest of the deposit to another address that
/// redeems first. A seeder redeems with {redeemAndReserve} before serving past a checkpoint, which sets aside its next
/// interval for it alone; it then risks at most one checkpoint interval + δ (what it serves while a voucher comes
/// back). It must count the bytes it served in a record made before sending them, or each restart serves one more
/// interval on credit. Why the bound holds: docs/THREAT_MODEL.md, "CheckpointEscrow economics".
///
/// NOTE: Anyone may redeem a seeder's voucher; the payment goes to the seeder, and {redeemBatch} skips a voucher
/// redeemed ahead of it (`VoucherSkipped`) rather than revert.
///
/// IMPORTANT: Vouchers must be redeemed before the challenge window of a closing escrow ends; afterwards the rest
/// of the deposit belongs to the leecher. A seeder counts towards the cooperative close only once it has redeemed
/// something, so it should redeem its first voucher promptly.
///
/// NOTE: With several seeders, the vouchers of one escrow can add up to more than its deposit: a seeder is paid from
/// its own reservation first, then first come, first served from what no seeder reserved (`remaining`).
///
/// NOTE: {settleClose} reverts while the leecher rejects ETH; the seeder then uses {redeemBatch} and
/// {waiveChallenge}. Payments are pushed: an address that rejects ETH only blocks its own payment.
contract CheckpointEscrow is ICheckpointEscrow, EIP712, Ownable2Step, Pausable, ReentrancyGuardTransient {
    /// @dev The EIP-712 domain, as `escrowDomain` in `sdk/src/eip712.ts`.
    string private constant DOMAIN_NAME = "Web3Torrent CheckpointEscrow";
    string private constant DOMAIN_VERSION = "1";

    /// @notice The EIP-712 type of a voucher, as `voucherTypes` in `sdk/src/eip712.ts`.
    bytes32 public constant VOUCHER_TYPEHASH =
        keccak256("Voucher(uint256 escrowId,address seeder,uint256 cumulativeBytes,uint256 cumulativeAmount)");

    /// @notice The EIP-712 type of the session key's close, as `closeTypes` in `sdk/src/eip712.ts`.
    bytes32 public constant CLOSE_TYPEHASH = keccak256("Close(uint256 escrowId)");

    /// @notice Shortest challenge window: long enough to get a transaction in.
    uint32 public constant MIN_CHALLENGE_WINDOW = 1 minutes;
    /// @notice Longest challenge window: short enough not to lock a leecher's refund for long.
    uint32 public constant MAX_CHALLENGE_WINDOW = 7 days;

    /// @notice The largest price per MiB an escrow stores (2^96 - 1 wei, far above any price that can be funded).
    uint256 public constant MAX_PRICE_PER_MIB = type(uint96).max;

    /// @notice Shortest idle expiry, after which anyone may close an inactive escrow.
    uint32 public constant MIN_IDLE_EXPIRY = 1 days;
    /// @notice Longest idle expiry, after which anyone may close an inactive escrow.
    uint32 public constant MAX_IDLE_EXPIRY = 365 days;

    /// @notice Where licenses and content sizes are read.
    ILicenseMarket public immutable market;

    /// @notice The challenge window given to an escrow when it is closed (copied into its `closesAt`).
    uint32 public challengeWindow;

    /// @notice Seconds without open, redemption or release after which anyone may close an escrow.
    uint32 public idleExpiry;

    /// @notice The id of the last escrow opened (ids start at 1).
    uint256 public escrowCount;

    mapping(uint256 escrowId => Escrow) private _escrows;
    mapping(uint256 escrowId => mapping(address seeder => Redemption)) private _redemptions;

    /// @notice Deploys the escrow bound to `market_`, with the initial challenge window and idle expiry.
    /// @param initialOwner The admin (challenge window, idle expiry, pause).
    /// @param market_ The license market that says who may open an escrow and how large the content is.
    /// @param challengeWindow_ The challenge window in seconds (the deployment uses 1 hour).
    /// @param idleExpiry_ The idle expiry in seconds (the deployment uses 7 days).
    constructor(address initialOwner, ILicenseMarket market_, uint32 challengeWindow_, uint32 idleExpiry_)
        EIP712(DOMAIN_NAME, DOMAIN_VERSION)
        Ownable(initialOwner)
    {
        if (address(market_) == address(0)) revert ZeroMarket();
        market = market_;
        _setChallengeWindow(challengeWindow_);
        _setIdleExpiry(idleExpiry_);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Leecher
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Opens an escrow for downloading up to `maxBytes` of `contentId` at up to `pricePerMiB` wei per MiB,
    /// with `sessionKey` (a plain key, see {SessionKeySignature}) signing the vouchers. The whole `msg.value` is the deposit;
    /// it must cover `maxBytes` at `pricePerMiB`, and whatever is not paid out comes back at the refund.
    /// @dev The caller must hold a license of `contentId`; `sessionKey` must have no code (`SessionKeyHasCode`).
    /// Blocked while paused.
    /// @return escrowId The new escrow's id.
    function open(
        uint256 contentId,
        uint64 maxBytes,
        uint128 pricePerMiB,
        address sessionKey,
        CheckpointSchedule.Mode mode
    ) external payable whenNotPaused returns (uint256 escrowId) {
        (bool licensed, uint256 size) = market.licenseInfo(msg.sender, contentId);
        if (!licensed) revert NoLicense(msg.sender, contentId);
        if (maxBytes == 0 || maxBytes > size) revert MaxBytesOutOfRange(maxBytes, size);
        if (pricePerMiB == 0 || pricePerMiB > MAX_PRICE_PER_MIB) {
            revert PricePerMiBOutOfRange(pricePerMiB, MAX_PRICE_PER_MIB);
        }
        if (sessionKey == address(0)) revert ZeroSessionKey();
        SessionKeySignature.requirePlainKey(sessionKey);
        uint256 required = CheckpointSchedule.amountFor(maxBytes, pricePerMiB);
        if (msg.value < required) revert InsufficientDeposit(required, msg.value);
        uint96 deposit = SafeCast.toUint96(msg.value);

        escrowId = ++escrowCount;
        _escrows[escrowId] = Escrow({
            unpaid: deposit,
            maxBytes: maxBytes,
            lastActivity: uint40(block.timestamp),
            status: Status.Open,
            mode: mode,
            seeders: 0,
            sessionKey: sessionKey,
            pricePerMiB: uint96(pricePerMiB), // checked against MAX_PRICE_PER_MIB above
            leecher: msg.sender,
            deposit: deposit,
            closesAt: 0,
            waivers: 0,
            reserved: 0,
            contentId: contentId
        });
        emit EscrowOpened(escrowId, msg.sender, contentId, sessionKey, mode, maxBytes, pricePerMiB, deposit);
    }

    /// @notice Pays `seeder` on-chain, without a voucher, up to checkpoint `cumulativeBytes` of the escrow's
    /// schedule: the price of `cumulativeBytes` at the seeder's `pricePerMiB` minus what the seeder has already
    /// redeemed (vouchers and releases share one record), capped by what is left of the deposit (its own reservation
    /// included), then reserves its next interval as {redeemAndReserve} does. In upfront mode the only checkpoint is
    /// `maxBytes`, released at the start.
    /// @dev Only the leecher; the escrow must be open or closing within its window.
    /// @param pricePerMiB The seeder's price, at most the escrow's cap: a leecher paying by transactions pays a
    /// cheaper seeder its own price, as its vouchers would, not the cap.
    function release(uint256 escrowId, address seeder, uint256 cumulativeBytes, uint256 pricePerMiB)
        external
        nonReentrant
    {
        Escrow storage e = _escrows[escrowId];
        if (msg.sender != e.leecher) revert CallerNotLeecher(msg.sender);
        _requireRedeemable(e, e.status, escrowId);
        if (seeder == address(0)) revert ZeroSeeder();
        if (!CheckpointSchedule.isCheckpoint(e.mode, cumulativeBytes, e.maxBytes)) {
            revert NotACheckpoint(cumulativeBytes);
        }
        if (pricePerMiB > e.pricePerMiB) revert PricePerMiBOutOfRange(pricePerMiB, e.pricePerMiB);
        uint256 cumulativeAmount = CheckpointSchedule.amountFor(cumulativeBytes, pricePerMiB);
        Redemption storage r = _redemptions[escrowId][seeder];
        uint256 alreadyRedeemed = r.amount;
        if (cumulativeAmount <= alreadyRedeemed) revert CheckpointNotNewer(cumulativeAmount, alreadyRedeemed);
        if (r.waived) revert SeederWaived(escrowId, seeder);

        uint256 amount = _credit(e, r, cumulativeBytes, cumulativeAmount, alreadyRedeemed);
        if (amount == 0) revert DepositExhausted(escrowId);
        emit CheckpointReleased(escrowId, seeder, cumulativeBytes, amount);
        // As a voucher redeemed with {redeemAndReserve}: the seeder serves on only against a reservation.
        if (e.status == Status.Open) _reserveNextInterval(escrowId, seeder);
        _payOrRevert(seeder, amount);
    }

    /// @notice Starts the end of an escrow: redemptions stay possible for the challenge window now in force,
    /// then the rest of the deposit can be refunded.
    /// @dev The leecher at any time; anyone once the escrow has had no open, redemption or release for
    /// `idleExpiry` seconds. The escrow must be open.
    function close(uint256 escrowId) external {
        Escrow storage e = _escrows[escrowId];
        if (e.status != Status.Open) revert EscrowNotOpen(escrowId);
        if (msg.sender != e.leecher) {
            uint256 idleAt = uint256(e.lastActivity) + idleExpiry;
            if (block.timestamp < idleAt) revert EscrowNotIdle(escrowId, idleAt);
        }
        _close(e, escrowId);
    }

    /// @notice Closes the escrow, as {close} by the leecher, on the strength of its session key's EIP-712
    /// `Close(escrowId)`: the leecher closes without a wallet prompt and anyone (in practice its seeder) submits it.
    /// It only starts the challenge window; the refund still waits for it, or for every paid seeder's waiver.
    /// @dev The escrow must be open; `signature` must be the session key's ECDSA signature of `hashClose(escrowId)`.
    function closeWithSignature(uint256 escrowId, bytes calldata signature) external {
        _closeWithSignature(escrowId, signature);
    }

    /// @notice A seeder's end of a download in one transaction: closes the escrow with the session key's signed
    /// `Close` (unless it is closing already), redeems the seeder's last voucher (skipped when not newer than what it
    /// redeemed), waives the seeder's challenge window (when it has redeemed something) and, when every seeder that
    /// has redeemed has now waived, refunds the leecher at once.
    /// @dev Only `v.seeder`, as the waiver is the sender's. The escrow must be open (then `closeSignature` is
    /// checked) or closing within its window. Reverts on the same voucher checks as {redeemBatch}.
    /// @return paid The wei paid to the seeder by its voucher.
    /// @return refunded The wei refunded to the leecher (zero when other seeders keep their window).
    function settleClose(Voucher calldata v, bytes calldata voucherSignature, bytes calldata closeSignature)
        external
        nonReentrant
        returns (uint256 paid, uint256 refunded)
    {
        if (msg.sender != v.seeder) revert CallerNotSeeder(msg.sender, v.seeder);
        uint256 escrowId = v.escrowId;
        Escrow storage e = _escrows[escrowId];
        if (e.status == Status.Open) _closeWithSignature(escrowId, closeSignature);
        _requireRedeemable(e, e.status, escrowId);
        paid = _redeem(v, voucherSignature, true);
        Redemption storage r = _redemptions[escrowId][msg.sender];
        if (r.amount != 0 && !r.waived) _waive(e, r, escrowId);
        _payOrRevert(msg.sender, paid);
        if (_allWaived(e)) refunded = _refund(e, escrowId);
    }

    /// @notice Refunds the rest of the deposit (`deposit - paid`) to the leecher and ends the escrow.
    /// @dev Anyone, once the escrow is closing and either its challenge window has passed or every seeder that has
    /// redeemed from it (at least one) has waived its window.
    function refund(uint256 escrowId) external nonReentrant {
        Escrow storage e = _escrows[escrowId];
        if (e.status != Status.Closing) revert EscrowNotClosing(escrowId);
        if (block.timestamp < e.closesAt && !_allWaived(e)) revert ChallengeWindowOpen(escrowId, e.closesAt);
        _refund(e, escrowId);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Seeders
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Redeems a voucher: pays `v.seeder` the voucher's `cumulativeAmount` minus what it has already
    /// redeemed from the escrow, capped by what is left of the deposit. Anyone may submit it.
    /// @dev The escrow must be open or closing within its window; `signature` must be the escrow's session key's
    /// ECDSA signature of `hashVoucher(v)`.
    function redeem(Voucher calldata v, bytes calldata signature) external nonReentrant {
        _payOrRevert(v.seeder, _redeem(v, signature, false));
    }

    /// @notice Redeems a voucher as {redeemBatch} does for one, then, while the escrow is open, reserves for
    /// `v.seeder` the price of its next interval: from the bytes it has redeemed to the next checkpoint of the
    /// schedule, at the seeder's price as its redeemed record shows it (`CheckpointSchedule.reservationFor`: exact for
    /// a voucher at a checkpoint, else an upper bound within the cap), taken from what no seeder has reserved (less
    /// when less is left). The seeder's previous reservation goes back first. Only this seeder's vouchers (and the
    /// leecher's releases to it) are paid from the reservation; the refund returns what is left of it to the leecher.
    /// A seeder calls this at each checkpoint before serving on.
    /// @dev Anyone may submit it, as {redeem}. A voucher someone else redeemed first (or one of an exhausted deposit)
    /// is skipped with `VoucherSkipped` and the reservation is still made, so that redeeming the seeder's voucher
    /// with {redeem} ahead of it cannot deny the seeder its reservation.
    /// @return reserved The seeder's reservation now.
    function redeemAndReserve(Voucher calldata v, bytes calldata signature)
        external
        nonReentrant
        returns (uint256 reserved)
    {
        uint256 amount = _redeem(v, signature, true);
        if (_escrows[v.escrowId].status == Status.Open) reserved = _reserveNextInterval(v.escrowId, v.seeder);
        _payOrRevert(v.seeder, amount);
    }

    /// @notice Redeems several vouchers of one seeder (any escrows) with a single transfer at the end. A voucher that
    /// others have made unpayable is skipped with `VoucherSkipped` instead of failing the batch: one already
    /// redeemed (by anyone, or earlier in the batch), one of an escrow that exists but is past its challenge window
    /// or refunded, one whose escrow has nothing left. A voucher that fails any other check of `redeem` (signature,
    /// bytes, price, unknown escrow, waived record: the seeder's own mistakes) reverts the whole batch.
    /// @param seeder The seeder named by every voucher.
    /// @param signatures `signatures[i]` is the session key's signature of `vouchers[i]`.
    /// @return paid The wei sent to `seeder`: the sum over the vouchers not skipped.
    function redeemBatch(address seeder, Voucher[] calldata vouchers, bytes[] calldata signatures)
        external
        nonReentrant
        returns (uint256 paid)
    {
        uint256 count = vouchers.length;
        if (count == 0) revert EmptyBatch();
        if (count != signatures.length) revert LengthMismatch(count, signatures.length);
        for (uint256 i; i < count; ++i) {
            Voucher calldata v = vouchers[i];
            if (v.seeder != seeder) revert SeederMismatch(seeder, v.seeder);
            paid += _redeem(v, signatures[i], true);
        }
        _payOrRevert(seeder, paid);
    }

    /// @notice Gives up the rest of the caller's challenge window on a closing escrow, so that the leecher can be
    /// refunded at once when every seeder that has redeemed from it has done the same. The caller's record is final
    /// afterwards: it can redeem nothing more from this escrow.
    /// @dev Only a seeder that has redeemed a non-zero amount from the escrow, once.
    function waiveChallenge(uint256 escrowId) external {
        Escrow storage e = _escrows[escrowId];
        if (e.status != Status.Closing) revert EscrowNotClosing(escrowId);
        Redemption storage r = _redemptions[escrowId][msg.sender];
        if (r.amount == 0) revert NothingRedeemed(escrowId, msg.sender);
        if (r.waived) revert SeederWaived(escrowId, msg.sender);
        _waive(e, r, escrowId);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Admin
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Sets the challenge window given to escrows closed from now on (escrows already closing keep theirs).
    /// @dev Only the owner; within [MIN_CHALLENGE_WINDOW, MAX_CHALLENGE_WINDOW].
    function setChallengeWindow(uint32 newWindow) external onlyOwner {
        _setChallengeWindow(newWindow);
    }

    /// @notice Sets the idle time after which anyone may close an escrow.
    /// @dev Only the owner; within [MIN_IDLE_EXPIRY, MAX_IDLE_EXPIRY].
    function setIdleExpiry(uint32 newExpiry) external onlyOwner {
        _setIdleExpiry(newExpiry);
    }

    /// @notice Stops new escrows from being opened. Redemptions, releases, closes and refunds continue.
    /// @dev Only the owner.
    function pause() external onlyOwner {
        _pause();
    }

    /// @notice Allows escrows to be opened again.
    /// @dev Only the owner.
    function unpause() external onlyOwner {
        _unpause();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------------------

    /// @notice The stored state of escrow `escrowId` (all zero, status `None`, for an id never opened).
    function escrow(uint256 escrowId) external view returns (Escrow memory) {
        return _escrows[escrowId];
    }

    /// @notice What `seeder` has redeemed from `escrowId` (amount and bytes, cumulative), whether it waived, and what
    /// the escrow holds reserved for its next interval.
    function redeemedBy(uint256 escrowId, address seeder) external view returns (Redemption memory) {
        return _redemptions[escrowId][seeder];
    }

    /// @notice The part of the deposit not yet paid out nor reserved by a seeder: what any seeder can still be paid
    /// (zero once refunded or for an unknown id). A seeder's own reservation is in `redeemedBy(...).reserved`.
    function remaining(uint256 escrowId) external view returns (uint256) {
        Escrow storage e = _escrows[escrowId];
        if (e.status != Status.Open && e.status != Status.Closing) return 0;
        return e.unpaid;
    }

    /// @notice The EIP-712 digest the session key signs for voucher `v` (bound to this contract and chain).
    /// @dev The words are hashed as passed: a `seeder` word with dirty upper bits gives a digest no wallet signs,
    /// and `redeem` rejects it anyway (it reads `v.seeder`, which Solidity validates, before hashing).
    function hashVoucher(Voucher calldata v) public view returns (bytes32) {
        bytes32 typeHash = VOUCHER_TYPEHASH;
        bytes32 structHash;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // keccak256(abi.encode(VOUCHER_TYPEHASH, v)) without allocating: the type hash and the voucher's four
            // calldata words are written past the free memory pointer, which stays where it is (about 300 gas less
            // per voucher than abi.encode).
            let ptr := mload(0x40)
            mstore(ptr, typeHash)
            calldatacopy(add(ptr, 0x20), v, 0x80)
            structHash := keccak256(ptr, 0xa0)
        }
        return _hashTypedDataV4(structHash);
    }

    /// @notice The EIP-712 digest the session key signs to close `escrowId` (bound to this contract and chain).
    function hashClose(uint256 escrowId) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(CLOSE_TYPEHASH, escrowId)));
    }

    /// @notice The number of checkpoints of the escrow's schedule.
    function checkpointCount(uint256 escrowId) external view returns (uint256) {
        Escrow storage e = _existing(escrowId);
        return CheckpointSchedule.checkpointCount(e.mode, e.maxBytes);
    }

    /// @notice Checkpoint `index` (cumulative bytes) of the escrow's schedule; the last one is `maxBytes`.
    function checkpointAt(uint256 escrowId, uint256 index) external view returns (uint256) {
        Escrow storage e = _existing(escrowId);
        return CheckpointSchedule.checkpointAt(e.mode, index, e.maxBytes);
    }

    /// @notice The byte count at which a seeder that has served `servedBytes` stops and asks for a voucher.
    function nextCheckpoint(uint256 escrowId, uint256 servedBytes) external view returns (uint256) {
        Escrow storage e = _existing(escrowId);
        return CheckpointSchedule.nextCheckpoint(e.mode, servedBytes, e.maxBytes);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------------------

    /// @dev Checks voucher `v` and books its payment; the caller transfers it. With `skipStale` (a batch), a voucher
    /// that others have made unpayable (see {SkipReason}) books nothing and emits `VoucherSkipped` instead of
    /// reverting; every other check reverts either way.
    function _redeem(Voucher calldata v, bytes calldata signature, bool skipStale) private returns (uint256 amount) {
        Escrow storage e = _escrows[v.escrowId];
        if (!_checkVoucher(e, v, signature)) {
            // An id never opened is the submitter's mistake, not a state anyone else can bring about.
            if (!skipStale || e.status == Status.None) revert EscrowNotRedeemable(v.escrowId);
            _skip(v, SkipReason.NotRedeemable);
            return 0;
        }
        Redemption storage r = _redemptions[v.escrowId][v.seeder];
        uint256 alreadyRedeemed = r.amount;
        bool waived = r.waived;
        if (v.cumulativeAmount <= alreadyRedeemed) {
            if (!skipStale) revert VoucherNotNewer(v.cumulativeAmount, alreadyRedeemed);
            _skip(v, SkipReason.NotNewer);
            return 0;
        }
        if (waived) revert SeederWaived(v.escrowId, v.seeder);

        amount = _credit(e, r, v.cumulativeBytes, v.cumulativeAmount, alreadyRedeemed);
        if (amount == 0) {
            if (!skipStale) revert DepositExhausted(v.escrowId);
            _skip(v, SkipReason.DepositExhausted);
            return 0;
        }
        emit VoucherRedeemed(v.escrowId, v.seeder, v.cumulativeBytes, v.cumulativeAmount, amount);
    }

    /// @dev Records that a batch passed over voucher `v`.
    function _skip(Voucher calldata v, SkipReason reason) private {
        emit VoucherSkipped(
            v.escrowId, v.seeder, v.cumulativeAmount, _redemptions[v.escrowId][v.seeder].amount, reason
        );
    }

    /// @dev The checks of a voucher that do not involve the seeder's record. Returns false, having checked nothing
    /// else, when the escrow does not pay (yet to be opened, past its challenge window or refunded).
    function _checkVoucher(Escrow storage e, Voucher calldata v, bytes calldata signature)
        private
        view
        returns (bool redeemable)
    {
        uint256 maxBytes = e.maxBytes;
        if (!_isRedeemable(e, e.status)) return false;
        if (v.seeder == address(0)) revert ZeroSeeder();
        address sessionKey = e.sessionKey;
        uint256 pricePerMiB = e.pricePerMiB;
        if (!SessionKeySignature.isSignedBy(sessionKey, hashVoucher(v), signature)) {
            revert InvalidVoucherSignature(v.escrowId);
        }
        if (v.cumulativeBytes > maxBytes) revert BytesOverMax(v.cumulativeBytes, maxBytes);
        uint256 maxAmount = CheckpointSchedule.amountFor(v.cumulativeBytes, pricePerMiB);
        if (v.cumulativeAmount > maxAmount) revert VoucherOverPrice(v.cumulativeAmount, maxAmount);
        return true;
    }

    /// @dev Books `cumulativeAmount - alreadyRedeemed` (capped by what is left of the deposit) to the seeder's record
    /// `r` and to the escrow, and returns it; books nothing and returns zero when nothing is left (the caller decides
    /// whether that reverts). Both callers have checked `cumulativeBytes <= maxBytes` (a uint64), that the amount
    /// is above `alreadyRedeemed` and that the seeder has not waived.
    function _credit(
        Escrow storage e,
        Redemption storage r,
        uint256 cumulativeBytes,
        uint256 cumulativeAmount,
        uint256 alreadyRedeemed
    ) private returns (uint256 amount) {
        uint256 unpaid = e.unpaid;
        uint256 seeders = e.seeders;
        uint256 reservation = r.reserved;
        amount = Math.min(cumulativeAmount - alreadyRedeemed, reservation + unpaid);
        if (amount == 0) return 0;
        // The seeder's own reservation pays first; no one else's is touched. Written only when there is one, so
        // that a redemption without reservation costs what it did before reservations.
        uint256 fromUnpaid = amount;
        if (reservation != 0) {
            uint256 fromReservation = Math.min(amount, reservation);
            fromUnpaid = amount - fromReservation;
            r.reserved = uint88(reservation - fromReservation);
            e.reserved -= uint96(fromReservation);
        }

        // The narrowing casts fit: amount <= unpaid; a seeder's record is a sum of payments from one uint96 deposit;
        // the seeder count grows by one per address.
        uint256 newBytes = Math.max(cumulativeBytes, r.cumulativeBytes);
        seeders += SafeCast.toUint(alreadyRedeemed == 0); // branch-free, so the slot is stored once
        r.amount = uint96(alreadyRedeemed + amount);
        r.cumulativeBytes = uint64(newBytes);
        e.unpaid = uint96(unpaid - fromUnpaid);
        e.lastActivity = uint40(block.timestamp);
        e.seeders = uint32(seeders);
    }

    /// @dev Starts the challenge window of the open escrow `e`.
    function _close(Escrow storage e, uint256 escrowId) private {
        uint40 closesAt = uint40(block.timestamp + challengeWindow);
        e.status = Status.Closing;
        e.closesAt = closesAt;
        emit EscrowClosing(escrowId, closesAt);
    }

    /// @dev Closes the open escrow on its session key's signed `Close(escrowId)`.
    function _closeWithSignature(uint256 escrowId, bytes calldata signature) private {
        Escrow storage e = _escrows[escrowId];
        if (e.status != Status.Open) revert EscrowNotOpen(escrowId);
        if (!SessionKeySignature.isSignedBy(e.sessionKey, hashClose(escrowId), signature)) {
            revert InvalidCloseSignature(escrowId);
        }
        emit CloseSignatureUsed(escrowId, msg.sender);
        _close(e, escrowId);
    }

    /// @dev Records the sender's waiver; the caller has checked that it redeemed something and has not waived.
    function _waive(Escrow storage e, Redemption storage r, uint256 escrowId) private {
        r.waived = true;
        ++e.waivers;
        emit ChallengeWaived(escrowId, msg.sender);
    }

    /// @dev Ends the closing escrow and pays the leecher what is left; the caller has checked that it may.
    function _refund(Escrow storage e, uint256 escrowId) private returns (uint256 amount) {
        e.status = Status.Closed;
        amount = uint256(e.unpaid) + e.reserved; // reservations not used go back to the leecher
        address leecher = e.leecher;
        emit EscrowRefunded(escrowId, leecher, amount);
        _payOrRevert(leecher, amount);
    }

    /// @dev Replaces the seeder's reservation by the price of its next interval (see {redeemAndReserve}), capped by
    /// what no other seeder has reserved and by `type(uint88).max`; returns it. Keeps `e.reserved` the sum of the
    /// reservations and `unpaid + reserved` unchanged.
    function _reserveNextInterval(uint256 escrowId, address seeder) private returns (uint256 reserved) {
        Escrow storage e = _escrows[escrowId];
        Redemption storage r = _redemptions[escrowId][seeder];
        uint256 redeemedBytes = r.cumulativeBytes;
        uint256 until = CheckpointSchedule.nextCheckpoint(e.mode, redeemedBytes, e.maxBytes);
        uint256 wanted = CheckpointSchedule.reservationFor(redeemedBytes, r.amount, until, e.pricePerMiB);
        uint256 previous = r.reserved;
        uint256 available = uint256(e.unpaid) + previous;
        reserved = Math.min(Math.min(wanted, available), type(uint88).max);
        // The narrowing casts fit: reserved <= available <= unpaid + reserved total, both parts of one uint96 deposit.
        r.reserved = uint88(reserved);
        e.unpaid = uint96(available - reserved);
        e.reserved = uint96(e.reserved - previous + reserved);
        emit IntervalReserved(escrowId, seeder, until, reserved);
    }

    /// @dev Pushes `amount` wei to `to` with all gas and reverts if it is refused (see {PayoutWithFallback} for the
    /// policy that defers instead): a recipient that rejects it fails only its own call.
    function _payOrRevert(address to, uint256 amount) private {
        if (amount == 0) return;
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }

    /// @dev `status` is `e.status`, read by the caller together with the other fields of its slot.
    function _requireRedeemable(Escrow storage e, Status status, uint256 escrowId) private view {
        if (!_isRedeemable(e, status)) revert EscrowNotRedeemable(escrowId);
    }

    /// @dev Whether the escrow pays seeders: open, or closing within its challenge window.
    function _isRedeemable(Escrow storage e, Status status) private view returns (bool) {
        return status == Status.Open || (status == Status.Closing && block.timestamp < e.closesAt);
    }

    function _allWaived(Escrow storage e) private view returns (bool) {
        uint32 seeders = e.seeders;
        return seeders != 0 && e.waivers == seeders;
    }

    function _existing(uint256 escrowId) private view returns (Escrow storage e) {
        e = _escrows[escrowId];
        if (e.status == Status.None) revert EscrowNotFound(escrowId);
    }

    function _setChallengeWindow(uint32 newWindow) private {
        if (newWindow < MIN_CHALLENGE_WINDOW || newWindow > MAX_CHALLENGE_WINDOW) {
            revert ChallengeWindowOutOfRange(newWindow, MIN_CHALLENGE_WINDOW, MAX_CHALLENGE_WINDOW);
        }
        emit ChallengeWindowUpdated(challengeWindow, newWindow);
        challengeWindow = newWindow;
    }

    function _setIdleExpiry(uint32 newExpiry) private {
        if (newExpiry < MIN_IDLE_EXPIRY || newExpiry > MAX_IDLE_EXPIRY) {
            revert IdleExpiryOutOfRange(newExpiry, MIN_IDLE_EXPIRY, MAX_IDLE_EXPIRY);
        }
        emit IdleExpiryUpdated(idleExpiry, newExpiry);
        idleExpiry = newExpiry;
    }
}
