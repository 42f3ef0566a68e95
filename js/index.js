// cort for JavaScript: onnxruntime-web's InferenceSession / Tensor / env API over cort compiled to
// WebAssembly. Runs in Node.js and in browsers. See README.md.
export { Tensor } from './lib/tensor.js';
export { InferenceSession } from './lib/session.js';
export { env } from './lib/env.js';
