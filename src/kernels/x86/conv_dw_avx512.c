/* Depthwise 3x3 convolution of one channel with AVX-512, stride 1 or 2. The channel is first copied
 * into a zero-bordered buffer wide enough that every vector load of every tap stays inside it, so the
 * inner loop has no bounds tests: 16 outputs of a row take 9 FMAs with the taps' weights broadcast, and
 * stride 2 splits each pair of input vectors into even and odd columns with one permute each. The
 * right edge of a row is stored with a mask. */
#include <immintrin.h>
#include <string.h>

#include "kernels/x86/sgemm_x86.h"

#define TARGET __attribute__((target("avx512f")))
enum { LANES = 16 };

/* padded copy: rows the 3 taps of every output row read, and columns the loads of every block read */
static void padded_dims(const cort_conv_geom *g, int64_t *hp, int64_t *wp) {
    int64_t s = g->stride[0], ow16 = (g->out[1] + LANES - 1) / LANES * LANES;
    *hp = s * (g->out[0] - 1) + 3;
    *wp = s * ow16 + 2 + (s == 2 ? LANES : 0);
}

bool cort_x86_depthwise_ok(const cort_conv_geom *g) {
    if (g->spatial != 2 || g->kernel[0] != 3 || g->kernel[1] != 3 || g->stride[0] != g->stride[1] ||
        (g->stride[0] != 1 && g->stride[0] != 2) || g->dilation[0] != 1 || g->dilation[1] != 1)
        return false;
    const int64_t limit = (int64_t)1 << 20; /* keeps the padded copy below 2^41 bytes before the check below */
    for (int d = 0; d < 2; d++)
        if (g->pad_begin[d] < 0 || g->pad_begin[d] > 2 || g->out[d] < 1 || g->out[d] > limit || g->in[d] > limit)
            return false;
    int64_t hp, wp;
    padded_dims(g, &hp, &wp);
    return hp * wp <= ((int64_t)1 << 28);
}

size_t cort_x86_depthwise_work_size(const cort_conv_geom *g) {
    int64_t hp, wp;
    padded_dims(g, &hp, &wp);
    return (size_t)(hp * wp) * sizeof(float) + 64;
}

/* Copies the channel into the padded buffer; the rest stays zero. */
static void pad_channel(const cort_conv_geom *g, const float *x, float *pad, int64_t hp, int64_t wp) {
    memset(pad, 0, sizeof(float) * (size_t)(hp * wp));
    int64_t top = g->pad_begin[0], left = g->pad_begin[1];
    int64_t cols = g->in[1] < wp - left ? g->in[1] : wp - left;
    for (int64_t r = 0; r < g->in[0] && top + r < hp; r++)
        memcpy(pad + (top + r) * wp + left, x + r * g->in[1], sizeof(float) * (size_t)cols);
}

static TARGET inline __mmask16 tail_mask(int64_t n) {
    return n >= LANES ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1u);
}

static TARGET void rows_stride1(const float *pad, int64_t wp, const __m512 wv[9], __m512 bias, float *y, int64_t oh,
                                int64_t ow) {
    for (int64_t i = 0; i < oh; i++) {
        const float *r0 = pad + i * wp, *r1 = r0 + wp, *r2 = r1 + wp;
        for (int64_t j = 0; j < ow; j += LANES) {
            __m512 acc = bias;
            acc = _mm512_fmadd_ps(wv[0], _mm512_loadu_ps(r0 + j), acc);
            acc = _mm512_fmadd_ps(wv[1], _mm512_loadu_ps(r0 + j + 1), acc);
            acc = _mm512_fmadd_ps(wv[2], _mm512_loadu_ps(r0 + j + 2), acc);
            acc = _mm512_fmadd_ps(wv[3], _mm512_loadu_ps(r1 + j), acc);
            acc = _mm512_fmadd_ps(wv[4], _mm512_loadu_ps(r1 + j + 1), acc);
            acc = _mm512_fmadd_ps(wv[5], _mm512_loadu_ps(r1 + j + 2), acc);
            acc = _mm512_fmadd_ps(wv[6], _mm512_loadu_ps(r2 + j), acc);
            acc = _mm512_fmadd_ps(wv[7], _mm512_loadu_ps(r2 + j + 1), acc);
            acc = _mm512_fmadd_ps(wv[8], _mm512_loadu_ps(r2 + j + 2), acc);
            _mm512_mask_storeu_ps(y + i * ow + j, tail_mask(ow - j), acc);
        }
    }
}

/* acc + the three taps of one input row for 16 outputs at stride 2, reading from r (= column 2 * j) */
static TARGET inline __m512 taps_stride2(const float *r, __m512 w0, __m512 w1, __m512 w2, __m512 even, __m512 odd,
                                         __m512 acc) {
    __m512 a = _mm512_loadu_ps(r), b = _mm512_loadu_ps(r + LANES);
    __m512 c = _mm512_loadu_ps(r + 2), d = _mm512_loadu_ps(r + 2 + LANES);
    acc = _mm512_fmadd_ps(w0, _mm512_permutex2var_ps(a, _mm512_castps_si512(even), b), acc);
    acc = _mm512_fmadd_ps(w1, _mm512_permutex2var_ps(a, _mm512_castps_si512(odd), b), acc);
    return _mm512_fmadd_ps(w2, _mm512_permutex2var_ps(c, _mm512_castps_si512(even), d), acc);
}

static TARGET void rows_stride2(const float *pad, int64_t wp, const __m512 wv[9], __m512 bias, float *y, int64_t oh,
                                int64_t ow) {
    __m512 even = _mm512_castsi512_ps(_mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30));
    __m512 odd = _mm512_castsi512_ps(_mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31));
    for (int64_t i = 0; i < oh; i++) {
        const float *r0 = pad + 2 * i * wp, *r1 = r0 + wp, *r2 = r1 + wp;
        for (int64_t j = 0; j < ow; j += LANES) {
            __m512 acc = taps_stride2(r0 + 2 * j, wv[0], wv[1], wv[2], even, odd, bias);
            acc = taps_stride2(r1 + 2 * j, wv[3], wv[4], wv[5], even, odd, acc);
            acc = taps_stride2(r2 + 2 * j, wv[6], wv[7], wv[8], even, odd, acc);
            _mm512_mask_storeu_ps(y + i * ow + j, tail_mask(ow - j), acc);
        }
    }
}

TARGET void cort_x86_depthwise3x3_avx512(const cort_conv_geom *g, const float *x, const float *w, float bias, float *y,
                                         void *work) {
    int64_t hp, wp;
    padded_dims(g, &hp, &wp);
    float *pad = (float *)(((uintptr_t)work + 63) & ~(uintptr_t)63);
    pad_channel(g, x, pad, hp, wp);
    __m512 wv[9];
    for (int t = 0; t < 9; t++) wv[t] = _mm512_set1_ps(w[t]);
    if (g->stride[0] == 1) rows_stride1(pad, wp, wv, _mm512_set1_ps(bias), y, g->out[0], g->out[1]);
    else rows_stride2(pad, wp, wv, _mm512_set1_ps(bias), y, g->out[0], g->out[1]);
}
