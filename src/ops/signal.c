/* Signal processing (default domain, opset 17): DFT, STFT, HannWindow, HammingWindow, BlackmanWindow,
 * MelWeightMatrix.
 *
 * Transforms run in double precision whatever the tensor type: a radix-2 FFT when the length is a
 * power of two, a direct sum for other short lengths, Bluestein's algorithm for other long ones (so
 * every length costs O(n log n)). Complex tensors keep real and imaginary parts in a trailing
 * dimension of 2. */
#include <math.h>
#include <string.h>

#include "ops/op.h"

#define SIGNAL_PI 3.14159265358979323846

/* ------------------------------------------------------------------ the transform */

/* Twiddles e^{-2 pi i k / n}, k < n, for one transform length. */
typedef struct twiddles {
    int64_t n;
    double *cos_t, *sin_t;
} twiddles;

typedef enum { DFT_FFT, DFT_DIRECT, DFT_BLUESTEIN } dft_method;

/* Below this length a direct transform beats Bluestein's three power-of-two FFTs. */
#define DFT_DIRECT_MAX 32

/* Scratch for transforms of one length n. Powers of two take the radix-2 FFT; other lengths up to
 * DFT_DIRECT_MAX the direct sum; longer ones Bluestein's chirp-z algorithm, which writes the DFT as a
 * convolution with the chirp e^{i pi t^2 / n} and does it with FFTs of a power of two m >= 2n - 1. */
typedef struct dft_plan {
    int64_t n;
    dft_method method;
    twiddles tw;       /* length n (FFT, direct) or m (Bluestein) */
    double *chirp;     /* Bluestein: e^{-i pi t^2 / n}, n complex */
    double *chirp_fft; /* Bluestein: FFT of the conjugate chirp laid out circularly, m complex */
    double *conv;      /* Bluestein: m complex */
    double *work;      /* n complex: the signal handed to dft() */
} dft_plan;

static cort_status *twiddles_init(cort_kctx *ctx, int64_t n, twiddles *tw) {
    tw->n = n;
    tw->cos_t = ctx->svc->scratch(ctx, (size_t)n * sizeof(double));
    tw->sin_t = ctx->svc->scratch(ctx, (size_t)n * sizeof(double));
    if (!tw->cos_t || !tw->sin_t) return cort_oom();
    for (int64_t k = 0; k < n; k++) {
        double a = 2 * SIGNAL_PI * (double)k / (double)n;
        tw->cos_t[k] = cos(a);
        tw->sin_t[k] = sin(a);
    }
    return NULL;
}

/* In-place radix-2 FFT of tw->n complex values (unscaled; e^{+...} when inverse). */
static void fft_pow2(const twiddles *tw, double *x, bool inverse) {
    int64_t n = tw->n;
    for (int64_t i = 1, j = 0; i < n; i++) { /* bit-reversal permutation */
        int64_t bit = n >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j ^= bit;
        if (i < j) {
            double tr = x[2 * i], ti = x[2 * i + 1];
            x[2 * i] = x[2 * j];
            x[2 * i + 1] = x[2 * j + 1];
            x[2 * j] = tr;
            x[2 * j + 1] = ti;
        }
    }
    double sign = inverse ? 1 : -1;
    for (int64_t len = 2; len <= n; len <<= 1) {
        int64_t stride = n / len;
        for (int64_t start = 0; start < n; start += len)
            for (int64_t k = 0; k < len / 2; k++) {
                double wr = tw->cos_t[k * stride], wi = sign * tw->sin_t[k * stride];
                double *a = x + 2 * (start + k), *b = x + 2 * (start + k + len / 2);
                double br = b[0] * wr - b[1] * wi, bi = b[0] * wi + b[1] * wr;
                b[0] = a[0] - br;
                b[1] = a[1] - bi;
                a[0] += br;
                a[1] += bi;
            }
    }
}

static cort_status *bluestein_init(cort_kctx *ctx, dft_plan *plan) {
    int64_t n = plan->n, m = 1;
    while (m < 2 * n - 1) m <<= 1;
    CORT_TRY(twiddles_init(ctx, m, &plan->tw));
    plan->chirp = ctx->svc->scratch(ctx, (size_t)n * 2 * sizeof(double));
    plan->chirp_fft = ctx->svc->scratch(ctx, (size_t)m * 2 * sizeof(double));
    plan->conv = ctx->svc->scratch(ctx, (size_t)m * 2 * sizeof(double));
    if (!plan->chirp || !plan->chirp_fft || !plan->conv) return cort_oom();
    for (int64_t t = 0; t < n; t++) {
        /* t^2 mod 2n keeps the angle small and exact */
        double a = -SIGNAL_PI * (double)((t * t) % (2 * n)) / (double)n;
        plan->chirp[2 * t] = cos(a);
        plan->chirp[2 * t + 1] = sin(a);
    }
    memset(plan->chirp_fft, 0, (size_t)m * 2 * sizeof(double));
    for (int64_t t = 0; t < n; t++) {
        double re = plan->chirp[2 * t], im = -plan->chirp[2 * t + 1];
        plan->chirp_fft[2 * t] = re;
        plan->chirp_fft[2 * t + 1] = im;
        if (t) {
            plan->chirp_fft[2 * (m - t)] = re;
            plan->chirp_fft[2 * (m - t) + 1] = im;
        }
    }
    fft_pow2(&plan->tw, plan->chirp_fft, false);
    return NULL;
}

static cort_status *dft_plan_init(cort_kctx *ctx, int64_t n, dft_plan *plan) {
    if (n <= 0 || n > ((int64_t)1 << 26)) return cort_kerr(ctx, "transform length %lld is out of range", (long long)n);
    memset(plan, 0, sizeof *plan);
    plan->n = n;
    plan->method = (n & (n - 1)) == 0 ? DFT_FFT : n <= DFT_DIRECT_MAX ? DFT_DIRECT : DFT_BLUESTEIN;
    plan->work = ctx->svc->scratch(ctx, (size_t)n * 2 * sizeof(double));
    if (!plan->work) return cort_oom();
    if (plan->method == DFT_BLUESTEIN) return bluestein_init(ctx, plan);
    return twiddles_init(ctx, n, &plan->tw);
}

static void dft_direct(const dft_plan *p, const double *x, bool inverse, int64_t bins, double *out) {
    int64_t n = p->n;
    double sign = inverse ? 1 : -1;
    for (int64_t k = 0; k < bins; k++) {
        double re = 0, im = 0;
        int64_t idx = 0; /* k * t mod n, kept without overflow */
        for (int64_t t = 0; t < n; t++) {
            double c = p->tw.cos_t[idx], s = sign * p->tw.sin_t[idx];
            re += x[2 * t] * c - x[2 * t + 1] * s;
            im += x[2 * t] * s + x[2 * t + 1] * c;
            idx += k;
            if (idx >= n) idx -= n;
        }
        out[2 * k] = re;
        out[2 * k + 1] = im;
    }
}

/* Forward transform by Bluestein; the inverse is conj(DFT(conj(x))), so x is conjugated on the way
 * in and the result on the way out. */
static void dft_bluestein(const dft_plan *p, const double *x, bool inverse, int64_t bins, double *out) {
    int64_t n = p->n, m = p->tw.n;
    double conj = inverse ? -1 : 1, *a = p->conv;
    memset(a, 0, (size_t)m * 2 * sizeof(double));
    for (int64_t t = 0; t < n; t++) {
        double xr = x[2 * t], xi = conj * x[2 * t + 1], cr = p->chirp[2 * t], ci = p->chirp[2 * t + 1];
        a[2 * t] = xr * cr - xi * ci;
        a[2 * t + 1] = xr * ci + xi * cr;
    }
    fft_pow2(&p->tw, a, false);
    for (int64_t j = 0; j < m; j++) {
        double ar = a[2 * j], ai = a[2 * j + 1], br = p->chirp_fft[2 * j], bi = p->chirp_fft[2 * j + 1];
        a[2 * j] = ar * br - ai * bi;
        a[2 * j + 1] = ar * bi + ai * br;
    }
    fft_pow2(&p->tw, a, true);
    double scale = 1.0 / (double)m;
    for (int64_t k = 0; k < bins; k++) {
        double ar = a[2 * k] * scale, ai = a[2 * k + 1] * scale, cr = p->chirp[2 * k], ci = p->chirp[2 * k + 1];
        out[2 * k] = ar * cr - ai * ci;
        out[2 * k + 1] = conj * (ar * ci + ai * cr);
    }
}

/* out[0..2*bins) = the first `bins` coefficients of the transform of x (interleaved, n complex;
 * x may be overwritten). The inverse is scaled by 1/n. */
static void dft(const dft_plan *p, double *x, bool inverse, int64_t bins, double *out) {
    if (p->method == DFT_FFT) fft_pow2(&p->tw, x, inverse);
    else if (p->method == DFT_DIRECT) dft_direct(p, x, inverse, bins, out);
    else dft_bluestein(p, x, inverse, bins, out);
    double scale = inverse ? 1.0 / (double)p->n : 1.0;
    const double *src = p->method == DFT_FFT ? x : out;
    for (int64_t k = 0; k < 2 * bins; k++) out[k] = src[k] * scale;
}

static cort_status *read_int_scalar(cort_kctx *ctx, int i, const char *name, int64_t *v) {
    const cort_tensor *t = cort_in(ctx, i);
    if (!t || (t->type != CORT_INT32 && t->type != CORT_INT64) || cort_tensor_count(t) != 1)
        return cort_kerr(ctx, "%s must be an int32 or int64 scalar", name);
    *v = cort_get_i64(t, 0);
    return NULL;
}

static cort_status *read_float_scalar(cort_kctx *ctx, int i, const char *name, double *v) {
    const cort_tensor *t = cort_in(ctx, i);
    if (!t || cort_tensor_count(t) != 1 || t->type == CORT_STRING)
        return cort_kerr(ctx, "%s must be a numeric scalar", name);
    *v = cort_get_f64(t, 0);
    return NULL;
}

static bool is_real_type(int32_t t) {
    return t == CORT_FLOAT || t == CORT_DOUBLE || t == CORT_FLOAT16 || t == CORT_BFLOAT16;
}

/* ------------------------------------------------------------------ DFT */

typedef struct dft_params {
    int64_t axis;
    bool inverse, onesided;
} dft_params;

static cort_status *parse_dft(cort_parse_ctx *pc) {
    dft_params *p = pc->params;
    p->axis = cort_attr_int(pc->node, "axis", 1);
    p->inverse = cort_attr_int(pc->node, "inverse", 0) != 0;
    p->onesided = cort_attr_int(pc->node, "onesided", 0) != 0;
    if (p->inverse && p->onesided)
        return cort_node_error(pc->node, CORT_NOT_IMPLEMENTED, "an inverse one-sided DFT is not supported");
    return NULL;
}

static cort_status *run_dft(cort_kctx *ctx) {
    const dft_params *p = ctx->params;
    const cort_tensor *x = cort_in(ctx, 0);
    if (!x || !is_real_type(x->type)) return cort_kerr(ctx, "input must be a floating-point tensor");
    if (x->rank < 2 || (x->dims[x->rank - 1] != 1 && x->dims[x->rank - 1] != 2))
        return cort_kerr(ctx, "input must have rank >= 2 and a last dimension of 1 (real) or 2 (complex)");
    int axis = (int)(p->axis < 0 ? p->axis + x->rank : p->axis);
    if (axis < 0 || axis > x->rank - 2)
        return cort_kerr(ctx, "axis %lld is out of range for rank %d", (long long)p->axis, x->rank);
    int64_t len = x->dims[axis], n = len;
    if (cort_in(ctx, 1)) CORT_TRY(read_int_scalar(ctx, 1, "dft_length", &n));
    bool complex_in = x->dims[x->rank - 1] == 2;
    if (p->onesided && complex_in) return cort_kerr(ctx, "onesided needs a real input");
    int64_t bins = p->onesided ? n / 2 + 1 : n;
    int64_t dims[CORT_MAX_RANK];
    memcpy(dims, x->dims, sizeof dims);
    dims[axis] = bins;
    dims[x->rank - 1] = 2;
    dft_plan plan;
    CORT_TRY(dft_plan_init(ctx, n, &plan));
    cort_tensor *out;
    CORT_TRY(cort_out(ctx, 0, x->type, x->rank, dims, &out));
    int64_t outer = cort_shape_count(x->dims, axis);
    int64_t inner = cort_shape_count(x->dims + axis + 1, x->rank - axis - 2); /* excludes the complex dim */
    int64_t comps = x->dims[x->rank - 1];
    double *res = ctx->svc->scratch(ctx, (size_t)bins * 2 * sizeof(double));
    if (!res) return cort_oom();
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            for (int64_t t = 0; t < n; t++) {
                int64_t src = ((o * len + t) * inner + i) * comps;
                plan.work[2 * t] = t < len ? cort_get_f64(x, src) : 0;
                plan.work[2 * t + 1] = t < len && complex_in ? cort_get_f64(x, src + 1) : 0;
            }
            dft(&plan, plan.work, p->inverse, bins, res);
            for (int64_t k = 0; k < bins; k++) {
                int64_t dst = ((o * bins + k) * inner + i) * 2;
                cort_set_f64(out, dst, res[2 * k]);
                cort_set_f64(out, dst + 1, res[2 * k + 1]);
            }
        }
    return NULL;
}

/* ------------------------------------------------------------------ STFT */

typedef struct stft_params {
    bool onesided;
} stft_params;

static cort_status *parse_stft(cort_parse_ctx *pc) {
    stft_params *p = pc->params;
    p->onesided = cort_attr_int(pc->node, "onesided", 1) != 0;
    return NULL;
}

static cort_status *stft_frame_length(cort_kctx *ctx, const cort_tensor *window, int64_t *fl) {
    bool have_length = cort_in(ctx, 3) != NULL;
    if (have_length) CORT_TRY(read_int_scalar(ctx, 3, "frame_length", fl));
    if (window) {
        if (window->rank != 1 || !is_real_type(window->type))
            return cort_kerr(ctx, "window must be a 1-D float tensor");
        if (have_length && *fl != window->dims[0])
            return cort_kerr(ctx, "frame_length %lld differs from the window length %lld", (long long)*fl,
                             (long long)window->dims[0]);
        *fl = window->dims[0];
    } else if (!have_length) {
        return cort_kerr(ctx, "needs a window or a frame_length");
    }
    if (*fl <= 0) return cort_kerr(ctx, "frame_length must be positive");
    return NULL;
}

static cort_status *run_stft(cort_kctx *ctx) {
    const stft_params *p = ctx->params;
    const cort_tensor *x = cort_in(ctx, 0), *window = cort_in(ctx, 2);
    if (!x || !is_real_type(x->type)) return cort_kerr(ctx, "signal must be a floating-point tensor");
    if (x->rank != 3 || (x->dims[2] != 1 && x->dims[2] != 2))
        return cort_kerr(ctx, "signal must have shape [batch, length, 1 or 2]");
    int64_t step = 0, fl = 0;
    CORT_TRY(read_int_scalar(ctx, 1, "frame_step", &step));
    if (step <= 0) return cort_kerr(ctx, "frame_step must be positive");
    CORT_TRY(stft_frame_length(ctx, window, &fl));
    int64_t batch = x->dims[0], len = x->dims[1], comps = x->dims[2];
    if (fl > len)
        return cort_kerr(ctx, "frame_length %lld exceeds the signal length %lld", (long long)fl, (long long)len);
    if (p->onesided && comps == 2) return cort_kerr(ctx, "onesided needs a real signal");
    int64_t frames = (len - fl) / step + 1, bins = p->onesided ? fl / 2 + 1 : fl;
    dft_plan plan;
    CORT_TRY(dft_plan_init(ctx, fl, &plan));
    double *res = ctx->svc->scratch(ctx, (size_t)bins * 2 * sizeof(double));
    if (!res) return cort_oom();
    int64_t dims[4] = {batch, frames, bins, 2};
    cort_tensor *out;
    CORT_TRY(cort_out(ctx, 0, x->type, 4, dims, &out));
    for (int64_t b = 0; b < batch; b++)
        for (int64_t f = 0; f < frames; f++) {
            for (int64_t t = 0; t < fl; t++) {
                int64_t src = (b * len + f * step + t) * comps;
                double w = window ? cort_get_f64(window, t) : 1;
                plan.work[2 * t] = cort_get_f64(x, src) * w;
                plan.work[2 * t + 1] = comps == 2 ? cort_get_f64(x, src + 1) * w : 0;
            }
            dft(&plan, plan.work, false, bins, res);
            for (int64_t k = 0; k < 2 * bins; k++) cort_set_f64(out, ((b * frames + f) * bins) * 2 + k, res[k]);
        }
    return NULL;
}

/* ------------------------------------------------------------------ windows */

typedef struct window_params {
    int32_t out_type;
    bool periodic;
} window_params;

static cort_status *parse_output_datatype(cort_parse_ctx *pc, int32_t *type) {
    *type = (int32_t)cort_attr_int(pc->node, "output_datatype", CORT_FLOAT);
    if (!cort_elem_type_valid(*type) || *type == CORT_STRING || *type == CORT_COMPLEX64 || *type == CORT_COMPLEX128)
        return cort_node_error(pc->node, CORT_INVALID_GRAPH, "unsupported output_datatype %d", *type);
    return NULL;
}

static cort_status *parse_window(cort_parse_ctx *pc) {
    window_params *p = pc->params;
    p->periodic = cort_attr_int(pc->node, "periodic", 1) != 0;
    return parse_output_datatype(pc, &p->out_type);
}

/* Generalised cosine window: a0 - a1 cos(2 pi n / D) + a2 cos(4 pi n / D). */
static cort_status *run_cosine_window(cort_kctx *ctx, double a0, double a1, double a2) {
    const window_params *p = ctx->params;
    int64_t n = 0;
    CORT_TRY(read_int_scalar(ctx, 0, "size", &n));
    if (n < 0 || n > CORT_MAX_ELEMENTS) return cort_kerr(ctx, "window size %lld is invalid", (long long)n);
    cort_tensor *out;
    CORT_TRY(cort_out(ctx, 0, p->out_type, 1, &n, &out));
    double denom = (double)(p->periodic ? n : n - 1);
    for (int64_t k = 0; k < n; k++) {
        double a = denom > 0 ? 2 * SIGNAL_PI * (double)k / denom : 0;
        cort_set_f64(out, k, a0 - a1 * cos(a) + a2 * cos(2 * a));
    }
    return NULL;
}

static cort_status *run_hann(cort_kctx *ctx) { return run_cosine_window(ctx, 0.5, 0.5, 0); }
static cort_status *run_hamming(cort_kctx *ctx) { return run_cosine_window(ctx, 25.0 / 46.0, 21.0 / 46.0, 0); }
static cort_status *run_blackman(cort_kctx *ctx) { return run_cosine_window(ctx, 0.42, 0.5, 0.08); }

/* ------------------------------------------------------------------ MelWeightMatrix */

typedef struct mel_params {
    int32_t out_type;
} mel_params;

static cort_status *parse_mel(cort_parse_ctx *pc) {
    mel_params *p = pc->params;
    return parse_output_datatype(pc, &p->out_type);
}

static double hz_to_mel(double hz) { return 2595.0 * log10(1.0 + hz / 700.0); }
static double mel_to_hz(double mel) { return 700.0 * (pow(10.0, mel / 2595.0) - 1.0); }

/* Triangular filters between mel-spaced points, each point rounded down to a spectrogram bin, as in
 * the ONNX reference implementation. */
static cort_status *run_mel(cort_kctx *ctx) {
    const mel_params *p = ctx->params;
    int64_t mels = 0, dft_len = 0, rate = 0;
    double lo = 0, hi = 0;
    CORT_TRY(read_int_scalar(ctx, 0, "num_mel_bins", &mels));
    CORT_TRY(read_int_scalar(ctx, 1, "dft_length", &dft_len));
    CORT_TRY(read_int_scalar(ctx, 2, "sample_rate", &rate));
    CORT_TRY(read_float_scalar(ctx, 3, "lower_edge_hertz", &lo));
    CORT_TRY(read_float_scalar(ctx, 4, "upper_edge_hertz", &hi));
    if (mels <= 0 || dft_len <= 0 || rate <= 0 || mels > (1 << 20) || dft_len > ((int64_t)1 << 30))
        return cort_kerr(ctx, "num_mel_bins, dft_length and sample_rate must be positive");
    if (!(lo >= 0 && hi > lo)) return cort_kerr(ctx, "edges must satisfy 0 <= lower < upper");
    int64_t spec_bins = dft_len / 2 + 1, dims[2] = {spec_bins, mels};
    int64_t *points = ctx->svc->scratch(ctx, (size_t)(mels + 2) * sizeof *points);
    if (!points) return cort_oom();
    double lo_mel = hz_to_mel(lo), step = (hz_to_mel(hi) - lo_mel) / (double)(mels + 2);
    for (int64_t i = 0; i < mels + 2; i++) {
        double hz = mel_to_hz((double)i * step + lo_mel);
        points[i] = (int64_t)floor((double)(dft_len + 1) * hz / (double)rate);
        if (points[i] < 0 || points[i] >= spec_bins)
            return cort_kerr(ctx, "mel point %lld falls outside the %lld spectrogram bins", (long long)i,
                             (long long)spec_bins);
    }
    cort_tensor *out;
    CORT_TRY(cort_out(ctx, 0, p->out_type, 2, dims, &out));
    for (int64_t k = 0; k < spec_bins * mels; k++) cort_set_f64(out, k, 0);
    for (int64_t m = 0; m < mels; m++) {
        int64_t left = points[m], center = points[m + 1], right = points[m + 2];
        if (center == left) cort_set_f64(out, center * mels + m, 1);
        for (int64_t j = left; center > left && j <= center; j++)
            cort_set_f64(out, j * mels + m, (double)(j - left) / (double)(center - left));
        for (int64_t j = center; j < right; j++)
            cort_set_f64(out, j * mels + m, (double)(right - j) / (double)(right - center));
    }
    return NULL;
}

/* ------------------------------------------------------------------ type inference */

/* Output 0 becomes a tensor of elem and rank with every dimension unknown; returns its dims. */
static cort_dim *infer_tensor_out(cort_infer_ctx *ic, int32_t elem, int rank) {
    cort_dim *dims = cort_pool_calloc(ic->pool, (size_t)(rank > 0 ? rank : 1), sizeof *dims);
    if (!dims) return NULL;
    for (int d = 0; d < rank; d++) dims[d].value = -1;
    cort_type_set_tensor(&ic->out[0], elem, rank, dims);
    return dims;
}

/* The value of a constant integer scalar input, or -1 when unknown at load. */
static int64_t const_int(const cort_infer_ctx *ic, int i) {
    const cort_tensor *t = i < ic->n_in ? ic->in_const[i] : NULL;
    if (!t || (t->type != CORT_INT32 && t->type != CORT_INT64) || cort_tensor_count(t) != 1) return -1;
    return cort_get_i64(t, 0);
}

static cort_status *infer_dft(cort_infer_ctx *ic) {
    const dft_params *p = ic->params;
    const cort_type *x = ic->in[0];
    if (!x || x->kind != CORT_TYPE_TENSOR || x->rank < 2 || !x->elem) return NULL;
    cort_dim *dims = infer_tensor_out(ic, x->elem, x->rank);
    if (!dims) return cort_oom();
    int axis = (int)(p->axis < 0 ? p->axis + x->rank : p->axis);
    if (axis < 0 || axis > x->rank - 2) return NULL; /* reported at run */
    for (int d = 0; d < x->rank - 1; d++)
        if (d != axis) dims[d] = x->dims[d];
    dims[x->rank - 1].value = 2;
    int64_t n = ic->n_in > 1 && ic->in[1] ? const_int(ic, 1) : x->dims[axis].value;
    if (n > 0) dims[axis].value = p->onesided ? n / 2 + 1 : n;
    return NULL;
}

static cort_status *infer_stft(cort_infer_ctx *ic) {
    const cort_type *x = ic->in[0];
    if (!x || x->kind != CORT_TYPE_TENSOR || x->rank != 3 || !x->elem) return NULL;
    cort_dim *dims = infer_tensor_out(ic, x->elem, 4);
    if (!dims) return cort_oom();
    dims[0] = x->dims[0];
    dims[3].value = 2;
    return NULL;
}

static cort_status *infer_window(cort_infer_ctx *ic) {
    const window_params *p = ic->params;
    cort_dim *dims = infer_tensor_out(ic, p->out_type, 1);
    if (!dims) return cort_oom();
    dims[0].value = const_int(ic, 0);
    return NULL;
}

static cort_status *infer_mel(cort_infer_ctx *ic) {
    const mel_params *p = ic->params;
    cort_dim *dims = infer_tensor_out(ic, p->out_type, 2);
    if (!dims) return cort_oom();
    int64_t dft_len = const_int(ic, 1);
    dims[0].value = dft_len > 0 ? dft_len / 2 + 1 : -1;
    dims[1].value = const_int(ic, 0);
    return NULL;
}

#define SIGNAL_ROW(name, types, params, parse, infer, run) \
    {"", name, 17, CORT_OPSET_MAX, types, 0, sizeof(params), parse, infer, NULL, run, 0}

#define SIGNAL_INT_TYPES (CORT_T(CORT_INT32) | CORT_T(CORT_INT64))

const cort_op_def cort_ops_signal[] = {
    SIGNAL_ROW("DFT", CORT_TS_FLOAT, dft_params, parse_dft, infer_dft, run_dft),
    SIGNAL_ROW("STFT", CORT_TS_FLOAT, stft_params, parse_stft, infer_stft, run_stft),
    SIGNAL_ROW("HannWindow", SIGNAL_INT_TYPES, window_params, parse_window, infer_window, run_hann),
    SIGNAL_ROW("HammingWindow", SIGNAL_INT_TYPES, window_params, parse_window, infer_window, run_hamming),
    SIGNAL_ROW("BlackmanWindow", SIGNAL_INT_TYPES, window_params, parse_window, infer_window, run_blackman),
    SIGNAL_ROW("MelWeightMatrix", SIGNAL_INT_TYPES, mel_params, parse_mel, infer_mel, run_mel),
    {0},
};
