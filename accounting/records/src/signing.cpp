#include "basin/records/signing.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <system_error>

#include "basin/common/durable_file.hpp"
#include "basin/common/hex.hpp"
#include "basin/common/sodium.hpp"
#include "basin/records/record_checks.hpp"
#include "byte_codec.hpp"

namespace basin::records {
namespace {

constexpr char kMagic[8] = {'B', 'A', 'S', 'I', 'N', 'R', 'E', 'C'};
constexpr std::uint16_t kFileVersion = 1;
constexpr char kDomain[] = "basin/usage-record/v1\n";
constexpr char kSecretPrefix[] = "ed25519-secret:";
constexpr char kPublicPrefix[] = "ed25519:";

std::vector<std::uint8_t> signed_message(std::span<const std::uint8_t> body) {
  std::vector<std::uint8_t> msg(kDomain, kDomain + sizeof(kDomain) - 1);
  msg.insert(msg.end(), body.begin(), body.end());
  return msg;
}

struct SplitFile {
  std::span<const std::uint8_t> body;     // magic .. payload
  std::span<const std::uint8_t> payload;  // the record encoding
  std::span<const std::uint8_t> signature;
};

SplitFile split(std::span<const std::uint8_t> file) {
  if (file.size() > kMaxRecordFile) throw RecordError("file larger than any record");
  detail::ByteReader in(file);
  auto magic = in.get_bytes(sizeof(kMagic), "magic");
  if (std::memcmp(magic.data(), kMagic, sizeof(kMagic)) != 0)
    throw RecordError("not a Basin record (bad magic)");
  const auto version = in.get<std::uint16_t>("file version");
  if (version != kFileVersion)
    throw RecordError("unsupported record file version " + std::to_string(version));
  const auto len = in.get<std::uint32_t>("payload length");
  if (len + kSignatureBytes != in.remaining())
    throw RecordError("payload length " + std::to_string(len) + " does not match the file size");
  SplitFile s;
  s.payload = in.get_bytes(len, "payload");
  s.body = file.first(file.size() - kSignatureBytes);
  s.signature = in.get_bytes(kSignatureBytes, "signature");
  return s;
}

}  // namespace

NodeKey NodeKey::generate() {
  common::ensure_sodium();
  NodeKey k;
  crypto_sign_keypair(k.public_.data(), k.secret_.data());
  return k;
}

void check_secret_key_file(int fd, const std::string& path, bool root_only) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    throw RecordError("key file " + path + " is not a regular file");
  const uid_t owner = root_only ? 0 : ::geteuid();
  if (st.st_uid != owner)
    throw RecordError("key file " + path + " is owned by uid " + std::to_string(st.st_uid) +
                      ", not by uid " + std::to_string(owner) +
                      ": a secret key must belong to the user who uses it (chown " +
                      std::to_string(owner) + " " + path + ")");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    throw RecordError("key file " + path + " has mode " + mode +
                      ": others could read the secret (chmod 600 " + path + ")");
  }
}

SecretText::~SecretText() {
  sodium_memzero(text_.data(), text_.size());
}

SecretText::SecretText(SecretText&& other) noexcept {
  // A moved std::string may leave short text in the source's inline buffer.
  try {
    text_ = other.text_;
  } catch (...) {
  }
  sodium_memzero(other.text_.data(), other.text_.size());
  other.text_.clear();
}

std::string_view SecretText::text() const {
  std::string_view t = text_;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.remove_suffix(1);
  return t;
}

SecretText read_secret_key_file(const std::string& path, bool root_only, std::size_t max_bytes,
                                const std::string& what, const std::string& how_to_create) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    throw RecordError("cannot open " + what + " " + path + ": " + std::strerror(errno) + " (" +
                      how_to_create + ")");
  std::string text(max_bytes + 1, '\0');
  std::size_t got = 0;
  bool failed = false;
  try {
    check_secret_key_file(fd, path, root_only);
    for (ssize_t n; got < text.size();) {
      n = ::read(fd, text.data() + got, text.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        failed = n < 0;
        break;
      }
      got += static_cast<std::size_t>(n);
    }
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  text.resize(got);
  SecretText out(std::move(text));  // wiped from here on, whatever happens
  if (failed) throw RecordError(what + " " + path + " is unreadable");
  if (got > max_bytes)
    throw RecordError(what + " " + path + " is larger than " + std::to_string(max_bytes) +
                      " bytes: not a key file");
  return out;
}

NodeKey NodeKey::load(const std::string& path, bool require_root_only) {
  common::ensure_sodium();
  const SecretText file = read_secret_key_file(path, require_root_only, 255, "key file",
                                               "generate one with `basin records keygen`");
  const std::string_view text = file.text();
  if (!text.starts_with(kSecretPrefix))
    throw RecordError("key file " + path + " does not start with '" + kSecretPrefix + "'");
  std::array<std::uint8_t, crypto_sign_SEEDBYTES> seed{};
  const bool ok = common::from_hex(text.substr(sizeof(kSecretPrefix) - 1), seed);
  if (!ok) throw RecordError("key file " + path + " does not hold 64 hex digits after the prefix");
  NodeKey k;
  crypto_sign_seed_keypair(k.public_.data(), k.secret_.data(), seed.data());
  sodium_memzero(seed.data(), seed.size());
  return k;
}

NodeKey::~NodeKey() {
  sodium_memzero(secret_.data(), secret_.size());
}
NodeKey::NodeKey(NodeKey&& o) noexcept : secret_(o.secret_), public_(o.public_) {
  sodium_memzero(o.secret_.data(), o.secret_.size());
}
NodeKey& NodeKey::operator=(NodeKey&& o) noexcept {
  secret_ = o.secret_;
  public_ = o.public_;
  sodium_memzero(o.secret_.data(), o.secret_.size());
  return *this;
}

std::string NodeKey::secret_file_text() const {
  return std::string(kSecretPrefix) +
         common::to_hex(std::span(secret_.data(), crypto_sign_SEEDBYTES)) + "\n";
}

std::array<std::uint8_t, 32> NodeKey::seed() const {
  std::array<std::uint8_t, 32> s{};
  std::copy(secret_.begin(), secret_.begin() + s.size(), s.begin());
  return s;
}

std::array<std::uint8_t, kSignatureBytes> NodeKey::sign(std::span<const std::uint8_t> msg) const {
  std::array<std::uint8_t, kSignatureBytes> sig{};
  crypto_sign_detached(sig.data(), nullptr, msg.data(), msg.size(), secret_.data());
  return sig;
}

std::string public_key_text(const PublicKey& key) {
  return kPublicPrefix + common::to_hex(key);
}

KeyRing KeyRing::parse(const std::string& text, const std::string& source) {
  KeyRing ring;
  std::istringstream lines(text);
  std::string line;
  for (int lineno = 1; std::getline(lines, line); ++lineno) {
    const auto where = source + ":" + std::to_string(lineno) + ": ";
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string node, key, extra;
    fields >> node >> key;
    if (node.empty() || key.empty() || (fields >> extra))
      throw RecordError(where + "expected '<node> ed25519:<64 hex>'");
    if (key.rfind(kPublicPrefix, 0) != 0)
      throw RecordError(where + "key must start with '" + kPublicPrefix + "'");
    PublicKey pk{};
    if (!common::from_hex(std::string_view(key).substr(sizeof(kPublicPrefix) - 1), pk))
      throw RecordError(where + "key must be 64 hex digits");
    if (ring.find(node)) throw RecordError(where + "node '" + node + "' listed twice");
    ring.add(node, pk);
  }
  return ring;
}

KeyRing KeyRing::load(const std::string& path) {
  const auto bytes = common::read_file(path, 16 * 1024 * 1024);
  return parse(std::string(bytes.begin(), bytes.end()), path);
}

void KeyRing::add(const std::string& node, const PublicKey& key) {
  keys_[node] = key;
}

const PublicKey* KeyRing::find(const std::string& node) const {
  auto it = keys_.find(node);
  return it == keys_.end() ? nullptr : &it->second;
}

std::vector<std::uint8_t> sign_record(const UsageRecord& record, const NodeKey& key) {
  const auto payload = encode(record);
  detail::ByteWriter w;
  w.put_bytes(std::span(reinterpret_cast<const std::uint8_t*>(kMagic), sizeof(kMagic)));
  w.put<std::uint16_t>(kFileVersion);
  w.put<std::uint32_t>(static_cast<std::uint32_t>(payload.size()));
  w.put_bytes(payload);
  auto file = w.take();
  const auto sig = key.sign(signed_message(file));
  file.insert(file.end(), sig.begin(), sig.end());
  return file;
}

UsageRecord parse_signed_record(std::span<const std::uint8_t> file) {
  return decode(split(file).payload);
}

SignatureClaim signature_claim(std::span<const std::uint8_t> file, const KeyRing& keys) {
  const auto parts = split(file);
  SignatureClaim c;
  c.record = decode(parts.payload);
  const PublicKey* pk = keys.find(c.record.node);
  // The node name is the record's, not yet trusted: printed escaped.
  if (!pk)
    throw RecordError("no public key for node '" + printable(c.record.node) + "' in the keys file");
  c.key = *pk;
  c.message = signed_message(parts.body);
  std::copy(parts.signature.begin(), parts.signature.end(), c.signature.begin());
  return c;
}

std::string bad_signature_reason(const UsageRecord& record) {
  return "bad signature: not signed by node '" + printable(record.node) + "'s key";
}

UsageRecord verify_signed_record(std::span<const std::uint8_t> file, const KeyRing& keys) {
  common::ensure_sodium();
  auto c = signature_claim(file, keys);
  if (crypto_sign_verify_detached(c.signature.data(), c.message.data(), c.message.size(),
                                  c.key.data()) != 0)
    throw RecordError(bad_signature_reason(c.record));
  return std::move(c.record);
}

}  // namespace basin::records
