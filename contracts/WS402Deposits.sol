// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IWS402Deposits} from "./interfaces/IWS402Deposits.sol";
import {SessionKeySignature} from "./utils/SessionKeySignature.sol";
import {PayoutWithFallback} from "./utils/PayoutWithFallback.sol";

/**
 * @title WS402Deposits
 * @notice Time-metered access to WS402 resources (a PDF, a stream, a live session) with refunds.
 *
 * A provider registers a resource with a price per second. A user opens a session with a deposit of
 * `pricePerSecond × maxSeconds` and an ephemeral session key. While the resource is in use, the session key signs
 * cumulative EIP-712 `Usage(sessionId, elapsedSeconds)` receipts for the provider's gateway. The provider settles with
 * the latest receipt: it is paid `min(elapsedSeconds, maxSeconds) × pricePerSecond` and the rest of the deposit goes
 * back to the user. If the gateway never settles, the user calls {requestClose}; the provider may still settle during
 * the grace period, and after it the user may {reclaim} the whole deposit.
 *
 * Payments are pushed with a bounded gas stipend and fall back to pull balances (see {PayoutWithFallback}), so neither
 * party's receiver can block the other's payment.
 *
 * INVARIANTS:
 *
 * - Solvent: the contract's balance is at least the sum of the deposits of open sessions plus {totalOwed}.
 * - A session pays out exactly its deposit in total (provider + user), once: it leaves the `Open` status on its
 *   only payout, and no function pays a session that is not `Open`.
 * - The provider receives at most `maxSeconds × pricePerSecond` from a session, at the price of the session's opening.
 * - A usage signature is bound to this contract and chain (EIP-712 domain) and to one session (`sessionId` in the
 *   message), so it cannot be replayed on another session, deployment or chain.
 * - A receipt the session key signed with ECDSA settles whatever code the key's address holds later: the provider
 *   can always be paid for the seconds the key signed (see {SessionKeySignature}).
 *
 * NOTE: The user trusts the provider's gateway for the seconds charged, up to what the session key has signed: any
 * receipt the key signed can be settled, so a client signs only the seconds it was served (the sdk's client: its own
 * clock plus 2 s). The provider serves at most one usage interval plus that tolerance unpaid. See
 * docs/THREAT_MODEL.md, "Off-chain: WS402 gateway".
 *
 * NOTE: After the grace period the session stays `Open` until someone acts: the provider may still {settle} and the
 * user may {reclaim}, and whichever transaction lands first wins. A provider must settle within the grace period
 * that follows a {CloseRequested} event to be sure of its pay.
 *
 * NOTE: A session key is a plain key: {open} refuses an address with code (`SessionKeyHasCode`) and receipts are
 * checked by ECDSA only (see {SessionKeySignature}), so a user cannot disown signed receipts through ERC-1271 or an
 * EIP-7702 delegation.
 *
 * NOTE: The deposit is exact: {open} rejects any other `msg.value` (use {depositFor}), so no excess is ever held.
 *
 * NOTE: A payment that cannot be pushed (the recipient reverts, or needs more than {PAYOUT_GAS_STIPEND} gas, as some
 * smart wallets do) is not lost: it waits in {owed} until the recipient calls {withdraw}.
 *
 * NOTE: A price change by the provider applies only to sessions opened afterwards; a payout change applies to the
 * settlements of open sessions too.
 */
contract WS402Deposits is IWS402Deposits, EIP712, Ownable2Step, Pausable, ReentrancyGuardTransient, PayoutWithFallback {
    /// @notice The shortest grace period the owner may set.
    uint32 public constant MIN_GRACE_PERIOD = 30 seconds;

    /// @notice The longest grace period the owner may set.
    uint32 public constant MAX_GRACE_PERIOD = 1 days;

    /// @notice EIP-712 type hash of the receipt; the type string matches `usageTypes` in the sdk's eip712.ts.
    bytes32 public constant USAGE_TYPEHASH = keccak256("Usage(uint256 sessionId,uint256 elapsedSeconds)");

    string private constant DOMAIN_NAME = "Web3Torrent WS402Deposits";
    string private constant DOMAIN_VERSION = "1";

    /// @notice Seconds between {requestClose} and the earliest {reclaim}, for closes requested from now on.
    uint32 public gracePeriod;

    /// @notice The number of resources registered; also the id of the latest one.
    uint256 public resourceCount;

    /// @notice The number of sessions opened; also the id of the latest one.
    uint256 public sessionCount;

    mapping(uint256 resourceId => Resource) private _resources;
    mapping(uint256 sessionId => Session) private _sessions;

    /// @notice Deploys with `initialOwner` as admin and the grace period given to closes requested from now on.
    /// @param initialOwner May set the grace period and pause new registrations and sessions.
    /// @param initialGracePeriod Seconds, within [MIN_GRACE_PERIOD, MAX_GRACE_PERIOD].
    constructor(address initialOwner, uint32 initialGracePeriod)
        EIP712(DOMAIN_NAME, DOMAIN_VERSION)
        Ownable(initialOwner)
    {
        _setGracePeriod(initialGracePeriod);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Admin
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IWS402Deposits
    function setGracePeriod(uint32 newGracePeriod) external onlyOwner {
        _setGracePeriod(newGracePeriod);
    }

    /// @inheritdoc IWS402Deposits
    function pause() external onlyOwner {
        _pause();
    }

    /// @inheritdoc IWS402Deposits
    function unpause() external onlyOwner {
        _unpause();
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Resources
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IWS402Deposits
    function registerResource(uint128 pricePerSecond, address payout, string calldata metadataURI)
        external
        whenNotPaused
        returns (uint256 resourceId)
    {
        _checkTerms(pricePerSecond, payout);
        resourceId = ++resourceCount;
        _resources[resourceId] =
            Resource({provider: msg.sender, payout: payout, pricePerSecond: pricePerSecond, metadataURI: metadataURI});
        emit ResourceRegistered(resourceId, msg.sender, payout, pricePerSecond, metadataURI);
    }

    /// @inheritdoc IWS402Deposits
    function updateResource(uint256 resourceId, uint128 pricePerSecond, address payout, string calldata metadataURI)
        external
    {
        Resource storage stored = _resources[resourceId];
        address provider = stored.provider;
        if (provider == address(0)) revert UnknownResource(resourceId);
        if (msg.sender != provider) revert NotResourceProvider(resourceId, msg.sender);
        _checkTerms(pricePerSecond, payout);
        stored.payout = payout;
        stored.pricePerSecond = pricePerSecond;
        stored.metadataURI = metadataURI;
        emit ResourceUpdated(resourceId, provider, payout, pricePerSecond, metadataURI);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Sessions
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IWS402Deposits
    function open(uint256 resourceId, uint32 maxSeconds, address sessionKey)
        external
        payable
        whenNotPaused
        nonReentrant
        returns (uint256 sessionId)
    {
        if (maxSeconds == 0) revert ZeroMaxSeconds();
        if (sessionKey == address(0)) revert ZeroSessionKey();
        SessionKeySignature.requirePlainKey(sessionKey);
        // A registered resource always has a non-zero price, so a zero price means the id was never registered.
        uint128 pricePerSecond = _resources[resourceId].pricePerSecond;
        if (pricePerSecond == 0) revert UnknownResource(resourceId);
        uint256 deposit = uint256(pricePerSecond) * maxSeconds;
        if (msg.value != deposit) revert IncorrectDeposit(deposit, msg.value);

        sessionId = ++sessionCount;
        _sessions[sessionId] = Session({
            user: msg.sender,
            openedAt: uint40(block.timestamp),
            closeDeadline: 0,
            status: SessionStatus.Open,
            sessionKey: sessionKey,
            maxSeconds: maxSeconds,
            // Registered ids never exceed resourceCount, which cannot reach 2^64 one registration at a time.
            resourceId: uint64(resourceId),
            pricePerSecond: pricePerSecond
        });
        emit SessionOpened(sessionId, resourceId, msg.sender, sessionKey, pricePerSecond, maxSeconds, deposit);
    }

    /// @inheritdoc IWS402Deposits
    /// @dev Allowed while the session is `Open`: before a close request, during its grace period, and after it until
    /// the user has reclaimed (see the race NOTE on the contract).
    function settle(uint256 sessionId, uint256 elapsedSeconds, bytes calldata signature) external nonReentrant {
        Session memory s = _sessions[sessionId];
        if (s.status != SessionStatus.Open) revert SessionNotOpen(sessionId, s.status);
        Resource storage r = _resources[s.resourceId];
        // Only the provider: a user settling early with a small receipt would cheat the provider of later seconds.
        if (msg.sender != r.provider) revert NotResourceProvider(s.resourceId, msg.sender);
        if (
            elapsedSeconds != 0
                && !SessionKeySignature.isSignedBy(s.sessionKey, _hashUsage(sessionId, elapsedSeconds), signature)
        ) revert InvalidUsageSignature(sessionId, s.sessionKey);

        uint256 charged = elapsedSeconds < s.maxSeconds ? elapsedSeconds : s.maxSeconds;
        uint256 paidToProvider = charged * s.pricePerSecond;
        uint256 refundedToUser = (s.maxSeconds - charged) * s.pricePerSecond;

        _sessions[sessionId].status = SessionStatus.Settled;
        emit SessionSettled(sessionId, charged, paidToProvider, refundedToUser);

        _payOrDefer(r.payout, paidToProvider);
        _payOrDefer(s.user, refundedToUser);
    }

    /// @inheritdoc IWS402Deposits
    function requestClose(uint256 sessionId) external {
        Session storage s = _sessions[sessionId];
        _checkOpenAndUser(sessionId, s);
        uint256 deadline = s.closeDeadline;
        if (deadline != 0) revert CloseAlreadyRequested(sessionId, deadline);
        // The grace period in force now is fixed into the deadline: later owner changes cannot shorten it.
        deadline = block.timestamp + gracePeriod;
        s.closeDeadline = uint40(deadline);
        emit CloseRequested(sessionId, deadline);
    }

    /// @inheritdoc IWS402Deposits
    function reclaim(uint256 sessionId) external nonReentrant {
        Session storage s = _sessions[sessionId];
        _checkOpenAndUser(sessionId, s);
        uint256 deadline = s.closeDeadline;
        if (deadline == 0) revert CloseNotRequested(sessionId);
        if (block.timestamp < deadline) revert GracePeriodNotOver(sessionId, deadline);

        uint256 amount = uint256(s.pricePerSecond) * s.maxSeconds;
        s.status = SessionStatus.Reclaimed;
        emit SessionReclaimed(sessionId, amount);

        _payOrDefer(msg.sender, amount);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IWS402Deposits
    /// @dev An id never opened returns an all-zero session (status `None`).
    function session(uint256 sessionId) external view returns (Session memory) {
        return _sessions[sessionId];
    }

    /// @inheritdoc IWS402Deposits
    /// @dev An id never registered returns an all-zero resource.
    function resource(uint256 resourceId) external view returns (Resource memory) {
        return _resources[resourceId];
    }

    /// @inheritdoc IWS402Deposits
    function depositFor(uint256 resourceId, uint32 maxSeconds) external view returns (uint256) {
        uint128 pricePerSecond = _resources[resourceId].pricePerSecond;
        if (pricePerSecond == 0) revert UnknownResource(resourceId);
        return uint256(pricePerSecond) * maxSeconds;
    }

    /// @inheritdoc IWS402Deposits
    function hashUsage(uint256 sessionId, uint256 elapsedSeconds) external view returns (bytes32) {
        return _hashUsage(sessionId, elapsedSeconds);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Internal
    // ----------------------------------------------------------------------------------------------------------------

    function _setGracePeriod(uint32 newGracePeriod) private {
        if (newGracePeriod < MIN_GRACE_PERIOD || newGracePeriod > MAX_GRACE_PERIOD) {
            revert GracePeriodOutOfBounds(newGracePeriod, MIN_GRACE_PERIOD, MAX_GRACE_PERIOD);
        }
        emit GracePeriodUpdated(gracePeriod, newGracePeriod);
        gracePeriod = newGracePeriod;
    }

    function _checkTerms(uint128 pricePerSecond, address payout) private pure {
        if (pricePerSecond == 0) revert ZeroPricePerSecond();
        if (payout == address(0)) revert ZeroPayoutAddress();
    }

    function _checkOpenAndUser(uint256 sessionId, Session storage s) private view {
        SessionStatus status = s.status;
        if (status != SessionStatus.Open) revert SessionNotOpen(sessionId, status);
        if (msg.sender != s.user) revert NotSessionUser(sessionId, msg.sender);
    }

    function _hashUsage(uint256 sessionId, uint256 elapsedSeconds) private view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(USAGE_TYPEHASH, sessionId, elapsedSeconds)));
    }
}
