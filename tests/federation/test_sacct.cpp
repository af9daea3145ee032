#include <gtest/gtest.h>

#include <random>

#include "basin/federation/sacct.hpp"

using namespace basin::federation;

namespace {
const char* kHeader =
    "JobID|JobIDRaw|Cluster|Submit|Start|End|State|AllocCPUS|ElapsedRaw|TotalCPU|Account|"
    "NodeList|Restarts\n";
}

TEST(SlurmTime, ParsesLocalTimeWithOffset) {
  EXPECT_EQ(parse_slurm_time("1970-01-01T00:00:00", 0), 0);
  EXPECT_EQ(parse_slurm_time("2026-11-22T10:11:23", 0), 1795342283);
  EXPECT_EQ(parse_slurm_time("2026-11-22T11:11:23", 3600), 1795342283);
  EXPECT_EQ(parse_slurm_time("Unknown", 0), std::nullopt);
  EXPECT_THROW(parse_slurm_time("2026-13-22T10:11:23", 0), std::invalid_argument);
  EXPECT_THROW(parse_slurm_time("2026-11-22 10:11:23", 0), std::invalid_argument);
  EXPECT_THROW(parse_slurm_time("2026-11-22T10:1a:23", 0), std::invalid_argument);
}

TEST(SlurmTime, ParsesDurations) {
  EXPECT_DOUBLE_EQ(parse_slurm_duration("00:01.500"), 1.5);
  EXPECT_DOUBLE_EQ(parse_slurm_duration("01:00:00"), 3600);
  EXPECT_DOUBLE_EQ(parse_slurm_duration("2-00:00:01"), 2 * 86400 + 1);
  EXPECT_THROW(parse_slurm_duration("12"), std::invalid_argument);
  EXPECT_THROW(parse_slurm_duration("99999999999-00:00:00"), std::invalid_argument);
  EXPECT_THROW(parse_slurm_duration("1:2:3:4"), std::invalid_argument);
}

TEST(Sacct, ParsesAllocationsStepsAndArrays) {
  const std::string text =
      std::string(kHeader) +
      "41|41|basin|2026-11-22T10:00:00|2026-11-22T10:00:01|2026-11-22T10:01:01|COMPLETED|2|60|"
      "01:50.000|campus|vol1|0\n"
      "41.batch|41.batch|basin|2026-11-22T10:00:00|2026-11-22T10:00:01|2026-11-22T10:01:01|"
      "COMPLETED|2|60|01:50.000||vol1|\n"
      "12_3|57|basin|2026-11-22T10:00:00|Unknown|Unknown|CANCELLED by 0|1|0|00:00:00|home|None|0\n";
  const auto e = parse_sacct(text);
  ASSERT_TRUE(e.issues.empty()) << e.issues[0].message;
  ASSERT_EQ(e.rows.size(), 3u);
  EXPECT_EQ(e.rows[0].job, 41u);
  EXPECT_FALSE(e.rows[0].is_step());
  EXPECT_EQ(e.rows[0].core_seconds(), 120u);
  EXPECT_DOUBLE_EQ(*e.rows[0].total_cpu_seconds, 110.0);
  EXPECT_EQ(e.rows[1].step, "batch");
  EXPECT_EQ(e.rows[2].job, 57u);
  EXPECT_EQ(e.rows[2].job_id, "12_3");
  EXPECT_EQ(e.rows[2].state, "CANCELLED");
  EXPECT_EQ(e.rows[2].start, std::nullopt);
  EXPECT_EQ(e.rows[2].line, 4u);
}

TEST(Sacct, BadLinesBecomeIssuesNamingTheLine) {
  const std::string text =
      std::string(kHeader) +
      "1|1|c|2026-11-22T10:00:00|x|x|COMPLETED|2|60||a|n|0\n"               // bad start
      "2|2|c|2026-11-22T10:00:00|Unknown|Unknown|COMPLETED|-2|60||a|n|0\n"  // negative cpus
      "3|3|c|2026-11-22T10:00:00|Unknown|Unknown|COMPLETED|2|99999999999||a|n|0\n"
      "4|4|c|2026-11-22T10:00:00|Unknown|Unknown|COMPLETED|2|60||a|n|0|extra\n"
      "5|5|c|2026-11-22T10:00:00|Unknown|Unknown|COMPLETED|2|60||a|n|0\n";
  const auto e = parse_sacct(text);
  ASSERT_EQ(e.rows.size(), 1u);
  EXPECT_EQ(e.rows[0].job, 5u);
  ASSERT_EQ(e.issues.size(), 4u);
  EXPECT_EQ(e.issues[0].line, 2u);
  EXPECT_EQ(e.issues[3].line, 5u);
  EXPECT_NE(e.issues[3].message.find("14 fields"), std::string::npos);
}

TEST(Sacct, ArrayIdWithoutRawColumnIsRefused) {
  const auto e = parse_sacct(
      "JobID|Cluster|Submit|State|AllocCPUS|ElapsedRaw\n"
      "12_3|c|2026-11-22T10:00:00|COMPLETED|1|5\n"
      "13|c|2026-11-22T10:00:00|COMPLETED|1|5\n");
  ASSERT_EQ(e.rows.size(), 1u);
  ASSERT_EQ(e.issues.size(), 1u);
  EXPECT_NE(e.issues[0].message.find("JobIDRaw"), std::string::npos);
}

TEST(Sacct, HeaderProblemsThrowWithTheFix) {
  EXPECT_THROW(parse_sacct(""), std::invalid_argument);
  try {
    parse_sacct("JobID|State\n");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--format="), std::string::npos);
  }
  EXPECT_THROW(parse_sacct("JobID|JobID|Cluster|Submit|State|AllocCPUS|ElapsedRaw\n"),
               std::invalid_argument);
}

TEST(Sacct, OverlongLinesAreSkipped) {
  SacctOptions o;
  o.max_line_bytes = 100;
  const auto e = parse_sacct(std::string(kHeader).substr(0, 0) +
                                 "JobIDRaw|Cluster|Submit|State|AllocCPUS|ElapsedRaw\n" + "1|" +
                                 std::string(200, 'c') + "|x|x|1|1\n",
                             o);
  EXPECT_TRUE(e.rows.empty());
  ASSERT_EQ(e.issues.size(), 1u);
}

// Replay of mutated exports: whatever the bytes, the parser returns rows and
// issues or throws invalid_argument, and every row it keeps is within range.
TEST(Sacct, SurvivesMutatedInput) {
  const std::string seed =
      std::string(kHeader) +
      "41|41|basin|2026-11-22T10:00:00|2026-11-22T10:00:01|2026-11-22T10:01:01|COMPLETED|2|60|"
      "01:50.000|campus|vol1|0\n"
      "41.extern|41.extern|basin|2026-11-22T10:00:00|2026-11-22T10:00:01|2026-11-22T10:01:01|"
      "COMPLETED|2|60|1-00:00:00||vol1|\n";
  std::mt19937 rng(7);
  const std::string alphabet = "|\n\r.-_:T0123456789aZ\xff";
  for (int i = 0; i < 20000; ++i) {
    std::string s = seed;
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < edits; ++k) {
      const std::size_t p = rng() % (s.size() + 1);
      switch (rng() % 3) {
        case 0:
          s.insert(p, 1, alphabet[rng() % alphabet.size()]);
          break;
        case 1:
          if (p < s.size()) s.erase(p, 1);
          break;
        default:
          if (p < s.size()) s[p] = alphabet[rng() % alphabet.size()];
          break;
      }
    }
    try {
      const auto e = parse_sacct(s);
      for (const auto& r : e.rows) {
        EXPECT_LE(r.alloc_cpus, UINT32_MAX);
        EXPECT_GE(r.line, 2u);
      }
    } catch (const std::invalid_argument&) {
    }
  }
}

TEST(Sacct, AllocTresGivesTheGpus) {
  // As sacct 22.05 prints it with AccountingStorageTRES=gres/gpu: the
  // allocation and batch rows carry gres/gpu, the extern step too.
  const std::string text =
      "JobID|JobIDRaw|Cluster|Submit|Start|End|State|AllocCPUS|ElapsedRaw|AllocTRES\n"
      "77|77|basin|2026-11-22T10:00:00|2026-11-22T10:00:01|2026-11-22T10:01:41|COMPLETED|2|100|"
      "billing=2,cpu=2,gres/gpu=2,mem=512M,node=1\n"
      "77.batch|77.batch|basin|2026-11-22T10:00:00|2026-11-22T10:00:01|2026-11-22T10:01:41|"
      "COMPLETED|2|100|cpu=2,gres/gpu=2,mem=512M,node=1\n"
      "78|78|basin|2026-11-22T10:00:00|2026-11-22T10:00:01|2026-11-22T10:00:11|COMPLETED|1|10|"
      "billing=1,cpu=1,mem=256M,node=1\n"
      "79|79|basin|2026-11-22T10:00:00|2026-11-22T10:00:01|2026-11-22T10:00:11|COMPLETED|1|10|"
      "billing=1,cpu=1,gres/gpu:a100=1,gres/gpu:v100=2,mem=256M,node=1\n"
      "80|80|basin|2026-11-22T10:00:00|2026-11-22T10:00:01|2026-11-22T10:00:11|COMPLETED|1|10|"
      "billing=1,cpu=1,gres/gpu=1,gres/gpu:a100=1,mem=256M,node=1\n"
      "81|81|basin|2026-11-22T10:00:00|Unknown|Unknown|PENDING|0|0|\n"
      "82|82|basin|2026-11-22T10:00:00|Unknown|Unknown|FAILED|1|1|cpu=1,gres/gpu=two\n";
  const auto e = parse_sacct(text);
  ASSERT_EQ(e.rows.size(), 6u);
  EXPECT_EQ(e.rows[0].alloc_gpus, 2u);
  EXPECT_EQ(e.rows[0].gpu_seconds(), 200u);
  EXPECT_EQ(e.rows[1].alloc_gpus, 2u);
  EXPECT_EQ(e.rows[2].alloc_gpus, std::nullopt);  // names no GPU
  EXPECT_EQ(e.rows[2].gpu_seconds(), 0u);
  EXPECT_EQ(e.rows[3].alloc_gpus, 3u);  // typed counts only: their sum
  EXPECT_EQ(e.rows[4].alloc_gpus, 1u);  // untyped total preferred over typed
  EXPECT_EQ(e.rows[5].alloc_gpus, std::nullopt);
  ASSERT_EQ(e.issues.size(), 1u);
  EXPECT_EQ(e.issues[0].line, 8u);
  EXPECT_NE(e.issues[0].message.find("gres/gpu count 'two'"), std::string::npos)
      << e.issues[0].message;
  // Without the column, no GPUs are known.
  EXPECT_EQ(parse_sacct(std::string(kHeader) +
                        "41|41|basin|2026-11-22T10:00:00|2026-11-22T10:00:01|"
                        "2026-11-22T10:01:01|COMPLETED|2|60|01:50.000|campus|vol1|0\n")
                .rows.at(0)
                .alloc_gpus,
            std::nullopt);
}

TEST(Sacct, GpusInTresIsStrict) {
  EXPECT_EQ(gpus_in_tres(""), std::nullopt);
  EXPECT_EQ(gpus_in_tres("cpu=1,gres/gpumem=4G"), std::nullopt);
  EXPECT_EQ(gpus_in_tres("gres/gpu=0"), 0u);
  EXPECT_EQ(gpus_in_tres("gres/gpu=1048576"), 1048576u);
  EXPECT_THROW(gpus_in_tres("gres/gpu=1048577"), std::invalid_argument);
  EXPECT_THROW(gpus_in_tres("gres/gpu=-1"), std::invalid_argument);
  EXPECT_THROW(gpus_in_tres("gres/gpu=2K"), std::invalid_argument);
  EXPECT_THROW(gpus_in_tres("gres/gpu=99999999999"), std::invalid_argument);
  EXPECT_THROW(gpus_in_tres("gres/gpu=1,gres/gpu=2"), std::invalid_argument);
  EXPECT_THROW(gpus_in_tres("gres/gpu:a=1048576,gres/gpu:b=1"), std::invalid_argument);
}
