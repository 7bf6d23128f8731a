/**
 * Ethereum event decoding as graph-node hands events to mappings: every ABI kind (indexed dynamic values as their
 * topic hash, signed integers, tuples, arrays, bytes), and `ethereum.Event` written into a module's memory in the
 * field order of graph-ts's classes (Event, Block, Transaction, EventParam), with the receipt slot from 0.0.7 on.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { type AbiEvent, type Hex, encodeAbiParameters, keccak256, toEventSelector, toHex } from "viem";
import { buildSubgraph } from "@web3torrent/subgraph/build";
import { AscMemory, type MappingExports } from "../src/runtime/ascMemory.ts";
import { EventDecoder, type RpcBlock, type RpcLog, blockData, writeEvent } from "../src/runtime/ethereum.ts";
import { hostFunctions, importsFor } from "../src/runtime/hostFunctions.ts";
import { EthereumKind, readBigInt } from "../src/runtime/values.ts";

const MIXED: AbiEvent = {
  type: "event",
  name: "Mixed",
  inputs: [
    { name: "name", type: "string", indexed: true },
    { name: "owner", type: "address", indexed: true },
    { name: "delta", type: "int256" },
    {
      name: "pair",
      type: "tuple",
      components: [
        { name: "who", type: "address" },
        { name: "n", type: "uint64" },
      ],
    },
    { name: "blob", type: "bytes" },
    { name: "list", type: "address[]" },
    { name: "ok", type: "bool" },
    { name: "tag", type: "bytes32" },
    { name: "fixedList", type: "uint8[2]" },
  ],
};

const OWNER = "0x00000000000000000000000000000000000000aa";
const WHO = "0x00000000000000000000000000000000000000bb";
const TAG = keccak256(toHex("tag"));
const TX_HASH = `0x${"11".repeat(32)}` as Hex;

function mixedLog(): RpcLog {
  const dataInputs = MIXED.inputs.filter((input) => !("indexed" in input && input.indexed));
  return {
    address: "0x00000000000000000000000000000000000000cc",
    topics: [toEventSelector(MIXED), keccak256(toHex("alice")), `0x${OWNER.slice(2).padStart(64, "0")}`],
    data: encodeAbiParameters(dataInputs, [-5n, { who: WHO, n: 7n }, "0xbeef", [OWNER, WHO], true, TAG, [1, 2]]),
    blockNumber: "0x2a",
    blockHash: `0x${"22".repeat(32)}`,
    transactionHash: TX_HASH,
    transactionIndex: "0x0",
    logIndex: "0x3",
  };
}

const block: RpcBlock = {
  number: "0x2a",
  hash: `0x${"22".repeat(32)}`,
  parentHash: `0x${"33".repeat(32)}`,
  sha3Uncles: `0x${"44".repeat(32)}`,
  miner: "0x00000000000000000000000000000000000000dd",
  stateRoot: `0x${"55".repeat(32)}`,
  transactionsRoot: `0x${"66".repeat(32)}`,
  receiptsRoot: `0x${"77".repeat(32)}`,
  gasUsed: "0x5208",
  gasLimit: "0x1c9c380",
  timestamp: "0x6553f100",
  baseFeePerGas: "0x7",
  transactions: [
    {
      hash: TX_HASH,
      transactionIndex: "0x0",
      from: "0x00000000000000000000000000000000000000ee",
      to: "0x00000000000000000000000000000000000000cc",
      value: "0x9",
      gas: "0x5208",
      gasPrice: "0x3",
      input: "0xabcd",
      nonce: "0x4",
    },
  ],
};

describe("ethereum events", () => {
  let memory: AscMemory;

  before(async () => {
    const { buildDir } = await buildSubgraph();
    const module = new WebAssembly.Module(readFileSync(join(buildDir, "LicenseMarket/LicenseMarket.wasm")));
    const functions = hostFunctions({
      memory: () => memory,
      dataSourceName: "test",
      network: "localhost",
      address: new Uint8Array(20),
      context: new Map(),
      store: { get: () => undefined, getInBlock: () => undefined, set() {}, remove() {}, loadRelated: () => [] },
      log() {},
    });
    const instance = new WebAssembly.Instance(module, importsFor(module, functions));
    memory = new AscMemory(instance.exports as unknown as MappingExports, new Map());
    (instance.exports._start as () => void)();
  });

  it("decodes every ABI kind as graph-node does, indexed dynamic values as their topic", () => {
    const parameters = new EventDecoder(MIXED).decode(mixedLog());
    const hex = (bytes: Uint8Array) => "0x" + Buffer.from(bytes).toString("hex");
    const plain = (value: (typeof parameters)[number]["value"]): unknown =>
      value.value instanceof Uint8Array
        ? [value.kind, hex(value.value)]
        : Array.isArray(value.value)
          ? [value.kind, value.value.map(plain)]
          : [value.kind, value.value];
    assert.deepEqual(
      parameters.map(({ name, value }) => [name, plain(value)]),
      [
        ["name", ["FixedBytes", keccak256(toHex("alice"))]],
        ["owner", ["Address", OWNER]],
        ["delta", ["Int", -5n]],
        [
          "pair",
          [
            "Tuple",
            [
              ["Address", WHO],
              ["Uint", 7n],
            ],
          ],
        ],
        ["blob", ["Bytes", "0xbeef"]],
        [
          "list",
          [
            "Array",
            [
              ["Address", OWNER],
              ["Address", WHO],
            ],
          ],
        ],
        ["ok", ["Bool", true]],
        ["tag", ["FixedBytes", TAG]],
        [
          "fixedList",
          [
            "FixedArray",
            [
              ["Uint", 1n],
              ["Uint", 2n],
            ],
          ],
        ],
      ],
    );
    assert.throws(() => new EventDecoder(MIXED).decode({ ...mixedLog(), topics: mixedLog().topics.slice(0, 2) }), /too few topics/);
  });

  it("writes ethereum.Event in graph-ts's field order, with a receipt slot from API version 0.0.7", () => {
    const log = mixedLog();
    const data = blockData(block);
    const parameters = new EventDecoder(MIXED).decode(log);
    const field = (ptr: number, index: number) => memory.u32(ptr + 4 * index);
    const bytes = (ptr: number) => "0x" + Buffer.from(memory.readBytes(ptr)).toString("hex");
    const big = (ptr: number) => readBigInt(memory, ptr);

    const event = writeEvent(memory, "0.0.9", log, data, parameters);
    assert.equal(memory.sizeOf(event), 8 * 4, "address, logIndex, transactionLogIndex, logType, block, transaction, parameters, receipt");
    assert.equal(bytes(field(event, 0)), log.address);
    assert.equal(big(field(event, 1)), 3n);
    assert.equal(field(event, 3), 0, "logType is null");
    assert.equal(field(event, 7), 0, "no receipt without `receipt: true`");

    const b = field(event, 4);
    assert.equal(memory.sizeOf(b), 15 * 4);
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6].map((i) => bytes(field(b, i))),
      [block.hash, block.parentHash, block.sha3Uncles, block.miner, block.stateRoot, block.transactionsRoot, block.receiptsRoot],
    );
    assert.deepEqual(
      [7, 8, 9, 10].map((i) => big(field(b, i))),
      [42n, 21_000n, 30_000_000n, 0x6553f100n],
    );
    assert.equal(field(b, 13), 0, "no size: null");
    assert.equal(big(field(b, 14)), 7n, "baseFeePerGas");

    const t = field(event, 5);
    assert.equal(memory.sizeOf(t), 9 * 4);
    assert.equal(bytes(field(t, 0)), TX_HASH);
    assert.equal(bytes(field(t, 2)), "0x00000000000000000000000000000000000000ee");
    assert.equal(bytes(field(t, 3)), "0x00000000000000000000000000000000000000cc");
    assert.deepEqual(
      [4, 5, 6].map((i) => big(field(t, i))),
      [9n, 21_000n, 3n],
    );
    assert.equal(bytes(field(t, 7)), "0xabcd");
    assert.equal(big(field(t, 8)), 4n);

    const params = memory.readArrayU32(field(event, 6));
    assert.deepEqual(
      params.map((p) => memory.readString(field(p, 0))),
      MIXED.inputs.map((input) => input.name),
    );
    const delta = memory.readEnum(field(params[2], 1));
    assert.equal(delta.kind, EthereumKind.Int);
    assert.equal(big(Number(delta.payload)), -5n);
    const pair = memory.readEnum(field(params[3], 1));
    assert.equal(pair.kind, EthereumKind.Tuple);
    assert.deepEqual(
      memory.readArrayU32(Number(pair.payload)).map((v) => memory.readEnum(v).kind),
      [EthereumKind.Address, EthereumKind.Uint],
    );
    assert.equal(memory.readEnum(field(params[6], 1)).payload, 1n, "a Bool's payload is the value");

    assert.equal(memory.sizeOf(writeEvent(memory, "0.0.6", log, data, parameters)), 7 * 4, "no receipt slot before 0.0.7");
    assert.throws(
      () => writeEvent(memory, "0.0.9", { ...log, transactionHash: `0x${"99".repeat(32)}` }, data, parameters),
      /is not in block 42/,
    );
  });
});
