// A small reader of ONNX's test-data protobufs (TensorProto, SequenceProto) and a writer of tiny
// ModelProtos, enough for the package's tests. Field numbers are those of onnx/onnx.proto.
import { Tensor } from '../../index.js';

const TENSOR_TYPES = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string',
  9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64',
};
const CTORS = {
  float32: Float32Array, uint8: Uint8Array, int8: Int8Array, uint16: Uint16Array, int16: Int16Array,
  int32: Int32Array, int64: BigInt64Array, bool: Uint8Array, float16: Uint16Array, float64: Float64Array,
  uint32: Uint32Array, uint64: BigUint64Array,
};

class Reader {
  constructor(bytes) {
    // a plain Uint8Array: a node Buffer's slice() would share memory instead of copying
    this.bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    this.pos = 0;
  }

  done() { return this.pos >= this.bytes.length; }

  varint() {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.bytes.length) throw new Error('truncated varint');
      const b = this.bytes[this.pos++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  }

  bytesField() {
    const n = Number(this.varint());
    const out = this.bytes.subarray(this.pos, this.pos + n);
    if (out.length !== n) throw new Error('truncated field');
    this.pos += n;
    return out;
  }

  skip(wire) {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytesField();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }

  // the values of a repeated scalar field, packed (wire 2) or not
  repeated(wire, readOne, width) {
    if (wire !== 2) return [readOne(this)];
    const sub = new Reader(this.bytesField());
    const out = [];
    while (!sub.done()) out.push(readOne(sub, width));
    return out;
  }
}

const readVarint = (r) => r.varint();
const readFloat = (r) => { const v = new DataView(r.bytes.buffer, r.bytes.byteOffset + r.pos, 4).getFloat32(0, true); r.pos += 4; return v; };
const readDouble = (r) => { const v = new DataView(r.bytes.buffer, r.bytes.byteOffset + r.pos, 8).getFloat64(0, true); r.pos += 8; return v; };

/** Decodes a TensorProto into {name, tensor}; the tensor's type is one of the package's types. */
export function readTensorProto(bytes) {
  const r = new Reader(bytes);
  const dims = [];
  let dataType = 0;
  let name = '';
  let raw = null;
  const fields = { float: [], int32: [], int64: [], double: [], uint64: [], strings: [] };
  while (!r.done()) {
    const key = Number(r.varint());
    const field = key >>> 3;
    const wire = key & 7;
    switch (field) {
      case 1: dims.push(...r.repeated(wire, readVarint).map(Number)); break;
      case 2: dataType = Number(r.varint()); break;
      case 4: fields.float.push(...r.repeated(wire, readFloat)); break;
      case 5: fields.int32.push(...r.repeated(wire, readVarint)); break;
      case 6: fields.strings.push(new TextDecoder().decode(r.bytesField())); break;
      case 7: fields.int64.push(...r.repeated(wire, readVarint)); break;
      case 8: name = new TextDecoder().decode(r.bytesField()); break;
      case 9: raw = r.bytesField(); break;
      case 10: fields.double.push(...r.repeated(wire, readDouble)); break;
      case 11: fields.uint64.push(...r.repeated(wire, readVarint)); break;
      default: r.skip(wire);
    }
  }
  const type = TENSOR_TYPES[dataType];
  if (!type) throw new Error(`tensor '${name}': element type ${dataType} has no JavaScript tensor type`);
  const size = dims.reduce((a, b) => a * b, 1);
  if (type === 'string') return { name, tensor: new Tensor('string', fields.strings, dims) };
  const Ctor = CTORS[type];
  let data;
  if (raw) {
    data = new Ctor(raw.slice().buffer, 0, size); // slice(): an aligned copy
  } else if (type === 'float32') {
    data = Float32Array.from(fields.float);
  } else if (type === 'float64') {
    data = Float64Array.from(fields.double);
  } else if (type === 'int64') {
    data = BigInt64Array.from(fields.int64, (v) => BigInt.asIntN(64, v));
  } else if (type === 'uint32' || type === 'uint64') {
    data = type === 'uint64' ? BigUint64Array.from(fields.uint64) : Uint32Array.from(fields.uint64, Number);
  } else {
    // int32_data holds every narrower type (and float16's bits), sign-extended to 64 bits
    data = Ctor.from(fields.int32, (v) => Number(BigInt.asIntN(32, v)));
  }
  return { name, tensor: new Tensor(type, data, dims) };
}

/**
 * Decodes a SequenceProto of tensors into {name, tensors}. An OptionalProto holding a sequence (its field
 * 5) reads as that sequence, one holding a tensor (field 3, as a sequence's) as a one-tensor list.
 */
export function readSequenceProto(bytes) {
  const r = new Reader(bytes);
  let name = '';
  const tensors = [];
  while (!r.done()) {
    const key = Number(r.varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (field === 1 && wire === 2) name = new TextDecoder().decode(r.bytesField());
    else if (field === 3 && wire === 2) tensors.push(readTensorProto(r.bytesField()).tensor);
    else if (field === 5 && wire === 2) tensors.push(...readSequenceProto(r.bytesField()).tensors);
    else r.skip(wire);
  }
  return { name, tensors };
}

// ---- writer

function varintBytes(v) {
  let n = BigInt.asUintN(64, BigInt(v));
  const out = [];
  do {
    let b = Number(n & 0x7fn);
    n >>= 7n;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

const fieldVarint = (field, v) => [...varintBytes(field << 3), ...varintBytes(v)];
const fieldBytes = (field, bytes) => [...varintBytes((field << 3) | 2), ...varintBytes(bytes.length), ...bytes];
const fieldString = (field, s) => fieldBytes(field, [...new TextEncoder().encode(s)]);

// ValueInfoProto of a tensor; dims entries are numbers (fixed) or strings (symbolic)
function valueInfo(name, elemType, dims) {
  const dimBytes = dims.flatMap((d) => fieldBytes(1, typeof d === 'string' ? fieldString(2, d) : fieldVarint(1, d)));
  const tensorType = [...fieldVarint(1, elemType), ...fieldBytes(2, dimBytes)];
  return [...fieldString(1, name), ...fieldBytes(2, fieldBytes(1, tensorType))];
}

/**
 * The bytes of a one-node ModelProto (opset 13): `op` over `inputs` giving `outputs`, each given as
 * {name, type (ONNX number), dims}.
 */
export function makeModel(op, inputs, outputs) {
  const node = [...inputs.flatMap((i) => fieldString(1, i.name)), ...outputs.flatMap((o) => fieldString(2, o.name)),
    ...fieldString(4, op)];
  const graph = [...fieldBytes(1, node), ...fieldString(2, 'g'),
    ...inputs.flatMap((i) => fieldBytes(11, valueInfo(i.name, i.type, i.dims))),
    ...outputs.flatMap((o) => fieldBytes(12, valueInfo(o.name, o.type, o.dims)))];
  const opset = [...fieldString(1, ''), ...fieldVarint(2, 13)];
  return new Uint8Array([...fieldVarint(1, 8), ...fieldBytes(7, graph), ...fieldBytes(8, opset)]);
}
