// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";

import {ILicenseMarket} from "./interfaces/ILicenseMarket.sol";
import {IRebatePool} from "./interfaces/IRebatePool.sol";
import {BondingCurve, CurveKind} from "./libraries/BondingCurve.sol";

/// @title LicenseMarket
/// @notice Sells licenses to content along per-content bonding curves. A license is an ERC-1155 token whose id
/// is the content id. Each purchase pays the curve price to the publisher (as a pull payment) and its fees to the
/// {IRebatePool}: the network fee into the current epoch's pool, the content's bounty fee as the rebate allowance of
/// the license just bought.
///
/// A payout address's proceeds slot holds a sentinel (1, not ETH, never paid out) plus what it is owed, so that no
/// buyer pays for a fresh storage slot (see `PROCEEDS_SENTINEL`).
///
/// INVARIANTS:
/// - The market's ETH balance equals the sum of `proceeds` (the amounts owed, without the sentinel) over all payout
///   addresses, outside a call in flight.
///   (The market accepts ETH only in {buy}; ETH forced in by SELFDESTRUCT would be an unowned, locked excess.)
/// - Every wei a buyer sends is exactly one of: publisher proceeds (the curve price), forwarded to the rebate pool
///   (network fee + bounty fee), or refunded to the buyer (the overpayment).
/// - For every content id, `supply` equals the number of licenses minted for it, and never exceeds `maxSupply`
///   when `maxSupply` is set. Licenses are never burned.
/// - `quote(id, q).curvePrice` equals the sum of the curve's prices of licenses `supply` .. `supply + q - 1`
///   (exactly for linear curves; for exponential curves at most `q - 1` wei above the sum of single prices).
/// - The price of the next license never decreases as supply grows.
/// - `networkFeeBps <= MAX_NETWORK_FEE_BPS` and every content's `bountyFeeBps <= MAX_BOUNTY_FEE_BPS`.
/// - An infohash maps to at most one content id, and content records never change except `supply`.
/// - Only the payout address can move its proceeds; pausing never blocks {withdrawProceeds}.
/// - The proceeds slot of every payout address of a registered content holds at least the sentinel, never zero.
/// - Every registration consumed a commitment `makeCommitment(infohash, msg.sender, salt)` made at least
///   `minCommitmentAge` and at most `MAX_COMMITMENT_AGE` seconds before, so whoever registers an infohash committed
///   to it, under its own address, before the registration was visible.
///
/// NOTE: Registration is commit–reveal, as ENS does it: a registration seen in the mempool reveals the infohash
/// and the salt, but the commitment binds the publisher (the reveal's `msg.sender`), so a copy sent by any other
/// account finds no commitment, and a fresh commitment of the copier matures only after the original is mined.
/// A commitment is an opaque hash; anyone may commit any hash, which binds only whoever's address it hides. A reveal
/// kept out of the chain for `minCommitmentAge` after it was seen (by a colluding block builder) can still be
/// out-committed: choose the age for the chain.
///
/// NOTE: A quote can move between the time it is read and the time the purchase is mined (another purchase of
/// the same content raises the price). {buy} takes a `maxTotal` and reverts above it; pass the quoted total.
///
/// NOTE: The rebate allowance of a purchase belongs to its recipient at purchase time. Transferring a
/// transferable license does not move the allowance to the new holder.
///
/// NOTE: Exponential prices grow fast: at 100% growth per license the price doubles with each sale. A purchase
/// whose price (or the price of the license after it) does not fit in uint256 reverts with an arithmetic panic;
/// the curve then has no more licenses to sell, long after its prices exceed any payable amount.
///
/// NOTE: The batch price of an exponential curve rounds once, the single prices round each, so buying one by
/// one can cost up to `quantity - 1` wei less than one batch. Fees round down per purchase.
///
/// NOTE: A refund of overpayment goes to `msg.sender`; a caller that cannot receive ETH must pay the exact total.
/// Licenses minted to a contract require it to accept ERC-1155 tokens.
///
/// IMPORTANT: The rebate pool is fixed at deployment and every purchase with fees calls it; a pool that reverts
/// (for example one not yet bound to this market) stops those purchases, never withdrawals.
contract LicenseMarket is ERC1155, Ownable2Step, Pausable, ReentrancyGuardTransient, ILicenseMarket {
    /// @notice Basis points in one.
    uint16 public constant BPS = 10_000;
    /// @notice Cap on the network fee: 10% of the curve price.
    uint16 public constant MAX_NETWORK_FEE_BPS = 1_000;
    /// @notice Cap on a content's bounty fee: 20% of the curve price.
    uint16 public constant MAX_BOUNTY_FEE_BPS = 2_000;
    /// @notice Cap on an exponential curve's growth: 100% per license.
    uint128 public constant MAX_GROWTH_BPS = 10_000;
    /// @dev What a payout address's proceeds slot holds when nothing is owed to it. Registering a content writes it
    /// into its payout's empty slot, so the publisher pays for that slot once, and no buyer pays for a fresh slot (a
    /// 20,000 gas write) on the publisher's first sale or on the first sale after a withdrawal, which leaves the
    /// sentinel in place. Not ETH: {proceeds} and {withdrawProceeds} count only what is above it, and never pay it.
    uint256 private constant PROCEEDS_SENTINEL = 1;
    /// @notice Lowest `minCommitmentAge` a deployment may choose: the reveal comes in a later block than the commit.
    uint256 public constant MIN_COMMITMENT_AGE_FLOOR = 1 seconds;
    /// @notice Highest `minCommitmentAge` a deployment may choose.
    uint256 public constant MIN_COMMITMENT_AGE_CEILING = 1 hours;
    /// @notice A commitment older than this cannot be revealed any more (and may be made again).
    uint256 public constant MAX_COMMITMENT_AGE = 1 days;

    /// @dev A priced purchase; a memory struct keeps {buy} within the stack limit.
    struct Sale {
        uint256 curvePrice;
        uint256 networkFee;
        uint256 bountyFee;
        uint256 total;
        uint256 newSupply;
        uint256 nextPrice;
    }

    /// @notice Receives the network fee and the bounty fee of every purchase.
    IRebatePool public immutable rebatePool;

    /// @notice Seconds a commitment must wait before its registration, fixed at deployment within
    /// [`MIN_COMMITMENT_AGE_FLOOR`, `MIN_COMMITMENT_AGE_CEILING`] (short on a local chain, a minute or more on a
    /// public one, so that a pending registration cannot be out-committed).
    uint256 public immutable minCommitmentAge;

    /// @notice Network fee on top of the curve price, in basis points (packs with Pausable's flag).
    uint16 public networkFeeBps;

    /// @notice Number of registered contents; content ids run from 1 to `contentCount`.
    uint256 public contentCount;

    mapping(uint256 contentId => Content) private _contents;
    mapping(uint256 contentId => string metadataURI) private _metadataURIs;

    /// @notice The content id registered for an infohash (0 when none).
    mapping(bytes32 infohash => uint256 contentId) public contentIdOf;

    /// @notice When a pending commitment was made (0 when none, or once its registration consumed it).
    mapping(bytes32 commitment => uint256 committedAt) public commitments;

    /// @dev `PROCEEDS_SENTINEL` plus the proceeds owed, from the registration of the payout's first content on;
    /// zero for an address that was never a payout. Read through {proceeds}.
    mapping(address payout => uint256 sentinelPlusOwed) private _proceeds;

    /// @notice Deploys the market with its rebate pool (fixed for its life) and the initial network fee.
    /// @param initialOwner Admin (fee setting, pause); transferred in two steps.
    /// @param rebatePool_ Receives every purchase's fees; fixed for the market's life.
    /// @param networkFeeBps_ Initial network fee, at most `MAX_NETWORK_FEE_BPS`.
    /// @param uri_ ERC-1155 URI for contents registered without their own metadata URI (`{id}` substitution).
    /// @param minCommitmentAge_ Seconds between a commitment and its registration (see `minCommitmentAge`).
    constructor(
        address initialOwner,
        IRebatePool rebatePool_,
        uint16 networkFeeBps_,
        string memory uri_,
        uint256 minCommitmentAge_
    ) ERC1155(uri_) Ownable(initialOwner) {
        if (address(rebatePool_) == address(0)) revert ZeroRebatePool();
        if (minCommitmentAge_ < MIN_COMMITMENT_AGE_FLOOR || minCommitmentAge_ > MIN_COMMITMENT_AGE_CEILING) {
            revert CommitmentAgeOutOfBounds(minCommitmentAge_, MIN_COMMITMENT_AGE_FLOOR, MIN_COMMITMENT_AGE_CEILING);
        }
        rebatePool = rebatePool_;
        minCommitmentAge = minCommitmentAge_;
        _setNetworkFee(networkFeeBps_);
    }

    // ---------------------------------------------------------------- publishing

    /// @notice Step 1 of 2: commits to registering an infohash without revealing it. Register with
    /// {registerContent} from the committing publisher's address, `minCommitmentAge` to `MAX_COMMITMENT_AGE`
    /// seconds later.
    /// @param commitment `makeCommitment(infohash, publisher, salt)`, with a secret random `salt`.
    function commit(bytes32 commitment) external whenNotPaused {
        uint256 committedAt = commitments[commitment];
        if (committedAt != 0 && block.timestamp <= committedAt + MAX_COMMITMENT_AGE) {
            revert CommitmentPending(commitment, committedAt + MAX_COMMITMENT_AGE);
        }
        commitments[commitment] = block.timestamp;
        emit RegistrationCommitted(commitment, block.timestamp + minCommitmentAge, block.timestamp + MAX_COMMITMENT_AGE);
    }

    /// @notice The commitment that lets `publisher` register `infohash` with `salt`.
    /// @param publisher The account that will call {registerContent} (its `msg.sender`), not the payout.
    function makeCommitment(bytes32 infohash, address publisher, bytes32 salt) public pure returns (bytes32) {
        return keccak256(abi.encode(infohash, publisher, salt));
    }

    /// @notice Step 2 of 2: registers a content; the caller is its publisher. Its licenses are on sale at once.
    /// Consumes the caller's commitment `makeCommitment(p.infohash, msg.sender, salt)`, which must be at least
    /// `minCommitmentAge` and at most `MAX_COMMITMENT_AGE` seconds old. The parameters are checked before the
    /// commitment, so a registration refused for its parameters is refused the same way without one (clients check
    /// before committing).
    /// @param salt The secret the commitment was made with.
    /// @return contentId The new content id (ids count up from 1).
    function registerContent(ContentParams calldata p, bytes32 salt)
        external
        whenNotPaused
        returns (uint256 contentId)
    {
        if (p.infohash == bytes32(0)) revert ZeroInfohash();
        uint256 existing = contentIdOf[p.infohash];
        if (existing != 0) revert InfohashAlreadyRegistered(p.infohash, existing);
        if (p.size == 0) revert ZeroSize();
        if (p.payout == address(0)) revert ZeroPayoutAddress();
        if (p.bountyFeeBps > MAX_BOUNTY_FEE_BPS) revert BountyFeeTooHigh(p.bountyFeeBps, MAX_BOUNTY_FEE_BPS);
        if (p.curve == CurveKind.Exponential && p.growth > MAX_GROWTH_BPS) {
            revert GrowthTooHigh(p.growth, MAX_GROWTH_BPS);
        }
        _consumeCommitment(makeCommitment(p.infohash, msg.sender, salt));

        contentId = ++contentCount;
        contentIdOf[p.infohash] = contentId;
        // The publisher pays for the payout's proceeds slot; a payout of earlier contents keeps what it is owed.
        if (_proceeds[p.payout] == 0) _proceeds[p.payout] = PROCEEDS_SENTINEL;
        _contents[contentId] = Content({
            infohash: p.infohash,
            payout: p.payout,
            supply: 0,
            bountyFeeBps: p.bountyFeeBps,
            curve: p.curve,
            transferable: p.transferable,
            basePrice: p.basePrice,
            size: p.size,
            maxSupply: p.maxSupply,
            growth: p.growth
        });
        if (bytes(p.metadataURI).length != 0) {
            _metadataURIs[contentId] = p.metadataURI;
            emit URI(p.metadataURI, contentId);
        }

        emit ContentRegistered(
            contentId,
            msg.sender,
            p.payout,
            p.infohash,
            p.size,
            p.basePrice,
            p.curve,
            p.growth,
            p.maxSupply,
            p.bountyFeeBps,
            p.transferable,
            p.metadataURI
        );
    }

    // ---------------------------------------------------------------- pricing

    /// @notice The exact cost of buying `quantity` licenses of `contentId` now.
    /// @return curvePrice Sum of the curve prices of the next `quantity` licenses (the publisher's share).
    /// @return networkFee `curvePrice * networkFeeBps / BPS`, rounded down.
    /// @return bountyFee `curvePrice * bountyFeeBps / BPS`, rounded down.
    /// @return total `curvePrice + networkFee + bountyFee`, what {buy} charges.
    function quote(uint256 contentId, uint256 quantity)
        external
        view
        returns (uint256 curvePrice, uint256 networkFee, uint256 bountyFee, uint256 total)
    {
        Content storage c = _contents[contentId];
        uint256 supply = _checkPurchase(c, contentId, quantity);
        curvePrice = BondingCurve.cost(c.curve, c.basePrice, c.growth, supply, quantity);
        (networkFee, bountyFee, total) = _fees(curvePrice, c.bountyFeeBps);
    }

    /// @notice The curve price (without fees) of the next single license of `contentId`: `quote(contentId, 1)`'s
    /// curve price, with the same reverts (`MaxSupplyExceeded` once sold out).
    function nextPrice(uint256 contentId) external view returns (uint256) {
        Content storage c = _contents[contentId];
        uint256 supply = _checkPurchase(c, contentId, 1);
        return BondingCurve.cost(c.curve, c.basePrice, c.growth, supply, 1);
    }

    // ---------------------------------------------------------------- buying

    /// @notice Buys `quantity` licenses of `contentId` for `recipient` (who may be someone else: a gift).
    /// The curve price accrues to the publisher's payout address, the network fee goes into the rebate pool's
    /// current epoch pool, the bounty fee becomes `recipient`'s rebate allowance, and anything paid above the total
    /// is refunded to the caller.
    /// @param maxTotal The most the caller accepts to pay, fees included (slippage and front-running guard).
    function buy(uint256 contentId, uint256 quantity, address recipient, uint256 maxTotal)
        external
        payable
        nonReentrant
        whenNotPaused
    {
        if (recipient == address(0)) revert ZeroRecipient();
        Content storage c = _contents[contentId];
        Sale memory sale = _priceSale(c, contentId, quantity);
        if (sale.total > maxTotal) revert SlippageExceeded(sale.total, maxTotal);
        if (msg.value < sale.total) revert InsufficientPayment(sale.total, msg.value);

        // Fits: _checkPurchase bounds the new supply by maxSupply or type(uint64).max.
        c.supply = uint64(sale.newSupply);
        _proceeds[c.payout] += sale.curvePrice; // on top of the sentinel written at registration
        emit LicensesPurchased(
            contentId,
            msg.sender,
            recipient,
            quantity,
            sale.curvePrice,
            sale.networkFee,
            sale.bountyFee,
            sale.newSupply,
            sale.nextPrice
        );

        _mint(recipient, contentId, quantity, "");
        uint256 fees = sale.networkFee + sale.bountyFee;
        if (fees != 0) rebatePool.fundLicense{value: fees}(recipient, contentId, sale.networkFee);
        if (msg.value > sale.total) Address.sendValue(payable(msg.sender), msg.value - sale.total);
    }

    /// @notice Pays the caller all proceeds owed to it (`proceeds(caller)`). Works while paused.
    /// @dev Leaves the sentinel in the caller's slot, so the next sale does not pay for a fresh slot.
    function withdrawProceeds() external nonReentrant {
        uint256 amount = _owed(_proceeds[msg.sender]);
        if (amount == 0) revert NothingToWithdraw();
        _proceeds[msg.sender] = PROCEEDS_SENTINEL;
        emit ProceedsWithdrawn(msg.sender, amount);
        Address.sendValue(payable(msg.sender), amount);
    }

    /// @notice Sales proceeds owed to `payout`, in wei: what {withdrawProceeds} would pay it now.
    function proceeds(address payout) external view returns (uint256 amount) {
        return _owed(_proceeds[payout]);
    }

    // ---------------------------------------------------------------- licenses

    /// @inheritdoc ILicenseMarket
    function hasLicense(address account, uint256 contentId) external view returns (bool) {
        return balanceOf(account, contentId) != 0;
    }

    /// @inheritdoc ILicenseMarket
    function licenseInfo(address account, uint256 contentId) external view returns (bool licensed, uint256 size) {
        return (balanceOf(account, contentId) != 0, _contents[contentId].size);
    }

    /// @notice The record of `contentId`.
    function content(uint256 contentId) external view returns (Content memory) {
        Content memory c = _contents[contentId];
        if (c.payout == address(0)) revert UnknownContent(contentId);
        return c;
    }

    /// @notice The content's own metadata URI, or the market's default URI for contents registered without one.
    function uri(uint256 contentId) public view override returns (string memory) {
        string memory own = _metadataURIs[contentId];
        return bytes(own).length != 0 ? own : super.uri(contentId);
    }

    // ---------------------------------------------------------------- admin

    /// @notice Sets the network fee for future purchases, at most `MAX_NETWORK_FEE_BPS`.
    function setNetworkFee(uint16 newFeeBps) external onlyOwner {
        _setNetworkFee(newFeeBps);
    }

    /// @notice Stops commitments, registrations and purchases. Withdrawals continue.
    function pause() external onlyOwner {
        _pause();
    }

    /// @notice Resumes commitments, registrations and purchases.
    function unpause() external onlyOwner {
        _unpause();
    }

    // ---------------------------------------------------------------- internals

    /// @dev Deletes a commitment that is old enough and not expired; reverts otherwise.
    function _consumeCommitment(bytes32 commitment) private {
        uint256 committedAt = commitments[commitment];
        if (committedAt == 0) revert CommitmentNotFound(commitment);
        if (block.timestamp < committedAt + minCommitmentAge) {
            revert CommitmentTooNew(commitment, committedAt + minCommitmentAge);
        }
        if (block.timestamp > committedAt + MAX_COMMITMENT_AGE) {
            revert CommitmentExpired(commitment, committedAt + MAX_COMMITMENT_AGE);
        }
        delete commitments[commitment];
    }

    /// @dev Soulbound licenses can be minted but not moved between accounts.
    function _update(address from, address to, uint256[] memory ids, uint256[] memory values)
        internal
        override
    {
        if (from != address(0) && to != address(0)) {
            for (uint256 i; i < ids.length; ++i) {
                if (!_contents[ids[i]].transferable) revert Soulbound(ids[i]);
            }
        }
        super._update(from, to, ids, values);
    }

    /// @dev Reverts unless `quantity` licenses of the content can be sold now; returns the current supply.
    function _checkPurchase(Content storage c, uint256 contentId, uint256 quantity)
        private
        view
        returns (uint256 supply)
    {
        if (c.payout == address(0)) revert UnknownContent(contentId);
        if (quantity == 0) revert ZeroQuantity();
        supply = c.supply;
        uint256 maxSupply = c.maxSupply;
        // Unlimited still stops where the uint64 counter would.
        uint256 remaining = (maxSupply == 0 ? type(uint64).max : maxSupply) - supply;
        if (quantity > remaining) revert MaxSupplyExceeded(contentId, quantity, remaining);
    }

    /// @dev Prices a purchase for {buy}: the quote plus the new supply and the price of the license after it.
    function _priceSale(Content storage c, uint256 contentId, uint256 quantity)
        private
        view
        returns (Sale memory sale)
    {
        uint256 supply = _checkPurchase(c, contentId, quantity);
        (sale.curvePrice, sale.nextPrice) =
            BondingCurve.costAndNextPrice(c.curve, c.basePrice, c.growth, supply, quantity);
        (sale.networkFee, sale.bountyFee, sale.total) = _fees(sale.curvePrice, c.bountyFeeBps);
        sale.newSupply = supply + quantity;
    }

    function _fees(uint256 curvePrice, uint256 bountyFeeBps)
        private
        view
        returns (uint256 networkFee, uint256 bountyFee, uint256 total)
    {
        networkFee = curvePrice * networkFeeBps / BPS;
        bountyFee = curvePrice * bountyFeeBps / BPS;
        total = curvePrice + networkFee + bountyFee;
    }

    /// @dev The amount owed for a proceeds slot: what is above the sentinel (zero for a slot never written).
    function _owed(uint256 sentinelPlusOwed) private pure returns (uint256) {
        return sentinelPlusOwed > PROCEEDS_SENTINEL ? sentinelPlusOwed - PROCEEDS_SENTINEL : 0;
    }

    function _setNetworkFee(uint16 newFeeBps) private {
        if (newFeeBps > MAX_NETWORK_FEE_BPS) revert NetworkFeeTooHigh(newFeeBps, MAX_NETWORK_FEE_BPS);
        emit NetworkFeeUpdated(networkFeeBps, newFeeBps);
        networkFeeBps = newFeeBps;
    }
}
