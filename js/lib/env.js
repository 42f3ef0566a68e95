// Settings read when the WebAssembly module is first loaded, shaped like onnxruntime-web's `env`.
export const env = {
  /** Minimum severity cort logs ('verbose' | 'info' | 'warning' | 'error' | 'fatal'). */
  logLevel: 'warning',
  wasm: {
    /** Accepted for compatibility: this build has no threads and always runs on one. */
    numThreads: 1,
    /** Accepted for compatibility: the module is always built with SIMD128. */
    simd: true,
    /** Where cort.wasm lies: a folder URL ending in '/', or {'cort.wasm': url}. Default: next to cort.mjs. */
    wasmPaths: undefined,
    /** The bytes of cort.wasm, when the caller already has them (skips any fetch or file read). */
    wasmBinary: undefined,
  },
};
