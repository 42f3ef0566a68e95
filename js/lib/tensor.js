// Tensor: a CPU tensor with the constructor, fields, element types and argument checks of
// onnxruntime-web's Tensor (onnxruntime-common's tensor-impl).

// float16 data is a Float16Array where JavaScript has one, else a Uint16Array of IEEE half bits
const Float16 = typeof globalThis.Float16Array === 'function' ? globalThis.Float16Array : Uint16Array;

// type name -> [ONNX TensorProto.DataType, typed array constructor (Array for strings)]
const TYPES = {
  float32: [1, Float32Array],
  uint8: [2, Uint8Array],
  int8: [3, Int8Array],
  uint16: [4, Uint16Array],
  int16: [5, Int16Array],
  int32: [6, Int32Array],
  int64: [7, BigInt64Array],
  string: [8, Array],
  bool: [9, Uint8Array],
  float16: [10, Float16],
  float64: [11, Float64Array],
  uint32: [12, Uint32Array],
  uint64: [13, BigUint64Array],
};

// typed array constructor -> the type a Tensor built from it alone gets (bool is never inferred)
const INFERRED = new Map([
  [Float32Array, 'float32'], [Uint8Array, 'uint8'], [Int8Array, 'int8'], [Uint16Array, 'uint16'],
  [Int16Array, 'int16'], [Int32Array, 'int32'], [BigInt64Array, 'int64'], [Float64Array, 'float64'],
  [Uint32Array, 'uint32'], [BigUint64Array, 'uint64'],
]);
if (Float16 !== Uint16Array) INFERRED.set(Float16, 'float16');

const ONNX_TO_TYPE = new Map(Object.entries(TYPES).map(([name, [onnx]]) => [onnx, name]));

/** ONNX's element-type number of a tensor type name ('float32' -> 1), or undefined. */
export function onnxTypeOf(type) {
  return TYPES[type]?.[0];
}

/** The tensor type name of an ONNX element-type number (1 -> 'float32'), or undefined. */
export function typeOfOnnx(onnxType) {
  return ONNX_TO_TYPE.get(onnxType);
}

/** The typed array constructor holding a type's data (Array for 'string'). */
export function dataConstructorOf(type) {
  return TYPES[type]?.[1];
}

// new Tensor(type, data, dims): a plain Array is converted, a typed array must be the type's own
function dataOfType(type, data) {
  if (type === 'string') {
    if (!Array.isArray(data)) throw new TypeError('A string tensor\'s data must be a string array.');
    return data;
  }
  const Ctor = TYPES[type]?.[1];
  if (!Ctor) throw new TypeError(`Unsupported tensor type: ${type}.`);
  if (Array.isArray(data)) {
    if (type === 'float16' && Ctor === Uint16Array) {
      throw new TypeError('Creating a float16 tensor from number array is not supported. Please use Uint16Array as data.');
    }
    if (Ctor === BigInt64Array || Ctor === BigUint64Array) return Ctor.from(data, BigInt);
    return Ctor.from(data);
  }
  if (data instanceof Ctor) return data;
  if (data instanceof Uint8ClampedArray) {
    if (type === 'uint8') return Uint8Array.from(data);
    throw new TypeError('A Uint8ClampedArray tensor\'s data must be type of uint8');
  }
  if (type === 'float16' && data instanceof Uint16Array) {
    return new Float16(data.buffer, data.byteOffset, data.length); // half bits, as onnxruntime-web allows
  }
  throw new TypeError(`A ${type} tensor's data must be type of ${Ctor.name}`);
}

// new Tensor(data, dims): the type follows from the data
function typeAndDataOf(data) {
  if (Array.isArray(data)) {
    if (data.length === 0) throw new TypeError('Tensor type cannot be inferred from an empty array.');
    if (typeof data[0] === 'string') return ['string', data];
    if (typeof data[0] === 'boolean') return ['bool', Uint8Array.from(data)];
    throw new TypeError(`Invalid element type of data array: ${typeof data[0]}.`);
  }
  if (data instanceof Uint8ClampedArray) return ['uint8', Uint8Array.from(data)];
  const type = data == null ? undefined : INFERRED.get(data.constructor);
  if (!type) throw new TypeError(`Unsupported type for tensor data: ${data?.constructor}.`);
  return [type, data];
}

function sizeOf(dims) {
  let size = 1;
  for (let i = 0; i < dims.length; i++) {
    const d = dims[i];
    if (typeof d !== 'number' || !Number.isSafeInteger(d)) throw new TypeError(`dims[${i}] must be an integer, got: ${d}`);
    if (d < 0) throw new RangeError(`dims[${i}] must be a non-negative integer, got: ${d}`);
    size *= d;
  }
  return size;
}

export class Tensor {
  /**
   * new Tensor(type, data, dims?) or new Tensor(data, dims?), as in onnxruntime-web. `data` is the type's
   * typed array (BigInt64Array for int64, Uint8Array for bool, Uint16Array of half bits for float16 where
   * there is no Float16Array) or a plain Array; `dims` defaults to [data.length].
   */
  constructor(arg0, arg1, arg2) {
    let type;
    let data;
    let dims;
    if (typeof arg0 === 'string') {
      type = arg0;
      data = dataOfType(arg0, arg1);
      dims = arg2;
    } else {
      [type, data] = typeAndDataOf(arg0);
      dims = arg1;
    }
    if (dims === undefined) dims = [data.length];
    else if (!Array.isArray(dims)) throw new TypeError('A tensor\'s dims must be a number array');
    const size = sizeOf(dims);
    if (size !== data.length) throw new Error(`Tensor's size(${size}) does not match data length(${data.length}).`);
    this.type = type;
    this.dims = dims;
    this.size = size;
    this.cpuData = data;
  }

  /** Where the data lives: always 'cpu' here. */
  get location() {
    return 'cpu';
  }

  /** The element data (the typed array, or an Array of strings). */
  get data() {
    if (this.cpuData === undefined) throw new Error('The tensor is disposed.');
    return this.cpuData;
  }

  /** As onnxruntime-web: resolves to the data (already on the CPU here). */
  async getData(releaseData) {
    const data = this.data;
    if (releaseData) this.dispose();
    return data;
  }

  /** A tensor of the same data under new dims (same element count). */
  reshape(dims) {
    return new Tensor(this.type, this.data, dims);
  }

  dispose() {
    this.cpuData = undefined;
  }
}
