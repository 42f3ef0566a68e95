// Tensor: a CPU tensor with the same constructor, fields and element types as onnxruntime-web's Tensor.

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
  float16: [10, Uint16Array],
  float64: [11, Float64Array],
  uint32: [12, Uint32Array],
  uint64: [13, BigUint64Array],
};

// typed array constructor -> the type a Tensor built from it alone gets (as onnxruntime-web infers it)
const INFERRED = new Map([
  [Float32Array, 'float32'], [Uint8Array, 'uint8'], [Int8Array, 'int8'], [Uint16Array, 'uint16'],
  [Int16Array, 'int16'], [Int32Array, 'int32'], [BigInt64Array, 'int64'], [Float64Array, 'float64'],
  [Uint32Array, 'uint32'], [BigUint64Array, 'uint64'],
]);

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

function checkDims(dims) {
  if (!Array.isArray(dims) && !ArrayBuffer.isView(dims)) {
    throw new TypeError('A tensor\'s dims must be an array of non-negative integers.');
  }
  const out = Array.from(dims, Number);
  for (const d of out) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new RangeError(`A tensor's dims must be non-negative integers, got [${out.join(',')}].`);
    }
  }
  return out;
}

// An Array of plain values becomes the type's typed array (numbers -> BigInt for 64-bit types).
function dataFromArray(type, ctor, values) {
  if (type === 'string') {
    for (const s of values) {
      if (typeof s !== 'string') throw new TypeError('A string tensor\'s data must be an array of strings.');
    }
    return values;
  }
  if (ctor === BigInt64Array || ctor === BigUint64Array) return ctor.from(values, (v) => BigInt(v));
  if (type === 'bool') return Uint8Array.from(values, (v) => (v ? 1 : 0));
  return ctor.from(values);
}

function checkData(type, data) {
  const ctor = TYPES[type][1];
  if (Array.isArray(data)) return dataFromArray(type, ctor, data);
  if (type === 'string' || !(data instanceof ctor)) {
    throw new TypeError(`A ${type} tensor's data must be of type ${ctor.name}.`);
  }
  return data;
}

export class Tensor {
  /**
   * new Tensor(type, data, dims?) or new Tensor(data, dims?), as in onnxruntime-web.
   * `data` is the type's typed array (BigInt64Array for int64, Uint8Array for bool, Uint16Array holding
   * IEEE half bits for float16) or a plain Array; `dims` defaults to [data.length].
   */
  constructor(arg0, arg1, arg2) {
    let type;
    let data;
    let dims;
    if (typeof arg0 === 'string') {
      type = arg0;
      data = arg1;
      dims = arg2;
      if (!(type in TYPES)) throw new TypeError(`Unsupported tensor type: ${type}.`);
    } else {
      data = arg0;
      dims = arg1;
      if (Array.isArray(data)) {
        if (data.length > 0 && typeof data[0] === 'string') type = 'string';
        else if (data.length > 0 && typeof data[0] === 'boolean') type = 'bool';
        else type = 'float32';
      } else {
        type = ArrayBuffer.isView(data) ? INFERRED.get(data.constructor) : undefined;
        if (!type) throw new TypeError('Invalid tensor data: expected a typed array or an Array.');
      }
    }
    data = checkData(type, data);
    dims = dims === undefined ? [data.length] : checkDims(dims);
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== data.length) {
      throw new RangeError(`Tensor's size(${size}) does not match data length(${data.length}).`);
    }
    this.type = type;
    this.dims = dims;
    this.size = size;
    this.location = 'cpu';
    this.cpuData = data;
  }

  /** The element data (the typed array, or an Array of strings). */
  get data() {
    if (this.cpuData === undefined) throw new Error('The data of this tensor has been disposed.');
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
