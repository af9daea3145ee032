// Record files on disk (their bytes are written and read with
// basin/common/durable_file.hpp).
#pragma once

#include <string>
#include <vector>

namespace basin::records {

// Record files named by `paths`: a directory stands for every *.basinrec file
// in it (in name order), anything else for itself.
std::vector<std::string> list_record_files(const std::vector<std::string>& paths);

}  // namespace basin::records
