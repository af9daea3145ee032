// The receipt's writer and reader: Basin's canonical codec with ReceiptError,
// kMaxField and strict UTF-8 (text fields are shown as JSON, which must not
// fail on a received receipt).
#pragma once

#include "basin/receipts/receipt.hpp"
#include "basin/records/byte_codec.hpp"

namespace basin::receipts::detail {

using Writer = records::codec::Writer<ReceiptError, kMaxField, true>;
using Reader = records::codec::Reader<ReceiptError, kMaxField, true>;

}  // namespace basin::receipts::detail
