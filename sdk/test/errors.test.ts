/**
 * The error vocabulary: one-line messages, cause walks, EIP-1193 codes and user rejections, on viem's errors as they
 * arrive from a wallet and on the plain errors other libraries throw.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ContractFunctionExecutionError,
  ContractFunctionRevertedError,
  RpcRequestError,
  TransactionExecutionError,
  UserRejectedRequestError,
} from "viem";
import { errorCode, findCause, isUserRejection, shortMessage } from "../src/errors.ts";

/** What viem throws when a wallet declines a transaction: the rejection two causes deep. */
function declined(): Error {
  const rejection = new UserRejectedRequestError(new Error("MetaMask Tx Signature: User denied transaction signature."));
  return new TransactionExecutionError(rejection, { account: undefined, chain: undefined } as never);
}

describe("shortMessage", () => {
  it("gives viem's short message without the details, version and docs lines", () => {
    const error = declined();
    assert.ok(error.message.includes("\n"));
    assert.equal(shortMessage(error), "User rejected the request.");
  });

  it("gives the first line of a plain error and the text of anything else", () => {
    assert.equal(shortMessage(new Error("first\nsecond")), "first");
    assert.equal(shortMessage("just a string"), "just a string");
    assert.equal(shortMessage(42), "42");
  });
});

describe("findCause", () => {
  it("finds a viem error under a plain one and returns null when none matches", () => {
    const revert = new ContractFunctionRevertedError({ abi: [], functionName: "buy", message: "reverted" });
    const outer = new Error("wrapped", { cause: new ContractFunctionExecutionError(revert, { abi: [], functionName: "buy" }) });
    assert.equal(
      findCause(outer, (e) => e instanceof ContractFunctionRevertedError),
      revert,
    );
    assert.equal(
      findCause(outer, (e) => e instanceof UserRejectedRequestError),
      null,
    );
  });

  it("matches the error itself and walks nothing when it is not an object", () => {
    const error = new Error("self");
    assert.equal(
      findCause(error, (e) => e === error),
      error,
    );
    assert.equal(
      findCause(undefined, () => false),
      null,
    );
    assert.equal(
      findCause("text", () => false),
      null,
    );
  });
});

describe("errorCode", () => {
  it("gives the first numeric code along the causes", () => {
    const rpc = new RpcRequestError({ body: {}, url: "http://localhost", error: { code: 4902, message: "Unrecognized chain ID" } });
    assert.equal(errorCode(new Error("switch failed", { cause: rpc })), 4902);
    assert.equal(errorCode(Object.assign(new Error("outer"), { code: "E_STRING", cause: { code: 4001 } })), 4001);
    assert.equal(errorCode(new Error("no code")), undefined);
  });
});

describe("isUserRejection", () => {
  it("sees viem's UserRejectedRequestError deep in the causes", () => {
    assert.equal(isUserRejection(declined()), true);
  });

  it("sees a bare EIP-1193 4001 and an error only named like viem's (another copy of viem)", () => {
    assert.equal(isUserRejection(new Error("declined", { cause: { code: 4001, message: "User rejected" } })), true);
    assert.equal(isUserRejection(Object.assign(new Error("x"), { name: "UserRejectedRequestError" })), true);
  });

  it("does not take other failures for a rejection", () => {
    assert.equal(isUserRejection(new Error("insufficient funds", { cause: { code: -32000 } })), false);
    assert.equal(isUserRejection(null), false);
  });
});
