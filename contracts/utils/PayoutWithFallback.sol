// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/**
 * @title PayoutWithFallback
 * @notice Pays native ETH to a third party without letting that party block the payer's transaction.
 *
 * Each payment is pushed with a bounded amount of gas. If the recipient reverts, runs out of that gas or cannot
 * receive ETH, the amount is credited to its pull balance ({owed}) instead, and the recipient takes it later with
 * {withdraw}, which forwards all gas. So a recipient can neither make the payer's transaction revert nor spend more
 * than {PAYOUT_GAS_STIPEND} of its gas.
 *
 * INVARIANTS:
 *
 * - {totalOwed} equals the sum of {owed} over all accounts.
 * - Every wei handed to {_payOrDefer} either reaches the recipient or is added to its {owed} balance, never both.
 *
 * IMPORTANT: The inheriting contract must keep a balance of at least {totalOwed} and must call {_payOrDefer} only
 * after its own state changes (checks-effects-interactions): the recipient runs code during the push.
 *
 * NOTE: {withdraw} pays `msg.sender` only. An account that cannot receive ETH at all (a contract without a payable
 * `receive` or `fallback`) cannot withdraw its balance.
 */
abstract contract PayoutWithFallback is ReentrancyGuardTransient {
    /// @notice Gas forwarded with a pushed payment (the EVM adds its 2,300 call stipend on top): enough for a smart
    /// wallet's receive hook that emits an event, small enough that a hostile recipient cannot burn much of the
    /// payer's gas.
    uint256 public constant PAYOUT_GAS_STIPEND = 10_000;

    mapping(address account => uint256 amount) private _owed;

    /// @notice The sum of all pull balances.
    uint256 public totalOwed;

    /// @notice A push of `amount` to `account` failed; the amount was added to its pull balance.
    event PaymentDeferred(address indexed account, uint256 amount);

    /// @notice `account` took its whole pull balance of `amount`.
    event Withdrawn(address indexed account, uint256 amount);

    /// @notice `account` has no pull balance.
    error NothingToWithdraw(address account);

    /// @notice Sending the pull balance `amount` to `account` failed (its receive function reverted).
    error WithdrawalFailed(address account, uint256 amount);

    /// @notice The pull balance of `account`: payments that could not be pushed to it.
    /// @param account The recipient.
    /// @return amount Wei that `account` can take with {withdraw}.
    function owed(address account) public view returns (uint256 amount) {
        return _owed[account];
    }

    /// @notice Sends the caller its whole pull balance, forwarding all gas. Never paused.
    /// @return amount The wei sent.
    function withdraw() external nonReentrant returns (uint256 amount) {
        amount = _owed[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        _owed[msg.sender] = 0;
        totalOwed -= amount;
        emit Withdrawn(msg.sender, amount);

        bool success;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // No return data is copied: a recipient cannot make this call expensive with a large revert payload.
            success := call(gas(), caller(), amount, 0, 0, 0, 0)
        }
        if (!success) revert WithdrawalFailed(msg.sender, amount);
    }

    /// @dev Pushes `amount` wei to `to` with {PAYOUT_GAS_STIPEND} gas; on failure defers it: credits it to `to`'s pull
    /// balance (see `CheckpointEscrow._payOrRevert` for the policy that reverts instead).
    /// Does nothing when `amount` is zero.
    function _payOrDefer(address to, uint256 amount) internal {
        if (amount == 0) return;
        bool success;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            success := call(PAYOUT_GAS_STIPEND, to, amount, 0, 0, 0, 0)
        }
        if (!success) {
            _owed[to] += amount;
            totalOwed += amount;
            emit PaymentDeferred(to, amount);
        }
    }
}
