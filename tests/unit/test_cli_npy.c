/* The CLI's .npy reader and writer: round trips, byte-exact agreement with NumPy's own headers,
 * and clear errors (never crashes) on malformed files. The CLI is an executable, so its npy.c is
 * compiled into this test directly. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../tools/cli/npy.c"
#include "check.h"

/* A .npy image from a header dict (padded like NumPy does) and raw data; version 1 or 2. */
static size_t make_npy(unsigned char *buf, size_t cap, int major, const char *dict, const void *data, size_t nbytes) {
    size_t prefix = major == 1 ? 10 : 12;
    size_t len = strlen(dict);
    size_t total = (prefix + len + 1 + 63) / 64 * 64 - prefix;
    if (prefix + total + nbytes > cap) return 0;
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major;
    buf[7] = 0;
    if (major == 1) {
        buf[8] = (unsigned char)(total & 0xff);
        buf[9] = (unsigned char)(total >> 8);
    } else {
        buf[8] = (unsigned char)(total & 0xff);
        buf[9] = (unsigned char)(total >> 8);
        buf[10] = 0;
        buf[11] = 0;
    }
    memcpy(buf + prefix, dict, len);
    memset(buf + prefix + len, ' ', total - len - 1);
    buf[prefix + total - 1] = '\n';
    if (nbytes) memcpy(buf + prefix + total, data, nbytes);
    return prefix + total + nbytes;
}

static void test_round_trip(cort_elem_type type, const int64_t *dims, size_t rank, const void *data) {
    cort_value *v = NULL, *back = NULL;
    CHECK_OK(cort_tensor_create(type, dims, rank, &v));
    if (!v) return;
    size_t nbytes = (size_t)cort_tensor_element_count(v) * cort_elem_type_size(type);
    if (nbytes) memcpy(cort_tensor_data(v), data, nbytes);
    void *buf = NULL;
    size_t size = 0;
    CHECK_OK(cort_npy_write(v, &buf, &size));
    CHECK(buf && size >= 10 + nbytes);
    if (buf) {
        size_t header_len = ((unsigned char *)buf)[8] | (size_t)((unsigned char *)buf)[9] << 8;
        CHECK((10 + header_len) % 64 == 0);
        CHECK(((char *)buf)[10 + header_len - 1] == '\n');
        CHECK(size == 10 + header_len + nbytes);
        CHECK_OK(cort_npy_read(buf, size, &back));
    }
    if (back) {
        CHECK(cort_tensor_elem_type(back) == type);
        CHECK(cort_tensor_rank(back) == rank);
        CHECK(rank == 0 || memcmp(cort_tensor_dims(back), dims, rank * sizeof dims[0]) == 0);
        CHECK(nbytes == 0 || memcmp(cort_tensor_data(back), data, nbytes) == 0);
    }
    free(buf);
    cort_value_free(v);
    cort_value_free(back);
}

static void test_round_trips(void) {
    const float f[6] = {0.f, 1.5f, -2.25f, 3e38f, -0.f, 7.f};
    const int64_t d23[2] = {2, 3};
    test_round_trip(CORT_FLOAT, d23, 2, f);
    const int64_t i64[4] = {-1, 0, INT64_MAX, INT64_MIN};
    const int64_t d4[1] = {4};
    test_round_trip(CORT_INT64, d4, 1, i64);
    const double scalar = 3.5;
    test_round_trip(CORT_DOUBLE, NULL, 0, &scalar);
    const int64_t d03[2] = {0, 3};
    test_round_trip(CORT_UINT8, d03, 2, NULL);
    const uint8_t b[4] = {1, 0, 0, 1};
    const int64_t d22[2] = {2, 2};
    test_round_trip(CORT_BOOL, d22, 2, b);
    const uint16_t h[4] = {0x3c00, 0xc000, 0x7c00, 0x0001};
    test_round_trip(CORT_FLOAT16, d4, 1, h);
    const int8_t i8[4] = {-128, -1, 0, 127};
    test_round_trip(CORT_INT8, d4, 1, i8);
    const uint32_t u32[4] = {0, 1, 0xffffffffu, 42};
    test_round_trip(CORT_UINT32, d22, 2, u32);
    const int64_t d11111[5] = {1, 1, 1, 1, 1};
    const int16_t one = -7;
    test_round_trip(CORT_INT16, d11111, 5, &one);
}

/* The header we write is byte-for-byte what numpy.save writes. */
static void test_matches_numpy_header(void) {
    static const struct {
        cort_elem_type type;
        size_t rank;
        int64_t dims[2];
        const char *dict;
    } cases[] = {
        {CORT_FLOAT, 2, {2, 3}, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"},
        {CORT_DOUBLE, 0, {0, 0}, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }"},
        {CORT_UINT8, 2, {0, 3}, "{'descr': '|u1', 'fortran_order': False, 'shape': (0, 3), }"},
        {CORT_BOOL, 1, {2, 0}, "{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cort_value *v = NULL;
        CHECK_OK(cort_tensor_create(cases[i].type, cases[i].dims, cases[i].rank, &v));
        void *buf = NULL;
        size_t size = 0;
        if (v) CHECK_OK(cort_npy_write(v, &buf, &size));
        unsigned char expected[256];
        size_t expected_size = make_npy(expected, sizeof expected, 1, cases[i].dict, cort_tensor_data(v),
                                        (size_t)cort_tensor_element_count(v) * cort_elem_type_size(cases[i].type));
        CHECK(buf && size == expected_size && memcmp(buf, expected, size) == 0);
        free(buf);
        cort_value_free(v);
    }
}

static void test_reads_variants(void) {
    unsigned char buf[512];
    const int32_t data[3] = {5, -6, 7};
    /* version 2 header, double quotes, no trailing comma, Python 2 long suffix */
    size_t n = make_npy(buf, sizeof buf, 2, "{\"descr\": \"<i4\", \"shape\": (3L,), \"fortran_order\": False}", data,
                        sizeof data);
    cort_value *v = NULL;
    CHECK_OK(cort_npy_read(buf, n, &v));
    if (v) {
        CHECK(cort_tensor_elem_type(v) == CORT_INT32);
        CHECK(cort_tensor_rank(v) == 1 && cort_tensor_dims(v)[0] == 3);
        CHECK(memcmp(cort_tensor_data(v), data, sizeof data) == 0);
    }
    cort_value_free(v);
    v = NULL;
    /* a bool stored as 2 becomes 1 */
    const uint8_t b[2] = {2, 0};
    n = make_npy(buf, sizeof buf, 1, "{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", b, 2);
    CHECK_OK(cort_npy_read(buf, n, &v));
    if (v) CHECK(((uint8_t *)cort_tensor_data(v))[0] == 1 && ((uint8_t *)cort_tensor_data(v))[1] == 0);
    cort_value_free(v);
    v = NULL;
    /* single-byte types accept any byte-order mark */
    const int8_t c[1] = {-3};
    n = make_npy(buf, sizeof buf, 1, "{'descr': '<i1', 'fortran_order': False, 'shape': (1,), }", c, 1);
    CHECK_OK(cort_npy_read(buf, n, &v));
    if (v) CHECK(cort_tensor_elem_type(v) == CORT_INT8 && ((int8_t *)cort_tensor_data(v))[0] == -3);
    cort_value_free(v);
}

/* A malformed image must give an error whose message contains `needle`. */
static void expect_error(const void *data, size_t size, const char *needle) {
    cort_value *v = NULL;
    cort_status *st = cort_npy_read(data, size, &v);
    CHECK(st != NULL);
    CHECK(v == NULL);
    if (st && !strstr(cort_status_message(st), needle)) {
        fprintf(stderr, "expected an error mentioning '%s', got '%s'\n", needle, cort_status_message(st));
        check_failures++;
    }
    cort_status_free(st);
    cort_value_free(v);
}

static void expect_header_error(const char *dict, size_t nbytes, const char *needle) {
    unsigned char buf[1024];
    unsigned char zeros[64] = {0};
    size_t n = make_npy(buf, sizeof buf, 1, dict, zeros, nbytes);
    CHECK(n > 0);
    expect_error(buf, n, needle);
}

static void test_malformed(void) {
    expect_error(NULL, 0, "bad magic");
    expect_error("\x93NUMPX\x01\x00\x10\x00", 10, "bad magic");
    expect_error("\x93NUMPY\x01", 7, "truncated");
    expect_error("\x93NUMPY\x01\x00\xff\xff{}", 12, "exceeds");
    expect_error("\x93NUMPY\x04\x00\x02\x00{}", 12, "version");
    expect_header_error("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", 8, "fortran_order");
    expect_header_error("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", 8, "object");
    expect_header_error("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8, "little-endian");
    expect_header_error("{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }", 12, "not supported");
    expect_header_error("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", 4, "structured");
    expect_header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", 8, "unexpected key");
    expect_header_error("{'descr': '<f4', 'fortran_order': False}", 8, "needs descr");
    expect_header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", 8, "unterminated");
    expect_header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", 8, "bad dimension");
    expect_header_error("{'descr': '<f4', 'fortran_order': False, 'shape': 2, }", 8, "not a tuple");
    expect_header_error("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }", 8, "fortran_order");
    expect_header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 4, "data bytes");
    expect_header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 12, "data bytes");
    expect_header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", 0,
                        "bad dimension");
    expect_header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (1048576, 1048576, 1048576), }", 0,
                        "too large");
    expect_header_error("{'descr': '<f4', 'fortran_order': False, "
                        "'shape': (1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1), }",
                        4, "dimensions");
    expect_header_error("not a dict", 0, "not a dict");
    /* every truncation of a valid file is an error, never a crash */
    unsigned char buf[256];
    const float f[2] = {1, 2};
    size_t n = make_npy(buf, sizeof buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f, 8);
    for (size_t cut = 0; cut < n; cut++) {
        cort_value *v = NULL;
        cort_status *st = cort_npy_read(buf, cut, &v);
        CHECK(st != NULL && v == NULL);
        cort_status_free(st);
    }
}

static void test_write_rejects(void) {
    cort_value *v = NULL;
    const int64_t dims[1] = {2};
    CHECK_OK(cort_tensor_create(CORT_STRING, dims, 1, &v));
    void *buf = NULL;
    size_t size = 0;
    cort_status *st = cort_npy_write(v, &buf, &size);
    CHECK(st != NULL && buf == NULL);
    CHECK(st && strstr(cort_status_message(st), "string"));
    cort_status_free(st);
    cort_value_free(v);
    CHECK(cort_npy_descr(CORT_BFLOAT16) == NULL);
}

static void test_file_round_trip(void) {
    char path[] = "/tmp/test_cli_npy_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) return;
    close(fd);
    const int64_t dims[2] = {3, 2};
    const double d[6] = {1, 2, 3, 4, 5, -6};
    cort_value *v = NULL, *back = NULL;
    CHECK_OK(cort_tensor_create(CORT_DOUBLE, dims, 2, &v));
    if (v) {
        memcpy(cort_tensor_data(v), d, sizeof d);
        CHECK_OK(cort_npy_write_file(v, path));
        CHECK_OK(cort_npy_read_file(path, &back));
    }
    CHECK(back && memcmp(cort_tensor_data(back), d, sizeof d) == 0);
    cort_value_free(v);
    cort_value_free(back);
    unlink(path);
    cort_status *st = cort_npy_read_file("/nonexistent/x.npy", &back);
    CHECK(st != NULL && back == NULL);
    cort_status_free(st);
}

int main(void) {
    test_round_trips();
    test_matches_numpy_header();
    test_reads_variants();
    test_malformed();
    test_write_rejects();
    test_file_round_trip();
    return check_report("test_cli_npy");
}
