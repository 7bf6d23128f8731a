// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "./utils/Test.sol";
import {vm} from "./utils/Vm.sol";
import {WS402Deposits} from "../contracts/WS402Deposits.sol";
import {IWS402Deposits} from "../contracts/interfaces/IWS402Deposits.sol";
import {SessionKeySignature} from "../contracts/utils/SessionKeySignature.sol";
import {TestRevocableSessionKey} from "../contracts/test/TestRevocableSessionKey.sol";

/// @notice Unit and fuzz tests of WS402Deposits: exact payouts, exact deposits, receipts bound to one session.
contract WS402DepositsTest is Test {
    uint32 internal constant GRACE = 60;
    uint128 internal constant PRICE = 5 gwei;
    uint32 internal constant MAX_SECONDS = 600;
    uint256 internal constant SESSION_KEY_PK = 0x5E5510;
    uint256 internal constant OTHER_KEY_PK = 0xBAD5E55;
    /// @dev EIP-7702's delegation indicator, followed by the delegate's address in an account's code.
    bytes3 internal constant DELEGATION_PREFIX = 0xef0100;

    WS402Deposits internal deposits;
    address internal provider = vm.addr(0xA11);
    address internal payout = vm.addr(0xA12);
    address internal user = vm.addr(0xA13);
    address internal sessionKey = vm.addr(SESSION_KEY_PK);
    uint256 internal resourceId;

    function setUp() public {
        deposits = new WS402Deposits(address(this), GRACE);
        vm.prank(provider);
        resourceId = deposits.registerResource(PRICE, payout, "ipfs://pdf");
    }

    function _open(uint256 resource, uint32 maxSeconds, uint256 deposit) internal returns (uint256 sessionId) {
        vm.deal(user, deposit);
        vm.prank(user);
        sessionId = deposits.open{value: deposit}(resource, maxSeconds, sessionKey);
    }

    function _sign(WS402Deposits target, uint256 pk, uint256 sessionId, uint256 elapsedSeconds)
        internal
        view
        returns (bytes memory)
    {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, target.hashUsage(sessionId, elapsedSeconds));
        return abi.encodePacked(r, s, v);
    }

    function _expectInvalidSignature(uint256 sessionId) internal {
        vm.expectRevert(abi.encodeWithSelector(IWS402Deposits.InvalidUsageSignature.selector, sessionId, sessionKey));
    }

    function testFuzz_Settle_PaysExactlyTheDeposit(uint128 price, uint32 maxSeconds, uint256 elapsedSeconds) public {
        price = uint128(bound(price, 1, type(uint128).max));
        maxSeconds = uint32(bound(maxSeconds, 1, type(uint32).max));
        vm.prank(provider);
        uint256 resource = deposits.registerResource(price, payout, "ipfs://fuzz");
        uint256 deposit = uint256(price) * maxSeconds;
        uint256 sessionId = _open(resource, maxSeconds, deposit);

        bytes memory signature = _sign(deposits, SESSION_KEY_PK, sessionId, elapsedSeconds);
        vm.prank(provider);
        deposits.settle(sessionId, elapsedSeconds, signature);

        uint256 charged = elapsedSeconds < maxSeconds ? elapsedSeconds : maxSeconds;
        assertEq(payout.balance, charged * price, "provider paid min(elapsed, max) x price");
        assertEq(payout.balance + user.balance, deposit, "provider + user == deposit");
        assertEq(address(deposits).balance, 0, "nothing left behind");
        assertEq(deposits.totalOwed(), 0, "nothing deferred");
        assertTrue(deposits.session(sessionId).status == IWS402Deposits.SessionStatus.Settled, "settled");
    }

    function testFuzz_Open_RequiresExactDeposit(uint32 maxSeconds, uint256 sent) public {
        maxSeconds = uint32(bound(maxSeconds, 1, type(uint32).max));
        uint256 deposit = uint256(PRICE) * maxSeconds;
        sent = bound(sent, 0, deposit * 2);
        vm.deal(user, sent);
        if (sent != deposit) {
            vm.expectRevert(abi.encodeWithSelector(IWS402Deposits.IncorrectDeposit.selector, deposit, sent));
        }
        vm.prank(user);
        deposits.open{value: sent}(resourceId, maxSeconds, sessionKey);
        assertEq(address(deposits).balance, sent == deposit ? deposit : 0, "holds exactly the deposit");
    }

    function testFuzz_Settle_RejectsReceiptFromAnotherSession(uint256 elapsedSeconds) public {
        elapsedSeconds = bound(elapsedSeconds, 1, type(uint256).max);
        uint256 deposit = uint256(PRICE) * MAX_SECONDS;
        uint256 first = _open(resourceId, MAX_SECONDS, deposit);
        uint256 second = _open(resourceId, MAX_SECONDS, deposit);
        bytes memory forFirst = _sign(deposits, SESSION_KEY_PK, first, elapsedSeconds);

        _expectInvalidSignature(second);
        vm.prank(provider);
        deposits.settle(second, elapsedSeconds, forFirst);

        // The receipt is good for the session it names.
        vm.prank(provider);
        deposits.settle(first, elapsedSeconds, forFirst);
    }

    function test_Settle_RejectsReceiptFromAnotherDeployment() public {
        uint256 sessionId = _open(resourceId, MAX_SECONDS, uint256(PRICE) * MAX_SECONDS);
        WS402Deposits other = new WS402Deposits(address(this), GRACE);
        bytes memory forOther = _sign(other, SESSION_KEY_PK, sessionId, MAX_SECONDS);

        _expectInvalidSignature(sessionId);
        vm.prank(provider);
        deposits.settle(sessionId, MAX_SECONDS, forOther);
    }

    function test_Settle_RejectsReceiptFromAnotherChain() public {
        uint256 sessionId = _open(resourceId, MAX_SECONDS, uint256(PRICE) * MAX_SECONDS);
        bytes memory signedHere = _sign(deposits, SESSION_KEY_PK, sessionId, MAX_SECONDS);

        // The same contract address on a fork with another chain id rebuilds its domain separator.
        vm.chainId(block.chainid + 1);
        _expectInvalidSignature(sessionId);
        vm.prank(provider);
        deposits.settle(sessionId, MAX_SECONDS, signedHere);
    }

    function test_Settle_RejectsReceiptFromAnotherKey() public {
        uint256 sessionId = _open(resourceId, MAX_SECONDS, uint256(PRICE) * MAX_SECONDS);
        bytes memory wrong = _sign(deposits, OTHER_KEY_PK, sessionId, 30);

        _expectInvalidSignature(sessionId);
        vm.prank(provider);
        deposits.settle(sessionId, 30, wrong);
    }

    function testFuzz_Reclaim_ReturnsTheDepositAfterTheGracePeriod(uint32 maxSeconds, uint256 wait) public {
        maxSeconds = uint32(bound(maxSeconds, 1, type(uint32).max));
        uint256 deposit = uint256(PRICE) * maxSeconds;
        uint256 sessionId = _open(resourceId, maxSeconds, deposit);
        vm.prank(user);
        deposits.requestClose(sessionId);
        uint256 deadline = block.timestamp + GRACE;

        wait = bound(wait, 0, 2 * uint256(GRACE));
        vm.warp(block.timestamp + wait);
        if (block.timestamp < deadline) {
            vm.expectRevert(
                abi.encodeWithSelector(IWS402Deposits.GracePeriodNotOver.selector, sessionId, deadline)
            );
        }
        vm.prank(user);
        deposits.reclaim(sessionId);
        assertEq(user.balance, block.timestamp < deadline ? 0 : deposit, "whole deposit back after the deadline");
    }

    /// @notice A session key is a plain key: a contract, even one that accepts the key's signatures now, is refused.
    function test_Open_RefusesContractSessionKey() public {
        TestRevocableSessionKey key = new TestRevocableSessionKey(sessionKey);
        vm.deal(user, PRICE);
        vm.prank(user);
        vm.expectRevert(abi.encodeWithSelector(SessionKeySignature.SessionKeyHasCode.selector, address(key)));
        deposits.open{value: PRICE}(resourceId, 1, address(key));
    }

    /// @notice Attack (b) fails: a receipt the key signed settles after the key's address is delegated (EIP-7702) to
    /// code that answers ERC-1271 with "invalid", for any seconds signed; the user gets back only the rest.
    function testFuzz_Settle_PaysReceiptAfterTheKeyGainsCode(uint256 elapsedSeconds) public {
        uint256 deposit = uint256(PRICE) * MAX_SECONDS;
        uint256 sessionId = _open(resourceId, MAX_SECONDS, deposit);
        elapsedSeconds = bound(elapsedSeconds, 1, 2 * uint256(MAX_SECONDS));
        bytes memory served = _sign(deposits, SESSION_KEY_PK, sessionId, elapsedSeconds);
        TestRevocableSessionKey disowning = new TestRevocableSessionKey(sessionKey);
        disowning.revoke();
        vm.etch(sessionKey, abi.encodePacked(DELEGATION_PREFIX, disowning));
        assertTrue(
            TestRevocableSessionKey(sessionKey).isValidSignature(deposits.hashUsage(sessionId, elapsedSeconds), served)
                != bytes4(0x1626ba7e),
            "the key's address disowns the receipt"
        );
        vm.prank(user);
        deposits.requestClose(sessionId);

        vm.prank(provider);
        deposits.settle(sessionId, elapsedSeconds, served);
        uint256 charged = elapsedSeconds < MAX_SECONDS ? elapsedSeconds : MAX_SECONDS;
        assertEq(payout.balance, charged * PRICE, "provider paid for the signed seconds");
        assertEq(user.balance, deposit - charged * PRICE, "user refunded only the rest");
    }
}
