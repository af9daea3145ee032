// Enrolment certificates and revocation lists (basin/federation/enrolment.hpp):
// the strict text formats, their signatures, load_pool's enrolled nodes, and
// the rule deciding which record an enrolment covers.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "basin/common/hex.hpp"
#include "basin/federation/enrolment.hpp"
#include "basin/federation/pool_files.hpp"

using namespace basin::federation;
namespace fs = std::filesystem;
using basin::records::NodeKey;

namespace {

constexpr std::int64_t kT0 = 1796000000;  // 2026-11-29T...
constexpr std::int64_t kDay = 86400;

std::string hex_of(const NodeKey& k) {
  return basin::common::to_hex(k.public_key());
}

EnrolmentTerms terms(const NodeKey& node) {
  EnrolmentTerms t;
  t.node = "vol3";
  t.site = "home";
  t.tier = Tier::volunteer;
  t.node_public_key = hex_of(node);
  t.cpus = 4;
  t.memory_mb = 8000;
  t.gpus = 1;
  t.serial = 3;
  t.not_before = kT0;
  t.not_after = kT0 + 30 * kDay;
  return t;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const EnrolmentError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string cert_error(const std::string& text) {
  return error_of([&] { parse_certificate(text, "vol3.cert"); });
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return s.replace(at, from.size(), to);
}

#define EXPECT_HAS(text, part) \
  EXPECT_NE(std::string(text).find(part), std::string::npos) << "in: " << (text)

struct Keys {
  NodeKey site = NodeKey::generate();
  NodeKey other = NodeKey::generate();
  NodeKey node = NodeKey::generate();
};

}  // namespace

TEST(Enrolment, CertificateRoundTrip) {
  Keys k;
  const auto t = terms(k.node);
  const auto text = sign_certificate(t, k.site);
  EXPECT_TRUE(text.starts_with("basin-enrolment v1\nnode=vol3\nsite=home\ntier=volunteer\n"));
  const auto u = parse_certificate(text, "vol3.cert");
  EXPECT_EQ(u.claimed_site(), "home");
  const auto c = verify_certificate(u, hex_of(k.site));
  EXPECT_EQ(c.terms(), t);
  // Signing is deterministic (Ed25519): one text for one set of terms.
  EXPECT_EQ(sign_certificate(t, k.site), text);
}

TEST(Enrolment, WrongKeyOrAnyTamperedByteFails) {
  Keys k;
  const auto text = sign_certificate(terms(k.node), k.site);
  EXPECT_HAS(
      error_of([&] { verify_certificate(parse_certificate(text, "a.cert"), hex_of(k.other)); }),
      "does not verify with site home's enrolment_key");
  // Every byte, changed: refused by the parser or by the signature.
  for (std::size_t i = 0; i < text.size(); ++i) {
    for (const char delta : {1, 2}) {
      auto t = text;
      t[i] = static_cast<char>(t[i] ^ delta);
      EXPECT_THROW(verify_certificate(parse_certificate(t, "a.cert"), hex_of(k.site)),
                   EnrolmentError)
          << "byte " << i;
    }
  }
  const auto list = sign_revocations({"home", kT0, 1, {{"vol3", 3, kT0, "lost laptop"}}}, k.site);
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto t = list;
    t[i] = static_cast<char>(t[i] ^ 1);
    EXPECT_THROW(verify_revocations(parse_revocations(t, "home.revocations"), hex_of(k.site)),
                 EnrolmentError)
        << "byte " << i;
  }
}

// A certificate's signature is not a revocation list's, nor the other way
// round: each is signed under its own domain.
TEST(Enrolment, DomainsAreSeparate) {
  Keys k;
  const auto cert = sign_certificate(terms(k.node), k.site);
  const auto list = sign_revocations({"home", kT0, 1, {}}, k.site);
  const auto list_sig = list.substr(list.find("signature="));
  const auto empty_body = list.substr(0, list.find("signature="));
  // The list's signature moved onto a certificate body, and vice versa.
  const auto cert_body = cert.substr(0, cert.find("signature="));
  EXPECT_THROW(verify_certificate(parse_certificate(cert_body + list_sig, "x"), hex_of(k.site)),
               EnrolmentError);
  EXPECT_THROW(
      verify_revocations(parse_revocations(empty_body + cert.substr(cert.find("signature=")), "x"),
                         hex_of(k.site)),
      EnrolmentError);
}

TEST(Enrolment, StrictCertificateFormat) {
  Keys k;
  const auto good = sign_certificate(terms(k.node), k.site);
  EXPECT_HAS(cert_error(replace(good, "basin-enrolment v1", "basin-enrolment v2")),
             "upgrade basin");
  EXPECT_HAS(cert_error(replace(good, "basin-enrolment v1", "hello")), "first line must be");
  EXPECT_HAS(cert_error(replace(good, "cpus=4\n", "")), "vol3.cert:6: lacks 'cpus'");
  EXPECT_HAS(cert_error(replace(good, "cpus=4\n", "cpus=4\ncpus=4\n")), "appears twice");
  EXPECT_HAS(cert_error(replace(good, "cpus=4\nmemory_mb=8000\n", "memory_mb=8000\ncpus=4\n")),
             "out of order");
  EXPECT_HAS(cert_error(replace(good, "cpus=4\n", "cpu=4\n")), "unknown key 'cpu'");
  EXPECT_HAS(cert_error(replace(good, "cpus=4\n", "cpus 4\n")), "not key=value");
  EXPECT_HAS(cert_error(replace(good, "cpus=4", "cpus=04")), "no leading zero");
  EXPECT_HAS(cert_error(replace(good, "cpus=4", "cpus=+4")), "not a decimal");
  EXPECT_HAS(cert_error(replace(good, "cpus=4", "cpus=0")), "outside 1..");
  EXPECT_HAS(cert_error(replace(good, "gpus=1", "gpus=65")), "outside 0..64");
  EXPECT_HAS(cert_error(replace(good, "memory_mb=8000", "memory_mb=99999999999999")), "outside");
  EXPECT_HAS(cert_error(replace(good, "serial=3", "serial=0")), "outside 1..");
  EXPECT_HAS(cert_error(replace(good, "node=vol3", "node=Vol3")), "not a Slurm node name");
  EXPECT_HAS(cert_error(replace(good, "node=vol3", "node=" + std::string(65, 'a'))),
             "not a Slurm node name");
  EXPECT_HAS(cert_error(replace(good, "node=vol3", "node=")), "not a Slurm node name");
  EXPECT_HAS(cert_error(replace(good, "site=home", "site=ho me")), "not a site name");
  EXPECT_HAS(cert_error(replace(good, "tier=volunteer", "tier=gold")), "neither");
  EXPECT_HAS(cert_error(replace(good, "public_key=" + hex_of(k.node).substr(0, 2),
                                "public_key=" + std::string("ZZ"))),
             "64 lower-case hex");
  auto upper = hex_of(k.node);
  for (auto& c : upper) c = static_cast<char>(std::toupper(c));
  EXPECT_HAS(cert_error(replace(good, hex_of(k.node), upper)), "64 lower-case hex");
  EXPECT_HAS(cert_error(replace(good, "signature=", "signature=00")), "128 lower-case hex");
  EXPECT_HAS(cert_error(good + "extra\n"), "nothing may follow");
  EXPECT_HAS(cert_error(good.substr(0, good.size() - 1)), "does not end with a newline");
  EXPECT_HAS(cert_error(good.substr(0, good.find("signature="))), "lacks its signature line");
  EXPECT_HAS(cert_error(replace(good, "\nsite=", "\r\nsite=")), "control character 0x0d");
  EXPECT_HAS(cert_error(replace(good, "site=home", std::string("site=ho\0me", 10))),
             "control character 0x00");
  EXPECT_HAS(cert_error(""), "empty");
  EXPECT_HAS(cert_error(good + std::string(kMaxCertificateFile, '\n')), "larger than 4096");
  // Times: before 2020, not after not_before, longer than 400 days.
  EXPECT_HAS(cert_error(replace(good, "not_before=" + std::to_string(kT0), "not_before=1000")),
             "outside 1577836800..");
  auto t = terms(k.node);
  t.not_after = t.not_before;
  EXPECT_HAS(error_of([&] { sign_certificate(t, k.site); }), "is not after not_before");
  t.not_after = t.not_before + kMaxEnrolmentValidity;
  EXPECT_NO_THROW(sign_certificate(t, k.site));
  t.not_after += 1;
  EXPECT_HAS(error_of([&] { sign_certificate(t, k.site); }), "more than 400 days");
}

TEST(Enrolment, RevocationListFormatAndUpdate) {
  Keys k;
  const auto first =
      add_revocation(nullptr, "home", {"vol3", 3, kT0 + 10, "lost laptop"}, kT0 + 20);
  EXPECT_EQ(first.sequence, 1u);
  EXPECT_EQ(first.issued_at, kT0 + 20);
  const auto text = sign_revocations(first, k.site);
  EXPECT_HAS(text, "\nrevoke=vol3 3 " + std::to_string(kT0 + 10) + " lost laptop\n");
  const auto list = verify_revocations(parse_revocations(text, "home.revocations"), hex_of(k.site));
  EXPECT_EQ(list.terms(), first);
  auto second = add_revocation(&list, "home", {"vol1", 9, kT0 + 30, "left the project"}, kT0 + 40);
  EXPECT_EQ(second.sequence, 2u);
  ASSERT_EQ(second.entries.size(), 2u);
  EXPECT_EQ(second.entries[0].node, "vol1");  // sorted by node, then serial
  EXPECT_HAS(error_of([&] {
               add_revocation(&list, "home", {"vol3", 3, kT0, "again"}, kT0 + 50);
             }),
             "already revoked");
  EXPECT_HAS(error_of([&] {
               add_revocation(&list, "away", {"vol4", 3, kT0, "x"}, kT0 + 50);
             }),
             "not site away's");
  EXPECT_HAS(error_of([&] {
               add_revocation(nullptr, "home", {"vol4", 1, kT0 + 99, "x"}, kT0);
             }),
             "in the future");

  auto err = [&](const std::string& t) {
    return error_of([&] { parse_revocations(t, "home.revocations"); });
  };
  const auto two = sign_revocations(second, k.site);
  const auto l1 = "revoke=vol1 9 " + std::to_string(kT0 + 30) + " left the project\n";
  const auto l2 = "revoke=vol3 3 " + std::to_string(kT0 + 10) + " lost laptop\n";
  EXPECT_HAS(err(replace(two, l1 + l2, l2 + l1)), "duplicate or out of order");
  EXPECT_HAS(err(replace(two, l1 + l2, l2 + l2)), "duplicate or out of order");
  EXPECT_HAS(err(replace(two, "lost laptop", "lost\x1b[2Jlaptop")), "control character 0x1b");
  EXPECT_HAS(err(replace(two, "lost laptop", "lost laptop ")), "without leading or trailing");
  EXPECT_HAS(err(replace(two, "lost laptop", std::string(201, 'x'))), "1-200 bytes");
  EXPECT_HAS(err(replace(two, "lost laptop", "\xff\xfe")), "UTF-8");
  EXPECT_HAS(err(replace(two, " lost laptop", "")), "a revocation is");
  EXPECT_HAS(err(replace(two, "revoke=vol3 3 " + std::to_string(kT0 + 10),
                         "revoke=vol3 3 " + std::to_string(kT0 + 41))),
             "cannot be scheduled");
  EXPECT_HAS(err(replace(two, "sequence=2\n", "")), "lacks 'sequence'");
  EXPECT_HAS(err(replace(two, "sequence=2", "sequence=0")), "outside 1..");
  EXPECT_HAS(err(replace(two, "basin-revocations v1", "basin-enrolment v1")), "first line");
  EXPECT_HAS(err(replace(two, "revoke=vol1", "revoked=vol1")), "unknown or extra line");
}

namespace {

Node enrolled(std::vector<Enrolment> e) {
  Node n;
  n.name = "vol3";
  n.site = "home";
  n.enrolments = std::move(e);
  return n;
}

Enrolment window(std::uint64_t serial, std::int64_t from, std::int64_t to) {
  Enrolment e;
  e.serial = serial;
  e.not_before = from;
  e.not_after = to;
  return e;
}

}  // namespace

TEST(Enrolment, DecisionBoundaries) {
  Node static_node;
  static_node.name = "inst1";
  EXPECT_EQ(decide_enrolment(static_node, 0).status, EnrolmentStatus::static_node);

  const auto n = enrolled({window(3, kT0, kT0 + 10 * kDay)});
  EXPECT_EQ(decide_enrolment(n, kT0 - 1).status, EnrolmentStatus::not_yet_valid);
  EXPECT_EQ(decide_enrolment(n, kT0).status, EnrolmentStatus::covered);
  EXPECT_EQ(decide_enrolment(n, kT0 + 10 * kDay).status, EnrolmentStatus::covered);
  const auto late = decide_enrolment(n, kT0 + 10 * kDay + 1);
  EXPECT_EQ(late.status, EnrolmentStatus::expired);
  EXPECT_FALSE(late.accepted());
  EXPECT_HAS(late.reason, "node vol3's enrolment (site home, serial 3) expired at");
  EXPECT_HAS(decide_enrolment(n, kT0 - 1).reason, "is valid from");

  auto r = window(3, kT0, kT0 + 10 * kDay);
  r.revoked_at = kT0 + 5 * kDay;
  r.revocation_reason = "lost laptop";
  const auto revoked = enrolled({r});
  const auto before = decide_enrolment(revoked, kT0 + 5 * kDay - 1);
  EXPECT_EQ(before.status, EnrolmentStatus::covered_before_revocation);
  EXPECT_TRUE(before.accepted());
  EXPECT_HAS(before.reason,
             "made by node vol3 before its revocation at " + utc_text(kT0 + 5 * kDay));
  const auto at = decide_enrolment(revoked, kT0 + 5 * kDay);
  EXPECT_EQ(at.status, EnrolmentStatus::revoked);
  EXPECT_FALSE(at.accepted());
  EXPECT_HAS(at.reason, "node vol3's enrolment (site home, serial 3) was revoked at " +
                            utc_text(kT0 + 5 * kDay) + " (reason: lost laptop)");
  EXPECT_HAS(at.reason, "refused");
  EXPECT_EQ(decide_enrolment(revoked, kT0 + 20 * kDay).status, EnrolmentStatus::expired);

  // A renewal (serial 4) covers its own window without a flag, even where a
  // revoked predecessor overlaps it.
  auto renewal = window(4, kT0 + 4 * kDay, kT0 + 40 * kDay);
  const auto both = enrolled({r, renewal});
  EXPECT_EQ(decide_enrolment(both, kT0 + 6 * kDay).status, EnrolmentStatus::covered);
  EXPECT_EQ(decide_enrolment(both, kT0 + 6 * kDay).enrolment->serial, 4u);
  EXPECT_EQ(decide_enrolment(both, kT0 + 2 * kDay).status,
            EnrolmentStatus::covered_before_revocation);
  EXPECT_EQ(utc_text(1796220000), "2026-12-02T14:00:00Z");
}

namespace {

struct PoolDir {
  fs::path path = fs::temp_directory_path() / ("basin-enrol-" + std::to_string(::getpid()));
  Keys k;
  PoolDir() {
    fs::remove_all(path);
    fs::create_directories(path / "enrolled");
    write("pool.toml", pool_toml(hex_of(k.site)));
  }
  ~PoolDir() { fs::remove_all(path); }
  std::string pool_toml(const std::string& enrolment_key, const std::string& extra = "") const {
    return "[pool]\nname = \"p\"\ncluster = \"basin\"\n\n[[site]]\nname = \"home\"\n"
           "tier = \"volunteer\"\nsigning_key = \"" +
           std::string(64, 'a') + "\"\nenrolment_key = \"" + enrolment_key +
           "\"\n[site.rates]\ncore_second = 1\nmem_mb_second = 0\ngpu_second = 0\n"
           "wall_second = 0\n" +
           extra;
  }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
  }
  std::string pool() const { return (path / "pool.toml").string(); }
  std::string load_error() const {
    try {
      load_pool(pool());
    } catch (const PoolError& e) {
      return e.what();
    }
    return "(no error)";
  }
};

}  // namespace

TEST(Enrolment, LoadPoolAddsEnrolledNodesAndRevocations) {
  PoolDir d;
  auto t = terms(d.k.node);
  d.write("enrolled/vol3.3.cert", sign_certificate(t, d.k.site));
  t.serial = 4;
  t.cpus = 8;
  t.not_before += 20 * kDay;
  t.not_after += 20 * kDay;
  d.write("enrolled/vol3.4.cert", sign_certificate(t, d.k.site));
  d.write("enrolled/home.revocations",
          sign_revocations({"home", kT0 + kDay, 1, {{"vol3", 3, kT0 + kDay, "lost laptop"}}},
                           d.k.site));
  const auto p = load_pool(d.pool());
  ASSERT_EQ(p.nodes.size(), 1u);
  const auto& n = p.nodes[0];
  EXPECT_EQ(n.name, "vol3");
  EXPECT_EQ(n.public_key, hex_of(d.k.node));
  EXPECT_EQ(n.cpus, 8u);  // the latest certificate's size
  ASSERT_EQ(n.enrolments.size(), 2u);
  EXPECT_EQ(n.enrolments[0].revoked_at, kT0 + kDay);
  EXPECT_EQ(n.enrolments[0].revocation_reason, "lost laptop");
  EXPECT_FALSE(n.enrolments[1].revoked_at);
  // Never written back into pool.toml, never a static NodeName line.
  EXPECT_EQ(render_pool(p).find("vol3"), std::string::npos);
  EXPECT_EQ(render_slurm_nodes(p).find("NodeName=vol3"), std::string::npos);
  save_pool(d.pool(), p);
  EXPECT_EQ(load_pool(d.pool()).nodes.size(), 1u);
  EXPECT_EQ(load_pool_toml(d.pool()).nodes.size(), 0u);
}

TEST(Enrolment, LoadPoolRefusesWhatItCannotTrust) {
  PoolDir d;
  const auto good = sign_certificate(terms(d.k.node), d.k.site);
  // One byte changed: named with the file.
  d.write("enrolled/vol3.cert", replace(good, "cpus=4", "cpus=5"));
  EXPECT_HAS(d.load_error(), "vol3.cert: the signature does not verify");
  // Signed by another key.
  d.write("enrolled/vol3.cert", sign_certificate(terms(d.k.node), d.k.other));
  EXPECT_HAS(d.load_error(), "vol3.cert: the signature does not verify");
  d.write("enrolled/vol3.cert", good);
  EXPECT_EQ(d.load_error(), "(no error)");
  // Another certificate for vol3 with another key.
  auto t = terms(d.k.other);
  t.serial = 5;
  d.write("enrolled/vol3b.cert", sign_certificate(t, d.k.site));
  EXPECT_HAS(d.load_error(), "a node has one key");
  // The same serial twice.
  t = terms(d.k.node);
  d.write("enrolled/vol3b.cert", sign_certificate(t, d.k.site));
  EXPECT_HAS(d.load_error(), "serials are unique within a site");
  fs::remove(d.path / "enrolled/vol3b.cert");
  // A wrong tier.
  t.tier = Tier::institutional;
  t.serial = 6;
  d.write("enrolled/vol3c.cert", sign_certificate(t, d.k.site));
  EXPECT_HAS(d.load_error(), "re-enrol the node with --tier volunteer");
  fs::remove(d.path / "enrolled/vol3c.cert");
  // A stray file.
  d.write("enrolled/vol3.crt", "x");
  EXPECT_HAS(d.load_error(), "not a *.cert or *.revocations file");
  fs::remove(d.path / "enrolled/vol3.crt");
  // A node pool.toml also lists.
  d.write("pool.toml", d.pool_toml(hex_of(d.k.site),
                                   "\n[[node]]\nname = \"vol3\"\nsite = \"home\"\n"
                                   "public_key = \"" +
                                       std::string(64, 'c') + "\"\ncpus = 2\nmemory_mb = 2000\n"));
  EXPECT_HAS(d.load_error(), "lists as a [[node]]");
  // A site without an enrolment key.
  d.write("pool.toml", replace(d.pool_toml(hex_of(d.k.site)),
                               "enrolment_key = \"" + hex_of(d.k.site) + "\"\n", ""));
  EXPECT_HAS(d.load_error(), "has no enrolment_key");
  // enrolment_key equal to the signing key.
  d.write("pool.toml", d.pool_toml(std::string(64, 'a')));
  EXPECT_HAS(d.load_error(), "make a key of its own");
  // An explicit directory that is missing.
  d.write("pool.toml", replace(d.pool_toml(hex_of(d.k.site)), "cluster = \"basin\"\n",
                               "cluster = \"basin\"\nenrolments = \"certs\"\n"));
  EXPECT_HAS(d.load_error(), "is not a directory");
  fs::create_directories(d.path / "certs");
  EXPECT_EQ(load_pool(d.pool()).nodes.size(), 0u);
  EXPECT_HAS(render_pool(load_pool(d.pool())), "enrolments = 'certs'");
}
