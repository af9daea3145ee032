// Test helper: writes N signed usage records with a given node key file.
//   make_records KEYFILE DIR N [--node NODE] [--site SITE] [--cluster C]
//                [--account A] [--first-job J] [--kind KIND]
// Defaults: node vol1, site home, cluster c, account lab, first job 1. Each
// record is a plausible 10 s step on one core in November 2026, unless KIND
// makes it hostile (validly signed all the same, as a buggy or edited node
// would sign it):
//   end-2^62        end_time 2^62
//   huge-memory     alloc_mem_mb 2^50
//   negative-start  start_time -5
//   escape-name     replica_group with ESC [2J and CR (a job name)
//   invalid-utf8    replica_group with the byte 0xff
//   escape-account  account with ESC [31m (shown in tables)
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "basin/common/durable_file.hpp"
#include "basin/records/signing.hpp"

namespace {

void make_hostile(basin::records::UsageRecord& r, const std::string& kind) {
  if (kind == "end-2^62")
    r.end_time = std::int64_t{1} << 62;
  else if (kind == "huge-memory")
    r.alloc_mem_mb = std::uint64_t{1} << 50;
  else if (kind == "negative-start")
    r.start_time = r.submit_time = -5;
  else if (kind == "escape-name")
    r.replica_group = "c:1000:evil\x1b[2J\rname";
  else if (kind == "invalid-utf8")
    r.replica_group = "c:1000:bad\xffname";
  else if (kind == "escape-account")
    r.account = "lab\x1b[31m";
  else if (kind != "good")
    throw std::runtime_error("unknown --kind " + kind);
  if (!r.replica_group.empty()) r.replicas = 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || argc % 2 != 0) {
    std::fprintf(stderr,
                 "usage: make_records KEYFILE DIR N [--node NODE] [--site SITE] [--cluster C]\n"
                 "         [--account A] [--first-job J] [--kind KIND]\n");
    return 2;
  }
  std::map<std::string, std::string> opt = {{"--node", "vol1"},   {"--site", "home"},
                                            {"--cluster", "c"},   {"--account", "lab"},
                                            {"--first-job", "1"}, {"--kind", "good"}};
  for (int i = 4; i + 1 < argc; i += 2) {
    if (!opt.count(argv[i])) {
      std::fprintf(stderr, "make_records: unknown option %s\n", argv[i]);
      return 2;
    }
    opt[argv[i]] = argv[i + 1];
  }
  const auto key = basin::records::NodeKey::load(argv[1], false);
  const long n = std::strtol(argv[3], nullptr, 10);
  const long first = std::strtol(opt["--first-job"].c_str(), nullptr, 10);
  for (long j = first; j < first + n; ++j) {
    basin::records::UsageRecord r;
    r.cluster = opt["--cluster"];
    r.job_id = static_cast<std::uint32_t>(j);
    r.node = opt["--node"];
    r.site = opt["--site"];
    r.account = opt["--account"];
    r.submit_time = 1795000000 + j;
    r.start_time = r.submit_time + 1;
    r.end_time = r.start_time + 10;
    r.alloc_cores = 1;
    r.alloc_mem_mb = 100;
    r.cpu_user_us = static_cast<std::uint64_t>(j % 10000) * 1000;
    r.step_state = "completed";
    make_hostile(r, opt["--kind"]);
    basin::common::write_file_durably(argv[2], std::to_string(j) + ".0.r0." + r.node + ".basinrec",
                                      basin::records::sign_record(r, key));
  }
  return 0;
}
