/**
 * The host functions, called as a compiled mapping calls them: on a real module instance, with arguments and
 * results in its memory, laid out as graph-node lays them out for API version 0.0.5 and later.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { buildSubgraph } from "@web3torrent/subgraph/build";
import { AscMemory, type MappingExports } from "../src/runtime/ascMemory.ts";
import { BigDecimal } from "../src/runtime/bigNumbers.ts";
import { type HostContext, MappingError, hostFunctions, importsFor } from "../src/runtime/hostFunctions.ts";
import {
  type EntityData,
  readBigDecimal,
  readBigInt,
  readEntity,
  writeBigDecimal,
  writeBigInt,
  writeEntity,
} from "../src/runtime/values.ts";

type Fn = (...args: number[]) => number | bigint | void;

describe("host functions on a compiled mapping's memory", () => {
  let memory: AscMemory;
  let call: Record<string, Fn>;
  const stored = new Map<string, EntityData>();
  const logged: [string, string][] = [];

  before(async () => {
    const { buildDir } = await buildSubgraph();
    const module = new WebAssembly.Module(readFileSync(join(buildDir, "LicenseMarket/LicenseMarket.wasm")));
    const host: HostContext = {
      memory: () => memory,
      dataSourceName: "LicenseMarket",
      network: "localhost",
      address: Uint8Array.from(Buffer.from("5fbdb2315678afecb367f032d93f642f64180aa3", "hex")),
      context: new Map([["flag", { kind: "Bool", value: true }]]),
      store: {
        get: (type, id) => stored.get(`${type}:${id}`),
        getInBlock: () => undefined,
        set: (type, id, data) => void stored.set(`${type}:${id}`, data),
        remove: (type, id) => void stored.delete(`${type}:${id}`),
        loadRelated: () => [],
      },
      log: (level, message) => void logged.push([level, message]),
    };
    call = hostFunctions(host) as Record<string, Fn>;
    const instance = new WebAssembly.Instance(module, importsFor(module, call));
    memory = new AscMemory(instance.exports as unknown as MappingExports, new Map());
    (instance.exports._start as () => void)();
  });

  const str = (text: string) => memory.writeString(text);
  const big = (value: bigint) => writeBigInt(memory, value);
  const bigResult = (ptr: number | bigint | void) => readBigInt(memory, ptr as number);
  const text = (ptr: number | bigint | void) => memory.readString(ptr as number);

  it("strings and bytes keep their content and the header's size", () => {
    const ptr = str("héllo ✓ 🌍");
    assert.equal(memory.readString(ptr), "héllo ✓ 🌍");
    assert.equal(memory.sizeOf(ptr), "héllo ✓ 🌍".length * 2);
    assert.equal(ptr % 16, 0, "payloads are 16-byte aligned like the module's own objects");
    assert.deepEqual([...memory.readBytes(memory.writeBytes(Uint8Array.from([1, 2, 255])))], [1, 2, 255]);
  });

  it("class ids come from the module's id_of_type", () => {
    const ptr = str("x");
    assert.ok(memory.u32(ptr - 8) > 0, "a String's rtId");
    assert.notEqual(memory.u32(ptr - 8), memory.u32(memory.writeBytes(new Uint8Array(1)) - 8));
  });

  it("BigInt arithmetic, with graph-node's errors", () => {
    assert.equal(bigResult(call["bigInt.plus"](big(2n ** 255n), big(1n))), 2n ** 255n + 1n);
    assert.equal(bigResult(call["bigInt.minus"](big(5n), big(7n))), -2n);
    assert.equal(bigResult(call["bigInt.times"](big(-3n), big(10n ** 20n))), -3n * 10n ** 20n);
    assert.equal(bigResult(call["bigInt.dividedBy"](big(-7n), big(2n))), -3n, "truncates toward zero");
    assert.equal(bigResult(call["bigInt.mod"](big(-7n), big(2n))), -1n);
    assert.equal(bigResult(call["bigInt.pow"](big(10n), 18)), 10n ** 18n);
    assert.equal(bigResult(call["bigInt.fromString"](str("-123456789012345678901234567890"))), -123456789012345678901234567890n);
    assert.equal(bigResult(call["bigInt.bitOr"](big(0b1010n), big(0b0101n))), 0b1111n);
    assert.equal(bigResult(call["bigInt.bitAnd"](big(0b1110n), big(0b0111n))), 0b0110n);
    assert.equal(bigResult(call["bigInt.leftShift"](big(1n), 200)), 2n ** 200n);
    assert.equal(bigResult(call["bigInt.rightShift"](big(-9n), 1)), -5n);
    assert.throws(
      () => call["bigInt.dividedBy"](big(7n), big(0n)),
      (e: Error) => e instanceof MappingError && e.message === "attempted to divide BigInt `7` by zero",
    );
    assert.throws(() => call["bigInt.mod"](big(7n), big(0n)), /remainder of `7` with a divisor of zero/);
    assert.throws(() => call["bigInt.fromString"](str("12x")), /string is not a BigInt: `12x`/);
  });

  it("BigDecimal arithmetic and conversions", () => {
    const dec = (t: string) => writeBigDecimal(memory, BigDecimal.parse(t));
    const decResult = (ptr: number | bigint | void) => readBigDecimal(memory, ptr as number).toString();
    assert.equal(decResult(call["bigDecimal.plus"](dec("1.5"), dec("2.25"))), "3.75");
    assert.equal(decResult(call["bigDecimal.minus"](dec("1"), dec("2.5"))), "-1.5");
    assert.equal(decResult(call["bigDecimal.times"](dec("1.5"), dec("1.5"))), "2.25");
    assert.equal(decResult(call["bigDecimal.dividedBy"](dec("1"), dec("4"))), "0.25");
    assert.equal(decResult(call["bigInt.dividedByDecimal"](big(1n), dec("8"))), "0.125");
    assert.equal(text(call["bigDecimal.toString"](dec("12e3"))), "12000");
    assert.equal(decResult(call["bigDecimal.fromString"](str("0.0100"))), "0.01");
    assert.equal(call["bigDecimal.equals"](dec("2.0"), dec("2")), 1);
    assert.throws(() => call["bigDecimal.dividedBy"](dec("1"), dec("0")), /attempted to divide BigDecimal `1` by zero/);
    assert.throws(() => call["bigDecimal.fromString"](str("one")), /is not a BigDecimal/);
  });

  it("type conversions", () => {
    assert.equal(text(call["typeConversion.bytesToHex"](memory.writeBytes(Uint8Array.from([0, 0xab])))), "0x00ab");
    assert.equal(text(call["typeConversion.bytesToHex"](memory.writeBytes(new Uint8Array()))), "0x");
    assert.equal(text(call["typeConversion.bytesToString"](memory.writeBytes(Uint8Array.from(Buffer.from("abc\u0000\u0000"))))), "abc");
    assert.equal(text(call["typeConversion.bigIntToString"](big(-42n))), "-42");
    assert.equal(text(call["typeConversion.bigIntToHex"](big(0n))), "0x0");
    assert.equal(text(call["typeConversion.bigIntToHex"](big(4095n))), "0xfff");
    assert.equal(text(call["typeConversion.bytesToBase58"](memory.writeBytes(Uint8Array.from([0, 0, 1])))), "112");
    const address = memory.readBytes(call["typeConversion.stringToH160"](str("0x5FbDB2315678afecb367f032d93F642f64180aa3")) as number);
    assert.equal(Buffer.from(address).toString("hex"), "5fbdb2315678afecb367f032d93f642f64180aa3");
    assert.throws(() => call["typeConversion.stringToH160"](str("0x1234")), /Failed to convert string to Address: '0x1234'/);
  });

  it("the store receives and returns entities with every value kind", () => {
    const entity: EntityData = new Map([
      ["id", { kind: "String", value: "e1" }],
      ["count", { kind: "Int", value: -5 }],
      ["big", { kind: "BigInt", value: 2n ** 200n }],
      ["ratio", { kind: "BigDecimal", value: BigDecimal.parse("3.14") }],
      ["flag", { kind: "Bool", value: true }],
      ["raw", { kind: "Bytes", value: Uint8Array.from([9, 8]) }],
      [
        "list",
        {
          kind: "Array",
          value: [
            { kind: "String", value: "a" },
            { kind: "String", value: "b" },
          ],
        },
      ],
      ["none", { kind: "Null" }],
      ["wide", { kind: "Int8", value: -(2n ** 40n) }],
      ["when", { kind: "Timestamp", value: 1_700_000_000_000_000n }],
    ]);
    call["store.set"](str("Thing"), str("e1"), writeEntity(memory, entity));
    assert.deepEqual(stored.get("Thing:e1"), entity);
    const ptr = call["store.get"](str("Thing"), str("e1")) as number;
    assert.deepEqual(readEntity(memory, ptr), entity);
    assert.equal(call["store.get"](str("Thing"), str("nope")), 0);
    call["store.remove"](str("Thing"), str("e1"));
    assert.equal(stored.has("Thing:e1"), false);
  });

  it("logging, aborts and the data source", () => {
    call["log.log"](3, str("hello"));
    assert.deepEqual(logged.at(-1), ["info", "hello"]);
    assert.throws(() => call["log.log"](0, str("bad state")), /Critical error logged in mapping with log message: bad state/);
    assert.throws(
      () => call.abort(str("boom"), str("src/x.ts"), 3, 5),
      (e: Error) => e.message === "Mapping aborted at src/x.ts, line 3, column 5, with message: boom",
    );
    assert.throws(() => call.abort(0, 0, 0, 0), /Mapping aborted at an unknown location, with no message/);
    assert.equal(
      Buffer.from(memory.readBytes(call["dataSource.address"]() as number)).toString("hex"),
      "5fbdb2315678afecb367f032d93f642f64180aa3",
    );
    assert.equal(text(call["dataSource.network"]()), "localhost");
    assert.deepEqual(readEntity(memory, call["dataSource.context"]() as number), new Map([["flag", { kind: "Bool", value: true }]]));
  });

  it("JSON and keccak256", () => {
    const json = memory.writeBytes(Uint8Array.from(Buffer.from('{"a": [1, 2.5, "x", null, true], "big": 123456789012345678901234567890}')));
    assert.equal(memory.readEnum(call["json.fromBytes"](json) as number).kind, 5, "an object");
    const bad = memory.writeBytes(Uint8Array.from(Buffer.from("{nope")));
    assert.throws(() => call["json.fromBytes"](bad), MappingError);
    const result = call["json.try_fromBytes"](bad) as number;
    assert.equal(memory.u32(result), 0, "no value");
    assert.notEqual(memory.u32(result + 4), 0, "an error");
    assert.equal(bigResult(call["json.toBigInt"](str("123456789012345678901234567890"))), 123456789012345678901234567890n);
    assert.equal(call["json.toI64"](str("-9")), -9n);
    const hash = memory.readBytes(call["crypto.keccak256"](memory.writeBytes(new Uint8Array())) as number);
    assert.equal(Buffer.from(hash).toString("hex"), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  });

  it("a host function graph-node has but this indexer refuses fails the handler with the reason", () => {
    // (module (import "index" "ethereum.call" (func (param i32) (result i32))) (func (export "run") (result i32) i32.const 0 call 0))
    const bytes = Uint8Array.from([
      0x00,
      0x61,
      0x73,
      0x6d,
      0x01,
      0x00,
      0x00,
      0x00,
      0x01,
      0x0a,
      0x02,
      0x60,
      0x01,
      0x7f,
      0x01,
      0x7f,
      0x60,
      0x00,
      0x01,
      0x7f,
      0x02,
      0x17,
      0x01,
      0x05,
      ...Buffer.from("index"),
      0x0d,
      ...Buffer.from("ethereum.call"),
      0x00,
      0x00,
      0x03,
      0x02,
      0x01,
      0x01,
      0x07,
      0x07,
      0x01,
      0x03,
      ...Buffer.from("run"),
      0x00,
      0x01,
      0x0a,
      0x08,
      0x01,
      0x06,
      0x00,
      0x41,
      0x00,
      0x10,
      0x00,
      0x0b,
    ]);
    const module = new WebAssembly.Module(bytes);
    const instance = new WebAssembly.Instance(module, importsFor(module, call));
    assert.throws(() => (instance.exports.run as () => number)(), /Host function ethereum.call: contract calls are not supported/);
  });
});
