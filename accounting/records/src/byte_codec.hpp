// The usage record's writer and reader: Basin's canonical codec with
// RecordError and kMaxString (text is not checked for UTF-8: version 1
// records never were).
#pragma once

#include "basin/records/byte_codec.hpp"
#include "basin/records/usage_record.hpp"

namespace basin::records::detail {

using ByteWriter = codec::Writer<RecordError, kMaxString, false>;
using ByteReader = codec::Reader<RecordError, kMaxString, false>;

}  // namespace basin::records::detail
