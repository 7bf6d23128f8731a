// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LicenseMarket} from "../LicenseMarket.sol";

/// @title ReentrantReceiver
/// @notice TEST ONLY: an attacker for the LicenseMarket reentrancy tests. Used as a publisher payout address, a
/// buyer (refunds) or a license recipient, it tries to re-enter the market whenever it receives ETH or a
/// license, and records what happened instead of failing, so the test can check it gained nothing.
contract ReentrantReceiver {
    enum Attack {
        None,
        WithdrawProceeds,
        Buy
    }

    LicenseMarket public immutable market;
    Attack public attack;
    uint256 public targetContentId;

    /// @notice Re-entries tried, and those that went through.
    uint256 public attempts;
    uint256 public successes;
    /// @notice Revert data of the last failed re-entry.
    bytes public lastError;

    constructor(LicenseMarket market_) {
        market = market_;
    }

    function setAttack(Attack attack_, uint256 contentId) external {
        attack = attack_;
        targetContentId = contentId;
    }

    function withdrawProceeds() external {
        market.withdrawProceeds();
    }

    function buy(uint256 contentId, uint256 quantity, uint256 maxTotal) external payable {
        market.buy{value: msg.value}(contentId, quantity, address(this), maxTotal);
    }

    receive() external payable {
        _reenter();
    }

    function onERC1155Received(address, address, uint256, uint256, bytes calldata) external returns (bytes4) {
        _reenter();
        return this.onERC1155Received.selector;
    }

    function _reenter() private {
        if (attack == Attack.None) return;
        ++attempts;
        if (attack == Attack.WithdrawProceeds) {
            try market.withdrawProceeds() {
                ++successes;
            } catch (bytes memory err) {
                lastError = err;
            }
        } else {
            try market.buy{value: address(this).balance}(targetContentId, 1, address(this), type(uint256).max) {
                ++successes;
            } catch (bytes memory err) {
                lastError = err;
            }
        }
    }
}
