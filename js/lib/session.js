// InferenceSession: onnxruntime-web's session API over cort's C API (through the module of backend.js).
import { Tensor, typeOfOnnx } from './tensor.js';
import { env } from './env.js';
import {
  getModule, check, malloc, allocString, readPointer, tensorToValue, valueToJs,
} from './backend.js';

const isNode = typeof process === 'object' && typeof process.versions === 'object' &&
    typeof process.versions.node === 'string';

// onnxruntime-web's graphOptimizationLevel names -> the glue's numbers (0 disabled .. 3 all)
const OPT_LEVELS = { disabled: 0, basic: 1, extended: 2, layout: 3, all: 3 };
const LOG_LEVELS = { verbose: 0, info: 1, warning: 2, error: 3, fatal: 4 };
const PROVIDERS = new Set(['wasm', 'cpu']);

function optLevelOf(options) {
  const level = options.graphOptimizationLevel ?? 'all';
  if (!(level in OPT_LEVELS)) throw new Error(`unsupported graph optimization level: ${level}`);
  return OPT_LEVELS[level];
}

function threadsOf(options) {
  const n = options.intraOpNumThreads ?? 0;
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`intraOpNumThreads must be a non-negative integer, got ${n}`);
  }
  return n;
}

function logLevelOf(options) {
  if (options.logSeverityLevel !== undefined) {
    const n = options.logSeverityLevel;
    if (!Number.isInteger(n) || n < 0 || n > 4) throw new RangeError(`logSeverityLevel must be 0..4, got ${n}`);
    return n;
  }
  return LOG_LEVELS[env.logLevel] ?? -1;
}

// As onnxruntime-web, the first provider that is available is used; here only 'wasm' and 'cpu' are.
function checkProviders(options) {
  const list = options.executionProviders;
  if (list === undefined || list.length === 0) return;
  const names = list.map((p) => (typeof p === 'string' ? p : p?.name));
  if (!names.some((n) => PROVIDERS.has(n))) {
    throw new Error(`no available backend found. cort runs on 'wasm' (alias 'cpu'); requested: ${names.join(', ')}`);
  }
}

function isUrl(s) {
  return /^(https?|blob|data):/i.test(s);
}

// The model's bytes from a path (Node), a URL (fetch), an ArrayBuffer or a typed array.
async function modelBytes(model, byteOffset, byteLength) {
  if (typeof model === 'string') {
    if (isNode && !isUrl(model)) {
      const fs = await import('node:fs/promises');
      const { fileURLToPath } = await import('node:url');
      return new Uint8Array(await fs.readFile(model.startsWith('file:') ? fileURLToPath(model) : model));
    }
    const response = await fetch(model);
    if (!response.ok) throw new Error(`failed to fetch ${model}: ${response.status} ${response.statusText}`);
    return new Uint8Array(await response.arrayBuffer());
  }
  if (model instanceof ArrayBuffer ||
      (typeof SharedArrayBuffer !== 'undefined' && model instanceof SharedArrayBuffer)) {
    const offset = byteOffset ?? 0;
    const length = byteLength ?? model.byteLength - offset;
    if (offset < 0 || length < 0 || offset + length > model.byteLength) {
      throw new RangeError(`byteOffset ${offset} + byteLength ${length} is out of the buffer's ${model.byteLength} bytes`);
    }
    return new Uint8Array(model, offset, length);
  }
  if (ArrayBuffer.isView(model)) return new Uint8Array(model.buffer, model.byteOffset, model.byteLength);
  throw new TypeError('InferenceSession.create expects a model path or URL, an ArrayBuffer or a Uint8Array');
}

// (buffer, byteOffset?, byteLength?, options?) or (model, options?) as onnxruntime-web takes them.
function splitCreateArgs(args) {
  const [model, a1, a2, a3] = args;
  if (typeof a1 === 'number') {
    return typeof a2 === 'number' ? { model, byteOffset: a1, byteLength: a2, options: a3 ?? {} }
      : { model, byteOffset: a1, options: a2 ?? {} };
  }
  return { model, options: a1 ?? {} };
}

function readIoList(mod, handle, isOutput, count) {
  const list = [];
  for (let i = 0; i < count; i++) {
    const name = mod.UTF8ToString(mod._cortjs_io_name(handle, isOutput, i));
    const rank = mod._cortjs_io_rank(handle, isOutput, i);
    let shape;
    if (rank >= 0) {
      shape = [];
      for (let a = 0; a < rank; a++) {
        const d = mod._cortjs_io_dim(handle, isOutput, i, a);
        const sym = mod._cortjs_io_dim_name(handle, isOutput, i, a);
        shape.push(d >= 0 ? d : (sym ? mod.UTF8ToString(sym) : -1));
      }
    }
    const onnxType = mod._cortjs_io_elem_type(handle, isOutput, i);
    list.push({ name, isTensor: mod._cortjs_io_kind(handle, isOutput, i) === 1, type: typeOfOnnx(onnxType), shape });
  }
  return list;
}

function isTensorLike(v) {
  return v instanceof Tensor || (v && typeof v === 'object' && typeof v.type === 'string' && 'data' in v &&
      Array.isArray(v.dims));
}

// run(feeds, options?) / run(feeds, fetches, options?): fetches is an Array of names or {name: Tensor|null}.
function splitRunArgs(outputNames, fetchesOrOptions) {
  if (fetchesOrOptions === undefined) return { names: outputNames, preset: {} };
  if (Array.isArray(fetchesOrOptions)) {
    if (fetchesOrOptions.length === 0) throw new TypeError('\'fetches\' cannot be an empty array.');
    for (const n of fetchesOrOptions) {
      if (typeof n !== 'string') throw new TypeError('\'fetches\' must be a string array or an object.');
    }
    return { names: fetchesOrOptions, preset: {} };
  }
  if (typeof fetchesOrOptions !== 'object' || fetchesOrOptions === null) {
    throw new TypeError('Unexpected argument[1]: must be \'fetches\' or \'options\'.');
  }
  // an object whose keys are all output names is a fetches map, otherwise it is the run options
  const keys = Object.keys(fetchesOrOptions);
  if (keys.length > 0 && keys.every((k) => outputNames.includes(k))) {
    const preset = {};
    for (const k of keys) {
      const v = fetchesOrOptions[k];
      if (v !== null && v !== undefined) {
        if (!isTensorLike(v)) throw new TypeError(`fetches['${k}'] must be a Tensor or null.`);
        preset[k] = v;
      }
    }
    return { names: keys, preset };
  }
  return { names: outputNames, preset: {} };
}

// A result written into a caller's pre-allocated output tensor, which must match it exactly.
function copyIntoPreset(name, result, preset) {
  if (!(result instanceof Tensor) || result.type !== preset.type ||
      result.dims.length !== preset.dims.length || result.dims.some((d, i) => d !== preset.dims[i])) {
    const got = result instanceof Tensor ? `${result.type} [${result.dims}]` : 'a non-tensor value';
    throw new Error(`output '${name}': the pre-allocated tensor is ${preset.type} [${preset.dims}], the result is ${got}`);
  }
  if (result.type === 'string') preset.data.splice(0, preset.data.length, ...result.data);
  else preset.data.set(result.data);
  return preset;
}

export class InferenceSession {
  constructor(mod, handle) {
    this._mod = mod;
    this._handle = handle;
    const inputs = readIoList(mod, handle, 0, mod._cort_session_input_count(handle));
    const outputs = readIoList(mod, handle, 1, mod._cort_session_output_count(handle));
    /** Metadata of the inputs and outputs: {name, isTensor, type, shape} (shape entries: number or symbol). */
    this.inputMetadata = inputs;
    this.outputMetadata = outputs;
    this.inputNames = inputs.map((m) => m.name);
    this.outputNames = outputs.map((m) => m.name);
  }

  /**
   * InferenceSession.create(pathOrUrl | ArrayBuffer | Uint8Array, options?) or
   * InferenceSession.create(buffer, byteOffset, byteLength?, options?), as in onnxruntime-web.
   */
  static async create(...args) {
    const { model, byteOffset, byteLength, options } = splitCreateArgs(args);
    checkProviders(options);
    const optLevel = optLevelOf(options);
    const threads = threadsOf(options);
    const logLevel = logLevelOf(options);
    const bytes = await modelBytes(model, byteOffset, byteLength);
    const mod = await getModule();
    const data = malloc(mod, bytes.length);
    const out = malloc(mod, 4);
    try {
      mod.HEAPU8.set(bytes, data);
      check(mod, mod._cortjs_session_create(data, bytes.length, optLevel, threads, logLevel, out));
      return new InferenceSession(mod, readPointer(mod, out));
    } finally {
      mod._free(out);
      mod._free(data);
    }
  }

  /** run(feeds, options?) or run(feeds, fetches, options?) -> Promise of {outputName: Tensor}. */
  async run(feeds, fetchesOrOptions, _options) {
    if (!this._handle) throw new Error('the session has been released');
    if (typeof feeds !== 'object' || feeds === null || feeds instanceof Tensor || Array.isArray(feeds)) {
      throw new TypeError('\'feeds\' must be an object that use input names as keys and OnnxValue as corresponding values.');
    }
    const { names, preset } = splitRunArgs(this.outputNames, fetchesOrOptions);
    for (const n of names) {
      if (!this.outputNames.includes(n)) throw new RangeError(`'${n}' is not a valid output name.`);
    }
    const mod = this._mod;
    const inputNames = Object.keys(feeds);
    const cleanup = [];
    const values = [];
    let outputs = 0;
    try {
      for (const name of inputNames) {
        const t = feeds[name];
        if (!isTensorLike(t)) throw new TypeError(`feeds['${name}'] must be a Tensor.`);
        const { value, buffers } = tensorToValue(mod, t, name);
        values.push(value);
        cleanup.push(...buffers);
      }
      const inNames = inputNames.map((n) => allocString(mod, n));
      const outNames = names.map((n) => allocString(mod, n));
      cleanup.push(...inNames, ...outNames);
      const inNamesPtr = pointerArray(mod, inNames, cleanup);
      const valuesPtr = pointerArray(mod, values, cleanup);
      const outNamesPtr = pointerArray(mod, outNames, cleanup);
      outputs = pointerArray(mod, names.map(() => 0), cleanup);
      check(mod, mod._cort_session_run(this._handle, 0, inNamesPtr, valuesPtr, inputNames.length,
        outNamesPtr, names.length, outputs));
      const result = {};
      names.forEach((name, i) => {
        const v = valueToJs(mod, readPointer(mod, outputs + 4 * i), name);
        result[name] = preset[name] ? copyIntoPreset(name, v, preset[name]) : v;
      });
      return result;
    } finally {
      if (outputs) names.forEach((_, i) => mod._cort_value_free(readPointer(mod, outputs + 4 * i)));
      values.forEach((v) => mod._cort_value_free(v));
      cleanup.forEach((p) => mod._free(p));
    }
  }

  /** Frees the session's memory in the module; later runs reject. */
  async release() {
    if (this._handle) {
      this._mod._cort_session_free(this._handle);
      this._handle = 0;
    }
  }

  /** Accepted for compatibility; cort's profiler writes files, which the package does not expose. */
  startProfiling() {}

  endProfiling() {}
}

// An array of 32-bit pointers in the module's memory (registered in `cleanup` to be freed).
function pointerArray(mod, items, cleanup) {
  const p = malloc(mod, 4 * items.length);
  cleanup.push(p);
  items.forEach((v, i) => { mod.HEAPU32[(p >>> 2) + i] = v; });
  return p;
}
