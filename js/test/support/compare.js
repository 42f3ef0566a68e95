// Comparison of a result tensor with an expected one, as `cort check` does: |got - want| <= atol +
// rtol * |want| for floating types (NaN equals NaN, infinities must match), exact for the others.
export function halfToFloat(h) {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const FLOATING = new Set(['float32', 'float64', 'float16']);

/** A message describing the first difference between two tensors, or null when they match. */
export function tensorDifference(got, want, { rtol = 1e-3, atol = 1e-7 } = {}) {
  if (got.type !== want.type) return `type ${got.type}, expected ${want.type}`;
  if (got.dims.length !== want.dims.length || got.dims.some((d, i) => d !== want.dims[i])) {
    return `dims [${got.dims}], expected [${want.dims}]`;
  }
  const decode = got.type === 'float16' ? halfToFloat : (v) => v;
  for (let i = 0; i < want.size; i++) {
    const g = decode(got.data[i]);
    const w = decode(want.data[i]);
    if (FLOATING.has(got.type)) {
      if (Number.isNaN(w) ? Number.isNaN(g) : (g === w || Math.abs(g - w) <= atol + rtol * Math.abs(w))) continue;
    } else if (g === w) {
      continue;
    }
    return `element ${i}: ${g}, expected ${w}`;
  }
  return null;
}
