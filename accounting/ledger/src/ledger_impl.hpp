// The ledger's private state, shared by its source files.
#pragma once

#include <string>

#include "basin/ledger/ledger.hpp"
#include "sqlite_handle.hpp"

namespace basin::ledger {

struct Ledger::Impl {
  explicit Impl(const std::string& path) : db(path) {}
  detail::Db db;
};

}  // namespace basin::ledger
