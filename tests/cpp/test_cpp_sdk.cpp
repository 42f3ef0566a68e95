// The C++ SDK (include/cort/cort.hpp) over the demo model and ONNX backend test data:
// sessions, type info, runs with views and bound outputs, owned and string tensors, errors, threads.
//   test_cpp_sdk REPO_ROOT [NODE_TEST_DIR]
#include "cort/cort.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

static int failures = 0;

#define CHECK(cond)                                                                                             \
    do {                                                                                                        \
        if (!(cond)) {                                                                                          \
            std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                      \
            failures++;                                                                                         \
        }                                                                                                       \
    } while (0)

// Runs `fn`, expecting a cort::Exception with `code`; returns its message.
template <typename F> static std::string expect_throw(F fn, cort_code code, int line) {
    try {
        fn();
    } catch (const cort::Exception &e) {
        if (e.GetCode() != code) {
            std::fprintf(stderr, "line %d: expected code %d, got %d (%s)\n", line, (int)code, (int)e.GetCode(),
                         e.what());
            failures++;
        }
        return e.what();
    }
    std::fprintf(stderr, "line %d: expected an exception\n", line);
    failures++;
    return "";
}
#define EXPECT_THROW(code, ...) expect_throw([&] { __VA_ARGS__; }, code, __LINE__)

static std::vector<char> read_file(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    return std::vector<char>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

static std::vector<float> sample_image(size_t n, float phase) {
    std::vector<float> x(n);
    for (size_t i = 0; i < n; i++) x[i] = std::sin(static_cast<float>(i) * 0.37f + phase);
    return x;
}

static std::vector<float> run_demo(cort::Session &s, std::vector<float> &image) {
    std::vector<int64_t> shape{1, 1, 16, 16};
    std::vector<cort::Value> in;
    in.push_back(cort::Value::CreateTensor<float>(image.data(), image.size(), shape));
    auto out = s.Run({"input"}, in, {"probabilities"});
    const float *p = out.at(0).GetTensorData<float>();
    return std::vector<float>(p, p + 4);
}

static void test_session_info(cort::Session &s) {
    CHECK(s.GetInputCount() == 1);
    CHECK(s.GetOutputCount() == 1);
    CHECK(s.GetInputName(0) == "input");
    CHECK(s.GetOutputNames() == std::vector<std::string>{"probabilities"});
    cort::AllocatorWithDefaultOptions allocator;
    auto name = s.GetInputNameAllocated(0, allocator);
    CHECK(std::string(name.get()) == "input");
    cort::TypeInfo ti = s.GetInputTypeInfo(0);
    CHECK(ti.GetONNXType() == cort::ONNX_TYPE_TENSOR);
    const auto &tensor = ti.GetTensorTypeAndShapeInfo();
    CHECK(tensor.GetElementType() == CORT_FLOAT);
    CHECK((tensor.GetShape() == std::vector<int64_t>{1, 1, 16, 16}));
    CHECK(tensor.GetElementCount() == 256);
    CHECK((s.GetOutputTypeInfo(0).GetTensorTypeAndShapeInfo().GetShape() == std::vector<int64_t>{1, 4}));
    cort::ModelMetadata meta = s.GetModelMetadata();
    CHECK(meta.GetProducerName() == "pytorch");
    CHECK(!meta.LookupCustomMetadataMap("no such key"));
}

static void test_runs(cort::Session &s, cort::Session &from_bytes) {
    std::vector<float> image = sample_image(256, 0.f);
    std::vector<float> p = run_demo(s, image);
    float sum = 0;
    for (float v : p) sum += v;
    CHECK(std::fabs(sum - 1.f) < 1e-4f); // the demo model ends in a softmax
    CHECK(run_demo(from_bytes, image) == p);

    // ORT-style Run with C arrays, into a caller buffer bound as the output
    std::vector<int64_t> in_shape{1, 1, 16, 16}, out_shape{1, 4};
    cort::Value input = cort::Value::CreateTensor<float>(cort::MemoryInfo::CreateCpu(), image.data(), image.size(),
                                                         in_shape.data(), in_shape.size());
    float result[4] = {0, 0, 0, 0};
    cort::Value bound = cort::Value::CreateTensor<float>(result, 4, out_shape);
    const char *in_names[] = {"input"}, *out_names[] = {"probabilities"};
    s.Run(cort::RunOptions{nullptr}, in_names, &input, 1, out_names, &bound, 1);
    for (int i = 0; i < 4; i++) CHECK(result[i] == p[i]);
    CHECK(bound.GetTensorData<float>() == result);

    auto outs = s.Run(cort::RunOptions(), in_names, &input, 1, out_names, 1);
    CHECK(outs.size() == 1 && outs[0].IsTensor());
    CHECK((outs[0].GetTensorTypeAndShapeInfo().GetShape() == out_shape));
    EXPECT_THROW(CORT_INVALID_ARGUMENT, outs[0].GetTensorData<int64_t>());
}

static void test_run_errors(cort::Session &s) {
    std::vector<float> image = sample_image(256, 0.f);
    std::vector<double> wide(256);
    std::vector<int64_t> shape{1, 1, 16, 16}, flat{256};
    std::vector<cort::Value> in;
    in.push_back(cort::Value::CreateTensor<float>(image.data(), image.size(), shape));
    std::string msg = EXPECT_THROW(CORT_INVALID_ARGUMENT, s.Run({"wrong_name"}, in));
    CHECK(msg.find("wrong_name") != std::string::npos);
    EXPECT_THROW(CORT_INVALID_ARGUMENT, s.Run({"input"}, in, {"no_output"}));
    EXPECT_THROW(CORT_INVALID_ARGUMENT, s.Run({}, std::vector<cort::Value>{}));
    EXPECT_THROW(CORT_INVALID_ARGUMENT, s.Run({"input", "input"}, in));
    std::vector<cort::Value> bad_type;
    bad_type.push_back(cort::Value::CreateTensor<double>(wide.data(), wide.size(), shape));
    EXPECT_THROW(CORT_INVALID_ARGUMENT, s.Run({"input"}, bad_type));
    std::vector<cort::Value> bad_rank;
    bad_rank.push_back(cort::Value::CreateTensor<float>(image.data(), image.size(), flat));
    EXPECT_THROW(CORT_INVALID_ARGUMENT, s.Run({"input"}, bad_rank));
    EXPECT_THROW(CORT_INVALID_ARGUMENT, cort::Value::CreateTensor<float>(image.data(), 100, shape));

    cort::RunOptions stop;
    stop.SetTerminate();
    EXPECT_THROW(CORT_FAIL, s.Run({"input"}, in, {}, stop));
    stop.UnsetTerminate();
    CHECK(s.Run({"input"}, in, {}, stop).size() == 1);
}

static void test_load_errors(const cort::Env &env, const std::string &root) {
    cort::SessionOptions opts;
    EXPECT_THROW(CORT_NO_SUCH_FILE, cort::Session(env, (root + "/no/such/model.onnx").c_str(), opts));
    const char garbage[] = "\x08\x07 not a model \xff\xff";
    EXPECT_THROW(CORT_INVALID_PROTOBUF, cort::Session(env, garbage, sizeof garbage, opts));
}

static void test_values() {
    cort::Value owned = cort::Value::CreateTensor<int64_t>({2, 3});
    CHECK(owned.IsTensor() && owned.HasValue());
    int64_t *d = owned.GetTensorMutableData<int64_t>();
    bool zero = true;
    for (int i = 0; i < 6; i++) zero = zero && d[i] == 0;
    CHECK(zero);
    CHECK(owned.GetTensorTypeAndShapeInfo().GetElementCount() == 6);

    cort::Value strings = cort::Value::CreateStringTensor({"alpha", "", "gamma"}, {3});
    CHECK(strings.GetString(0) == "alpha" && strings.GetString(1).empty() && strings.GetString(2) == "gamma");
    strings.SetString(1, "beta");
    CHECK(strings.GetString(1) == "beta");
    EXPECT_THROW(CORT_INVALID_ARGUMENT, strings.GetString(3));
    EXPECT_THROW(CORT_INVALID_ARGUMENT, cort::Value::CreateStringTensor({"a"}, {2}));

    cort::Value moved = std::move(owned);
    CHECK(!owned && moved);
    cort::Value empty{nullptr};
    CHECK(!empty.IsTensor());
    EXPECT_THROW(CORT_INVALID_ARGUMENT, empty.GetTensorTypeAndShapeInfo());
    CHECK(!cort::GetVersionString().empty());
}

static void test_threads(cort::Session &s) {
    const int n_threads = 4, per_thread = 8;
    std::vector<std::vector<float>> images, expected, got(n_threads * per_thread);
    for (int k = 0; k < n_threads * per_thread; k++) {
        images.push_back(sample_image(256, static_cast<float>(k)));
        expected.push_back(run_demo(s, images.back()));
    }
    std::vector<std::thread> threads;
    std::vector<int> errors(n_threads, 0);
    for (int t = 0; t < n_threads; t++)
        threads.emplace_back([&, t] {
            try {
                for (int k = t; k < n_threads * per_thread; k += n_threads) got[k] = run_demo(s, images[k]);
            } catch (const cort::Exception &) {
                errors[t]++;
            }
        });
    for (auto &th : threads) th.join();
    for (int t = 0; t < n_threads; t++) CHECK(errors[t] == 0);
    CHECK(got == expected);
}

// An ONNX backend node test run through the C++ API against its expected output.
static void test_node_test(const cort::Env &env, const std::string &dir) {
    std::vector<char> model = read_file(dir + "/model.onnx");
    if (model.empty()) {
        std::printf("skipping node test %s (not installed)\n", dir.c_str());
        return;
    }
    cort::SessionOptions opts;
    opts.SetIntraOpNumThreads(1).SetGraphOptimizationLevel(cort::GraphOptimizationLevel::ORT_DISABLE_ALL);
    cort::Session s(env, model.data(), model.size(), opts);
    std::vector<cort::Value> inputs;
    std::vector<std::string> names;
    for (size_t i = 0; i < s.GetInputCount(); i++) {
        std::vector<char> pb = read_file(dir + "/test_data_set_0/input_" + std::to_string(i) + ".pb");
        cort_value *v = nullptr;
        cort::ThrowOnError(cort_tensor_from_pb(pb.data(), pb.size(), &v, nullptr));
        inputs.emplace_back(v);
        names.push_back(s.GetInputName(i));
    }
    std::vector<char> pb = read_file(dir + "/test_data_set_0/output_0.pb");
    cort_value *raw = nullptr;
    cort::ThrowOnError(cort_tensor_from_pb(pb.data(), pb.size(), &raw, nullptr));
    cort::Value expected(raw);
    auto out = s.Run(names, inputs);
    auto info = out.at(0).GetTensorTypeAndShapeInfo();
    CHECK(info.GetShape() == expected.GetTensorTypeAndShapeInfo().GetShape());
    const float *a = out[0].GetTensorData<float>(), *b = expected.GetTensorData<float>();
    for (int64_t i = 0; i < info.GetElementCount(); i++)
        CHECK(std::fabs(a[i] - b[i]) <= 1e-5f + 1e-5f * std::fabs(b[i]));
}

static void test_profiling(const cort::Env &env, const std::string &model, const std::string &prefix) {
    cort::SessionOptions opts;
    opts.EnableProfiling(prefix.c_str());
    cort::Session s(env, model.c_str(), opts);
    std::vector<float> image = sample_image(256, 1.f);
    run_demo(s, image);
    std::string trace = s.EndProfiling();
    CHECK(trace.find(prefix) == 0);
    CHECK(!read_file(trace).empty());
    std::remove(trace.c_str());
}

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s REPO_ROOT [NODE_TEST_ROOT]\n", argv[0]);
        return 2;
    }
    std::string root = argv[1];
    std::string node_root = argc > 2 ? argv[2] : "/usr/share/libonnx-testdata/data/node";
    std::string model = root + "/demo/shapes_cnn.onnx";
    try {
        cort::Env env(CORT_LOG_ERROR, "cpp-sdk-test");
        cort::SessionOptions opts;
        opts.SetIntraOpNumThreads(2).SetGraphOptimizationLevel(cort::GraphOptimizationLevel::ORT_ENABLE_ALL);
        opts.SetInterOpNumThreads(1).SetExecutionMode(cort::ExecutionMode::ORT_SEQUENTIAL).SetLogSeverityLevel(3);
        cort::Session s(env, model.c_str(), opts);
        std::vector<char> bytes = read_file(model);
        cort::Session from_bytes(env, bytes.data(), bytes.size(), cort::SessionOptions());
        test_session_info(s);
        test_runs(s, from_bytes);
        test_run_errors(s);
        test_load_errors(env, root);
        test_values();
        test_threads(s);
        test_node_test(env, node_root + "/test_conv_with_strides_padding");
        test_node_test(env, node_root + "/test_add_bcast");
        test_profiling(env, model, "cpp_sdk_profile");
    } catch (const cort::Exception &e) {
        std::fprintf(stderr, "unexpected cort::Exception (code %d): %s\n", (int)e.GetCode(), e.what());
        return 1;
    }
    if (failures) {
        std::fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    std::printf("cpp sdk: all checks passed\n");
    return 0;
}
