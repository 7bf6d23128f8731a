/**
 * Reading and writing AssemblyScript objects in a mapping's linear memory, in the layout graph-node uses for
 * mappings of API version 0.0.5 and later (AssemblyScript 0.19, runtime "stub"):
 *
 * - every managed object has a 20-byte header before its pointer: mmInfo (u32), gcInfo (u32), gcInfo2 (u32),
 *   rtId (u32: the class id, from the module's exported `id_of_type`), rtSize (u32: the payload's byte length);
 * - String: UTF-16LE code units; ArrayBuffer: raw bytes;
 * - typed arrays (Uint8Array, hence Bytes, Address, BigInt): { buffer, dataStart, byteLength };
 * - Array<T>: { buffer, dataStart, byteLength, length }, elements stored inline (pointers for objects);
 * - enums (ethereum.Value, store Value): { kind: u32, padding: u32, payload: u64 };
 * - TypedMap (Entity): { entries: Array<TypedMapEntry> }, TypedMapEntry: { key, value };
 * - other classes: their fields in declaration order, 4 bytes per pointer.
 *
 * Objects the host creates are placed in arenas obtained from the module's exported `allocate`, as graph-node
 * does, so the module's own allocator never hands the same memory out again.
 */

/** graph-ts's `TypeId` discriminants for the classes the host allocates (graph-node's IndexForAscTypeId). */
export const TypeId = {
  String: 0,
  ArrayBuffer: 1,
  Uint8Array: 6,
  BigDecimal: 12,
  ArrayEthereumValue: 15,
  ArrayStoreValue: 16,
  ArrayString: 18,
  ArrayEventParam: 19,
  ArrayTypedMapEntryStringStoreValue: 21,
  EventParam: 23,
  EthereumTransaction: 24,
  EthereumBlock: 25,
  WrappedBool: 28,
  EthereumValue: 30,
  StoreValue: 31,
  EthereumEvent: 33,
  TypedMapEntryStringStoreValue: 34,
  TypedMapStringStoreValue: 36,
  ArrayTypedMapStringStoreValue: 1004,
} as const;
export type TypeIdName = keyof typeof TypeId;

const HEADER_SIZE = 20;
const OBJECT_ALIGNMENT = 16;
/** Arenas are requested from the module in chunks at least this large (graph-node uses 10,000 bytes). */
const MIN_ARENA_SIZE = 64 * 1024;
/** `allocate` returns the start of an untyped block; graph-node starts its arena 12 bytes in. */
const ARENA_OFFSET = 12;

export interface MappingExports {
  memory: WebAssembly.Memory;
  allocate(size: number): number;
  id_of_type(typeId: number): number;
}

export class AscMemory {
  private readonly exports: MappingExports;
  private readonly classIds: Map<number, number>;
  private bytes: Uint8Array;
  private view: DataView;
  private arenaStart = 0;
  private arenaEnd = 0;

  /** `classIds` caches `id_of_type` results; they are fixed for a compiled module, so instances share it. */
  constructor(exports: MappingExports, classIds: Map<number, number>) {
    this.exports = exports;
    this.classIds = classIds;
    this.bytes = new Uint8Array(exports.memory.buffer);
    this.view = new DataView(exports.memory.buffer);
  }

  /** Calls into the module can grow its memory and detach the old buffer. */
  private refresh(): void {
    if (this.bytes.buffer !== this.exports.memory.buffer) {
      this.bytes = new Uint8Array(this.exports.memory.buffer);
      this.view = new DataView(this.exports.memory.buffer);
    }
  }

  private checkRange(ptr: number, length: number): void {
    this.refresh();
    if (ptr <= 0 || ptr + length > this.bytes.length) {
      throw new Error(`Heap access out of bounds. Offset: ${ptr} Size: ${length}`);
    }
  }

  private requireNotNull(ptr: number): void {
    if (ptr === 0) {
      throw new Error(
        "Tried to read AssemblyScript value that is 'null'. Suggestion: look into the function that the error happened and add 'log' calls till you find where a 'null' value is being used as non-nullable.",
      );
    }
  }

  // ------------------------------------------------------------------------------------------------ reading

  u32(ptr: number): number {
    this.checkRange(ptr, 4);
    return this.view.getUint32(ptr, true);
  }

  u64(ptr: number): bigint {
    this.checkRange(ptr, 8);
    return this.view.getBigUint64(ptr, true);
  }

  /** The payload size recorded in an object's header. */
  sizeOf(ptr: number): number {
    this.requireNotNull(ptr);
    return this.u32(ptr - 4);
  }

  readString(ptr: number): string {
    const length = this.sizeOf(ptr);
    if (length % 2 !== 0) throw new Error("Attempted to read past end of string content bytes chunk");
    this.checkRange(ptr, length);
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + ptr, length).toString("utf16le");
  }

  readNullableString(ptr: number): string | null {
    return ptr === 0 ? null : this.readString(ptr);
  }

  /** A copy of a typed array's bytes (Bytes, Address, BigInt). */
  readBytes(ptr: number): Uint8Array {
    this.requireNotNull(ptr);
    const buffer = this.u32(ptr);
    const dataStart = this.u32(ptr + 4);
    const byteLength = this.u32(ptr + 8);
    this.requireNotNull(buffer);
    if (dataStart < buffer) throw new Error(`Subtract overflow on pointer: ${dataStart}`);
    this.checkRange(dataStart, byteLength);
    return this.bytes.slice(dataStart, dataStart + byteLength);
  }

  /** The elements of an Array<T> whose elements are 4 bytes (pointers, i32, u32). */
  readArrayU32(ptr: number): number[] {
    this.requireNotNull(ptr);
    const dataStart = this.u32(ptr + 4);
    const length = this.u32(ptr + 12);
    this.checkRange(dataStart, length * 4);
    const items = new Array<number>(length);
    for (let i = 0; i < length; i++) items[i] = this.view.getUint32(dataStart + 4 * i, true);
    return items;
  }

  /** An enum object: its kind and its 64-bit payload. */
  readEnum(ptr: number): { kind: number; payload: bigint } {
    this.requireNotNull(ptr);
    return { kind: this.u32(ptr), payload: this.u64(ptr + 8) };
  }

  // ------------------------------------------------------------------------------------------------ writing

  classId(typeId: number): number {
    let id = this.classIds.get(typeId);
    if (id === undefined) {
      id = this.exports.id_of_type(typeId) >>> 0;
      this.classIds.set(typeId, id);
    }
    return id;
  }

  /** Reserves `size` bytes whose start is 16-byte aligned after a 20-byte header; returns the header's address. */
  private reserve(payloadCapacity: number): number {
    const needed = HEADER_SIZE + payloadCapacity + OBJECT_ALIGNMENT;
    let header = alignedHeader(this.arenaStart);
    if (header + HEADER_SIZE + payloadCapacity > this.arenaEnd) {
      const arenaSize = Math.max(needed, MIN_ARENA_SIZE);
      const start = this.exports.allocate(arenaSize) + ARENA_OFFSET;
      this.arenaStart = start;
      this.arenaEnd = start + arenaSize - ARENA_OFFSET;
      header = alignedHeader(start);
    }
    this.arenaStart = header + HEADER_SIZE + payloadCapacity;
    return header;
  }

  /** Allocates an object of graph-ts class `typeId` with a payload of `size` bytes; returns its pointer. */
  allocObject(typeId: number, size: number): number {
    const rtId = this.classId(typeId);
    const capacity = Math.ceil(size / OBJECT_ALIGNMENT) * OBJECT_ALIGNMENT;
    const header = this.reserve(capacity);
    this.refresh();
    const view = this.view;
    // mmInfo counts the block after itself: the rest of the header and the payload.
    view.setUint32(header, HEADER_SIZE - 4 + capacity, true);
    view.setUint32(header + 4, 0, true);
    view.setUint32(header + 8, 0, true);
    view.setUint32(header + 12, rtId, true);
    view.setUint32(header + 16, size, true);
    // Arenas come from the stub allocator, which never reuses memory, and grown memory is zeroed: no fill needed.
    return header + HEADER_SIZE;
  }

  setU32(ptr: number, value: number): void {
    this.view.setUint32(ptr, value >>> 0, true);
  }

  writeString(text: string): number {
    const encoded = Buffer.from(text, "utf16le");
    const ptr = this.allocObject(TypeId.String, encoded.length);
    this.bytes.set(encoded, ptr);
    return ptr;
  }

  writeArrayBuffer(content: Uint8Array): number {
    const ptr = this.allocObject(TypeId.ArrayBuffer, content.length);
    this.bytes.set(content, ptr);
    return ptr;
  }

  /** A Uint8Array (also Bytes, Address and BigInt) holding a copy of `content`. */
  writeBytes(content: Uint8Array): number {
    const buffer = this.writeArrayBuffer(content);
    const ptr = this.allocObject(TypeId.Uint8Array, 12);
    this.setU32(ptr, buffer);
    this.setU32(ptr + 4, buffer);
    this.setU32(ptr + 8, content.length);
    return ptr;
  }

  /** An Array<T> of 4-byte elements (pointers) of graph-ts class `typeId`. */
  writeArrayU32(typeId: number, items: number[]): number {
    const content = new Uint8Array(items.length * 4);
    const contentView = new DataView(content.buffer);
    items.forEach((item, i) => contentView.setUint32(4 * i, item >>> 0, true));
    const buffer = this.writeArrayBuffer(content);
    const ptr = this.allocObject(typeId, 16);
    this.setU32(ptr, buffer);
    this.setU32(ptr + 4, buffer);
    this.setU32(ptr + 8, content.length);
    this.setU32(ptr + 12, items.length);
    return ptr;
  }

  writeEnum(typeId: number, kind: number, payload: bigint): number {
    const ptr = this.allocObject(typeId, 16);
    this.setU32(ptr, kind);
    this.view.setBigUint64(ptr + 8, BigInt.asUintN(64, payload), true);
    return ptr;
  }

  /** An object of class `typeId` whose fields are the given 4-byte values (pointers), in order. */
  writeStruct(typeId: number, fields: number[]): number {
    const ptr = this.allocObject(typeId, fields.length * 4);
    fields.forEach((field, i) => this.setU32(ptr + 4 * i, field));
    return ptr;
  }
}

/** The lowest header address at or after `cursor` whose payload (20 bytes on) is 16-byte aligned. */
function alignedHeader(cursor: number): number {
  const payload = Math.ceil((cursor + HEADER_SIZE) / OBJECT_ALIGNMENT) * OBJECT_ALIGNMENT;
  return payload - HEADER_SIZE;
}
