// Test helper: writes N signed usage records with a given node key file.
//   make_records KEYFILE DIR N
#include <cstdio>
#include <cstdlib>
#include <string>

#include "basin/records/durable_file.hpp"
#include "basin/records/signing.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: make_records KEYFILE DIR N\n");
    return 2;
  }
  const auto key = basin::records::NodeKey::load(argv[1], false);
  const long n = std::strtol(argv[3], nullptr, 10);
  for (long j = 1; j <= n; ++j) {
    basin::records::UsageRecord r;
    r.cluster = "c";
    r.job_id = static_cast<std::uint32_t>(j);
    r.node = "vol1";
    r.site = "home";
    r.account = "lab";
    r.cpu_user_us = static_cast<std::uint64_t>(j) * 1000;
    basin::records::write_file_durably(argv[2], std::to_string(j) + ".0.r0.vol1.basinrec",
                                       basin::records::sign_record(r, key));
  }
  return 0;
}
