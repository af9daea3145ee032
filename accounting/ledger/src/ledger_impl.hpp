// The ledger's private state, shared by its source files.
#pragma once

#include <string>

#include "basin/ledger/ledger.hpp"
#include "sqlite_handle.hpp"

namespace basin::ledger {

struct Ledger::Impl {
  Impl(const std::string& path, bool create) : db(path, create) {}
  detail::Db db;
};

}  // namespace basin::ledger
