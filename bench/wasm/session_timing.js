'use strict';
// What cort_web_bench.mjs and ort_web_bench.js measure, written once so that both sides are timed the
// same way: feeds from the zoo's input_N.pb files, one checked run against output_N.pb, untimed warmup
// runs, then the wall time of each session.run().
const { performance } = require('perf_hooks');
const { readTensorPb, maxOutputError } = require('./tensor_pb.js');

// Feeds for `session` from the .pb files; an input without a name takes the session's next input name.
function readFeeds(Tensor, session, inputs) {
  const feeds = {};
  for (const f of inputs) {
    const t = readTensorPb(f);
    feeds[t.name || session.inputNames[Object.keys(feeds).length]] = new Tensor(t.type, t.data, t.dims);
  }
  return feeds;
}

function median(sorted) {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

// { min_ms, median_ms, max_abs_err } of `runs` timed runs after `warmup` untimed ones.
async function timeSession(Tensor, session, inputs, runs, warmup) {
  const feeds = readFeeds(Tensor, session, inputs);
  const maxErr = maxOutputError(inputs, session.outputNames, await session.run(feeds));
  for (let i = 0; i < warmup; i++) await session.run(feeds);
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { min_ms: times[0], median_ms: median(times), max_abs_err: maxErr };
}

module.exports = { timeSession };
