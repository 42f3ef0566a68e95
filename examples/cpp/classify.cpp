// Classifies an image with the cort C++ SDK (include/cort/cort.hpp) and prints the top-5 classes and timings.
//
//   classify_cpp MODEL.onnx IMAGE.npy [LABELS.txt] [RUNS]
//
// IMAGE is a .npy: float32 already shaped like the model's input, or uint8 HxWxC pixels, which are resized
// (nearest) to the model's input, scaled to [0,1] and, for 3-channel models, ImageNet-normalised.
#include <cort/cort.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct Npy {
    bool is_float = false;
    std::vector<int64_t> shape;
    std::vector<unsigned char> bytes;
};

// .npy version 1/2, C order, '<f4' or '|u1'.
Npy LoadNpy(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    std::vector<unsigned char> raw((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (raw.size() < 12 || std::memcmp(raw.data(), "\x93NUMPY", 6) != 0) throw std::runtime_error("not a .npy file");
    size_t off = raw[6] == 1 ? 10 : 12;
    size_t hlen = raw[8] | raw[9] << 8 | (raw[6] == 1 ? 0 : raw[10] << 16);
    if (off + hlen > raw.size()) throw std::runtime_error("truncated .npy header");
    std::string header(raw.begin() + off, raw.begin() + off + hlen);
    Npy npy;
    npy.is_float = header.find("'<f4'") != std::string::npos;
    if ((!npy.is_float && header.find("'|u1'") == std::string::npos) || header.find("True") != std::string::npos)
        throw std::runtime_error(".npy must be C-ordered float32 or uint8");
    size_t p = header.find("'shape': (");
    if (p == std::string::npos) throw std::runtime_error(".npy header has no shape");
    const char *s = header.c_str() + p + std::strlen("'shape': (");
    while (*s && *s != ')') {
        char *end;
        npy.shape.push_back(std::strtoll(s, &end, 10));
        s = end;
        while (*s == ',' || *s == ' ') s++;
    }
    size_t count = std::accumulate(npy.shape.begin(), npy.shape.end(), size_t{1},
                                   [](size_t a, int64_t d) { return a * static_cast<size_t>(d); });
    size_t bytes = count * (npy.is_float ? 4 : 1);
    if (off + hlen + bytes > raw.size()) throw std::runtime_error("truncated .npy data");
    npy.bytes.assign(raw.begin() + off + hlen, raw.begin() + off + hlen + bytes);
    return npy;
}

std::vector<float> Preprocess(const Npy &img, const std::vector<int64_t> &dims) {
    static const float mean[3] = {0.485f, 0.456f, 0.406f}, std_dev[3] = {0.229f, 0.224f, 0.225f};
    size_t count = static_cast<size_t>(dims[0] * dims[1] * dims[2] * dims[3]);
    std::vector<float> out(count);
    if (img.is_float) {
        if (img.bytes.size() != count * 4) throw std::runtime_error("the float .npy does not match the model's input");
        std::memcpy(out.data(), img.bytes.data(), img.bytes.size());
        return out;
    }
    int h = static_cast<int>(img.shape.at(0)), w = static_cast<int>(img.shape.at(1));
    int c = img.shape.size() > 2 ? static_cast<int>(img.shape[2]) : 1;
    int C = static_cast<int>(dims[1]), H = static_cast<int>(dims[2]), W = static_cast<int>(dims[3]);
    for (int ch = 0; ch < C; ch++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                size_t src = (static_cast<size_t>(y * h / H) * w + x * w / W) * c + (ch < c ? ch : 0);
                float v = img.bytes[src] / 255.0f;
                out[(static_cast<size_t>(ch) * H + y) * W + x] = C == 3 ? (v - mean[ch]) / std_dev[ch] : v;
            }
    return out;
}

std::vector<float> Probabilities(const float *scores, size_t n) {
    std::vector<float> p(scores, scores + n);
    float sum = std::accumulate(p.begin(), p.end(), 0.0f);
    bool already = std::all_of(p.begin(), p.end(), [](float v) { return v >= 0 && v <= 1; });
    if (already && std::fabs(sum - 1) < 1e-3f) return p;
    float mx = *std::max_element(p.begin(), p.end());
    double total = 0;
    for (float &v : p) total += (v = std::exp(v - mx));
    for (float &v : p) v = static_cast<float>(v / total);
    return p;
}

std::vector<std::string> LoadLabels(const char *path) {
    std::vector<std::string> labels;
    if (!path) return labels;
    std::ifstream f(path);
    for (std::string line; std::getline(f, line);)
        if (!line.empty()) labels.push_back(line);
    return labels;
}

double Ms(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since).count();
}

} // namespace

int main(int argc, char **argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: classify_cpp MODEL.onnx IMAGE.npy [LABELS.txt] [RUNS]\n");
        return 2;
    }
    int runs = std::max(1, argc > 4 ? std::atoi(argv[4]) : 10);
    try {
        Npy img = LoadNpy(argv[2]);
        auto t0 = std::chrono::steady_clock::now();
        cort::Env env(CORT_LOG_WARNING, "classify");
        cort::SessionOptions opts;
        opts.SetGraphOptimizationLevel(cort::GraphOptimizationLevel::ORT_ENABLE_ALL);
        cort::Session session(env, argv[1], opts);
        double load_ms = Ms(t0);

        cort::TypeInfo info = session.GetInputTypeInfo(0);
        std::vector<int64_t> dims = info.GetTensorTypeAndShapeInfo().GetShape();
        if (dims.size() != 4) throw std::runtime_error("the model's first input must be a 4-D image tensor");
        const int64_t fallback[4] = {1, img.shape.size() > 2 ? img.shape[2] : 1, 224, 224};
        for (int d = 0; d < 4; d++)
            if (dims[d] < 0) dims[d] = fallback[d];
        std::vector<float> input = Preprocess(img, dims);

        std::vector<cort::Value> inputs;
        inputs.push_back(cort::Value::CreateTensor<float>(input.data(), input.size(), dims));
        std::vector<std::string> in_names{session.GetInputName(0)}, out_names{session.GetOutputName(0)};
        std::vector<double> times;
        std::vector<cort::Value> outputs;
        for (int r = 0; r <= runs; r++) { // run 0 is the first (planning) run
            auto t = std::chrono::steady_clock::now();
            outputs = session.Run(in_names, inputs, out_names);
            times.push_back(Ms(t));
        }
        const cort::Value &scores = outputs.at(0);
        size_t n = static_cast<size_t>(scores.GetTensorTypeAndShapeInfo().GetElementCount());
        std::vector<float> p = Probabilities(scores.GetTensorData<float>(), n);
        std::vector<size_t> order(n);
        std::iota(order.begin(), order.end(), size_t{0});
        size_t k = std::min<size_t>(5, n);
        std::partial_sort(order.begin(), order.begin() + k, order.end(),
                          [&](size_t a, size_t b) { return p[a] > p[b]; });
        std::vector<std::string> labels = LoadLabels(argc > 3 ? argv[3] : nullptr);
        std::printf("%s on %s: top-5\n", argv[1], argv[2]);
        for (size_t i = 0; i < k; i++) {
            std::string label = order[i] < labels.size() ? labels[order[i]] : "class " + std::to_string(order[i]);
            std::printf("  %zu. %-24s p=%.4f\n", i + 1, label.c_str(), p[order[i]]);
        }
        double first = times[0];
        std::sort(times.begin() + 1, times.end());
        std::printf("load %.2f ms, first run %.2f ms, median of %d runs %.3f ms\n", load_ms, first, runs,
                    times[1 + runs / 2]);
    } catch (const cort::Exception &e) {
        std::fprintf(stderr, "classify_cpp: cort error %d: %s\n", static_cast<int>(e.GetCode()), e.what());
        return 1;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "classify_cpp: %s\n", e.what());
        return 1;
    }
    return 0;
}
