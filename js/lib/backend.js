// The WebAssembly module (dist/cort.mjs + dist/cort.wasm, built by js/CMakeLists.txt) and the copying of
// models and tensors in and out of its memory. Every cort call that fails returns a status whose message
// becomes the Error thrown here.
import { Tensor, onnxTypeOf, typeOfOnnx, dataConstructorOf } from './tensor.js';
import { env } from './env.js';

const isNode = typeof process === 'object' && typeof process.versions === 'object' &&
    typeof process.versions.node === 'string';

const STRING = 8;
const KIND_TENSOR = 1;
const KIND_SEQUENCE = 2;

let modulePromise = null;

/** The instantiated module, loaded once (a failed load is retried on the next call). */
export function getModule() {
  if (!modulePromise) {
    modulePromise = loadModule().catch((e) => {
      modulePromise = null;
      throw e;
    });
  }
  return modulePromise;
}

// A custom wasmPaths (a folder URL ending in '/', or {'cort.wasm': url}) names where cort.wasm lies.
function wasmUrlFromPaths(paths) {
  if (typeof paths === 'string') return paths + 'cort.wasm';
  if (paths && typeof paths === 'object' && paths['cort.wasm']) return String(paths['cort.wasm']);
  return undefined;
}

async function readWasmBinary() {
  if (env.wasm.wasmBinary) return env.wasm.wasmBinary;
  const url = wasmUrlFromPaths(env.wasm.wasmPaths);
  if (isNode && (!url || !/^https?:/.test(url))) {
    // Node: read the file ourselves; emscripten 3.1.6 would try node's fetch() on a file path.
    const fs = await import('node:fs/promises');
    const { fileURLToPath } = await import('node:url');
    const file = url ? (url.startsWith('file:') ? fileURLToPath(url) : url)
      : fileURLToPath(new URL('../dist/cort.wasm', import.meta.url));
    return fs.readFile(file);
  }
  if (url) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`failed to fetch ${url}: ${response.status} ${response.statusText}`);
    return new Uint8Array(await response.arrayBuffer());
  }
  return undefined; // browser default: emscripten fetches cort.wasm next to cort.mjs
}

async function loadModule() {
  let createCortModule;
  try {
    ({ default: createCortModule } = await import('../dist/cort.mjs'));
  } catch (e) {
    throw new Error(`cannot load cort's WebAssembly module (dist/cort.mjs next to the package's index.js; ` +
      `build it with make test-js, see README.md): ${e.message}`);
  }
  const wasmBinary = await readWasmBinary();
  const settings = {};
  if (wasmBinary) settings.wasmBinary = wasmBinary;
  return createCortModule(settings);
}

/** Throws an Error with the status's message (and frees it) when `st` is not NULL. */
export function check(mod, st) {
  if (!st) return;
  const message = mod.UTF8ToString(mod._cort_status_message(st));
  const code = mod._cort_status_code(st);
  mod._cort_status_free(st);
  const err = new Error(message);
  err.code = code;
  throw err;
}

/** Allocates `size` bytes (at least 1) in the module's memory or throws. */
export function malloc(mod, size) {
  const p = mod._malloc(Math.max(size, 1));
  if (!p) throw new Error(`out of WebAssembly memory allocating ${size} bytes`);
  return p;
}

/** A NUL-terminated UTF-8 copy of `s` in the module's memory. */
export function allocString(mod, s) {
  const n = mod.lengthBytesUTF8(s) + 1;
  const p = malloc(mod, n);
  mod.stringToUTF8(s, p, n);
  return p;
}

/** Reads the pointer at address `p` (wasm32). */
export function readPointer(mod, p) {
  return mod.HEAPU32[p >>> 2];
}

function writeDims(mod, dims) {
  const p = malloc(mod, 8 * dims.length);
  const view = new DataView(mod.HEAPU8.buffer);
  dims.forEach((d, i) => view.setBigInt64(p + 8 * i, BigInt(d), true));
  return p;
}

function readDims(mod, p, rank) {
  const view = new DataView(mod.HEAPU8.buffer);
  const dims = [];
  for (let i = 0; i < rank; i++) dims.push(Number(view.getBigInt64(p + 8 * i, true)));
  return dims;
}

/**
 * Creates a cort value holding `tensor` (its data copied into the module's memory). Returns
 * {value, buffers}: free the value with cort_value_free and then each buffer with free.
 */
export function tensorToValue(mod, tensor, name) {
  const onnxType = onnxTypeOf(tensor.type);
  if (!onnxType) throw new TypeError(`input '${name}': unsupported tensor type ${tensor.type}`);
  const dims = Array.from(tensor.dims, Number);
  const out = malloc(mod, 4);
  const dimsPtr = writeDims(mod, dims);
  const buffers = [out, dimsPtr];
  try {
    if (onnxType === STRING) {
      check(mod, mod._cort_tensor_create(onnxType, dimsPtr, dims.length, out));
      const value = readPointer(mod, out);
      setStrings(mod, value, tensor.data);
      return { value, buffers };
    }
    const data = tensor.data;
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const p = malloc(mod, bytes.length);
    buffers.push(p);
    mod.HEAPU8.set(bytes, p);
    check(mod, mod._cort_tensor_create_view(onnxType, dimsPtr, dims.length, p, bytes.length, out));
    return { value: readPointer(mod, out), buffers };
  } catch (e) {
    buffers.forEach((b) => mod._free(b));
    throw e;
  }
}

function setStrings(mod, value, strings) {
  try {
    strings.forEach((s, i) => {
      const p = allocString(mod, s);
      try {
        check(mod, mod._cortjs_tensor_set_string(value, i, p, mod.lengthBytesUTF8(s)));
      } finally {
        mod._free(p);
      }
    });
  } catch (e) {
    mod._cort_value_free(value);
    throw e;
  }
}

/** A Tensor copied out of the cort tensor `value` (which stays owned by the caller). */
function tensorFromValue(mod, value, name) {
  const onnxType = mod._cort_tensor_elem_type(value);
  const type = typeOfOnnx(onnxType);
  if (!type) {
    throw new TypeError(`output '${name}' has ONNX element type ${onnxType}, which has no JavaScript tensor type`);
  }
  const rank = mod._cort_tensor_rank(value);
  const dims = readDims(mod, mod._cort_tensor_dims(value), rank);
  const size = dims.reduce((a, b) => a * b, 1);
  const p = mod._cort_tensor_data(value);
  if (type === 'string') {
    const strings = new Array(size);
    for (let i = 0; i < size; i++) {
      const s = readPointer(mod, p + 4 * i);
      strings[i] = s ? mod.UTF8ToString(s) : '';
    }
    return new Tensor(type, strings, dims);
  }
  const Ctor = dataConstructorOf(type);
  // slice() copies into a fresh, aligned buffer that later memory growth cannot detach
  const bytes = mod.HEAPU8.slice(p, p + size * Ctor.BYTES_PER_ELEMENT);
  return new Tensor(type, new Ctor(bytes.buffer), dims);
}

/** A Tensor for a tensor value, an Array of Tensors for a sequence, null for an empty optional. */
export function valueToJs(mod, value, name) {
  const kind = mod._cort_value_kind(value);
  if (kind === KIND_TENSOR) return tensorFromValue(mod, value, name);
  if (kind === KIND_SEQUENCE) {
    const n = mod._cort_sequence_length(value);
    const out = malloc(mod, 4);
    try {
      const items = [];
      for (let i = 0; i < n; i++) {
        check(mod, mod._cort_sequence_at(value, i, out));
        items.push(tensorFromValue(mod, readPointer(mod, out), `${name}[${i}]`));
      }
      return items;
    } finally {
      mod._free(out);
    }
  }
  return null;
}
