// `basin run infer`: scores an HDF5 dataset of samples with an ONNX model.
//
// The samples [N, ...] are split over the ranks in contiguous blocks; each
// rank reads its hyperslab collectively, `batch` samples at a time, scores
// them with the BatchRunner (micro-batches on TBB threads), and writes its
// rows of the output dataset [N, ...] collectively. The output dataset carries
// the model's name, the SHA-256 of the model file and the result digest.
// Outputs of a sample do not depend on batch, threads or ranks: see the
// determinism rule in basin/infer/batch.hpp.
//
// It runs through the runtime's driver like every other workload: one step
// is one batch; the driver names the output file (a temporary name until
// the run is complete), adds the digest and publishes it, checkpoints the
// outputs so far (a preempted job continues from there) and prints the
// progress, the rate and the summary.
#include <hdf5.h>
#include <sodium.h>
#include <sys/stat.h>
#include <tbb/task_arena.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>

#include "basin/common/hex.hpp"
#include "basin/common/job_contract.hpp"
#include "basin/common/sodium.hpp"
#include "basin/infer/batch.hpp"
#include "basin/infer/model.hpp"
#include "basin/runtime/h5.hpp"
#include "basin/runtime/memory.hpp"
#include "basin/runtime/netcdf_output.hpp"
#include "basin/runtime/workload.hpp"

namespace basin::jobs {
namespace {

using namespace basin::runtime;

struct DatasetPath {
  std::string file, dataset;
};

DatasetPath split_path(const std::string& what, const std::string& v) {
  const auto at = v.rfind(":/");
  if (at == std::string::npos || at == 0 || at + 2 >= v.size())
    throw std::invalid_argument(what + " " + v + ": expected FILE.h5:/dataset (e.g. in.h5:/x)");
  return {v.substr(0, at), v.substr(at + 1)};
}

std::string sha256_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument("--model " + path + ": cannot open");
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  char buf[1 << 16];
  while (in) {
    in.read(buf, sizeof buf);
    crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(buf),
                              std::size_t(in.gcount()));
  }
  unsigned char out[32];
  crypto_hash_sha256_final(&st, out);
  return common::to_hex(out);
}

std::string shape_text(const std::vector<std::int64_t>& s) {
  std::string t = "[";
  for (std::size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
  return t + "]";
}

// Selects rows [first, first + n) of a dataset [N, ...] (none when n == 0).
H5Id row_selection(hid_t dataset, std::int64_t first, std::int64_t n) {
  H5Id fs(H5Dget_space(dataset), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(fs.get());
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(fs.get(), dims.data(), nullptr);
  std::vector<hsize_t> start(dims.size(), 0), count = dims;
  start[0] = hsize_t(first);
  count[0] = hsize_t(n);
  if (n == 0)
    H5Sselect_none(fs.get());
  else
    h5_check(
        H5Sselect_hyperslab(fs.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
        "selecting samples");
  return fs;
}

// The arithmetic asked for: "auto" is portable when the job runs as replicas
// (the SPANK plugin's BASIN_REPLICAS above 1), whose results must agree bit
// for bit on whatever CPUs the replicas land, and fast otherwise.
infer::Arithmetic choose_arithmetic(const std::string& asked) {
  if (asked != "auto") return infer::parse_arithmetic(asked);
  const char* replicas = std::getenv(contract::kEnvReplicas);
  return replicas && std::atoi(replicas) > 1 ? infer::Arithmetic::portable
                                             : infer::Arithmetic::fast;
}

// The model must be a regular file of bounded size: a FIFO or a device
// would block or never end, a huge sparse file would exhaust memory.
void check_model_file(const std::string& path, std::int64_t max_mb) {
  const std::uint64_t limit = std::uint64_t(max_mb) << 20;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw std::invalid_argument("--model " + path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    throw std::invalid_argument("--model " + path + ": not a regular file (" +
                                (S_ISFIFO(st.st_mode)   ? "a FIFO"
                                 : S_ISCHR(st.st_mode)  ? "a character device"
                                 : S_ISBLK(st.st_mode)  ? "a block device"
                                 : S_ISDIR(st.st_mode)  ? "a directory"
                                 : S_ISSOCK(st.st_mode) ? "a socket"
                                                        : "not a file") +
                                "); give the path of an .onnx file");
  if (std::uint64_t(st.st_size) > limit)
    throw std::invalid_argument("--model " + path + ": " +
                                std::to_string(std::uint64_t(st.st_size) >> 20) +
                                " MiB, more than the limit of " + std::to_string(max_mb) +
                                " MiB (--set model_max_mb=N raises it, up to 2047)");
}

// Throws CollectiveError on every rank when `ok` is false on any.
void agree(bool ok, MPI_Comm comm, const std::string& what_failed) {
  int mine = ok ? 1 : 0, all = 0;
  MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, comm);
  if (!all) throw CollectiveError(what_failed);
}

// The output dataset [N, ...outputs] in the driver's temporary file, written
// collectively a batch of rows at a time, each rank its own rows.
class ScoresFile final : public OutputFile {
 public:
  ScoresFile(const OwnOutputTarget& target, MPI_Comm comm, const std::vector<hsize_t>& dims,
             bool f64)
      : path_(target.file), spec_(target.spec), comm_(comm), f64_(f64) {
    MPI_Comm_rank(comm, &rank_);
    H5Quiet quiet;
    H5Id fapl = parallel_access(comm);
    const hid_t f = H5Fcreate(path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get());
    if (f < 0)
      throw std::invalid_argument("--output " + spec_ + ": cannot create " + path_ +
                                  ": check that the directory exists and is writable");
    file_ = H5Id(f, H5Fclose);
    H5Id space(H5Screate_simple(int(dims.size()), dims.data(), nullptr), H5Sclose);
    H5Id lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
    H5Pset_create_intermediate_group(lcpl.get(), 1);
    dataset_ = H5Id(H5Dcreate2(f, target.object.c_str(), f64 ? H5T_IEEE_F64LE : H5T_IEEE_F32LE,
                               space.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
                    H5Dclose, "creating the output dataset");
    transfer_ = collective_transfer();
  }

  // Rows [first, first + count) from y (count x `row` floats); collective
  // (count 0 on a rank with nothing to write). Agreed: a failed write on
  // any rank throws CollectiveError on all, with the free space left.
  void write_rows(std::int64_t first, std::int64_t count, std::int64_t row, const float* y) {
    H5Quiet quiet;
    H5Id fs = row_selection(dataset_.get(), first, count);
    const hsize_t m = hsize_t(std::max<std::int64_t>(count, 0) * row);
    H5Id ms(H5Screate_simple(1, &m, nullptr), H5Sclose);
    if (count == 0) H5Sselect_none(ms.get());
    herr_t e = 0;
    if (f64_) {
      std::vector<double> wide(y, y + m);
      e = H5Dwrite(dataset_.get(), H5T_NATIVE_DOUBLE, ms.get(), fs.get(), transfer_.get(),
                   wide.data());
    } else {
      e = H5Dwrite(dataset_.get(), H5T_NATIVE_FLOAT, ms.get(), fs.get(), transfer_.get(), y);
    }
    agree(
        e >= 0, comm_,
        "--output " + spec_ + ": writing results to " + path_ + " failed" + free_space_note(path_));
  }

  void set_global_attribute(const std::string& name, const std::string& value) override {
    write_text_attribute(dataset_.get(), name, value);
  }
  void close() override {
    H5Quiet quiet;
    const bool ok = H5Fflush(file_.get(), H5F_SCOPE_GLOBAL) >= 0;
    agree(ok, comm_,
          "--output " + spec_ + ": flushing " + path_ + " failed" + free_space_note(path_));
    dataset_.reset();
    transfer_.reset();
    file_.reset();
  }
  void discard() noexcept override {
    if (file_.get() < 0) return;
    H5Quiet quiet;
    // The rows are not wanted: free their space so the close can write metadata.
    if (rank_ == 0) (void)::truncate(path_.c_str(), 0);
    MPI_Barrier(comm_);
    dataset_.reset();
    transfer_.reset();
    file_.reset();
    MPI_Barrier(comm_);
    if (rank_ == 0) ::unlink(path_.c_str());
  }
  void abandon() noexcept override {
    dataset_.release();
    transfer_.release();
    file_.release();
    ::unlink(path_.c_str());
  }

 private:
  std::string path_, spec_;
  MPI_Comm comm_;
  bool f64_;
  int rank_ = 0;
  H5Id file_, dataset_, transfer_;
};

// Batch inference as a stepped workload: step k scores this rank's k-th
// batch of `batch` samples (its rows [first + k * batch, ...) of the input),
// reading and writing them collectively; every rank takes as many steps as
// the rank with the most batches. The state a checkpoint holds is the
// outputs so far (kept as doubles for the digest anyway) and the counts of
// non-finite inputs.
class Infer final : public Workload {
 public:
  Infer(const Params& p, MPI_Comm comm)
      : model_path_(p.text("model")),
        batch_(p.integer("batch")),
        f64_(p.text("precision") == "float64"),
        refuse_nonfinite_(p.boolean("refuse_nonfinite")),
        arithmetic_(choose_arithmetic(p.text("arithmetic"))),
        isa_(parse_isa_option(p.text("isa"))),
        // All TBB threads of the driver's arena (--set threads, BASIN_THREADS, ...).
        threads_(tbb::this_task_arena::max_concurrency()),
        model_(load_model(p)) {
    common::ensure_sodium();
    model_sha_ = sha256_file(model_path_);
    int ranks = 1;
    MPI_Comm_size(comm, &ranks);
    open_input(p.text("input"), comm);
    runner_.emplace(make_runner());
    const std::int64_t in_size = runner_->input_sample_size();
    out_size_ = runner_->output_sample_size();
    if (n_ == 0) throw std::invalid_argument("--input " + in_.dataset + " holds no samples");
    // The split and the result digest index samples and outputs with 32-bit
    // grid coordinates: refuse what they cannot index rather than score a
    // wrapped-around count.
    constexpr std::int64_t kMaxIndex = std::numeric_limits<int>::max();
    if (n_ > kMaxIndex)
      throw std::invalid_argument(
          "--input " + in_.file + ":" + in_.dataset + " holds " + std::to_string(n_) +
          " samples; one run scores at most " + std::to_string(kMaxIndex) +
          " (2^31 - 1): split the dataset and score the parts in separate runs");
    if (out_size_ > kMaxIndex)
      throw std::invalid_argument("the model gives " + std::to_string(out_size_) +
                                  " outputs per sample; at most " + std::to_string(kMaxIndex) +
                                  " are supported");
    {
      // Memory per rank: the batch in and out, and this rank's results kept
      // (as doubles) for the digest and checkpoints.
      const std::int64_t per_rank = (n_ + ranks - 1) / ranks;
      const std::uint64_t need =
          std::uint64_t(batch_) * std::uint64_t(in_size + 2 * out_size_) * sizeof(float) +
          std::uint64_t(per_rank) * std::uint64_t(out_size_) * sizeof(double);
      refuse_if_memory_short(need,
                             "a batch of " + std::to_string(batch_) + " samples in and out and " +
                                 std::to_string(per_rank) + " samples' results for the digest",
                             "Use more ranks (on more nodes) or score the dataset in parts.", comm);
    }
    // The samples' split: rows of a (1, N, out_size) grid, whole samples per rank.
    dec_.emplace(comm, Extent{{1, int(n_), int(out_size_)}},
                 Decomposition::Rule{{1, 0, 1}, int(std::max<std::int64_t>(out_size_, 1)), 1});
    first_ = dec_->local().begin[1];
    mine_ = dec_->local().size[1];
    const std::int64_t my_batches = (mine_ + batch_ - 1) / batch_;
    MPI_Allreduce(&my_batches, &batches_, 1, MPI_INT64_T, MPI_MAX, dec_->comm());
    result_.emplace("output", dec_->local(), 0);
    xin_.resize(std::size_t(batch_ * in_size));
    yout_.resize(std::size_t(batch_ * out_size_));
  }

  const Decomposition& decomposition() const override { return *dec_; }
  void initialise() override { done_ = 0; }
  std::int64_t steps_done() const override { return done_; }
  std::int64_t total_steps() const override { return batches_; }
  double time() const override { return double(done_); }
  std::vector<Field*> state() override { return {&*result_}; }
  std::map<std::string, double> scalars() const override {
    return {{"nonfinite_values", double(nonfinite_values_)},
            {"nonfinite_samples", double(nonfinite_samples_)},
            {"first_nonfinite", double(first_nonfinite_)}};
  }
  void restore(std::int64_t steps, const std::map<std::string, double>& s) override {
    done_ = steps;
    nonfinite_values_ = std::int64_t(s.at("nonfinite_values"));
    nonfinite_samples_ = std::int64_t(s.at("nonfinite_samples"));
    first_nonfinite_ = std::int64_t(s.at("first_nonfinite"));
  }
  OutputLayout output_layout() const override { return {}; }  // own output
  std::vector<const Field*> output_fields() const override { return {&*result_}; }
  std::string digest_label() const override {
    // Replicas are compared by their digest strings: a fast result (bits of
    // this CPU's instruction set) never passes for a portable one.
    return arithmetic_ == infer::Arithmetic::portable ? "portable-" : "";
  }
  std::string checkpoint_identity() const override {
    // A batch's rows depend on the rank count; the outputs on the model.
    return "ranks=" + std::to_string(dec_->ranks()) + "\nmodel_sha256=" + model_sha_ +
           "\narithmetic_used=" + infer::arithmetic_name(arithmetic_) + "\n";
  }
  Work work_per_step() const override { return {double(n_) / double(batches_), "samples"}; }
  double io_seconds() const override { return io_s_; }

  std::vector<std::string> description() const override {
    return {"model " + model_path_ + " (" + model_.name() + ", opset " +
            std::to_string(model_.opset()) + "), " + std::to_string(n_) + " samples " +
            shape_text(sample_shape_) + " -> " + shape_text(runner_->output_sample_shape()) + ", " +
            std::to_string((n_ + dec_->ranks() - 1) / dec_->ranks()) + " per rank, batch " +
            std::to_string(batch_)};
  }

  std::unique_ptr<OutputFile> open_own_output(const OwnOutputTarget& target) override {
    if (target.final_file == in_.file)
      throw std::invalid_argument("--output: write to another file than the input (" + in_.file +
                                  " is opened read-only)");
    std::vector<hsize_t> dims{hsize_t(n_)};
    for (auto d : runner_->output_sample_shape()) dims.push_back(hsize_t(d));
    auto out = std::make_unique<ScoresFile>(target, dec_->comm(), dims, f64_);
    out->set_global_attribute("model_name", model_.name());
    out->set_global_attribute("basin_arithmetic", infer::arithmetic_name(arithmetic_));
    out->set_global_attribute("model_sha256", model_sha_);
    out->set_global_attribute("source", in_.file + ":" + in_.dataset);
    // A continued run writes the rows it restored from its checkpoint again.
    const std::int64_t restored = std::min(mine_, done_ * batch_);
    std::vector<float> rows(std::size_t(restored * out_size_));
    for (std::int64_t s = 0; s < restored; ++s)
      for (std::int64_t k = 0; k < out_size_; ++k)
        rows[std::size_t(s * out_size_ + k)] = float(result_->at(0, int(s), int(k)));
    out->write_rows(first_, restored, out_size_, rows.data());
    scores_ = out.get();
    return out;
  }

  void step() override {
    const std::int64_t at = std::min(mine_, done_ * batch_), count = std::min(batch_, mine_ - at);
    const std::int64_t in_size = runner_->input_sample_size();
    const double t0 = MPI_Wtime();
    {
      H5Quiet quiet;
      H5Id fs = row_selection(input_.get(), first_ + at, count);
      const hsize_t m = hsize_t(count * in_size);
      H5Id ms(H5Screate_simple(1, &m, nullptr), H5Sclose);
      if (count == 0) H5Sselect_none(ms.get());
      const herr_t e = H5Dread(input_.get(), H5T_NATIVE_FLOAT, ms.get(), fs.get(),
                               read_transfer_.get(), xin_.data());
      agree(e >= 0, dec_->comm(), "--input " + in_.file + ":" + in_.dataset + ": reading failed");
    }
    io_s_ += MPI_Wtime() - t0;
    count_nonfinite(at, count, in_size);
    if (count > 0) runner_->run(xin_.data(), count, yout_.data(), threads_, first_ + at);
    const double t1 = MPI_Wtime();
    if (scores_) scores_->write_rows(first_ + at, count, out_size_, yout_.data());
    io_s_ += MPI_Wtime() - t1;
    for (std::int64_t s = 0; s < count; ++s)
      for (std::int64_t k = 0; k < out_size_; ++k)
        result_->at(0, int(at + s), int(k)) = double(yout_[std::size_t(s * out_size_ + k)]);
    ++done_;
  }

  std::vector<std::string> summary() override {
    int concurrency = runner_->arena_concurrency(), concurrency_max = 0;
    MPI_Allreduce(&concurrency, &concurrency_max, 1, MPI_INT, MPI_MAX, dec_->comm());
    std::vector<std::string> lines;
    lines.push_back(std::to_string(n_) + " samples scored");
    lines.push_back("threads per rank " + std::to_string(threads_) +
                    " (scoring arena max concurrency " + std::to_string(concurrency_max) + ")");
    if (arithmetic_ == infer::Arithmetic::portable)
      lines.push_back(std::string("arithmetic portable, ") +
                      infer::isa_name(isa_ == infer::Isa::native ? infer::native_isa() : isa_) +
                      " kernels (the same bits on every x86-64 CPU)");
    else
      lines.push_back(
          "arithmetic fast (oneDNN convolutions; bits may differ on CPUs with other "
          "instruction sets)");
    if (nonfinite_values_ > 0)
      lines.push_back("WARNING: " + std::to_string(nonfinite_values_) +
                      " non-finite input value(s) (NaN or Inf) in " +
                      std::to_string(nonfinite_samples_) + " sample(s), the first in sample " +
                      std::to_string(first_nonfinite_) +
                      "; their outputs are not meaningful (--set refuse_nonfinite=true refuses "
                      "such input)");
    else
      lines.push_back("non-finite input values: none");
    lines.push_back("model sha256 " + model_sha_);
    return lines;
  }

 private:
  static infer::Isa parse_isa_option(const std::string& text) {
    infer::Isa isa;
    try {
      isa = infer::parse_isa(text);
    } catch (const infer::ModelError& e) {
      throw std::invalid_argument(std::string("--set isa: ") + e.what());
    }
    if (!infer::isa_available(isa))
      throw std::invalid_argument("--set isa=" + text +
                                  ": this CPU cannot run those kernels; use isa=native");
    return isa;
  }

  // Every rank loads and checks the model (errors are the same everywhere).
  static infer::Model load_model(const Params& p) {
    const std::string path = p.text("model");
    if (path.empty()) throw std::invalid_argument("give the model: --model MODEL.onnx");
    if (p.text("input").empty())
      throw std::invalid_argument("give the samples: --input FILE.h5:/dataset");
    check_model_file(path, p.integer("model_max_mb"));
    try {
      return infer::Model::load_file(path);
    } catch (const infer::ModelError& e) {
      throw std::invalid_argument("--model " + path + ": " + e.what());
    }
  }

  // The input: a dataset [N, ...] of floats, opened for collective reads.
  void open_input(const std::string& spec, MPI_Comm comm) {
    in_ = split_path("--input", spec);
    H5Quiet quiet;
    H5Id fapl = parallel_access(comm);
    const hid_t f = H5Fopen(in_.file.c_str(), H5F_ACC_RDONLY, fapl.get());
    if (f < 0) throw std::invalid_argument("--input: cannot open " + in_.file + " as HDF5");
    input_file_ = H5Id(f, H5Fclose);
    if (H5Lexists(f, in_.dataset.c_str(), H5P_DEFAULT) <= 0)
      throw std::invalid_argument("--input: " + in_.file + " has no dataset " + in_.dataset);
    input_ = H5Id(H5Dopen2(f, in_.dataset.c_str(), H5P_DEFAULT), H5Dclose, "opening the input");
    {
      H5Id type(H5Dget_type(input_.get()), H5Tclose);
      if (H5Tget_class(type.get()) != H5T_FLOAT)
        throw std::invalid_argument("--input " + in_.dataset +
                                    ": samples must be float32 or float64 values");
    }
    H5Id space(H5Dget_space(input_.get()), H5Sclose);
    const int nd = H5Sget_simple_extent_ndims(space.get());
    if (nd < 2)
      throw std::invalid_argument("--input " + in_.dataset +
                                  ": expected [samples, ...] with at least 2 dimensions");
    std::vector<hsize_t> dims(static_cast<std::size_t>(nd));
    H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
    n_ = std::int64_t(dims[0]);
    for (int d = 1; d < nd; ++d) sample_shape_.push_back(std::int64_t(dims[std::size_t(d)]));
    read_transfer_ = collective_transfer();
  }

  infer::BatchRunner make_runner() const {
    try {
      return infer::BatchRunner(model_, sample_shape_, infer::kMicroBatch, {arithmetic_, isa_});
    } catch (const infer::ModelError& e) {
      throw std::invalid_argument("--input " + in_.dataset + " samples " +
                                  shape_text(sample_shape_) + " do not fit the model: " + e.what());
    }
  }

  // Non-finite inputs of this batch, counted over all ranks (values,
  // samples, the first sample's index); refused when asked to.
  void count_nonfinite(std::int64_t at, std::int64_t count, std::int64_t in_size) {
    constexpr std::int64_t kNone = std::numeric_limits<std::int64_t>::max();
    std::int64_t here[2] = {0, 0}, all[2] = {0, 0}, first = kNone, first_all = kNone;
    for (std::int64_t s = 0; s < count; ++s) {
      std::int64_t bad = 0;
      const float* row = xin_.data() + s * in_size;
      for (std::int64_t k = 0; k < in_size; ++k) bad += std::isfinite(row[k]) ? 0 : 1;
      if (bad > 0) {
        here[0] += bad;
        here[1] += 1;
        first = std::min(first, first_ + at + s);
      }
    }
    MPI_Allreduce(here, all, 2, MPI_INT64_T, MPI_SUM, dec_->comm());
    MPI_Allreduce(&first, &first_all, 1, MPI_INT64_T, MPI_MIN, dec_->comm());
    if (first_all == kNone) return;
    if (refuse_nonfinite_)
      throw std::invalid_argument(
          "--input " + in_.file + ":" + in_.dataset + ": sample " + std::to_string(first_all) +
          " holds a NaN or infinite value and refuse_nonfinite is set; nothing was written. "
          "Clean the input, or run without refuse_nonfinite to score it and count them");
    nonfinite_values_ += all[0];
    nonfinite_samples_ += all[1];
    if (first_nonfinite_ < 0 || first_all < first_nonfinite_) first_nonfinite_ = first_all;
  }

  std::string model_path_;
  std::int64_t batch_;
  bool f64_, refuse_nonfinite_;
  infer::Arithmetic arithmetic_;
  infer::Isa isa_;
  int threads_;
  infer::Model model_;
  std::string model_sha_;
  DatasetPath in_;
  H5Id input_file_, input_, read_transfer_;
  std::vector<std::int64_t> sample_shape_;
  std::int64_t n_ = 0, out_size_ = 0;
  std::optional<infer::BatchRunner> runner_;
  std::optional<Decomposition> dec_;
  std::int64_t first_ = 0, mine_ = 0;  // this rank's samples
  std::int64_t batches_ = 0, done_ = 0;
  std::optional<Field> result_;  // this rank's outputs, as doubles (digest, checkpoints)
  std::vector<float> xin_, yout_;
  ScoresFile* scores_ = nullptr;  // owned by the driver
  std::int64_t nonfinite_values_ = 0, nonfinite_samples_ = 0, first_nonfinite_ = -1;
  double io_s_ = 0;
};

WorkloadInfo infer_info() {
  WorkloadInfo w;
  w.name = "infer";
  w.summary = "score an HDF5 dataset with an ONNX model (MLPs, CNNs, transformers, ...), MPI + TBB";
  w.description =
      "Reads samples [N, ...] from --input FILE.h5:/dataset, runs the ONNX model on them and\n"
      "writes [N, ...outputs] to --output FILE.h5:/dataset with the attributes model_name,\n"
      "model_sha256, basin_arithmetic and basin_result_digest. Ranks score contiguous\n"
      "blocks of samples, each reading and writing its own hyperslab collectively; inside\n"
      "a rank micro-batches run on TBB threads. A sample's outputs do not depend on --set\n"
      "batch, threads or ranks.\n"
      "Arithmetic: portable gives the same bits on every x86-64 CPU (AVX-512, AVX2 or\n"
      "neither) and is the default for replicated jobs (--basin-replicas), whose results\n"
      "are compared bit for bit; fast is the default otherwise: 2-D convolutions and\n"
      "transposed convolutions through oneDNN (activations kept in its blocked layout\n"
      "between them), whose bits may differ between CPUs with other instruction sets, a\n"
      "GELU's erf in single precision, the rest as portable. The digest of a portable\n"
      "result starts with 'portable-'.\n"
      "The model is checked before any work (opset, operators, shapes): an unsupported\n"
      "operator or attribute is refused with its name and node.\n"
      "One step is one batch of every rank. A checkpoint holds the outputs scored so far;\n"
      "a continued run must have the same ranks, model, batch and arithmetic.";
  w.example =
      "srun -n 2 basin run infer --model mlp.onnx --input digits.h5:/x --output scores.h5:/y";
  w.params = {
      {"model", ParamKind::text, "", "", "ONNX model file", {}},
      {"input",
       ParamKind::text,
       "",
       "",
       "samples, FILE.h5:/dataset, float32 or float64 [N, ...]",
       {}},
      {"batch",
       ParamKind::integer,
       "256",
       "samples",
       "samples each rank reads, scores, writes at once",
       {},
       1,
       1 << 24},
      {"precision",
       ParamKind::choice,
       "float32",
       "",
       "element type of the output dataset",
       {"float32", "float64"}},
      {"arithmetic",
       ParamKind::choice,
       "auto",
       "",
       "portable (same bits on every x86-64 CPU), fast (oneDNN convolutions), or auto: "
       "portable when the "
       "job runs as replicas",
       {"auto", "portable", "fast"}},
      {"isa",
       ParamKind::choice,
       "native",
       "",
       "instruction set of the portable kernels (the same bits on each; forcing one is for "
       "checking that)",
       {"native", "avx512", "avx2", "scalar"},
       0,
       0,
       false},
      {"refuse_nonfinite",
       ParamKind::boolean,
       "false",
       "",
       "refuse input holding NaN or Inf (by default they are scored, counted and reported)",
       {},
       0,
       1,
       false},
      {"model_max_mb",
       ParamKind::integer,
       "1024",
       "MiB",
       "largest model file accepted",
       {},
       1,
       2047,
       false},
  };
  w.options = {"model", "input"};
  w.own_output = true;
  w.create = [](const Params& p, MPI_Comm comm) -> std::unique_ptr<Workload> {
    return std::make_unique<Infer>(p, comm);
  };
  return w;
}

}  // namespace
}  // namespace basin::jobs

BASIN_WORKLOAD(infer, basin::jobs::infer_info);
