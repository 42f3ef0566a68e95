'use strict';
// Just enough of onnx.TensorProto to read the model zoo's test inputs (test_data_set_*/input_*.pb):
// name, dims, data_type and the data (raw_data or the typed repeated fields).
const fs = require('fs');

const TYPES = { // TensorProto.DataType -> [onnxruntime-web type, typed array]
  1: ['float32', Float32Array], 2: ['uint8', Uint8Array], 3: ['int8', Int8Array], 5: ['int16', Int16Array],
  6: ['int32', Int32Array], 7: ['int64', BigInt64Array], 9: ['bool', Uint8Array], 11: ['float64', Float64Array],
};

function readVarint(buf, pos) {
  let v = 0n, shift = 0n;
  for (;;) {
    const b = buf[pos.i++];
    v |= BigInt(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
    shift += 7n;
  }
}

// Repeated scalar field: packed (wire type 2) or one value per tag (wire type 0/5/1).
function readRepeated(buf, pos, wire, out, kind) {
  const one = () => {
    if (kind === 'float') { const v = buf.readFloatLE(pos.i); pos.i += 4; return v; }
    if (kind === 'double') { const v = buf.readDoubleLE(pos.i); pos.i += 8; return v; }
    return readVarint(buf, pos);
  };
  if (wire !== 2) { out.push(one()); return; }
  const end = pos.i + Number(readVarint(buf, pos));
  while (pos.i < end) out.push(one());
}

function skip(buf, pos, wire) {
  if (wire === 0) readVarint(buf, pos);
  else if (wire === 1) pos.i += 8;
  else if (wire === 5) pos.i += 4;
  else if (wire === 2) pos.i += Number(readVarint(buf, pos));
  else throw new Error(`unsupported protobuf wire type ${wire}`);
}

// Returns { name, type, dims, data } with data a typed array of the tensor's element type.
function readTensorPb(file) {
  const buf = fs.readFileSync(file);
  const pos = { i: 0 };
  const dims = [], floats = [], ints = [], doubles = [];
  let dataType = 0, name = '', raw = null;
  while (pos.i < buf.length) {
    const key = Number(readVarint(buf, pos));
    const field = key >>> 3, wire = key & 7;
    if (field === 1) readRepeated(buf, pos, wire, dims, 'varint');
    else if (field === 2) dataType = Number(readVarint(buf, pos));
    else if (field === 4) readRepeated(buf, pos, wire, floats, 'float');
    else if (field === 5 || field === 7) readRepeated(buf, pos, wire, ints, 'varint');
    else if (field === 10) readRepeated(buf, pos, wire, doubles, 'double');
    else if (field === 8 || field === 9) {
      const len = Number(readVarint(buf, pos));
      const bytes = buf.subarray(pos.i, pos.i + len);
      pos.i += len;
      if (field === 8) name = bytes.toString('utf8');
      else raw = bytes;
    } else skip(buf, pos, wire);
  }
  const t = TYPES[dataType];
  if (!t) throw new Error(`${file}: unsupported data_type ${dataType}`);
  const [type, Ctor] = t;
  const shape = dims.map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  let data;
  if (raw) {
    const copy = new Uint8Array(raw); // aligned copy
    data = new Ctor(copy.buffer, 0, count);
  } else if (dataType === 1) data = Float32Array.from(floats);
  else if (dataType === 11) data = Float64Array.from(doubles);
  else if (dataType === 7) data = BigInt64Array.from(ints.map((v) => BigInt.asIntN(64, v)));
  else data = Ctor.from(ints.map(Number));
  return { name, type, dims: shape, data };
}

// The largest |got - expected| over the outputs whose expected values lie next to the inputs
// (output_N.pb in the same folder), matched by name, else by position; Infinity for a NaN where a
// number was expected, NaN when there is nothing to compare.
function maxOutputError(inputFiles, outputNames, results) {
  const path = require('path');
  let worst = 0, compared = false;
  for (let i = 0; inputFiles.length; i++) {
    const f = path.join(path.dirname(inputFiles[0]), `output_${i}.pb`);
    if (!fs.existsSync(f)) break;
    const want = readTensorPb(f);
    const got = results[want.name] || results[outputNames[i]];
    if (!got) continue;
    compared = true;
    for (let j = 0; j < want.data.length; j++) {
      const d = Math.abs(Number(got.data[j]) - Number(want.data[j]));
      if (Number.isNaN(d)) worst = Infinity;
      else if (d > worst) worst = d;
    }
  }
  return compared ? worst : NaN;
}

module.exports = { readTensorPb, maxOutputError };
