// Types of the cort package: the subset of onnxruntime-web's API that it implements.

export declare namespace Tensor {
  type Type = 'float32' | 'float64' | 'float16' | 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' |
    'uint32' | 'uint64' | 'bool' | 'string';
  interface DataTypeMap {
    float32: Float32Array; float64: Float64Array; float16: Uint16Array; int8: Int8Array; int16: Int16Array;
    int32: Int32Array; int64: BigInt64Array; uint8: Uint8Array; uint16: Uint16Array; uint32: Uint32Array;
    uint64: BigUint64Array; bool: Uint8Array; string: string[];
  }
  type DataType = DataTypeMap[Type];
}

export declare class Tensor {
  constructor(type: Tensor.Type, data: Tensor.DataType | readonly number[] | readonly bigint[] |
    readonly boolean[] | readonly string[], dims?: readonly number[]);
  constructor(data: Exclude<Tensor.DataType, Uint16Array> | Uint16Array | readonly number[] | readonly boolean[] |
    readonly string[], dims?: readonly number[]);
  readonly type: Tensor.Type;
  readonly dims: readonly number[];
  readonly size: number;
  readonly location: 'cpu';
  readonly data: Tensor.DataType;
  getData(releaseData?: boolean): Promise<Tensor.DataType>;
  reshape(dims: readonly number[]): Tensor;
  dispose(): void;
}

export declare namespace InferenceSession {
  type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'layout' | 'all';
  interface SessionOptions {
    executionProviders?: readonly (string | { name: string })[];
    graphOptimizationLevel?: GraphOptimizationLevel;
    intraOpNumThreads?: number;
    logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
    [other: string]: unknown;
  }
  interface RunOptions { [other: string]: unknown }
  type OnnxValue = Tensor | Tensor[] | null;
  type FeedsType = { readonly [name: string]: Tensor };
  type FetchesType = readonly string[] | { readonly [name: string]: Tensor | null };
  type ReturnType = { readonly [name: string]: OnnxValue };
  interface ValueMetadata {
    readonly name: string;
    readonly isTensor: boolean;
    readonly type?: Tensor.Type;
    readonly shape?: readonly (number | string)[];
  }
}

export declare class InferenceSession {
  static create(uriOrBuffer: string | ArrayBufferLike | Uint8Array,
    options?: InferenceSession.SessionOptions): Promise<InferenceSession>;
  static create(buffer: ArrayBufferLike, byteOffset: number, byteLength?: number,
    options?: InferenceSession.SessionOptions): Promise<InferenceSession>;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly InferenceSession.ValueMetadata[];
  readonly outputMetadata: readonly InferenceSession.ValueMetadata[];
  run(feeds: InferenceSession.FeedsType, options?: InferenceSession.RunOptions): Promise<InferenceSession.ReturnType>;
  run(feeds: InferenceSession.FeedsType, fetches: InferenceSession.FetchesType,
    options?: InferenceSession.RunOptions): Promise<InferenceSession.ReturnType>;
  release(): Promise<void>;
  startProfiling(): void;
  endProfiling(): void;
}

export declare const env: {
  logLevel: 'verbose' | 'info' | 'warning' | 'error' | 'fatal';
  wasm: {
    numThreads: number;
    simd: boolean;
    wasmPaths?: string | { 'cort.wasm'?: string };
    wasmBinary?: ArrayBufferLike | Uint8Array;
  };
};
