// ONNX models as a user brings them: bytes from outside, loaded, planned and
// run in both arithmetics, and scored in batches as `basin run infer` does.
// The only acceptable failure is a ModelError (the message `basin run infer`
// prints); any other exception, a crash, a sanitizer report or a hang is a
// bug in the loader, the constant folding, the planner, the batch runner or
// a kernel's checks of its node.
//
// Seeds: the official ONNX backend node tests' models (libonnx-testdata,
// which the inference tests need too), one or more for each operator family
// Basin runs, including the shape subgraphs exporters emit; and every input
// that once crashed this target (onnx_model_regressions/, named by libFuzzer's
// hash; docs/accounting-guide.md says what each found), replayed with their
// mutations in every build.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "basin/infer/batch.hpp"
#include "basin/infer/model.hpp"
#include "fuzz_target.hpp"

namespace {

const char* const kSeedTests[] = {
    "test_gemm_default_matrix_bias",
    "test_matmul_2d",
    "test_matmul_4d",
    "test_add_bcast",
    "test_pow_bcast_array",
    "test_softmax_axis_1",
    "test_logsoftmax_axis_1",
    "test_conv_with_strides_padding",
    "test_conv_with_autopad_same",
    "test_convtranspose_pads",
    "test_convtranspose_1d",
    "test_maxpool_2d_pads",
    "test_averagepool_2d_pads",
    "test_globalmaxpool",
    "test_batchnorm_example",
    "test_instancenorm_example",
    "test_layer_normalization_4d_axis1",
    "test_reshape_negative_dim",
    "test_flatten_axis2",
    "test_transpose_all_permutations_0",
    "test_concat_3d_axis_1",
    "test_split_variable_parts_2d",
    "test_split_equal_parts_1d",
    "test_slice",
    "test_slice_neg_steps",
    "test_squeeze",
    "test_unsqueeze_axis_1",
    "test_expand_dim_changed",
    "test_tile",
    "test_gather_1",
    "test_shape",
    "test_constantofshape_int_zeros",
    "test_range_float_type_positive_delta",
    "test_where_example",
    "test_equal",
    "test_not_2d",
    "test_depthtospace_crd_mode",
    "test_constant_pad",
    "test_edge_pad",
    "test_reflect_pad",
    "test_resize_upsample_scales_linear",
    "test_resize_downsample_sizes_nearest",
    "test_lstm_defaults",
    "test_gru_defaults",
    "test_einsum_batch_matmul",
    "test_clip",
    "test_hardswish",
    "test_prelu_broadcast",
    "test_elu",
    "test_selu",
    "test_softplus",
    "test_erf",
    "test_max_example",
    "test_sum_two_inputs",
    "test_reduce_mean_keepdims_example",
    "test_reduce_sum_keepdims_example",
    "test_reduce_max_do_not_keepdims_example",
    "test_dropout_default",
    "test_identity",
};

// Inputs bigger than this are not run (planning still is): a fuzz input may
// declare any shape up to the engine's own limit, and running a 2^28-element
// graph proves nothing the small ones do not.
constexpr std::int64_t kMaxRunElements = std::int64_t{1} << 16;

// One example value per graph input: its declared dims with symbolic ones
// as 1, small values that vary (int64 inputs feed shapes and indices, so
// 1 and 2).
bool example_inputs(const basin::infer::Model& m, std::vector<basin::infer::Tensor>& out) {
  std::int64_t total = 0;
  for (const auto& in : m.inputs()) {
    basin::infer::Tensor t;
    t.dtype = in.dtype;
    std::int64_t n = 1;
    for (std::int64_t d : in.dims) {
      t.shape.push_back(d < 0 ? 1 : d);
      n *= t.shape.back();
      if (n > kMaxRunElements) return false;
    }
    total += n;
    if (total > kMaxRunElements) return false;
    if (t.dtype == basin::infer::DType::f32)
      for (std::int64_t k = 0; k < n; ++k) t.f.push_back(float(k % 7 - 3) * 0.5f);
    else
      for (std::int64_t k = 0; k < n; ++k) t.i.push_back(1 + k % 2);
    out.push_back(std::move(t));
  }
  return true;
}

void plan_and_run(const basin::infer::Model& m, const std::vector<basin::infer::Tensor>& inputs,
                  basin::infer::Arithmetic arithmetic) {
  std::vector<const basin::infer::Tensor*> ptrs;
  for (const auto& t : inputs) ptrs.push_back(&t);
  basin::infer::Plan plan(m, ptrs, {arithmetic, basin::infer::Isa::native});
  if (plan.largest_value() > 16 * kMaxRunElements) return;
  const auto outs = plan.run(ptrs);
  BASIN_FUZZ_CHECK(outs.size() == m.outputs().size());
  for (std::size_t k = 0; k < outs.size(); ++k)
    BASIN_FUZZ_CHECK(outs[k]->shape == plan.output_shape(k));
}

// As `basin run infer` scores: a model of one float input [N, ...] through
// the BatchRunner, 5 samples from global index 3 in micro-batches of 2 on two
// threads (pieces, padding, kept plans).
void score_batch(const basin::infer::Model& m, basin::infer::Arithmetic arithmetic) {
  if (m.inputs().size() != 1 || m.inputs()[0].dtype != basin::infer::DType::f32 ||
      m.inputs()[0].dims.empty())
    return;
  std::vector<std::int64_t> sample;
  std::int64_t n = 1;
  for (std::size_t d = 1; d < m.inputs()[0].dims.size(); ++d) {
    const std::int64_t v = m.inputs()[0].dims[d];
    sample.push_back(v < 0 ? 1 : v);
    n *= sample.back();
    if (n > kMaxRunElements) return;
  }
  basin::infer::BatchRunner runner(m, sample, 2, {arithmetic, basin::infer::Isa::native});
  if (runner.output_sample_size() > kMaxRunElements) return;
  constexpr std::int64_t kSamples = 5;
  std::vector<float> in(std::size_t(kSamples * runner.input_sample_size()));
  for (std::size_t k = 0; k < in.size(); ++k) in[k] = float(int(k % 5) - 2) * 0.25f;
  std::vector<float> out(std::size_t(kSamples * runner.output_sample_size()));
  runner.run(in.data(), kSamples, out.data(), 2, 3);
}

}  // namespace

std::vector<std::vector<std::uint8_t>> basin_fuzz_seeds() {
  std::vector<std::vector<std::uint8_t>> seeds;
  auto add = [&](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (!in || ss.str().empty()) {
      std::fprintf(stderr,
                   "fuzz_onnx_model: cannot read the seed model %s (the node tests' models come "
                   "with libonnx-testdata: apt-get install libonnx-testdata)\n",
                   path.c_str());
      std::exit(2);
    }
    seeds.push_back(fuzz_bytes(ss.str()));
  };
  for (const char* test : kSeedTests)
    add(std::string(BASIN_ONNX_NODE_DIR) + "/" + test + "/model.onnx");
  // In name order, so that every run replays the same mutations.
  std::vector<std::filesystem::path> found;
  for (const auto& e : std::filesystem::directory_iterator(BASIN_ONNX_REGRESSIONS))
    if (e.path().extension() == ".onnx") found.push_back(e.path());
  std::sort(found.begin(), found.end());
  for (const auto& path : found) add(path.string());
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    const auto model = basin::infer::Model::load_bytes(bytes, "fuzz input");
    std::vector<basin::infer::Tensor> inputs;
    if (!example_inputs(model, inputs)) return 0;
    // Both arithmetics: they plan different steps (oneDNN, fused chains).
    for (auto a : {basin::infer::Arithmetic::portable, basin::infer::Arithmetic::fast}) {
      try {
        plan_and_run(model, inputs, a);
      } catch (const basin::infer::ModelError&) {
      }
      try {
        score_batch(model, a);
      } catch (const basin::infer::ModelError&) {
      }
    }
  } catch (const basin::infer::ModelError&) {
  }
  return 0;
}
