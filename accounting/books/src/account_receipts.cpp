// An account's receipts, opened with its key (books/account_receipts.hpp).
#include "basin/books/account_receipts.hpp"

#include <sodium.h>

#include <map>
#include <stdexcept>

namespace basin::books {

std::vector<AccountReceipt> account_receipts(const ledger::Ledger& ledger,
                                             const receipts::AccountKey& key,
                                             const receipts::Trust* trust) {
  // The signed record each receipt was issued for, as the ledger holds it.
  std::map<std::int64_t, std::string> content_hash;
  for (const auto& rec : ledger.records()) content_hash[rec.id] = rec.content_hash;
  std::vector<AccountReceipt> out;
  for (const auto& s : ledger.receipts()) {
    receipts::Receipt r;
    try {
      r = receipts::decode(s.bytes);
    } catch (const std::exception&) {
      continue;  // `verify` names malformed receipts
    }
    std::vector<std::uint8_t> plain(r.sealed_opening.size() - crypto_box_SEALBYTES);
    const bool mine =
        crypto_box_seal_open(plain.data(), r.sealed_opening.data(), r.sealed_opening.size(),
                             key.public_key().data(), key.secret_key().data()) == 0;
    sodium_memzero(plain.data(), plain.size());
    if (!mine) continue;
    AccountReceipt a;
    a.leaf_index = s.leaf_index;
    a.identity = s.identity;
    a.period = r.period;
    try {
      a.opening = receipts::open_receipt(r, key);
      // Openings since version 3 name the node-signed record's hash.
      if (a.opening.record_hash != crypto::Bytes32{}) {
        const auto held = content_hash.find(s.record_id);
        const auto named = receipts::parse_hex32(
            held == content_hash.end() ? std::string(64, '0') : held->second, "content hash");
        if (named != a.opening.record_hash)
          throw std::runtime_error(
              "its opening names another signed record than the one the ledger holds for " +
              s.identity + " (a swapped record)");
      }
      if (const auto* card =
              trust ? receipts::find_card(*trust, r.provider_site, r.rate_card_id) : nullptr)
        a.credit = receipts::credit_of(a.opening, *card);
    } catch (const std::exception& e) {
      a.problem = e.what();
    }
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace basin::books
