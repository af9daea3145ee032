#include "basin/runtime/checkpoint.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <stdexcept>

#include <sodium.h>

#include "basin/common/durable_file.hpp"
#include "basin/common/hex.hpp"
#include "basin/common/sodium.hpp"
#include "basin/runtime/digest.hpp"
#include "basin/runtime/h5.hpp"
#include "basin/runtime/netcdf_output.hpp"

namespace basin::runtime {
namespace {

namespace fs = std::filesystem;
// v2: an integrity hash over everything a restart restores (v1 covered only
// the fields, so an edited step or scalar was accepted).
constexpr const char* kFormat = "basin-checkpoint-v2";

// BLAKE2b-256 over every restored value: the identity attributes, the step,
// every scalar (exact bits, by name) and the fields' content digest. Any
// edit of any of them changes it.
std::string integrity_hash(const std::string& workload, const std::string& grid,
                           const std::string& params, const std::string& rule, std::int64_t step,
                           const std::map<std::string, double>& scalars,
                           const std::string& field_names, const std::string& field_digest) {
  common::ensure_sodium();
  std::string m = std::string(kFormat) + "\n";
  auto add = [&](const char* key, const std::string& v) {
    m += key;
    m += ' ';
    m += std::to_string(v.size());
    m += ':';
    m += v;
    m += '\n';
  };
  add("workload", workload);
  add("grid", grid);
  add("parameters", params);
  add("decomposition_rule", rule);
  add("step", std::to_string(step));
  for (const auto& [k, v] : scalars) {
    char bits[32];
    std::snprintf(bits, sizeof bits, "%a", v);
    add(("scalar." + k).c_str(), bits);
  }
  add("fields", field_names);
  add("digest", field_digest);
  unsigned char h[32];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(m.data()), m.size(),
                     nullptr, 0);
  return "blake2b-256:" + common::to_hex(h);
}

std::string grid_text(const Extent& g) {
  return std::to_string(g.n[0]) + "x" + std::to_string(g.n[1]) + "x" + std::to_string(g.n[2]);
}

std::string rule_text(const Decomposition& dec) {
  return std::string(kDecompositionRule) + " tile " + std::to_string(dec.tile_cells());
}

// Step number of "checkpoint-<step>.h5", or -1.
std::int64_t step_of(const std::string& name) {
  const std::string pre = "checkpoint-", post = ".h5";
  if (name.size() <= pre.size() + post.size() || name.rfind(pre, 0) != 0 ||
      name.compare(name.size() - post.size(), post.size(), post) != 0)
    return -1;
  const std::string digits = name.substr(pre.size(), name.size() - pre.size() - post.size());
  if (digits.empty() || digits.size() > 15 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return -1;
  return std::stoll(digits);
}

// A test hook: BASIN_FAULT=kill-during-checkpoint:N kills the process with
// SIGKILL in the middle of the N-th save (after the data, before the rename),
// as a node losing power would.
bool fault_now(int save_number) {
  const char* f = std::getenv("BASIN_FAULT");
  const std::string pre = "kill-during-checkpoint:";
  return f && std::string(f).rfind(pre, 0) == 0 && std::atoi(f + pre.size()) == save_number;
}

// The lines ("name=value") of two parameter fingerprints that differ, as
// "name=old (this run: name=new)", one per changed name.
std::string parameter_changes(const std::string& written, const std::string& now) {
  auto lines = [](const std::string& text) {
    std::map<std::string, std::string> m;
    std::size_t at = 0;
    while (at < text.size()) {
      const std::size_t end = std::min(text.find('\n', at), text.size());
      const std::string line = text.substr(at, end - at);
      const std::size_t eq = line.find('=');
      m[line.substr(0, eq)] = line;
      at = end + 1;
    }
    return m;
  };
  const auto a = lines(written), b = lines(now);
  std::string out;
  auto add = [&](const std::string& name) {
    const auto x = a.find(name), y = b.find(name);
    const std::string was = x == a.end() ? name + " unset" : x->second;
    const std::string is = y == b.end() ? name + " unset" : y->second;
    if (was != is) out += (out.empty() ? "" : ", ") + was + " (this run: " + is + ")";
  };
  for (const auto& [name, line] : a) add(name);
  for (const auto& [name, line] : b)
    if (!a.count(name)) add(name);
  return out;
}

// Why the open checkpoint `f` cannot continue this run ("" when it can), and
// its state read into `state` and `fields`. Collective.
std::string check_and_read(hid_t f, const CheckpointIdentity& id, const Decomposition& dec,
                           CheckpointState& state, const std::vector<Field*>& fields) {
  const std::string format = read_text_attribute(f, "format");
  const std::string workload = read_text_attribute(f, "workload");
  const std::string grid = read_text_attribute(f, "grid");
  const std::string rule = read_text_attribute(f, "decomposition_rule");
  const std::string my_rule = rule_text(dec);
  const std::string params = read_text_attribute(f, "parameters");
  if (format == "basin-checkpoint-v1")
    return "written by an older Basin (format basin-checkpoint-v1, whose integrity check does "
           "not cover the step and scalars); delete it to start over";
  if (format != kFormat) return "not a Basin checkpoint (format '" + format + "')";
  if (workload != id.workload)
    return "written by workload '" + workload + "', this run is '" + id.workload + "'";
  if (grid != grid_text(id.grid))
    return "grid " + grid + ", this run's grid is " + grid_text(id.grid);
  if (rule != my_rule) return "decomposition rule '" + rule + "', this run uses '" + my_rule + "'";
  if (params != id.parameters)
    return "written with other parameters: " + parameter_changes(params, id.parameters);
  try {
    const std::string step_text = read_text_attribute(f, "step");
    std::size_t used = 0;
    state.step = std::stoll(step_text, &used);
    if (used != step_text.size() || state.step < 0)
      return "step attribute '" + step_text + "' is not a step number";
    H5Id xfer = collective_transfer();
    std::vector<const Field*> read_back;
    for (Field* fld : fields) {
      read_distributed(f, fld->name(), dec, *fld, xfer.get());
      read_back.push_back(fld);
    }
    const std::string stored = read_text_attribute(f, "digest");
    const std::string actual = result_digest(dec, read_back);
    if (stored != actual)
      return "content digest mismatch (stored " + stored + ", data gives " + actual +
             "): the file was corrupted or edited; delete it to start over";
    // Scalars: every attribute named scalar.*.
    H5O_info_t info{};
    h5_check(H5Oget_info2(f, &info, H5O_INFO_NUM_ATTRS), "counting attributes");
    for (hsize_t a = 0; a < info.num_attrs; ++a) {
      char name[256] = {};
      H5Id attr(H5Aopen_by_idx(f, ".", H5_INDEX_NAME, H5_ITER_INC, a, H5P_DEFAULT, H5P_DEFAULT),
                H5Aclose);
      H5Aget_name(attr.get(), sizeof name - 1, name);
      const std::string nm(name);
      if (nm.rfind("scalar.", 0) == 0) state.scalars[nm.substr(7)] = read_number_attribute(f, nm);
    }
    const std::string want = integrity_hash(workload, grid, params, rule, state.step, state.scalars,
                                            read_text_attribute(f, "fields"), actual);
    const std::string have = read_text_attribute(f, "integrity");
    if (have != want)
      return "integrity check failed: its step, scalars or attributes do not match the hash "
             "written with them (the file was edited or corrupted); delete it to start over";
  } catch (const std::exception& e) {
    return std::string("unreadable: ") + e.what();
  }
  return {};
}

}  // namespace

CheckpointStore::CheckpointStore(std::string dir, CheckpointIdentity identity,
                                 const Decomposition& dec)
    : dir_(std::move(dir)), id_(std::move(identity)), dec_(dec) {}

std::vector<std::string> CheckpointStore::list() const {
  std::vector<std::pair<std::int64_t, std::string>> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    const std::string name = e.path().filename().string();
    const std::int64_t s = step_of(name);
    if (s >= 0 && e.is_regular_file(ec) && !e.is_symlink(ec)) found.emplace_back(s, e.path());
  }
  std::sort(found.begin(), found.end(), std::greater<>());
  std::vector<std::string> out;
  for (auto& f : found) out.push_back(f.second);
  return out;
}

std::string CheckpointStore::save(const CheckpointState& state,
                                  const std::vector<const Field*>& fields) {
  ++saves_;
  const bool root = dec_.rank() == 0;
  if (root) {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec)
      throw std::runtime_error("cannot create checkpoint directory " + dir_ + ": " + ec.message());
  }
  MPI_Barrier(dec_.comm());
  const std::string final_path = dir_ + "/checkpoint-" + std::to_string(state.step) + ".h5";
  const std::string tmp = final_path + ".tmp";
  const std::string digest = result_digest(dec_, fields);
  {
    H5Id fapl = parallel_access(dec_.comm());
    H5Quiet quiet;
    const hid_t f = H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get());
    if (f < 0) throw std::runtime_error("cannot create checkpoint " + tmp);
    H5Id file(f, H5Fclose);
    H5Id xfer = collective_transfer();
    write_text_attribute(f, "format", kFormat);
    write_text_attribute(f, "workload", id_.workload);
    write_text_attribute(f, "grid", grid_text(id_.grid));
    write_text_attribute(f, "parameters", id_.parameters);
    write_text_attribute(f, "decomposition_rule", rule_text(dec_));
    write_text_attribute(f, "step", std::to_string(state.step));
    for (const auto& [k, v] : state.scalars) write_number_attribute(f, "scalar." + k, v);
    // Every rank makes the same collective calls whatever fails, then all agree.
    int bad = 0;
    std::string names;
    for (const Field* fld : fields) {
      if (!write_distributed(f, fld->name(), dec_, *fld, xfer.get())) bad = 1;
      names += (names.empty() ? "" : " ") + fld->name();
    }
    write_text_attribute(f, "fields", names);
    write_text_attribute(f, "digest", digest);
    write_text_attribute(f, "integrity",
                         integrity_hash(id_.workload, grid_text(id_.grid), id_.parameters,
                                        rule_text(dec_), state.step, state.scalars, names, digest));
    if (fault_now(saves_)) std::raise(SIGKILL);
    if (H5Fflush(f, H5F_SCOPE_GLOBAL) < 0) bad = 1;
    int any = 0;
    MPI_Allreduce(&bad, &any, 1, MPI_INT, MPI_MAX, dec_.comm());
    if (any) {
      // Free the unwanted data's space so the close can write HDF5's
      // metadata (a failed close crashes HDF5 at MPI_Finalize), then remove it.
      const std::string room = free_space_note(tmp);
      if (root) (void)::truncate(tmp.c_str(), 0);
      MPI_Barrier(dec_.comm());
      file.reset();
      MPI_Barrier(dec_.comm());
      if (root) ::unlink(tmp.c_str());
      throw CollectiveError("cannot write the checkpoint " + tmp + room +
                            ". Free some space or give another --checkpoint-dir; the previous "
                            "checkpoint, if any, is kept");
    }
  }
  MPI_Barrier(dec_.comm());
  if (root) {
    common::publish_file(tmp, final_path);
    // Keep the newest two; drop stale temporaries of interrupted saves.
    const auto all = list();
    for (std::size_t i = 2; i < all.size(); ++i) ::unlink(all[i].c_str());
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_, ec)) {
      const std::string n = e.path().filename().string();
      if (n.rfind("checkpoint-", 0) == 0 && n.size() > 7 &&
          n.compare(n.size() - 7, 7, ".h5.tmp") == 0 && e.path().string() != tmp)
        ::unlink(e.path().c_str());
    }
  }
  MPI_Barrier(dec_.comm());
  return final_path;
}

std::optional<CheckpointState> CheckpointStore::load_latest(const std::vector<Field*>& fields,
                                                            std::vector<std::string>& notes) {
  // Rank 0's listing decides, so all ranks try the same files in the same order.
  std::vector<std::string> files = list();
  int n = dec_.rank() == 0 ? int(files.size()) : 0;
  MPI_Bcast(&n, 1, MPI_INT, 0, dec_.comm());
  if (n == 0) return std::nullopt;
  files.resize(std::size_t(n));
  for (auto& f : files) {
    int len = int(f.size());
    MPI_Bcast(&len, 1, MPI_INT, 0, dec_.comm());
    f.resize(std::size_t(len));
    MPI_Bcast(f.data(), len, MPI_CHAR, 0, dec_.comm());
  }

  for (const std::string& path : files) {
    std::string why;
    CheckpointState state;
    {
      H5Quiet quiet;
      H5Id fapl = parallel_access(dec_.comm());
      const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get());
      if (f < 0) why = "not a readable HDF5 file (corrupt or truncated)";
      if (f >= 0) {
        H5Id file(f, H5Fclose);
        why = check_and_read(f, id_, dec_, state, fields);
      }
    }
    // Agree: any rank's complaint refuses the file everywhere.
    int bad = why.empty() ? 0 : 1, any_bad = 0;
    MPI_Allreduce(&bad, &any_bad, 1, MPI_INT, MPI_MAX, dec_.comm());
    if (!any_bad) return state;
    notes.push_back(path + ": " + (why.empty() ? "refused on another rank" : why));
  }
  std::string msg = "no usable checkpoint in " + dir_ + ":";
  for (const auto& n2 : notes) msg += "\n  " + n2;
  msg +=
      "\nRemove these files (or use another --checkpoint-dir) to start from the beginning, "
      "or run with the parameters they were written with.";
  // Every rank refused the same files: a clean exit on all of them.
  throw CollectiveError(msg);
}

}  // namespace basin::runtime
