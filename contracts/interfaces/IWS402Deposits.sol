// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IWS402Deposits
/// @notice Time-metered access to WS402 resources: a user deposits for up to `maxSeconds`, the provider's gateway
/// settles with the latest `Usage` receipt signed by the session key, and the rest is refunded.
interface IWS402Deposits {
    /// @notice Where a session is in its life. `None` is the state of an id that was never opened.
    enum SessionStatus {
        None,
        Open,
        Settled,
        Reclaimed
    }

    /// @notice A time-metered resource served by a WS402 gateway.
    struct Resource {
        address provider; // registers and updates the resource, and alone may settle its sessions
        address payout; // receives the provider's share of each settlement
        uint128 pricePerSecond; // wei per second for sessions opened from now on
        string metadataURI;
    }

    /// @notice One deposit for one session. Packed in three storage slots.
    struct Session {
        address user;
        uint40 openedAt;
        uint40 closeDeadline; // 0 until the user calls requestClose
        SessionStatus status;
        address sessionKey; // signs the Usage receipts (an EOA or an ERC-1271 contract)
        uint32 maxSeconds;
        uint64 resourceId;
        uint128 pricePerSecond; // the resource's price when the session was opened
    }

    /// @notice The grace period copied into sessions on requestClose changed.
    event GracePeriodUpdated(uint32 previousGracePeriod, uint32 newGracePeriod);

    /// @notice `provider` registered `resourceId`, paid to `payout` at `pricePerSecond`.
    event ResourceRegistered(
        uint256 indexed resourceId,
        address indexed provider,
        address payout,
        uint128 pricePerSecond,
        string metadataURI
    );

    /// @notice The provider of `resourceId` changed its terms (price for sessions opened from now on).
    event ResourceUpdated(
        uint256 indexed resourceId,
        address indexed provider,
        address payout,
        uint128 pricePerSecond,
        string metadataURI
    );

    /// @notice `user` deposited `deposit` for up to `maxSeconds` of `resourceId`; `sessionKey` signs its receipts.
    event SessionOpened(
        uint256 indexed sessionId,
        uint256 indexed resourceId,
        address indexed user,
        address sessionKey,
        uint128 pricePerSecond,
        uint32 maxSeconds,
        uint256 deposit
    );

    /// @notice The provider settled `sessionId`. Each amount was pushed to its recipient or, failing that, deferred
    /// (see `PaymentDeferred`).
    /// @param elapsedSeconds The seconds charged: the receipt's value capped at the session's `maxSeconds`.
    event SessionSettled(
        uint256 indexed sessionId,
        uint256 elapsedSeconds,
        uint256 paidToProvider,
        uint256 refundedToUser
    );

    /// @notice The user of `sessionId` asked to close it; it may reclaim the deposit from `deadline` (unix seconds).
    event CloseRequested(uint256 indexed sessionId, uint256 deadline);

    /// @notice The user of `sessionId` took back its whole deposit, `amount`, after the grace period.
    event SessionReclaimed(uint256 indexed sessionId, uint256 amount);

    /// @notice A grace period must lie within [minGracePeriod, maxGracePeriod].
    error GracePeriodOutOfBounds(uint32 gracePeriod, uint32 minGracePeriod, uint32 maxGracePeriod);
    /// @notice A resource's price per second must be non-zero.
    error ZeroPricePerSecond();
    /// @notice A resource's payout address must be non-zero.
    error ZeroPayoutAddress();
    /// @notice `resourceId` was never registered.
    error UnknownResource(uint256 resourceId);
    /// @notice Only the provider of `resourceId` may do this.
    error NotResourceProvider(uint256 resourceId, address caller);
    /// @notice A session must allow at least one second.
    error ZeroMaxSeconds();
    /// @notice A session needs a session key to sign its receipts.
    error ZeroSessionKey();
    /// @notice The deposit must be exactly `pricePerSecond × maxSeconds`.
    error IncorrectDeposit(uint256 expected, uint256 sent);
    /// @notice `sessionId` is not open (never opened, settled or reclaimed).
    error SessionNotOpen(uint256 sessionId, SessionStatus status);
    /// @notice Only the user who opened `sessionId` may do this.
    error NotSessionUser(uint256 sessionId, address caller);
    /// @notice The receipt is not signed by the session key for this session, seconds, contract and chain.
    error InvalidUsageSignature(uint256 sessionId, address sessionKey);
    /// @notice A close of `sessionId` was already requested; its grace period ends at `deadline`.
    error CloseAlreadyRequested(uint256 sessionId, uint256 deadline);
    /// @notice The user must request a close and wait out the grace period before reclaiming.
    error CloseNotRequested(uint256 sessionId);
    /// @notice The grace period of `sessionId` runs until `deadline`.
    error GracePeriodNotOver(uint256 sessionId, uint256 deadline);

    /// @notice Sets the grace period that later `requestClose` calls copy into their session.
    /// @dev Only the owner. Running grace periods keep the deadline they were given.
    /// @param newGracePeriod Seconds, within [MIN_GRACE_PERIOD, MAX_GRACE_PERIOD].
    function setGracePeriod(uint32 newGracePeriod) external;

    /// @notice Stops new resource registrations and new sessions. Settlement, close requests, reclaims and
    /// withdrawals keep working. Only the owner.
    function pause() external;

    /// @notice Lifts {pause}. Only the owner.
    function unpause() external;

    /// @notice Registers a resource provided by the caller.
    /// @param pricePerSecond Wei charged per second of use (non-zero).
    /// @param payout Receives the provider's share of settlements (non-zero).
    /// @param metadataURI Where clients find the resource's description and gateway.
    /// @return resourceId The new resource's id (ids start at 1).
    function registerResource(uint128 pricePerSecond, address payout, string calldata metadataURI)
        external
        returns (uint256 resourceId);

    /// @notice Changes a resource's price, payout address and metadata. Only its provider.
    /// @dev Open sessions keep the price they were opened at; the new payout receives their future settlements.
    function updateResource(uint256 resourceId, uint128 pricePerSecond, address payout, string calldata metadataURI)
        external;

    /// @notice Opens a session on `resourceId` for up to `maxSeconds`, with `sessionKey` signing its receipts.
    /// @dev `msg.value` must equal `depositFor(resourceId, maxSeconds)` exactly. `sessionKey` must be a plain key: an
    /// address with code (a contract, an EIP-7702 account) is refused with `SessionKeyHasCode`.
    /// @return sessionId The new session's id (ids start at 1).
    function open(uint256 resourceId, uint32 maxSeconds, address sessionKey)
        external
        payable
        returns (uint256 sessionId);

    /// @notice Closes an open session: pays the provider for `min(elapsedSeconds, maxSeconds)` seconds and refunds
    /// the rest of the deposit to the user. Only the resource's provider.
    /// @param elapsedSeconds The seconds in the session key's latest `Usage` receipt; 0 refunds everything.
    /// @param signature The session key's EIP-712 ECDSA signature of `Usage(sessionId, elapsedSeconds)` (never checked
    /// through ERC-1271); ignored when `elapsedSeconds` is 0.
    function settle(uint256 sessionId, uint256 elapsedSeconds, bytes calldata signature) external;

    /// @notice Starts the grace period after which the user may reclaim the whole deposit. Only the session's user,
    /// once per session.
    function requestClose(uint256 sessionId) external;

    /// @notice Refunds the whole deposit of an open session whose grace period is over. Only the session's user.
    function reclaim(uint256 sessionId) external;

    /// @notice A session as stored.
    function session(uint256 sessionId) external view returns (Session memory);

    /// @notice A resource as stored.
    function resource(uint256 resourceId) external view returns (Resource memory);

    /// @notice The exact deposit `open(resourceId, maxSeconds, ...)` requires at the resource's current price.
    function depositFor(uint256 resourceId, uint32 maxSeconds) external view returns (uint256);

    /// @notice The EIP-712 digest the session key signs for `Usage(sessionId, elapsedSeconds)`.
    function hashUsage(uint256 sessionId, uint256 elapsedSeconds) external view returns (bytes32);
}
