// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {vm} from "../utils/Vm.sol";
import {RebatePool} from "../../contracts/RebatePool.sol";
import {LicenseMarket} from "../../contracts/LicenseMarket.sol";
import {Registration} from "./Registration.sol";
import {IRebatePool} from "../../contracts/interfaces/IRebatePool.sol";
import {ILicenseMarket} from "../../contracts/interfaces/ILicenseMarket.sol";

/// @notice Deploys the pool and the real market in the production order (pool, market, bind), buys licenses and
/// signs delegations and receipts with `vm.sign`, for the Solidity tests and the invariant handler.
abstract contract RebatePoolFixture {
    uint32 internal constant EPOCH_DURATION = 1 days;
    uint32 internal constant ALLOWANCE_EXPIRY = 30 days;
    /// @dev The market's caps: network fee 10%, bounty fee 20%.
    uint16 internal constant NETWORK_FEE_BPS = 1_000;
    uint16 internal constant BOUNTY_FEE_BPS = 2_000;
    address internal constant PUBLISHER = address(0xB0B);

    RebatePool internal pool;
    LicenseMarket internal market;

    function _deploy() internal {
        pool = new RebatePool(address(this), EPOCH_DURATION, ALLOWANCE_EXPIRY);
        market = new LicenseMarket(address(this), pool, NETWORK_FEE_BPS, "", Registration.MIN_COMMITMENT_AGE);
        pool.bindLicenseMarket(market);
    }

    function _register(uint64 size, uint128 basePrice, bool transferable) internal returns (uint256) {
        return _register(PUBLISHER, size, basePrice, transferable);
    }

    /// @dev Registers a content paying `payout` (registration is open to anyone, an attacker included).
    function _register(address payout, uint64 size, uint128 basePrice, bool transferable) internal returns (uint256) {
        ILicenseMarket.ContentParams memory p = Registration.flatContent(
            keccak256(abi.encode("w3t content", market.contentCount() + 1)), size, payout, basePrice
        );
        p.bountyFeeBps = BOUNTY_FEE_BPS;
        p.transferable = transferable;
        return Registration.commitAndRegister(market, p);
    }

    /// @dev Buys `quantity` licenses for `recipient`, paying the exact total; returns the bounty fee (the allowance
    /// added).
    function _buy(uint256 contentId, address recipient, uint256 quantity) internal returns (uint256 bountyFee) {
        (, bountyFee) = _buyWithFees(contentId, recipient, quantity);
    }

    /// @dev {_buy}, returning both fees: the network fee went into the pool, the bounty fee into the allowance.
    function _buyWithFees(uint256 contentId, address recipient, uint256 quantity)
        internal
        returns (uint256 networkFee, uint256 bountyFee)
    {
        uint256 total;
        (, networkFee, bountyFee, total) = market.quote(contentId, quantity);
        vm.deal(address(this), address(this).balance + total);
        market.buy{value: total}(contentId, quantity, recipient, total);
    }

    /// @dev A receipt signed by `sessionPk`, with the delegation to it signed by `leecherPk` (both EOAs).
    function _signedReceipt(
        uint256 leecherPk,
        uint256 sessionPk,
        address seeder,
        uint256 contentId,
        uint256 cumulativeBytes,
        uint64 expiry
    ) internal view returns (IRebatePool.SignedReceipt memory) {
        return _signedReceipt(pool, leecherPk, sessionPk, seeder, contentId, cumulativeBytes, expiry);
    }

    /// @dev The same, signed for the EIP-712 domain of `target` (another deployment, in the replay tests).
    function _signedReceipt(
        RebatePool target,
        uint256 leecherPk,
        uint256 sessionPk,
        address seeder,
        uint256 contentId,
        uint256 cumulativeBytes,
        uint64 expiry
    ) internal view returns (IRebatePool.SignedReceipt memory receipt) {
        receipt.leecher = vm.addr(leecherPk);
        receipt.contentId = contentId;
        receipt.cumulativeBytes = cumulativeBytes;
        receipt.sessionKey = vm.addr(sessionPk);
        receipt.delegationExpiry = expiry;
        receipt.delegationSig = _sign(leecherPk, target.hashDelegation(receipt.leecher, receipt.sessionKey, expiry));
        receipt.receiptSig = _sign(sessionPk, target.hashReceipt(receipt.leecher, seeder, contentId, cumulativeBytes));
    }

    function _sign(uint256 privateKey, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(privateKey, digest);
        return abi.encodePacked(r, s, v);
    }

    function _submit(address seeder, IRebatePool.SignedReceipt memory receipt) internal {
        IRebatePool.SignedReceipt[] memory batch = new IRebatePool.SignedReceipt[](1);
        batch[0] = receipt;
        pool.submitReceipts(seeder, batch);
    }
}
