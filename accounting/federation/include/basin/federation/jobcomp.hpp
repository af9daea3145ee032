// Parser for the jobcomp/filetxt log, the second Slurm source for
// reconciliation when a site runs no slurmdbd.
#pragma once

#include <string_view>

#include "basin/federation/sacct.hpp"

namespace basin::federation {

// Slurm 22.05 writes each record with a 1024-byte buffer and silently cuts
// what does not fit; a line this long (or without its final ExitCode=) is
// reported as truncated.
inline constexpr std::size_t kJobcompLineLimit = 1024;

// Parses `JobId=.. JobState=.. StartTime=.. EndTime=.. ProcCnt=.. Cluster=..
// SubmitTime=..` lines into allocation rows (jobcomp has no steps): alloc_cpus
// is ProcCnt, elapsed is EndTime - StartTime, alloc_gpus from Tres=. Times are local without an
// offset (options.utc_offset_seconds applies). Values may contain spaces
// (Name=, WorkDir=): a word without `Key=` continues the previous value.
// Truncated lines are reported; they still yield a row when every field the
// reconciliation needs survived.
SacctExport parse_jobcomp(std::string_view text, const SacctOptions& options = {});

}  // namespace basin::federation
