/* DFT, STFT and the window functions through a session: the FFT (power-of-two lengths) and the direct
 * transform against the definition, inverse after forward, one-sided padding, STFT frames, windows
 * by hand, and bad frame sizes rejected. */
#include <math.h>

#include "test_control_model.h"

enum { OPSET = 17 };

static bool near(double a, double b) { return fabs(a - b) <= 1e-4 + 1e-4 * fabs(b); }

/* X_k = sum_t x_t e^{-2 pi i k t / n} of a real signal zero-padded to n. */
static void reference_dft(const float *x, int len, int n, int k, double *re, double *im) {
    *re = *im = 0;
    for (int t = 0; t < len && t < n; t++) {
        double a = -2 * 3.14159265358979323846 * (double)k * t / n;
        *re += x[t] * cos(a);
        *im += x[t] * sin(a);
    }
}

/* Y = DFT(X) and Z = DFT(Y, inverse) along axis 1 of [1, n, c]; dft_length from input L when given. */
static cort_session *dft_model(bool onesided, bool with_length) {
    cort_model *m = new_model(OPSET);
    cort_graph *g = m->graph;
    float_input(g, "X");
    if (with_length) typed_input(g, "L", CORT_INT64);
    cort_node *n = node(g, OPSET, "DFT", with_length ? 2 : 1, (const char *[]){"X", "L"}, 1, (const char *[]){"Y"}, 1);
    n->attrs[0] = (cort_attr){.name = "onesided", .type = CORT_ATTR_INT, .i = onesided};
    output(g, "Y");
    if (!onesided) {
        n = node(g, OPSET, "DFT", 1, (const char *[]){"Y"}, 1, (const char *[]){"Z"}, 1);
        n->attrs[0] = (cort_attr){.name = "inverse", .type = CORT_ATTR_INT, .i = 1};
        output(g, "Z");
    }
    return open_session(m);
}

static void test_dft_against_definition_and_inverse(void) {
    cort_session *s = dft_model(false, false);
    if (!s) return;
    static const int lengths[4] = {6, 8, 37, 100}; /* direct sum, FFT, Bluestein (odd and even) */
    for (int li = 0; li < 4; li++) {
        int n = lengths[li];
        float x[100];
        for (int t = 0; t < n; t++) x[t] = (float)((t * 7) % 5) - 1.5f;
        int64_t dims[3] = {1, n, 1};
        cort_value *xv = NULL, *outs[2] = {0};
        CHECK_OK(cort_tensor_create_view(CORT_FLOAT, dims, 3, x, sizeof(float) * (size_t)n, &xv));
        const char *names[2] = {"Y", "Z"};
        CHECK_OK(cort_session_run(s, NULL, (const char *[]){"X"}, (const cort_value *const *)&xv, 1, names, 2, outs));
        if (outs[0] && outs[1]) {
            CHECK(cort_tensor_rank(outs[0]) == 3 && cort_tensor_dims(outs[0])[1] == n);
            CHECK(cort_tensor_dims(outs[0])[2] == 2);
            for (int k = 0; k < n; k++) {
                double re, im;
                reference_dft(x, n, n, k, &re, &im);
                CHECK(near(fdata(outs[0])[2 * k], re) && near(fdata(outs[0])[2 * k + 1], im));
                CHECK(near(fdata(outs[1])[2 * k], x[k]) && near(fdata(outs[1])[2 * k + 1], 0));
            }
        }
        cort_value_free(xv);
        cort_value_free(outs[0]);
        cort_value_free(outs[1]);
    }
    cort_session_free(s);
}

static void test_onesided_dft_pads_to_dft_length(void) {
    cort_session *s = dft_model(true, true);
    if (!s) return;
    float x[5] = {1, -2, 3, 0.5f, 4};
    int64_t dims[3] = {1, 5, 1}, len = 8, scalar = 0;
    cort_value *in[2] = {0}, *y = NULL;
    CHECK_OK(cort_tensor_create_view(CORT_FLOAT, dims, 3, x, sizeof x, &in[0]));
    CHECK_OK(cort_tensor_create_view(CORT_INT64, &scalar, 0, &len, sizeof len, &in[1]));
    CHECK_OK(cort_session_run(s, NULL, (const char *[]){"X", "L"}, (const cort_value *const *)in, 2,
                              (const char *[]){"Y"}, 1, &y));
    if (y) {
        CHECK(cort_tensor_dims(y)[1] == 5); /* 8 / 2 + 1 bins */
        for (int k = 0; k < 5; k++) {
            double re, im;
            reference_dft(x, 5, 8, k, &re, &im);
            CHECK(near(fdata(y)[2 * k], re) && near(fdata(y)[2 * k + 1], im));
        }
    }
    cort_value_free(in[0]);
    cort_value_free(in[1]);
    cort_value_free(y);
    cort_session_free(s);
}

static void test_stft_frames(void) {
    cort_model *m = new_model(OPSET);
    cort_graph *g = m->graph;
    float_input(g, "signal");
    typed_input(g, "step", CORT_INT64);
    typed_input(g, "length", CORT_INT64);
    node(g, OPSET, "STFT", 4, (const char *[]){"signal", "step", "", "length"}, 1, (const char *[]){"Y"}, 0);
    output(g, "Y");
    cort_session *s = open_session(m);
    if (!s) return;
    float x[16];
    for (int t = 0; t < 16; t++) x[t] = (float)(t % 5) - (float)t / 8;
    int64_t dims[3] = {1, 16, 1}, step = 4, length = 8, scalar = 0;
    cort_value *in[3] = {0}, *y = NULL;
    CHECK_OK(cort_tensor_create_view(CORT_FLOAT, dims, 3, x, sizeof x, &in[0]));
    CHECK_OK(cort_tensor_create_view(CORT_INT64, &scalar, 0, &step, sizeof step, &in[1]));
    CHECK_OK(cort_tensor_create_view(CORT_INT64, &scalar, 0, &length, sizeof length, &in[2]));
    const char *names[3] = {"signal", "step", "length"};
    CHECK_OK(cort_session_run(s, NULL, names, (const cort_value *const *)in, 3, (const char *[]){"Y"}, 1, &y));
    if (y) {
        /* (16 - 8) / 4 + 1 = 3 frames of 8 / 2 + 1 = 5 bins */
        CHECK(cort_tensor_rank(y) == 4 && cort_tensor_dims(y)[1] == 3 && cort_tensor_dims(y)[2] == 5);
        for (int f = 0; f < 3; f++)
            for (int k = 0; k < 5; k++) {
                double re, im;
                reference_dft(x + 4 * f, 8, 8, k, &re, &im);
                CHECK(near(fdata(y)[(f * 5 + k) * 2], re) && near(fdata(y)[(f * 5 + k) * 2 + 1], im));
            }
    }
    cort_value_free(y);
    y = NULL;
    length = 32; /* longer than the signal */
    cort_status *st = cort_session_run(s, NULL, names, (const cort_value *const *)in, 3, (const char *[]){"Y"}, 1, &y);
    CHECK(st && strstr(cort_status_message(st), "STFT") && strstr(cort_status_message(st), "frame_length"));
    cort_status_free(st);
    cort_value_free(y);
    for (int i = 0; i < 3; i++) cort_value_free(in[i]);
    cort_session_free(s);
}

static void check_window(const char *op, int periodic, int64_t size, const float *want) {
    cort_model *m = new_model(OPSET);
    cort_graph *g = m->graph;
    initializer(g, "size", int64_scalar(&m->pool, size));
    cort_node *n = node(g, OPSET, op, 1, (const char *[]){"size"}, 1, (const char *[]){"W"}, 1);
    n->attrs[0] = (cort_attr){.name = "periodic", .type = CORT_ATTR_INT, .i = periodic};
    output(g, "W");
    cort_session *s = open_session(m);
    if (!s) return;
    cort_value *w = NULL;
    CHECK_OK(run(s, NULL, 0, (const char *[]){"W"}, 1, &w));
    CHECK(w && cort_tensor_element_count(w) == size);
    for (int64_t k = 0; w && k < size; k++) CHECK(near(fdata(w)[k], want[k]));
    cort_value_free(w);
    cort_session_free(s);
}

static void test_windows_by_hand(void) {
    check_window("HannWindow", 1, 4, (const float[]){0, 0.5f, 1, 0.5f});
    check_window("HannWindow", 0, 5, (const float[]){0, 0.5f, 1, 0.5f, 0});
    check_window("HammingWindow", 1, 2, (const float[]){4.0f / 46, 1});
    check_window("BlackmanWindow", 1, 4, (const float[]){0, 0.34f, 1, 0.34f});
}

int main(void) {
    test_dft_against_definition_and_inverse();
    test_onesided_dft_pads_to_dft_length();
    test_stft_frames();
    test_windows_by_hand();
    return check_report("test_signal");
}
