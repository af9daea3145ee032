// Slurm accounting exports: sacct -P text and the jobcomp/filetxt log. The
// first byte picks the parser.
#include <stdexcept>

#include "basin/federation/jobcomp.hpp"
#include "basin/federation/sacct.hpp"
#include "fuzz_target.hpp"

std::vector<std::vector<std::uint8_t>> basin_fuzz_seeds() {
  return {fuzz_bytes("s"
                     "JobID|JobIDRaw|Cluster|Submit|Start|End|State|AllocCPUS|ElapsedRaw|TotalCPU|"
                     "Account|NodeList\n"
                     "12|12|basin|2026-11-22T10:00:00|2026-11-22T10:00:05|2026-11-22T10:01:05|"
                     "COMPLETED|2|60|01:58.500|lab|vol1\n"
                     "12.batch|12.batch|basin|2026-11-22T10:00:00|2026-11-22T10:00:05|"
                     "2026-11-22T10:01:05|COMPLETED|2|60|1-01:58:00|lab|vol1\n"),
          fuzz_bytes("s"
                     "JobID|JobIDRaw|Cluster|Submit|State|AllocCPUS|ElapsedRaw|AllocTRES\n"
                     "13|13|basin|2026-11-22T10:00:00|COMPLETED|2|60|"
                     "billing=2,cpu=2,gres/gpu=2,mem=512M,node=1\n"
                     "14|14|basin|2026-11-22T10:00:00|COMPLETED|1|60|cpu=1,gres/gpu:a100=1\n"),
          fuzz_bytes("j"
                     "JobId=12 UserId=alice(1000) GroupId=alice(1000) Name=wrap JobState=COMPLETED "
                     "Partition=all TimeLimit=UNLIMITED StartTime=2026-11-22T10:00:05 "
                     "EndTime=2026-11-22T10:01:05 NodeList=vol1 NodeCnt=1 ProcCnt=2 WorkDir=/tmp "
                     "ReservationName= Tres=cpu=2,mem=500M,node=1,billing=2,gres/gpu=1 Account=lab "
                     "QOS=normal "
                     "WcKey= Cluster=basin SubmitTime=2026-11-22T10:00:00 "
                     "EligibleTime=2026-11-22T10:00:00 DerivedExitCode=0:0 ExitCode=0:0\n")};
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    if (data[0] == 'j')
      (void)basin::federation::parse_jobcomp(text);
    else
      (void)basin::federation::parse_sacct(text);
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
