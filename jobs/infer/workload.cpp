// `basin run infer`: scores an HDF5 dataset of samples with an ONNX model.
//
// The samples [N, ...] are split over the ranks in contiguous blocks; each
// rank reads its hyperslab collectively, `batch` samples at a time, scores
// them with the BatchRunner (micro-batches on TBB threads), and writes its
// rows of the output dataset [N, ...] collectively. The output dataset carries
// the model's name, the SHA-256 of the model file and the result digest.
// Outputs of a sample do not depend on batch, threads or ranks: see the
// determinism rule in basin/infer/batch.hpp.
#include <fcntl.h>
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
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "basin/common/durable_file.hpp"
#include "basin/common/hex.hpp"
#include "basin/common/job_contract.hpp"
#include "basin/common/sodium.hpp"
#include "basin/infer/batch.hpp"
#include "basin/infer/model.hpp"
#include "basin/runtime/digest.hpp"
#include "basin/runtime/h5.hpp"
#include "basin/runtime/memory.hpp"
#include "basin/runtime/netcdf_output.hpp"
#include "basin/runtime/progress.hpp"
#include "basin/runtime/run.hpp"
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

// The published digest names the arithmetic that made the result: replicas
// are compared by their digest strings, so a fast result (bits of this CPU's
// instruction set) never passes for a portable one, or the reverse.
std::string labelled_digest(infer::Arithmetic a, const std::string& digest) {
  return a == infer::Arithmetic::portable ? "portable-" + digest : digest;
}

RunReport run_infer(const Params& p, const RunOptions& opt, MPI_Comm comm, std::FILE* log) {
  common::ensure_sodium();
  int rank = 0, ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  const std::string model_path = p.text("model");
  if (model_path.empty()) throw std::invalid_argument("give the model: --model MODEL.onnx");
  if (p.text("input").empty())
    throw std::invalid_argument("give the samples: --input FILE.h5:/dataset");
  if (opt.output.empty()) throw std::invalid_argument("give the result: --output FILE.h5:/dataset");
  const DatasetPath in = split_path("--input", p.text("input"));
  const DatasetPath out = split_path("--output", opt.output);
  const bool f64 = p.text("precision") == "float64";
  const std::int64_t batch = p.integer("batch");
  const bool refuse_nonfinite = p.boolean("refuse_nonfinite");
  const infer::Arithmetic arithmetic = choose_arithmetic(p.text("arithmetic"));
  const infer::Isa isa = [&] {
    try {
      return infer::parse_isa(p.text("isa"));
    } catch (const infer::ModelError& e) {
      throw std::invalid_argument(std::string("--set isa: ") + e.what());
    }
  }();
  if (!infer::isa_available(isa))
    throw std::invalid_argument("--set isa=" + p.text("isa") +
                                ": this CPU cannot run those kernels; use isa=native");
  // All TBB threads of the driver's arena (--set threads, BASIN_THREADS, ...).
  const int threads = tbb::this_task_arena::max_concurrency();

  // The model must be a regular file of bounded size: a FIFO or a device
  // would block or never end, a huge sparse file would exhaust memory.
  {
    const std::uint64_t limit = std::uint64_t(p.integer("model_max_mb")) << 20;
    struct stat st {};
    if (::stat(model_path.c_str(), &st) != 0)
      throw std::invalid_argument("--model " + model_path + ": " + std::strerror(errno));
    if (!S_ISREG(st.st_mode))
      throw std::invalid_argument("--model " + model_path + ": not a regular file (" +
                                  (S_ISFIFO(st.st_mode)   ? "a FIFO"
                                   : S_ISCHR(st.st_mode)  ? "a character device"
                                   : S_ISBLK(st.st_mode)  ? "a block device"
                                   : S_ISDIR(st.st_mode)  ? "a directory"
                                   : S_ISSOCK(st.st_mode) ? "a socket"
                                                          : "not a file") +
                                  "); give the path of an .onnx file");
    if (std::uint64_t(st.st_size) > limit)
      throw std::invalid_argument(
          "--model " + model_path + ": " + std::to_string(std::uint64_t(st.st_size) >> 20) +
          " MiB, more than the limit of " + std::to_string(p.integer("model_max_mb")) +
          " MiB (--set model_max_mb=N raises it, up to 2047)");
  }

  // The model: every rank loads and checks it (errors are the same everywhere).
  const infer::Model model = [&] {
    try {
      return infer::Model::load_file(model_path);
    } catch (const infer::ModelError& e) {
      throw std::invalid_argument("--model " + model_path + ": " + e.what());
    }
  }();
  const std::string model_sha = sha256_file(model_path);

  // The input: shape [N, ...] of floats.
  H5Quiet quiet;
  H5Id fapl = parallel_access(comm);
  const hid_t fin = H5Fopen(in.file.c_str(), H5F_ACC_RDONLY, fapl.get());
  if (fin < 0) throw std::invalid_argument("--input: cannot open " + in.file + " as HDF5");
  H5Id input_file(fin, H5Fclose);
  if (H5Lexists(fin, in.dataset.c_str(), H5P_DEFAULT) <= 0)
    throw std::invalid_argument("--input: " + in.file + " has no dataset " + in.dataset);
  H5Id din(H5Dopen2(fin, in.dataset.c_str(), H5P_DEFAULT), H5Dclose, "opening the input");
  {
    H5Id type(H5Dget_type(din.get()), H5Tclose);
    if (H5Tget_class(type.get()) != H5T_FLOAT)
      throw std::invalid_argument("--input " + in.dataset +
                                  ": samples must be float32 or float64 values");
  }
  std::vector<std::int64_t> sample_shape;
  std::int64_t n = 0;
  {
    H5Id space(H5Dget_space(din.get()), H5Sclose);
    const int nd = H5Sget_simple_extent_ndims(space.get());
    if (nd < 2)
      throw std::invalid_argument("--input " + in.dataset +
                                  ": expected [samples, ...] with at least 2 dimensions");
    std::vector<hsize_t> dims(static_cast<std::size_t>(nd));
    H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
    n = std::int64_t(dims[0]);
    for (int d = 1; d < nd; ++d) sample_shape.push_back(std::int64_t(dims[std::size_t(d)]));
  }
  const infer::BatchRunner runner = [&] {
    try {
      return infer::BatchRunner(model, sample_shape, infer::kMicroBatch, {arithmetic, isa});
    } catch (const infer::ModelError& e) {
      throw std::invalid_argument("--input " + in.dataset + " samples " + shape_text(sample_shape) +
                                  " do not fit the model: " + e.what());
    }
  }();
  const std::int64_t in_size = runner.input_sample_size(), out_size = runner.output_sample_size();
  if (n == 0) throw std::invalid_argument("--input " + in.dataset + " holds no samples");
  // The split and the result digest index samples and outputs with 32-bit
  // grid coordinates: refuse what they cannot index rather than score a
  // wrapped-around count.
  constexpr std::int64_t kMaxIndex = std::numeric_limits<int>::max();
  if (n > kMaxIndex)
    throw std::invalid_argument(
        "--input " + in.file + ":" + in.dataset + " holds " + std::to_string(n) +
        " samples; one run scores at most " + std::to_string(kMaxIndex) +
        " (2^31 - 1): split the dataset and score the parts in separate runs");
  if (out_size > kMaxIndex)
    throw std::invalid_argument("the model gives " + std::to_string(out_size) +
                                " outputs per sample; at most " + std::to_string(kMaxIndex) +
                                " are supported");
  {
    // Memory per rank: the batch in and out, and this rank's results kept
    // (as doubles) for the digest.
    const std::int64_t per_rank = (n + ranks - 1) / ranks;
    const std::uint64_t need =
        std::uint64_t(batch) * std::uint64_t(in_size + 2 * out_size) * sizeof(float) +
        std::uint64_t(per_rank) * std::uint64_t(out_size) * sizeof(double);
    refuse_if_memory_short(need,
                           "a batch of " + std::to_string(batch) + " samples in and out and " +
                               std::to_string(per_rank) + " samples' results for the digest",
                           "Use more ranks (on more nodes) or score the dataset in parts.", comm);
  }

  // The samples' split: rows of a (1, N, out_size) grid, whole samples per rank.
  Decomposition dec(comm, Extent{{1, int(n), int(out_size)}},
                    Decomposition::Rule{{1, 0, 1}, int(std::max<std::int64_t>(out_size, 1)), 1});
  const std::int64_t first = dec.local().begin[1], mine = dec.local().size[1];
  if (log)
    std::fprintf(log,
                 "  model %s (%s, opset %lld), %lld samples %s -> %s, %lld per rank, batch %lld\n",
                 model_path.c_str(), model.name().c_str(), static_cast<long long>(model.opset()),
                 static_cast<long long>(n), shape_text(sample_shape).c_str(),
                 shape_text(runner.output_sample_shape()).c_str(),
                 static_cast<long long>((n + ranks - 1) / ranks), static_cast<long long>(batch));

  // The output dataset, created collectively.
  const bool same_file = out.file == in.file;
  std::optional<H5Id> output_file;
  hid_t fout = fin;
  // Written under a temporary name and renamed when complete: a failed job
  // never leaves a half-written file under the name asked for.
  const std::string tmp = out.file + ".basin-tmp";
  if (!same_file) {
    const hid_t f = H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get());
    if (f < 0)
      throw std::invalid_argument("--output: cannot create " + tmp +
                                  ": check that the directory exists and is writable");
    output_file.emplace(f, H5Fclose);
    fout = f;
  } else {
    throw std::invalid_argument("--output: write to another file than the input (" + in.file +
                                " is opened read-only)");
  }
  // Until the rename: a failure closes the temporary file and removes it.
  struct RemoveUnlessDone {
    std::optional<H5Id>& file;
    const std::string& path;
    bool done = false;
    ~RemoveUnlessDone() {
      if (done) return;
      file.reset();
      ::unlink(path.c_str());
    }
  } remove_tmp{output_file, tmp};
  std::vector<hsize_t> odims{hsize_t(n)};
  for (auto d : runner.output_sample_shape()) odims.push_back(hsize_t(d));
  H5Id ospace(H5Screate_simple(int(odims.size()), odims.data(), nullptr), H5Sclose);
  H5Id lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  H5Id dout(H5Dcreate2(fout, out.dataset.c_str(), f64 ? H5T_IEEE_F64LE : H5T_IEEE_F32LE,
                       ospace.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
            H5Dclose, "creating the output dataset");

  // Score: every rank takes part in as many collective reads and writes as
  // the rank with the most batches.
  const std::int64_t my_batches = (mine + batch - 1) / batch;
  std::int64_t batches = 0;
  MPI_Allreduce(&my_batches, &batches, 1, MPI_INT64_T, MPI_MAX, comm);
  H5Id xfer = collective_transfer();
  Field result("output", dec.local(), 0);  // doubles, for the digest
  std::vector<float> xin(std::size_t(batch * in_size)), yout(std::size_t(batch * out_size));
  Progress progress(log, "infer", batches, batch * ranks, p.real("progress_every"));
  double io_s = 0;
  constexpr std::int64_t kNone = std::numeric_limits<std::int64_t>::max();
  std::int64_t nonfinite[2] = {0, 0};  // values, samples
  std::int64_t first_nonfinite = -1;
  for (std::int64_t b = 0; b < batches; ++b) {
    const std::int64_t at = std::min(mine, b * batch), count = std::min(batch, mine - at);
    const auto t0 = MPI_Wtime();
    {
      H5Id fs = row_selection(din.get(), first + at, count);
      const hsize_t m = hsize_t(std::max<std::int64_t>(count, 0) * in_size);
      H5Id ms(H5Screate_simple(1, &m, nullptr), H5Sclose);
      if (count == 0) H5Sselect_none(ms.get());
      h5_check(H5Dread(din.get(), H5T_NATIVE_FLOAT, ms.get(), fs.get(), xfer.get(), xin.data()),
               "reading samples");
    }
    io_s += MPI_Wtime() - t0;
    // Non-finite inputs: counted (values and samples, the first sample's index).
    std::int64_t bad_here = 0;
    for (std::int64_t s = 0; s < count; ++s) {
      std::int64_t bad = 0;
      const float* row = xin.data() + s * in_size;
      for (std::int64_t k = 0; k < in_size; ++k) bad += std::isfinite(row[k]) ? 0 : 1;
      if (bad > 0) {
        nonfinite[0] += bad;
        nonfinite[1] += 1;
        if (first_nonfinite < 0) first_nonfinite = first + at + s;
        bad_here += bad;
      }
    }
    if (refuse_nonfinite) {
      std::int64_t mine_first = bad_here > 0 ? first_nonfinite : kNone, any_first = kNone;
      MPI_Allreduce(&mine_first, &any_first, 1, MPI_INT64_T, MPI_MIN, comm);
      if (any_first != kNone)
        throw std::invalid_argument(
            "--input " + in.file + ":" + in.dataset + ": sample " + std::to_string(any_first) +
            " holds a NaN or infinite value and refuse_nonfinite is set; nothing was written. "
            "Clean the input, or run without refuse_nonfinite to score it and count them");
    }
    if (count > 0) runner.run(xin.data(), count, yout.data(), threads, first + at);
    const auto t1 = MPI_Wtime();
    {
      H5Id fs = row_selection(dout.get(), first + at, count);
      const hsize_t m = hsize_t(std::max<std::int64_t>(count, 0) * out_size);
      H5Id ms(H5Screate_simple(1, &m, nullptr), H5Sclose);
      if (count == 0) H5Sselect_none(ms.get());
      if (f64) {
        std::vector<double> y(yout.begin(), yout.begin() + std::ptrdiff_t(m));
        h5_check(H5Dwrite(dout.get(), H5T_NATIVE_DOUBLE, ms.get(), fs.get(), xfer.get(), y.data()),
                 "writing results");
      } else {
        h5_check(
            H5Dwrite(dout.get(), H5T_NATIVE_FLOAT, ms.get(), fs.get(), xfer.get(), yout.data()),
            "writing results");
      }
    }
    io_s += MPI_Wtime() - t1;
    for (std::int64_t s = 0; s < count; ++s)
      for (std::int64_t k = 0; k < out_size; ++k)
        result.at(0, int(at + s), int(k)) = double(yout[std::size_t(s * out_size + k)]);
    progress.update(b + 1);
  }
  progress.finish();

  const std::string digest = labelled_digest(arithmetic, result_digest(dec, {&result}));
  write_text_attribute(dout.get(), "model_name", model.name());
  write_text_attribute(dout.get(), "basin_arithmetic", infer::arithmetic_name(arithmetic));
  write_text_attribute(dout.get(), "model_sha256", model_sha);
  write_text_attribute(dout.get(), "basin_result_digest", digest);
  write_text_attribute(dout.get(), "source", in.file + ":" + in.dataset);
  dout.reset();
  output_file.reset();
  MPI_Barrier(comm);
  if (rank == 0) common::publish_file(tmp, out.file);
  MPI_Barrier(comm);
  remove_tmp.done = true;
  publish_digest(opt, "", digest, comm);

  std::int64_t nonfinite_all[2] = {0, 0};
  MPI_Allreduce(nonfinite, nonfinite_all, 2, MPI_INT64_T, MPI_SUM, comm);
  std::int64_t first_bad = first_nonfinite < 0 ? kNone : first_nonfinite, first_bad_all = kNone;
  MPI_Allreduce(&first_bad, &first_bad_all, 1, MPI_INT64_T, MPI_MIN, comm);
  int concurrency = runner.arena_concurrency(), concurrency_max = 0;
  MPI_Allreduce(&concurrency, &concurrency_max, 1, MPI_INT, MPI_MAX, comm);

  RunReport r;
  r.digest = digest;
  r.steps = batches;
  r.wall_s = progress.elapsed();
  r.io_s = io_s;
  if (log) {
    std::fprintf(log,
                 "basin run infer: done, %lld samples in %.3f s = %.4g samples/s, I/O %.3f s\n",
                 static_cast<long long>(n), r.wall_s, double(n) / r.wall_s, io_s);
    std::fprintf(log, "  threads per rank %d (scoring arena max concurrency %d)\n", threads,
                 concurrency_max);
    if (arithmetic == infer::Arithmetic::portable)
      std::fprintf(log, "  arithmetic portable, %s kernels (the same bits on every x86-64 CPU)\n",
                   infer::isa_name(isa == infer::Isa::native ? infer::native_isa() : isa));
    else
      std::fprintf(log,
                   "  arithmetic fast (oneDNN; bits may differ on CPUs with other instruction "
                   "sets)\n");
    if (nonfinite_all[0] > 0)
      std::fprintf(log,
                   "  WARNING: %lld non-finite input value(s) (NaN or Inf) in %lld sample(s), the "
                   "first in sample %lld; their outputs are not meaningful (--set "
                   "refuse_nonfinite=true refuses such input)\n",
                   static_cast<long long>(nonfinite_all[0]),
                   static_cast<long long>(nonfinite_all[1]), static_cast<long long>(first_bad_all));
    else
      std::fprintf(log, "  non-finite input values: none\n");
    std::fprintf(log, "  model sha256 %s\n  result digest %s\n  output %s\n", model_sha.c_str(),
                 digest.c_str(), opt.output.c_str());
  }
  return r;
}

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
      "are compared bit for bit; fast (oneDNN) is the default otherwise, and its bits may\n"
      "differ between CPUs with other instruction sets. The digest of a portable result\n"
      "starts with 'portable-'.\n"
      "The model is checked before any work (opset, operators, shapes): an unsupported\n"
      "operator or attribute is refused with its name and node.";
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
       "portable (same bits on every x86-64 CPU), fast (oneDNN), or auto: portable when the "
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
  w.run = run_infer;
  return w;
}

}  // namespace
}  // namespace basin::jobs

BASIN_WORKLOAD(infer, basin::jobs::infer_info);
