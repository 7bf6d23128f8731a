/**
 * Ethereum data as mappings receive it: logs decoded against the data source's ABI into event parameters, and
 * the block and transaction of each log, written as graph-ts `ethereum.Event` objects (API version 0.0.6 and
 * later: blocks with base fee, transactions with input and nonce; 0.0.7 and later: a receipt slot).
 */
import { decodeAbiParameters, hexToBytes, toEventSelector, type AbiEvent, type AbiParameter, type Hex } from "viem";
import { type AscMemory, TypeId } from "./ascMemory.ts";
import { type EthereumValue, writeBigInt, writeEthereumValue } from "./values.ts";

/** A log as eth_getLogs returns it. */
export interface RpcLog {
  address: Hex;
  topics: Hex[];
  data: Hex;
  blockNumber: Hex;
  blockHash: Hex;
  transactionHash: Hex;
  transactionIndex: Hex;
  logIndex: Hex;
  removed?: boolean;
}

/** A transaction as eth_getBlockByNumber(n, true) returns it. */
export interface RpcTransaction {
  hash: Hex;
  transactionIndex: Hex;
  from: Hex;
  to: Hex | null;
  value: Hex;
  gas: Hex;
  gasPrice?: Hex;
  maxFeePerGas?: Hex;
  input: Hex;
  nonce: Hex;
}

export interface RpcBlock {
  number: Hex;
  hash: Hex;
  parentHash: Hex;
  sha3Uncles: Hex;
  miner: Hex;
  stateRoot: Hex;
  transactionsRoot: Hex;
  receiptsRoot: Hex;
  gasUsed: Hex;
  gasLimit: Hex;
  timestamp: Hex;
  difficulty?: Hex;
  totalDifficulty?: Hex;
  size?: Hex;
  baseFeePerGas?: Hex;
  transactions: (RpcTransaction | Hex)[];
}

/** A block's fields converted once for all the triggers in it. */
export interface BlockData {
  number: bigint;
  hash: Uint8Array;
  parentHash: Uint8Array;
  unclesHash: Uint8Array;
  author: Uint8Array;
  stateRoot: Uint8Array;
  transactionsRoot: Uint8Array;
  receiptsRoot: Uint8Array;
  gasUsed: bigint;
  gasLimit: bigint;
  timestamp: bigint;
  difficulty: bigint;
  totalDifficulty: bigint;
  size: bigint | null;
  baseFeePerGas: bigint | null;
  transactions: Map<string, TransactionData>;
}

export interface TransactionData {
  hash: Uint8Array;
  index: bigint;
  from: Uint8Array;
  to: Uint8Array | null;
  value: bigint;
  gasLimit: bigint;
  gasPrice: bigint;
  input: Uint8Array;
  nonce: bigint;
}

const ZERO_HASH = new Uint8Array(32);

function quantity(value: Hex | undefined | null): bigint {
  return value ? BigInt(value) : 0n;
}

export function blockData(block: RpcBlock): BlockData {
  const transactions = new Map<string, TransactionData>();
  for (const tx of block.transactions) {
    if (typeof tx === "string") continue;
    transactions.set(tx.hash.toLowerCase(), {
      hash: hexToBytes(tx.hash),
      index: quantity(tx.transactionIndex),
      from: hexToBytes(tx.from),
      to: tx.to ? hexToBytes(tx.to) : null,
      value: quantity(tx.value),
      gasLimit: quantity(tx.gas),
      gasPrice: quantity(tx.gasPrice ?? tx.maxFeePerGas),
      input: hexToBytes(tx.input),
      nonce: quantity(tx.nonce),
    });
  }
  return {
    number: BigInt(block.number),
    hash: hexToBytes(block.hash),
    parentHash: hexToBytes(block.parentHash),
    unclesHash: block.sha3Uncles ? hexToBytes(block.sha3Uncles) : ZERO_HASH,
    author: hexToBytes(block.miner),
    stateRoot: hexToBytes(block.stateRoot),
    transactionsRoot: hexToBytes(block.transactionsRoot),
    receiptsRoot: hexToBytes(block.receiptsRoot),
    gasUsed: quantity(block.gasUsed),
    gasLimit: quantity(block.gasLimit),
    timestamp: quantity(block.timestamp),
    difficulty: quantity(block.difficulty),
    totalDifficulty: quantity(block.totalDifficulty),
    size: block.size ? BigInt(block.size) : null,
    baseFeePerGas: block.baseFeePerGas ? BigInt(block.baseFeePerGas) : null,
    transactions,
  };
}

/** One event of the ABI with what decoding needs, precomputed. */
export class EventDecoder {
  readonly name: string;
  readonly selector: Hex;
  private readonly inputs: readonly AbiParameter[];
  private readonly dataInputs: AbiParameter[];

  constructor(event: AbiEvent) {
    this.name = event.name;
    this.selector = toEventSelector(event);
    this.inputs = event.inputs;
    this.dataInputs = event.inputs.filter((input) => !("indexed" in input && input.indexed));
  }

  /** The event's parameters in declaration order, as graph-node passes them (`event.parameters`). */
  decode(log: RpcLog): { name: string; value: EthereumValue }[] {
    const data = decodeAbiParameters(this.dataInputs, log.data);
    let dataIndex = 0;
    let topicIndex = 1;
    return this.inputs.map((input, position) => {
      let value: EthereumValue;
      if ("indexed" in input && input.indexed) {
        const topic = log.topics[topicIndex++];
        if (topic === undefined) throw new Error(`Log of ${this.name} has too few topics`);
        // Indexed dynamic values are stored as their hash: graph-node hands the mapping those 32 bytes.
        value = isDynamic(input)
          ? { kind: "FixedBytes", value: hexToBytes(topic) }
          : toEthereumValue(input, decodeAbiParameters([input], topic)[0]);
      } else {
        value = toEthereumValue(input, data[dataIndex++]);
      }
      return { name: input.name ?? String(position), value };
    });
  }
}

function isDynamic(parameter: AbiParameter): boolean {
  return parameter.type === "string" || parameter.type === "bytes" || parameter.type.endsWith("]") || parameter.type.startsWith("tuple");
}

function toEthereumValue(parameter: AbiParameter, decoded: unknown): EthereumValue {
  const type = parameter.type;
  const array = /^(.*)\[(\d*)\]$/.exec(type);
  if (array) {
    const element = { ...parameter, type: array[1] } as AbiParameter;
    return { kind: array[2] === "" ? "Array" : "FixedArray", value: (decoded as unknown[]).map((item) => toEthereumValue(element, item)) };
  }
  if (type === "tuple") {
    const components = (parameter as { components: readonly AbiParameter[] }).components;
    const values = Array.isArray(decoded) ? decoded : components.map((c) => (decoded as Record<string, unknown>)[c.name!]);
    return { kind: "Tuple", value: components.map((component, i) => toEthereumValue(component, values[i])) };
  }
  if (type === "address") return { kind: "Address", value: hexToBytes(decoded as Hex) };
  if (type === "bool") return { kind: "Bool", value: decoded as boolean };
  if (type === "string") return { kind: "String", value: decoded as string };
  if (type === "bytes") return { kind: "Bytes", value: hexToBytes(decoded as Hex) };
  if (type.startsWith("bytes")) return { kind: "FixedBytes", value: hexToBytes(decoded as Hex) };
  if (type.startsWith("uint")) return { kind: "Uint", value: BigInt(decoded as bigint | number) };
  if (type.startsWith("int")) return { kind: "Int", value: BigInt(decoded as bigint | number) };
  throw new Error(`Unsupported ABI type ${type}`);
}

function writeNullableBigInt(memory: AscMemory, value: bigint | null): number {
  return value === null ? 0 : writeBigInt(memory, value);
}

/** Writes `ethereum.Event` for `log` and returns its pointer. */
export function writeEvent(
  memory: AscMemory,
  apiVersion: string,
  log: RpcLog,
  block: BlockData,
  parameters: { name: string; value: EthereumValue }[],
): number {
  const tx = block.transactions.get(log.transactionHash.toLowerCase());
  if (!tx) throw new Error(`Transaction ${log.transactionHash} is not in block ${block.number}`);
  const blockPtr = memory.writeStruct(TypeId.EthereumBlock, [
    memory.writeBytes(block.hash),
    memory.writeBytes(block.parentHash),
    memory.writeBytes(block.unclesHash),
    memory.writeBytes(block.author),
    memory.writeBytes(block.stateRoot),
    memory.writeBytes(block.transactionsRoot),
    memory.writeBytes(block.receiptsRoot),
    writeBigInt(memory, block.number),
    writeBigInt(memory, block.gasUsed),
    writeBigInt(memory, block.gasLimit),
    writeBigInt(memory, block.timestamp),
    writeBigInt(memory, block.difficulty),
    writeBigInt(memory, block.totalDifficulty),
    writeNullableBigInt(memory, block.size),
    writeNullableBigInt(memory, block.baseFeePerGas),
  ]);
  const txPtr = memory.writeStruct(TypeId.EthereumTransaction, [
    memory.writeBytes(tx.hash),
    writeBigInt(memory, tx.index),
    memory.writeBytes(tx.from),
    tx.to ? memory.writeBytes(tx.to) : 0,
    writeBigInt(memory, tx.value),
    writeBigInt(memory, tx.gasLimit),
    writeBigInt(memory, tx.gasPrice),
    memory.writeBytes(tx.input),
    writeBigInt(memory, tx.nonce),
  ]);
  const params = memory.writeArrayU32(
    TypeId.ArrayEventParam,
    parameters.map(({ name, value }) =>
      memory.writeStruct(TypeId.EventParam, [memory.writeString(name), writeEthereumValue(memory, value)]),
    ),
  );
  const logIndex = BigInt(log.logIndex);
  const fields = [
    memory.writeBytes(hexToBytes(log.address)),
    writeBigInt(memory, logIndex),
    // graph-node passes the log index here too: nodes do not report a per-transaction index.
    writeBigInt(memory, logIndex),
    0, // logType: null
    blockPtr,
    txPtr,
    params,
  ];
  if (compareVersions(apiVersion, "0.0.7") >= 0) fields.push(0); // receipt: only with `receipt: true` handlers
  return memory.writeStruct(TypeId.EthereumEvent, fields);
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}
