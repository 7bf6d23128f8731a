// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC1155Receiver} from "@openzeppelin/contracts/token/ERC1155/IERC1155Receiver.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

import {CheckpointEscrow} from "../CheckpointEscrow.sol";
import {CheckpointSchedule} from "../libraries/CheckpointSchedule.sol";
import {ICheckpointEscrow} from "../interfaces/ICheckpointEscrow.sol";

/// @title ReentrantEscrowActor
/// @notice TEST ONLY: a hostile seeder or leecher. When the escrow pays it, it calls the escrow back once (redeem a
/// voucher again, or refund again) and records the outcome instead of reverting, or it rejects the payment.
contract ReentrantEscrowActor is IERC1155Receiver {
    enum Attack {
        None,
        Redeem,
        Refund,
        Reject
    }

    CheckpointEscrow public immutable escrow;

    Attack public attack;
    ICheckpointEscrow.Voucher private _voucher;
    bytes private _signature;
    uint256 private _escrowId;

    /// @notice How many times the escrow paid this contract, and how many re-entries succeeded.
    uint256 public paymentsReceived;
    uint256 public reentrySucceeded;
    /// @notice The revert data of the last failed re-entry.
    bytes public lastReentryError;

    error PaymentRejected();

    constructor(CheckpointEscrow escrow_) {
        escrow = escrow_;
    }

    /// @notice Sets what to do when paid next.
    function arm(Attack attack_, ICheckpointEscrow.Voucher calldata voucher, bytes calldata signature, uint256 escrowId)
        external
    {
        attack = attack_;
        _voucher = voucher;
        _signature = signature;
        _escrowId = escrowId;
    }

    /// @notice Opens an escrow as the leecher (this contract must hold a license).
    function open(
        uint256 contentId,
        uint64 maxBytes,
        uint128 pricePerMiB,
        address sessionKey,
        CheckpointSchedule.Mode mode
    ) external payable returns (uint256) {
        return escrow.open{value: msg.value}(contentId, maxBytes, pricePerMiB, sessionKey, mode);
    }

    /// @notice Closes an escrow as its leecher.
    function close(uint256 escrowId) external {
        escrow.close(escrowId);
    }

    /// @dev Counts the payment, then attacks as armed (once) or rejects it.
    receive() external payable {
        ++paymentsReceived;
        Attack current = attack;
        if (current == Attack.Reject) revert PaymentRejected();
        if (current == Attack.None) return;
        attack = Attack.None;
        if (current == Attack.Redeem) {
            try escrow.redeem(_voucher, _signature) {
                ++reentrySucceeded;
            } catch (bytes memory reason) {
                lastReentryError = reason;
            }
        } else {
            try escrow.refund(_escrowId) {
                ++reentrySucceeded;
            } catch (bytes memory reason) {
                lastReentryError = reason;
            }
        }
    }

    /// @inheritdoc IERC1155Receiver
    function onERC1155Received(address, address, uint256, uint256, bytes calldata) external pure returns (bytes4) {
        return IERC1155Receiver.onERC1155Received.selector;
    }

    /// @inheritdoc IERC1155Receiver
    function onERC1155BatchReceived(address, address, uint256[] calldata, uint256[] calldata, bytes calldata)
        external
        pure
        returns (bytes4)
    {
        return IERC1155Receiver.onERC1155BatchReceived.selector;
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC1155Receiver).interfaceId || interfaceId == type(IERC165).interfaceId;
    }
}
