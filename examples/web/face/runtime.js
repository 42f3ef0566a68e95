// Which inference runtime the page runs the models on. Both have onnxruntime-web's API
// (InferenceSession.create(bytes), session.run(feeds), new Tensor(type, data, dims)), so switching is
// this table: cort's JS package (js/, built by `make test-js` into js/dist/) is the default;
// `?runtime=ort` loads onnxruntime-web from /ort/ (examples/web/serve.mjs --ort DIR, DIR being
// onnxruntime-web's dist/ folder) to compare the two on the same page.
export const RUNTIMES = {
  cort: '../../../js/index.js',
  ort: '/ort/ort.wasm.min.mjs',
};

export async function loadRuntime(name) {
  const url = RUNTIMES[name];
  if (!url) throw new Error(`unknown runtime "${name}" (known: ${Object.keys(RUNTIMES).join(', ')})`);
  return import(url);
}
