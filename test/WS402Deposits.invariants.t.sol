// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {vm} from "./utils/Vm.sol";
import {WS402Deposits} from "../contracts/WS402Deposits.sol";
import {IWS402Deposits} from "../contracts/interfaces/IWS402Deposits.sol";
import {TestUserAccount} from "../contracts/test/TestUserAccount.sol";
import {TestRevocableSessionKey} from "../contracts/test/TestRevocableSessionKey.sol";
import {HandlerInvariants} from "./utils/HandlerInvariants.sol";

/// @notice Drives WS402Deposits the way users, providers and time do: opens, settles signed by the session keys,
/// close requests, waits, reclaims and withdrawals. It settles and reclaims sessions in any status, so a contract that
/// paid a session twice would be caught by the ghost accounting. Hostile users join in: they try to open sessions with
/// a contract session key they could switch off, and delegate a served session key's address (EIP-7702, installed
/// with `etch` of the delegation indicator) to code that disowns its receipts before the provider settles.
contract WS402DepositsHandler {
    uint256 internal constant SESSION_KEY_BASE = 0x5E55_0000;
    uint32 internal constant MAX_DURATION = 3600;
    uint256 internal constant MAX_WARP = 2 days;
    /// @dev EIP-7702's delegation indicator: an account whose code is this prefix and an address runs that address's code.
    bytes3 internal constant DELEGATION_PREFIX = 0xef0100;

    WS402Deposits public immutable deposits;

    // Two EOA users and one contract user that refuses ETH (its refunds are deferred).
    address[3] internal _users;
    TestUserAccount public immutable rejectingUser;
    // Resource 1 pays an EOA; resource 2 pays a contract that refuses ETH (its pay is deferred).
    address[2] internal _providers;
    address[2] internal _payouts;
    TestUserAccount public immutable rejectingPayout;

    uint256[] internal _sessionIds;

    /// @notice Wei deposited into all sessions.
    uint256 public ghostDeposited;
    /// @notice Deposits of the sessions seen to leave `Open` (settled or reclaimed).
    uint256 public ghostClosedDeposits;
    /// @notice Wei the contract paid out for sessions: pushed to recipients or credited to their pull balances.
    uint256 public ghostPaidOut;
    /// @notice Settlements that paid a provider more than the session's deposit.
    uint256 public ghostProviderOverpayments;
    /// @notice The most seconds each session's key signed a receipt for.
    mapping(uint256 sessionId => uint256 elapsedSeconds) public ghostSignedSeconds;
    /// @notice Settlements that charged a user more than `pricePerSecond ×` the seconds its key signed (capped at
    /// `maxSeconds`).
    uint256 public ghostUserOvercharges;
    /// @notice Settlements of an open session, by its provider with a receipt the key signed, that failed or paid
    /// the provider other than `min(elapsed, maxSeconds) × pricePerSecond`.
    uint256 public ghostProviderUnderpayments;
    /// @notice Sessions opened with a session key that has code.
    uint256 public ghostContractKeysAccepted;

    /// @notice The code a hostile user delegates its session keys to: it answers every ERC-1271 check "invalid".
    TestRevocableSessionKey public immutable disowningCode;

    constructor() {
        disowningCode = new TestRevocableSessionKey(address(0));
        disowningCode.revoke();
        deposits = new WS402Deposits(address(this), 30);
        rejectingUser = new TestUserAccount(deposits);
        rejectingUser.setReceiveMode(TestUserAccount.ReceiveMode.Revert);
        rejectingPayout = new TestUserAccount(deposits);
        rejectingPayout.setReceiveMode(TestUserAccount.ReceiveMode.Revert);

        _users = [vm.addr(0xB0B), vm.addr(0xCA7), address(rejectingUser)];
        _providers = [vm.addr(0xD0C), vm.addr(0xD0D)];
        _payouts = [vm.addr(0xFEE), address(rejectingPayout)];
        vm.prank(_providers[0]);
        deposits.registerResource(1, _payouts[0], "ipfs://pdf");
        vm.prank(_providers[1]);
        deposits.registerResource(3 gwei, _payouts[1], "ipfs://stream");
    }

    function sessionIdsLength() external view returns (uint256) {
        return _sessionIds.length;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Actions
    // ---------------------------------------------------------------------------------------------------------------

    function open(uint256 userSeed, uint256 resourceSeed, uint256 maxSeconds) external {
        address user = _users[userSeed % _users.length];
        uint256 resourceId = 1 + (resourceSeed % 2);
        uint32 duration = uint32(1 + (maxSeconds % MAX_DURATION));
        uint256 deposit = deposits.depositFor(resourceId, duration);
        address sessionKey = vm.addr(SESSION_KEY_BASE + deposits.sessionCount() + 1);

        uint256 sessionId;
        if (user == address(rejectingUser)) {
            vm.deal(address(this), deposit);
            sessionId = rejectingUser.open{value: deposit}(resourceId, duration, sessionKey);
        } else {
            vm.deal(user, deposit);
            vm.prank(user);
            sessionId = deposits.open{value: deposit}(resourceId, duration, sessionKey);
        }
        _sessionIds.push(sessionId);
        ghostDeposited += deposit;
    }

    /// @notice The provider settles any known session (open or not) with a receipt signed by its session key.
    function settle(uint256 sessionSeed, uint256 elapsedSeconds) external {
        if (_sessionIds.length == 0) return;
        uint256 sessionId = _sessionIds[sessionSeed % _sessionIds.length];
        IWS402Deposits.Session memory s = deposits.session(sessionId);
        elapsedSeconds = elapsedSeconds % (2 * uint256(s.maxSeconds) + 1);
        (uint8 v, bytes32 r, bytes32 sig) =
            vm.sign(SESSION_KEY_BASE + sessionId, deposits.hashUsage(sessionId, elapsedSeconds));
        if (elapsedSeconds > ghostSignedSeconds[sessionId]) ghostSignedSeconds[sessionId] = elapsedSeconds;
        address payout = _payouts[s.resourceId - 1];

        uint256 payoutBefore = payout.balance + deposits.owed(payout);
        Snapshot memory balancesBefore = _snapshot(s.user, payout);
        bool settled;
        vm.prank(_providers[s.resourceId - 1]);
        try deposits.settle(sessionId, elapsedSeconds, abi.encodePacked(r, sig, v)) {
            settled = true;
        } catch {}
        _record(sessionId, s, balancesBefore, s.user, payout);

        uint256 paidToProvider = payout.balance + deposits.owed(payout) - payoutBefore;
        if (paidToProvider > uint256(s.pricePerSecond) * s.maxSeconds) ghostProviderOverpayments++;
        // The user's loss is what the provider received; it never exceeds what the key signed.
        if (paidToProvider > _min(ghostSignedSeconds[sessionId], s.maxSeconds) * s.pricePerSecond) {
            ghostUserOvercharges++;
        }
        // An open session always settles with a receipt its key signed, whatever code the key's address has now.
        if (
            s.status == IWS402Deposits.SessionStatus.Open
                && (!settled || paidToProvider != _min(elapsedSeconds, s.maxSeconds) * s.pricePerSecond)
        ) ghostProviderUnderpayments++;
    }

    /// @notice A hostile user tries to open a session with a contract session key it could switch off when served.
    function openWithContractKey(uint256 userSeed, uint256 resourceSeed) external {
        address user = _users[userSeed % 2]; // the EOA users
        uint256 resourceId = 1 + (resourceSeed % 2);
        uint256 deposit = deposits.depositFor(resourceId, 1);
        TestRevocableSessionKey key = new TestRevocableSessionKey(vm.addr(SESSION_KEY_BASE));
        vm.deal(user, deposit);
        vm.prank(user);
        try deposits.open{value: deposit}(resourceId, 1, address(key)) returns (uint256 sessionId) {
            ghostContractKeysAccepted++;
            _sessionIds.push(sessionId);
            ghostDeposited += deposit;
        } catch {}
    }

    /// @notice A hostile user delegates a session key's address (EIP-7702) to code that disowns every receipt.
    function delegateSessionKey(uint256 sessionSeed) external {
        if (_sessionIds.length == 0) return;
        uint256 sessionId = _sessionIds[sessionSeed % _sessionIds.length];
        vm.etch(vm.addr(SESSION_KEY_BASE + sessionId), abi.encodePacked(DELEGATION_PREFIX, disowningCode));
    }

    function requestClose(uint256 sessionSeed) external {
        if (_sessionIds.length == 0) return;
        uint256 sessionId = _sessionIds[sessionSeed % _sessionIds.length];
        address user = deposits.session(sessionId).user;
        if (user == address(rejectingUser)) {
            try rejectingUser.requestClose(sessionId) {} catch {}
        } else {
            vm.prank(user);
            try deposits.requestClose(sessionId) {} catch {}
        }
    }

    /// @notice The user reclaims any known session (open or not).
    function reclaim(uint256 sessionSeed) external {
        if (_sessionIds.length == 0) return;
        uint256 sessionId = _sessionIds[sessionSeed % _sessionIds.length];
        IWS402Deposits.Session memory s = deposits.session(sessionId);
        address payout = _payouts[s.resourceId - 1];

        Snapshot memory balancesBefore = _snapshot(s.user, payout);
        if (s.user == address(rejectingUser)) {
            try rejectingUser.reclaim(sessionId) {} catch {}
        } else {
            vm.prank(s.user);
            try deposits.reclaim(sessionId) {} catch {}
        }
        _record(sessionId, s, balancesBefore, s.user, payout);
    }

    function warp(uint256 secondsForward) external {
        vm.warp(block.timestamp + (secondsForward % MAX_WARP));
    }

    /// @notice A contract that refused ETH starts accepting it and takes its pull balance.
    function withdraw(bool payoutSide) external {
        TestUserAccount account = payoutSide ? rejectingPayout : rejectingUser;
        if (deposits.owed(address(account)) == 0) return;
        account.setReceiveMode(TestUserAccount.ReceiveMode.Accept);
        account.withdraw();
        account.setReceiveMode(TestUserAccount.ReceiveMode.Revert);
    }

    /// @notice The owner changes the grace period; running grace periods must keep their deadline.
    function setGracePeriod(uint256 gracePeriod) external {
        deposits.setGracePeriod(uint32(30 + (gracePeriod % (1 days - 30 + 1))));
    }

    function _min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Ghost accounting
    // ---------------------------------------------------------------------------------------------------------------

    struct Snapshot {
        uint256 userBalance;
        uint256 payoutBalance;
        uint256 totalOwed;
    }

    function _snapshot(address user, address payout) internal view returns (Snapshot memory) {
        return Snapshot({userBalance: user.balance, payoutBalance: payout.balance, totalOwed: deposits.totalOwed()});
    }

    /// @dev Users and payout addresses are disjoint, and only this session's parties can gain during the call.
    function _record(
        uint256 sessionId,
        IWS402Deposits.Session memory sessionBefore,
        Snapshot memory balancesBefore,
        address user,
        address payout
    ) internal {
        ghostPaidOut += (user.balance - balancesBefore.userBalance) + (payout.balance - balancesBefore.payoutBalance)
            + (deposits.totalOwed() - balancesBefore.totalOwed);
        bool wasOpen = sessionBefore.status == IWS402Deposits.SessionStatus.Open;
        bool isOpen = deposits.session(sessionId).status == IWS402Deposits.SessionStatus.Open;
        if (wasOpen && !isOpen) {
            ghostClosedDeposits += uint256(sessionBefore.pricePerSecond) * sessionBefore.maxSeconds;
        }
    }
}

/// @notice Invariants of WS402Deposits under random sequences of the handler's actions.
/// forge-config: default.invariant.depth = 100
contract WS402DepositsInvariants is HandlerInvariants {
    WS402DepositsHandler internal handler;
    WS402Deposits internal deposits;

    function setUp() public {
        handler = new WS402DepositsHandler();
        deposits = handler.deposits();
        bytes4[] memory selectors = new bytes4[](9);
        selectors[0] = WS402DepositsHandler.open.selector;
        selectors[1] = WS402DepositsHandler.settle.selector;
        selectors[2] = WS402DepositsHandler.requestClose.selector;
        selectors[3] = WS402DepositsHandler.reclaim.selector;
        selectors[4] = WS402DepositsHandler.warp.selector;
        selectors[5] = WS402DepositsHandler.withdraw.selector;
        selectors[6] = WS402DepositsHandler.setGracePeriod.selector;
        selectors[7] = WS402DepositsHandler.openWithContractKey.selector;
        selectors[8] = WS402DepositsHandler.delegateSessionKey.selector;
        _targetHandler(address(handler), selectors);
    }

    /// @notice The contract holds at least every open deposit plus every pull balance.
    function invariant_Solvent() public view {
        uint256 openDeposits = handler.ghostDeposited() - handler.ghostClosedDeposits();
        assertGe(address(deposits).balance, openDeposits + deposits.totalOwed(), "balance >= open deposits + owed");
    }

    /// @notice Every wei paid out belongs to a session that closed, and each closed session paid its deposit once.
    function invariant_NoSessionPaidTwice() public view {
        assertEq(handler.ghostPaidOut(), handler.ghostClosedDeposits(), "paid out == deposits of closed sessions");
    }

    /// @notice Who gets paid: a provider is paid exactly `pricePerSecond ×` the seconds of the receipt it settles an
    /// open session with (capped at `maxSeconds`), whatever code the session key's address gained since; a user never
    /// loses more than its key signed for; no contract is accepted as a session key.
    function invariant_PaidExactlyWhatTheKeySigned() public view {
        assertEq(handler.ghostContractKeysAccepted(), 0, "sessions opened with a session key that has code");
        assertEq(handler.ghostProviderUnderpayments(), 0, "provider not paid for a signed receipt");
        assertEq(handler.ghostUserOvercharges(), 0, "user charged beyond what its key signed");
    }

    /// @notice No settlement paid a provider more than the session's `maxSeconds × pricePerSecond`.
    function invariant_ProviderPaidAtMostTheDeposit() public view {
        assertEq(handler.ghostProviderOverpayments(), 0, "provider overpayments");
    }
}
