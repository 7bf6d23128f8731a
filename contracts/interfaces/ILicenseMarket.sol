// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {CurveKind} from "../libraries/BondingCurve.sol";

/// @title ILicenseMarket
/// @notice The types, events and errors of {LicenseMarket}, and what the escrow and the rebate pool read from it.
interface ILicenseMarket {
    /// @notice A registered content, packed in four slots; `supply` is the only field that changes.
    /// @dev Slot 1 holds what every sale reads and writes. It is never zero (`payout` is set), so the first sale
    /// of a content updates a live slot instead of paying for a fresh one.
    struct Content {
        // slot 0
        bytes32 infohash;
        // slot 1
        address payout;
        uint64 supply;
        uint16 bountyFeeBps;
        CurveKind curve;
        bool transferable;
        // slot 2
        uint128 basePrice;
        uint64 size;
        uint64 maxSupply;
        // slot 3
        uint128 growth;
    }

    /// @notice What a publisher passes to {registerContent}.
    /// @param infohash BitTorrent infohash of the content (v1 SHA-1 left-aligned, or v2 SHA-256); not zero.
    /// @param size Size of the content in bytes; not zero.
    /// @param payout Address whose proceeds accrue from sales; not zero.
    /// @param basePrice Price of the first license, in wei.
    /// @param curve Linear or exponential.
    /// @param growth Linear: slope in wei per license sold. Exponential: growth per license sold, in basis points.
    /// @param maxSupply Maximum number of licenses; 0 for unlimited.
    /// @param bountyFeeBps Bounty fee on top of the curve price, for the content's seeders, in basis points.
    /// @param transferable Whether holders may transfer licenses (soulbound otherwise).
    /// @param metadataURI Metadata (name, description, magnet with trackers); ERC-1155 `uri(contentId)`.
    struct ContentParams {
        bytes32 infohash;
        uint64 size;
        address payout;
        uint128 basePrice;
        CurveKind curve;
        uint128 growth;
        uint64 maxSupply;
        uint16 bountyFeeBps;
        bool transferable;
        string metadataURI;
    }

    /// @notice `commitment` was made; a registration revealing it is accepted from `readyAt` to `expiresAt`.
    event RegistrationCommitted(bytes32 indexed commitment, uint256 readyAt, uint256 expiresAt);

    /// @notice A content was registered; carries the whole record, so an indexer needs no calls.
    event ContentRegistered(
        uint256 indexed contentId,
        address indexed publisher,
        address payout,
        bytes32 indexed infohash,
        uint64 size,
        uint128 basePrice,
        CurveKind curve,
        uint128 growth,
        uint64 maxSupply,
        uint16 bountyFeeBps,
        bool transferable,
        string metadataURI
    );

    /// @notice `buyer` paid for `quantity` licenses of `contentId`, minted to `recipient`.
    /// @param curvePrice Credited to the content's payout address.
    /// @param networkFee Forwarded to the rebate pool, into the current epoch's pool.
    /// @param bountyFee Forwarded to the rebate pool as the recipient's rebate allowance.
    /// @param newSupply Supply after the purchase.
    /// @param nextPrice Curve price of the license after this purchase (given even when `maxSupply` is reached).
    event LicensesPurchased(
        uint256 indexed contentId,
        address indexed buyer,
        address indexed recipient,
        uint256 quantity,
        uint256 curvePrice,
        uint256 networkFee,
        uint256 bountyFee,
        uint256 newSupply,
        uint256 nextPrice
    );

    /// @notice `account` withdrew `amount` of proceeds (its whole balance).
    event ProceedsWithdrawn(address indexed account, uint256 amount);

    /// @notice The network fee changed (also emitted by the constructor, from 0).
    event NetworkFeeUpdated(uint16 oldFeeBps, uint16 newFeeBps);

    /// @notice The constructor was given no rebate pool.
    error ZeroRebatePool();
    /// @notice The minimum commitment age is outside [`MIN_COMMITMENT_AGE_FLOOR`, `MIN_COMMITMENT_AGE_CEILING`].
    error CommitmentAgeOutOfBounds(uint256 minCommitmentAge, uint256 floor, uint256 ceiling);
    /// @notice This commitment is pending and not expired; it cannot be made again (nor its clock reset).
    error CommitmentPending(bytes32 commitment, uint256 expiresAt);
    /// @notice No pending commitment of this caller hides this registration (never made, consumed, or another's).
    error CommitmentNotFound(bytes32 commitment);
    /// @notice The commitment is younger than `minCommitmentAge`: the registration is accepted from `readyAt`.
    error CommitmentTooNew(bytes32 commitment, uint256 readyAt);
    /// @notice The commitment is older than `MAX_COMMITMENT_AGE`: it expired at `expiredAt`; commit again.
    error CommitmentExpired(bytes32 commitment, uint256 expiredAt);
    /// @notice A content needs its infohash.
    error ZeroInfohash();
    /// @notice The infohash is already registered as `contentId`.
    error InfohashAlreadyRegistered(bytes32 infohash, uint256 contentId);
    /// @notice A content has at least one byte.
    error ZeroSize();
    /// @notice Proceeds need an address to accrue to.
    error ZeroPayoutAddress();
    /// @notice The bounty fee is above `MAX_BOUNTY_FEE_BPS`.
    error BountyFeeTooHigh(uint16 bountyFeeBps, uint16 maxBountyFeeBps);
    /// @notice The exponential growth is above `MAX_GROWTH_BPS`.
    error GrowthTooHigh(uint128 growthBps, uint128 maxGrowthBps);
    /// @notice The network fee is above `MAX_NETWORK_FEE_BPS`.
    error NetworkFeeTooHigh(uint16 networkFeeBps, uint16 maxNetworkFeeBps);
    /// @notice No content has this id.
    error UnknownContent(uint256 contentId);
    /// @notice A purchase or a quote is for at least one license.
    error ZeroQuantity();
    /// @notice Only `remaining` licenses of `contentId` are left (bounded by the uint64 counter when unlimited).
    error MaxSupplyExceeded(uint256 contentId, uint256 quantity, uint256 remaining);
    /// @notice Licenses cannot be minted to the zero address.
    error ZeroRecipient();
    /// @notice The purchase costs `total`, more than the caller's `maxTotal`.
    error SlippageExceeded(uint256 total, uint256 maxTotal);
    /// @notice The purchase costs `total`; only `paid` was sent.
    error InsufficientPayment(uint256 total, uint256 paid);
    /// @notice Nothing is owed to the caller.
    error NothingToWithdraw();
    /// @notice Licenses of `contentId` are bound to their holder.
    error Soulbound(uint256 contentId);

    /// @notice Whether `account` holds at least one license of `contentId`.
    function hasLicense(address account, uint256 contentId) external view returns (bool);

    /// @notice The license check and the content size in one call, for the hot paths of the escrow and the pool.
    /// @return licensed Whether `account` holds at least one license of `contentId`.
    /// @return size The content's size in bytes (0 when the content does not exist).
    function licenseInfo(address account, uint256 contentId) external view returns (bool licensed, uint256 size);

    /// @notice The network fee on every purchase, in basis points of the curve price (0 when the owner waived it).
    function networkFeeBps() external view returns (uint16);
}
