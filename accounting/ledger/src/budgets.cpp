// Credit budgets in the ledger: the grants, and which periods are settled.
#include <ctime>

#include "basin/ledger/ledger.hpp"
#include "ledger_impl.hpp"

namespace basin::ledger {

using detail::Stmt;
using detail::Transaction;

void Ledger::grant_budget(const BudgetGrant& g) {
  Transaction tx(impl_->db);
  Stmt ins(impl_->db,
           "INSERT INTO budget_grants (account, micro_credits, note, granted_at) VALUES (?,?,?,?)");
  ins.bind(1, g.account)
      .bind(2, g.micro_credits)
      .bind(3, g.note)
      .bind(4, g.granted_at != 0 ? g.granted_at : static_cast<std::int64_t>(std::time(nullptr)))
      .step();
  tx.commit();
}

std::vector<BudgetGrant> Ledger::budget_grants() const {
  std::vector<BudgetGrant> out;
  Stmt q(impl_->db,
         "SELECT account, micro_credits, note, granted_at FROM budget_grants ORDER BY id");
  while (q.step()) out.push_back({q.col_text(0), q.col_int(1), q.col_text(2), q.col_int(3)});
  return out;
}

void Ledger::record_settlement(const std::string& period, const std::string& sha256_hex) {
  Transaction tx(impl_->db);
  Stmt ins(impl_->db,
           "INSERT INTO settled_periods (period, statement_sha256, settled_at) VALUES (?,?,?) "
           "ON CONFLICT(period) DO UPDATE SET statement_sha256 = excluded.statement_sha256, "
           "settled_at = excluded.settled_at");
  ins.bind(1, period).bind(2, sha256_hex).bind(3, static_cast<std::int64_t>(std::time(nullptr)));
  ins.step();
  tx.commit();
}

std::vector<SettledPeriod> Ledger::settled_periods() const {
  std::vector<SettledPeriod> out;
  Stmt q(impl_->db,
         "SELECT period, statement_sha256, settled_at FROM settled_periods ORDER BY period");
  while (q.step()) out.push_back({q.col_text(0), q.col_text(1), q.col_int(2)});
  return out;
}

}  // namespace basin::ledger
