/* The WebAssembly SIMD128 SGEMM micro-kernel: MR x 8 tiles, each row of the tile two f32x4
 * accumulators. Engines map v128 values onto the host's 16 vector registers and keep some for
 * themselves; 4 x 8 (8 accumulators, two B vectors, one broadcast A value) ran faster under V8 than
 * 6 x 8 or 8 x 8, whose accumulators spill, and than unrolling the k loop. A values are broadcast
 * straight from memory (v128.load32_splat: one instruction on x86 and ARM). SIMD128 has no fused
 * multiply-add: each step is a multiply and an add. */
#include <string.h>
#include <wasm_simd128.h>

#include "kernels/wasm/wasm_kernels.h"

enum { MR = CORT_WASM_SGEMM_MR, NR = CORT_WASM_SGEMM_NR };

#define INLINE inline __attribute__((always_inline))

/* pmax/pmin are the plain compare-and-select (maxps/minps on x86) rather than the NaN-propagating
 * f32x4.max/min, which engines expand to several instructions; with v first, a NaN passes through, as
 * Relu and Clip require. */
static INLINE v128_t finish(v128_t v, const float *cp, const cort_sgemm_store *st, v128_t bias, v128_t lo,
                            v128_t hi) {
    if (st->beta != 0) v = wasm_f32x4_add(v, wasm_f32x4_mul(wasm_f32x4_splat(st->beta), wasm_v128_load(cp)));
    if (st->bias) v = wasm_f32x4_add(v, bias);
    if (st->clamp) v = wasm_f32x4_pmin(wasm_f32x4_pmax(v, lo), hi);
    return v;
}

/* out of line, so the epilogue's constants do not compete with the k loop for registers */
static __attribute__((noinline)) void store_rows(const v128_t acc[MR][2], float *c, int64_t ldc, int64_t rows,
                                                 int64_t cols, const cort_sgemm_store *st) {
    v128_t lo = wasm_f32x4_splat(st->lo), hi = wasm_f32x4_splat(st->hi);
    for (int64_t i = 0; i < rows; i++) {
        float *ci = c + i * ldc;
        v128_t bias = wasm_f32x4_splat(st->bias ? st->bias[i] : 0.0f);
        if (cols == NR) {
            wasm_v128_store(ci, finish(acc[i][0], ci, st, bias, lo, hi));
            wasm_v128_store(ci + 4, finish(acc[i][1], ci + 4, st, bias, lo, hi));
        } else { /* edge tile: stage the row so C is touched only inside its width */
            float buf[NR];
            memset(buf, 0, sizeof buf);
            if (st->beta != 0) memcpy(buf, ci, sizeof(float) * (size_t)cols);
            wasm_v128_store(buf, finish(acc[i][0], buf, st, bias, lo, hi));
            wasm_v128_store(buf + 4, finish(acc[i][1], buf + 4, st, bias, lo, hi));
            memcpy(ci, buf, sizeof(float) * (size_t)cols);
        }
    }
}

/* `wide` false: the tile is at most 4 columns wide and only the first column vector is computed */
static INLINE void tile(bool wide, int64_t kc, const float *a, const float *b, float *c, int64_t ldc, int64_t rows,
                        int64_t cols, const cort_sgemm_store *st) {
    v128_t acc[MR][2];
    for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = wasm_f32x4_splat(0.0f);
    for (int64_t p = 0; p < kc; p++) {
        v128_t b0 = wasm_v128_load(b), b1 = wide ? wasm_v128_load(b + 4) : b0;
#pragma clang loop unroll(full)
        for (int i = 0; i < MR; i++) {
            v128_t ai = wasm_v128_load32_splat(a + i);
            acc[i][0] = wasm_f32x4_add(acc[i][0], wasm_f32x4_mul(ai, b0));
            if (wide) acc[i][1] = wasm_f32x4_add(acc[i][1], wasm_f32x4_mul(ai, b1));
        }
        a += MR;
        b += NR;
    }
    store_rows(acc, c, ldc, rows, cols, st);
}

void cort_sgemm_block_wasm(int64_t mc, int64_t nc, int64_t kc, const float *ap, const float *bp, float *c,
                           int64_t ldc, const cort_sgemm_store *st) {
    for (int64_t jr = 0; jr < nc; jr += NR) {
        int64_t cols = nc - jr < NR ? nc - jr : NR;
        for (int64_t ir = 0; ir < mc; ir += MR) {
            cort_sgemm_store here = *st;
            if (here.bias) here.bias += ir;
            int64_t rows = mc - ir < MR ? mc - ir : MR;
            if (cols > NR / 2) tile(true, kc, ap + ir * kc, bp + jr * kc, c + ir * ldc + jr, ldc, rows, cols, &here);
            else tile(false, kc, ap + ir * kc, bp + jr * kc, c + ir * ldc + jr, ldc, rows, cols, &here);
        }
    }
}
