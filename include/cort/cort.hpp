/*
 * cort C++ SDK: a header-only C++17 layer over the C API in cort.h, shaped after ONNX Runtime's C++ API
 * (Ort::Env, Ort::SessionOptions, Ort::Session, Ort::Value, Ort::Exception) so that code written for it
 * ports by changing the namespace. Handles are RAII and move-only (get() gives the C handle, for calling
 * the C API directly); failures throw cort::Exception.
 *
 *     cort::Env env;
 *     cort::SessionOptions opts;
 *     opts.SetIntraOpNumThreads(1);
 *     cort::Session session(env, "model.onnx", opts);
 *     std::vector<int64_t> shape{1, 3, 224, 224};
 *     auto input = cort::Value::CreateTensor<float>(pixels.data(), pixels.size(), shape.data(), shape.size());
 *     const char *in_names[] = {"input"}, *out_names[] = {"output"};
 *     auto outputs = session.Run(cort::RunOptions{nullptr}, in_names, &input, 1, out_names, 1);
 *     const float *scores = outputs[0].GetTensorData<float>();
 */
#ifndef CORT_CORT_HPP
#define CORT_CORT_HPP

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "cort.h"

namespace cort {

/* ---------------------------------------------------------------- errors */

/** What every failing call throws: the C status code and message. */
class Exception : public std::exception {
  public:
    Exception(std::string message, cort_code code) : message_(std::move(message)), code_(code) {}
    const char *what() const noexcept override { return message_.c_str(); }
    cort_code GetCode() const noexcept { return code_; }
    /** ORT's spelling. */
    cort_code GetOrtErrorCode() const noexcept { return code_; }

  private:
    std::string message_;
    cort_code code_;
};

/** Throws cort::Exception for a failed status (freeing it); does nothing for NULL. */
inline void ThrowOnError(cort_status *status) {
    if (!status) return;
    std::string message = cort_status_message(status);
    cort_code code = cort_status_code(status);
    cort_status_free(status);
    throw Exception(std::move(message), code);
}

namespace detail {

/** Move-only owner of a C handle freed by `Free`. */
template <typename T, void (*Free)(T *)>
class Handle {
  public:
    Handle() = default;
    explicit Handle(T *p) : p_(p) {}
    Handle(std::nullptr_t) {}
    Handle(const Handle &) = delete;
    Handle &operator=(const Handle &) = delete;
    Handle(Handle &&other) noexcept : p_(std::exchange(other.p_, nullptr)) {}
    Handle &operator=(Handle &&other) noexcept {
        if (this != &other) {
            Free(p_);
            p_ = std::exchange(other.p_, nullptr);
        }
        return *this;
    }
    ~Handle() { Free(p_); }
    T *get() const noexcept { return p_; }
    T *release() noexcept { return std::exchange(p_, nullptr); }
    explicit operator bool() const noexcept { return p_ != nullptr; }

  protected:
    T *p_ = nullptr;
};

} // namespace detail

/* --------------------------------------------------------- element types */

/** The ONNX element type of a C++ type: TypeToElementType<float>::value == CORT_FLOAT. */
template <typename T> struct TypeToElementType;
#define CORT_HPP_ELEM(T, E)                                                                                     \
    template <> struct TypeToElementType<T> { static constexpr cort_elem_type value = E; }
CORT_HPP_ELEM(float, CORT_FLOAT);
CORT_HPP_ELEM(double, CORT_DOUBLE);
CORT_HPP_ELEM(int8_t, CORT_INT8);
CORT_HPP_ELEM(uint8_t, CORT_UINT8);
CORT_HPP_ELEM(int16_t, CORT_INT16);
CORT_HPP_ELEM(uint16_t, CORT_UINT16);
CORT_HPP_ELEM(int32_t, CORT_INT32);
CORT_HPP_ELEM(uint32_t, CORT_UINT32);
CORT_HPP_ELEM(int64_t, CORT_INT64);
CORT_HPP_ELEM(uint64_t, CORT_UINT64);
CORT_HPP_ELEM(bool, CORT_BOOL);
#undef CORT_HPP_ELEM

/** Half-precision and bfloat16 elements as their raw bits (as ORT's Ort::Float16_t / Ort::BFloat16_t). */
struct Float16_t {
    uint16_t value;
};
struct BFloat16_t {
    uint16_t value;
};
template <> struct TypeToElementType<Float16_t> { static constexpr cort_elem_type value = CORT_FLOAT16; };
template <> struct TypeToElementType<BFloat16_t> { static constexpr cort_elem_type value = CORT_BFLOAT16; };

/** What a graph input/output holds (values of cort_io_info.kind), named as ORT's ONNXType. */
enum ONNXType { ONNX_TYPE_UNKNOWN = 0, ONNX_TYPE_TENSOR = 1, ONNX_TYPE_SEQUENCE = 2, ONNX_TYPE_OPTIONAL = 3,
                ONNX_TYPE_MAP = 4 };

enum class GraphOptimizationLevel : int {
    ORT_DISABLE_ALL = CORT_OPT_DISABLE_ALL,
    ORT_ENABLE_BASIC = CORT_OPT_BASIC,
    ORT_ENABLE_EXTENDED = CORT_OPT_EXTENDED,
    ORT_ENABLE_ALL = CORT_OPT_ALL,
};

enum class ExecutionMode : int { ORT_SEQUENTIAL = 0, ORT_PARALLEL = 1 };

/* ------------------------------------------------------------------ env */

/** Process-wide settings (the log level). Sessions must be destroyed before their Env. */
class Env : public detail::Handle<cort_env, cort_env_free> {
  public:
    explicit Env(cort_log_level level = CORT_LOG_WARNING, const char *log_id = "cort") {
        ThrowOnError(cort_env_create(level, log_id, &p_));
    }
    Env(std::nullptr_t) {}
};

/* ------------------------------------------------------- session options */

class SessionOptions : public detail::Handle<cort_session_options, cort_session_options_free> {
  public:
    SessionOptions() { ThrowOnError(cort_session_options_create(&p_)); }
    SessionOptions(std::nullptr_t) {}

    /** 0 uses one thread per physical core; 1 runs on the caller's thread. */
    SessionOptions &SetIntraOpNumThreads(int threads) {
        ThrowOnError(cort_session_options_set_threads(p_, threads));
        return *this;
    }
    /** Accepted for ORT compatibility: cort runs one node at a time. */
    SessionOptions &SetInterOpNumThreads(int) { return *this; }
    SessionOptions &SetExecutionMode(ExecutionMode) { return *this; }
    SessionOptions &SetGraphOptimizationLevel(GraphOptimizationLevel level) {
        ThrowOnError(cort_session_options_set_opt_level(p_, static_cast<cort_opt_level>(level)));
        return *this;
    }
    SessionOptions &SetLogSeverityLevel(int level) {
        ThrowOnError(cort_session_options_set_log_level(p_, static_cast<cort_log_level>(level)));
        return *this;
    }
    /** Profiles every node; Session::EndProfiling writes "<prefix>_<timestamp>.json". */
    SessionOptions &EnableProfiling(const char *profile_file_prefix) {
        ThrowOnError(cort_session_options_enable_profiling(p_, profile_file_prefix));
        return *this;
    }
    SessionOptions &DisableProfiling() {
        ThrowOnError(cort_session_options_enable_profiling(p_, nullptr));
        return *this;
    }
    SessionOptions &SetOptimizedModelFilePath(const char *path) {
        ThrowOnError(cort_session_options_set_optimized_model_path(p_, path));
        return *this;
    }
    /** Accepted for ORT compatibility: cort plans its memory per input shape either way. */
    SessionOptions &EnableMemPattern() { return *this; }
    SessionOptions &DisableMemPattern() { return *this; }
    SessionOptions &EnableCpuMemArena() { return *this; }
    SessionOptions &DisableCpuMemArena() { return *this; }
};

/* ------------------------------------------------------------ run options */

class RunOptions : public detail::Handle<cort_run_options, cort_run_options_free> {
  public:
    RunOptions() { ThrowOnError(cort_run_options_create(&p_)); }
    /** No options (ORT's `Ort::RunOptions{nullptr}`). */
    RunOptions(std::nullptr_t) {}
    /** Stops runs using these options at the next node boundary (safe from another thread). */
    RunOptions &SetTerminate() {
        cort_run_options_set_terminate(p_, 1);
        return *this;
    }
    RunOptions &UnsetTerminate() {
        cort_run_options_set_terminate(p_, 0);
        return *this;
    }
};

/* ------------------------------------------------------------ type info */

/** Element type and shape of a tensor (of a value, or as declared by a graph input/output). */
class TensorTypeAndShapeInfo {
  public:
    TensorTypeAndShapeInfo(cort_elem_type type, std::vector<int64_t> shape, std::vector<std::string> symbols,
                           bool has_shape)
        : type_(type), shape_(std::move(shape)), symbols_(std::move(symbols)), has_shape_(has_shape) {}
    cort_elem_type GetElementType() const { return type_; }
    /** Dimensions; -1 for symbolic or unknown ones. Empty when the rank is unknown (see HasShape). */
    const std::vector<int64_t> &GetShape() const { return shape_; }
    size_t GetDimensionsCount() const { return shape_.size(); }
    bool HasShape() const { return has_shape_; }
    /** The symbol of each dimension ("" where there is none). */
    const std::vector<std::string> &GetSymbolicDimensions() const { return symbols_; }
    /** Product of the dimensions; -1 when one is not known. */
    int64_t GetElementCount() const {
        int64_t n = 1;
        for (int64_t d : shape_) {
            if (d < 0) return -1;
            n *= d;
        }
        return n;
    }

  private:
    cort_elem_type type_;
    std::vector<int64_t> shape_;
    std::vector<std::string> symbols_;
    bool has_shape_;
};

/** Declared type of a graph input or output. */
class TypeInfo {
  public:
    explicit TypeInfo(const cort_io_info &info)
        : kind_(static_cast<ONNXType>(info.kind)), has_default_(info.has_default != 0),
          tensor_(info.elem_type, Dims(info), Symbols(info), info.rank >= 0) {}
    ONNXType GetONNXType() const { return kind_; }
    /** For tensors (and the tensors of a sequence). */
    const TensorTypeAndShapeInfo &GetTensorTypeAndShapeInfo() const { return tensor_; }
    /** True for an initializer listed as an input: feeding it is optional. */
    bool HasDefault() const { return has_default_; }

  private:
    static std::vector<int64_t> Dims(const cort_io_info &info) {
        if (info.rank <= 0) return {};
        return std::vector<int64_t>(info.dims, info.dims + info.rank);
    }
    static std::vector<std::string> Symbols(const cort_io_info &info) {
        std::vector<std::string> s;
        for (int d = 0; d < info.rank; d++)
            s.emplace_back(info.dim_names && info.dim_names[d] ? info.dim_names[d] : "");
        return s;
    }
    ONNXType kind_;
    bool has_default_;
    TensorTypeAndShapeInfo tensor_;
};

/* ----------------------------------------------------------------- values */

/** Placeholder for ORT's Ort::MemoryInfo: cort tensors always live in CPU memory. */
struct MemoryInfo {
    static MemoryInfo CreateCpu(int /*allocator type*/ = 0, int /*memory type*/ = 0) { return MemoryInfo{}; }
};

/** A tensor, a sequence of tensors or an empty optional. Move-only; frees what it owns. */
class Value : public detail::Handle<cort_value, cort_value_free> {
  public:
    Value(std::nullptr_t) {}
    explicit Value(cort_value *v) : Handle(v) {}

    /** A tensor over caller memory (not copied; it must outlive the Value). */
    template <typename T>
    static Value CreateTensor(T *data, size_t element_count, const int64_t *shape, size_t rank) {
        static_assert(!std::is_same<T, std::string>::value, "string tensors: use CreateStringTensor");
        cort_value *v = nullptr;
        ThrowOnError(cort_tensor_create_view(TypeToElementType<std::remove_const_t<T>>::value, shape, rank,
                                             const_cast<std::remove_const_t<T> *>(data), element_count * sizeof(T),
                                             &v));
        return Value(v);
    }
    template <typename T> static Value CreateTensor(T *data, size_t element_count, const std::vector<int64_t> &shape) {
        return CreateTensor<T>(data, element_count, shape.data(), shape.size());
    }
    /** ORT's signature (the memory info is ignored: CPU memory). */
    template <typename T>
    static Value CreateTensor(const MemoryInfo &, T *data, size_t element_count, const int64_t *shape, size_t rank) {
        return CreateTensor<T>(data, element_count, shape, rank);
    }
    /** A zero-filled tensor owning its memory. */
    template <typename T> static Value CreateTensor(const std::vector<int64_t> &shape) {
        return CreateTensor(TypeToElementType<T>::value, shape);
    }
    static Value CreateTensor(cort_elem_type type, const std::vector<int64_t> &shape) {
        cort_value *v = nullptr;
        ThrowOnError(cort_tensor_create(type, shape.data(), shape.size(), &v));
        return Value(v);
    }
    /** An owned string tensor holding copies of `strings` (as many as the shape has elements). */
    static Value CreateStringTensor(const std::vector<std::string> &strings, const std::vector<int64_t> &shape) {
        Value v = CreateTensor(CORT_STRING, shape);
        if (static_cast<int64_t>(strings.size()) != v.GetTensorTypeAndShapeInfo().GetElementCount())
            throw Exception("CreateStringTensor: the number of strings does not match the shape",
                            CORT_INVALID_ARGUMENT);
        for (size_t i = 0; i < strings.size(); i++) v.SetString(i, strings[i]);
        return v;
    }

    bool IsTensor() const { return p_ && cort_value_kind(p_) == 1; }
    bool IsSequence() const { return p_ && cort_value_kind(p_) == 2; }
    /** False for an empty optional. */
    bool HasValue() const { return p_ && cort_value_kind(p_) != 3; }

    TensorTypeAndShapeInfo GetTensorTypeAndShapeInfo() const {
        RequireTensor();
        const int64_t *dims = cort_tensor_dims(p_);
        std::vector<int64_t> shape(dims, dims + cort_tensor_rank(p_));
        return TensorTypeAndShapeInfo(cort_tensor_elem_type(p_), std::move(shape),
                                      std::vector<std::string>(cort_tensor_rank(p_)), true);
    }
    /** The element buffer, checked against T's element type. */
    template <typename T> T *GetTensorMutableData() {
        RequireTensor();
        if (cort_tensor_elem_type(p_) != TypeToElementType<T>::value)
            throw Exception(std::string("GetTensorData: the tensor holds ") +
                                cort_elem_type_name(cort_tensor_elem_type(p_)) + ", not " +
                                cort_elem_type_name(TypeToElementType<T>::value),
                            CORT_INVALID_ARGUMENT);
        return static_cast<T *>(cort_tensor_data(p_));
    }
    template <typename T> const T *GetTensorData() const {
        return const_cast<Value *>(this)->GetTensorMutableData<T>();
    }

    /** Element `index` of a string tensor. */
    std::string GetString(size_t index) const {
        RequireStrings(index);
        const char *s = static_cast<char *const *>(cort_tensor_data(p_))[index];
        return s ? s : "";
    }
    void SetString(size_t index, const std::string &s) {
        RequireStrings(index);
        ThrowOnError(cort_tensor_set_string(p_, static_cast<int64_t>(index), s.data(), s.size()));
    }

    /** Number of tensors in a sequence. */
    size_t GetCount() const { return IsSequence() ? cort_sequence_length(p_) : 1; }
    /** Borrowed view of tensor `index` of a sequence: valid while this Value lives. */
    const cort_value *GetSequenceElement(size_t index) const {
        const cort_value *t = nullptr;
        ThrowOnError(cort_sequence_at(p_, index, &t));
        return t;
    }

  private:
    void RequireTensor() const {
        if (!IsTensor()) throw Exception("the value is not a tensor", CORT_INVALID_ARGUMENT);
    }
    void RequireStrings(size_t index) const {
        RequireTensor();
        if (cort_tensor_elem_type(p_) != CORT_STRING)
            throw Exception("the tensor does not hold strings", CORT_INVALID_ARGUMENT);
        if (static_cast<int64_t>(index) >= cort_tensor_element_count(p_))
            throw Exception("string index out of range", CORT_INVALID_ARGUMENT);
    }
};

/* ---------------------------------------------------------------- session */

/** ORT's allocator argument of GetInputNameAllocated; names are plain malloc'ed copies here. */
struct AllocatorWithDefaultOptions {};
struct FreeDeleter {
    void operator()(char *p) const noexcept { std::free(p); }
};
using AllocatedStringPtr = std::unique_ptr<char, FreeDeleter>;

/** Model metadata (copied out of the session). */
struct ModelMetadata {
    std::string producer_name, producer_version, domain, graph_name, description;
    int64_t version = 0;
    std::vector<std::pair<std::string, std::string>> custom_metadata;

    std::string GetProducerName() const { return producer_name; }
    std::string GetGraphName() const { return graph_name; }
    std::string GetDomain() const { return domain; }
    std::string GetDescription() const { return description; }
    int64_t GetVersion() const { return version; }
    /** The value of custom metadata `key`; empty pointer when absent. */
    std::unique_ptr<std::string> LookupCustomMetadataMap(const std::string &key) const {
        for (const auto &kv : custom_metadata)
            if (kv.first == key) return std::make_unique<std::string>(kv.second);
        return nullptr;
    }
};

/** A loaded model. Run may be called from several threads at once. */
class Session : public detail::Handle<cort_session, cort_session_free> {
  public:
    Session(const Env &env, const char *model_path, const SessionOptions &options) {
        ThrowOnError(cort_session_create(env.get(), model_path, options.get(), &p_));
    }
    Session(const Env &env, const void *model_data, size_t model_data_length, const SessionOptions &options) {
        ThrowOnError(cort_session_create_from_bytes(env.get(), model_data, model_data_length, options.get(), &p_));
    }
    Session(std::nullptr_t) {}

    size_t GetInputCount() const { return cort_session_input_count(p_); }
    size_t GetOutputCount() const { return cort_session_output_count(p_); }

    std::string GetInputName(size_t index) const { return InputInfo(index).name; }
    std::string GetOutputName(size_t index) const { return OutputInfo(index).name; }
    AllocatedStringPtr GetInputNameAllocated(size_t index, const AllocatorWithDefaultOptions &) const {
        return Duplicate(InputInfo(index).name);
    }
    AllocatedStringPtr GetOutputNameAllocated(size_t index, const AllocatorWithDefaultOptions &) const {
        return Duplicate(OutputInfo(index).name);
    }
    std::vector<std::string> GetInputNames() const {
        std::vector<std::string> names;
        for (size_t i = 0; i < GetInputCount(); i++) names.push_back(GetInputName(i));
        return names;
    }
    std::vector<std::string> GetOutputNames() const {
        std::vector<std::string> names;
        for (size_t i = 0; i < GetOutputCount(); i++) names.push_back(GetOutputName(i));
        return names;
    }
    TypeInfo GetInputTypeInfo(size_t index) const { return TypeInfo(InputInfo(index)); }
    TypeInfo GetOutputTypeInfo(size_t index) const { return TypeInfo(OutputInfo(index)); }

    ModelMetadata GetModelMetadata() const {
        cort_model_meta m;
        ThrowOnError(cort_session_model_meta(p_, &m));
        ModelMetadata out;
        out.producer_name = m.producer_name;
        out.producer_version = m.producer_version;
        out.domain = m.domain;
        out.graph_name = m.graph_name;
        out.description = m.description;
        out.version = m.version;
        for (size_t i = 0; i < m.n_custom; i++) out.custom_metadata.emplace_back(m.custom_keys[i], m.custom_values[i]);
        return out;
    }

    /** Runs the model; returns the outputs named, created by the run. */
    std::vector<Value> Run(const RunOptions &run_options, const char *const *input_names, const Value *input_values,
                           size_t input_count, const char *const *output_names, size_t output_count) {
        std::vector<Value> outputs;
        outputs.reserve(output_count);
        for (size_t i = 0; i < output_count; i++) outputs.emplace_back(nullptr);
        Run(run_options, input_names, input_values, input_count, output_names, outputs.data(), output_count);
        return outputs;
    }
    /** Runs the model into `output_values`: entries holding a tensor (e.g. a CreateTensor view over caller
     * memory of the right type and shape) are written in place, empty ones receive values the run creates. */
    void Run(const RunOptions &run_options, const char *const *input_names, const Value *input_values,
             size_t input_count, const char *const *output_names, Value *output_values, size_t output_count) {
        std::vector<const cort_value *> in(input_count);
        for (size_t i = 0; i < input_count; i++) in[i] = input_values[i].get();
        std::vector<cort_value *> out(output_count);
        for (size_t i = 0; i < output_count; i++) out[i] = output_values[i].get();
        ThrowOnError(cort_session_run(p_, run_options.get(), input_names, in.data(), input_count, output_names,
                                      output_count, out.data()));
        for (size_t i = 0; i < output_count; i++)
            if (!output_values[i]) output_values[i] = Value(out[i]);
    }
    /** Runs by names; `output_names` empty asks for every output. */
    std::vector<Value> Run(const std::vector<std::string> &input_names, const std::vector<Value> &inputs,
                           const std::vector<std::string> &output_names = {},
                           const RunOptions &run_options = RunOptions(nullptr)) {
        if (input_names.size() != inputs.size())
            throw Exception("Run: one input name is needed per input value", CORT_INVALID_ARGUMENT);
        std::vector<std::string> outs = output_names.empty() ? GetOutputNames() : output_names;
        std::vector<const char *> in_c = CStrings(input_names), out_c = CStrings(outs);
        return Run(run_options, in_c.data(), inputs.data(), inputs.size(), out_c.data(), out_c.size());
    }

    /** Writes the profile of the runs so far (profiling must be enabled); returns the file name. */
    std::string EndProfiling() {
        const char *path = nullptr;
        ThrowOnError(cort_session_end_profiling(p_, &path));
        return path ? path : "";
    }

  private:
    cort_io_info InputInfo(size_t index) const {
        cort_io_info info;
        ThrowOnError(cort_session_input_info(p_, index, &info));
        return info;
    }
    cort_io_info OutputInfo(size_t index) const {
        cort_io_info info;
        ThrowOnError(cort_session_output_info(p_, index, &info));
        return info;
    }
    static AllocatedStringPtr Duplicate(const char *s) {
        size_t n = std::strlen(s) + 1;
        char *copy = static_cast<char *>(std::malloc(n));
        if (!copy) throw std::bad_alloc();
        std::memcpy(copy, s, n);
        return AllocatedStringPtr(copy);
    }
    static std::vector<const char *> CStrings(const std::vector<std::string> &v) {
        std::vector<const char *> c;
        for (const auto &s : v) c.push_back(s.c_str());
        return c;
    }
};

/** Version of the linked library. */
inline std::string GetVersionString() { return cort_version(); }

} // namespace cort

#endif // CORT_CORT_HPP
