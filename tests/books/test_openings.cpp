// Signed pair openings: canonical text, strict parsing, provider signatures.
#include <gtest/gtest.h>

#include "basin/books/exchange.hpp"
#include "basin/books/openings.hpp"

using namespace basin;

namespace {

federation::Pool pool_with(const records::NodeKey& campus) {
  federation::Pool p;
  p.name = "demo";
  p.cluster = "basin";
  const auto hex = records::public_key_text(campus.public_key()).substr(8);
  p.sites.push_back(
      {"campus", federation::Tier::institutional, hex, {"campus", {40, 0, 0, 1}}, "", {}, {}});
  p.sites.push_back({"home",
                     federation::Tier::volunteer,
                     std::string(64, 'a'),
                     {"home", {10, 1, 0, 0}},
                     "",
                     {},
                     {}});
  return p;
}

books::SignedOpening opening() {
  books::SignedOpening o;
  o.pool = "demo";
  o.period = "2026-11";
  o.origin = "demo/campus/receipts";
  o.size = 12;
  o.root.fill(7);
  o.opening.provider = "campus";
  o.opening.consumer = "home";
  o.opening.leaves[o.origin] = {0, 1, 2, 3, 4, 7, 9, 10, 11};
  o.opening.micro_credits = 4941;
  o.opening.blinding.fill(1);
  return o;
}

}  // namespace

TEST(Openings, TextIsCanonicalAndRoundTrips) {
  const auto o = opening();
  const auto text = books::opening_text(o);
  EXPECT_NE(text.find("\nleaves 0-4,7,9-11\n"), std::string::npos) << text;
  const auto back = books::parse_opening_text(text);
  EXPECT_EQ(books::opening_text(back), text);
  EXPECT_EQ(back.opening.leaves, o.opening.leaves);
  EXPECT_EQ(back.opening.micro_credits, 4941);
}

TEST(Openings, ParsingIsStrict) {
  const auto text = books::opening_text(opening());
  auto mutate = [&](const std::string& from, const std::string& to) {
    auto t = text;
    t.replace(t.find(from), from.size(), to);
    return t;
  };
  for (const auto& bad : {
           mutate("leaves 0-4,7,9-11", "leaves 0-4,5,9-11"),  // not canonical ranges
           mutate("leaves 0-4,7,9-11", "leaves 7,0-4"),       // not ascending
           mutate("leaves 0-4,7,9-11", "leaves 0-4,7,9-12"),  // beyond the checkpoint
           mutate("micro_credits 4941", "micro_credits 04941"),
           mutate("micro_credits 4941", "micro_credits -1"),
           mutate("pool demo", "pool  demo"),
           mutate("basin-pair-opening/v1", "basin-pair-opening/v2"),
           text + "extra\n",
           text.substr(0, text.size() - 1),
       })
    EXPECT_THROW(books::parse_opening_text(bad), books::OpeningError) << bad;
  auto upper = text;
  upper[upper.find("blinding ") + 9] = 'A';
  EXPECT_THROW(books::parse_opening_text(upper), books::OpeningError);
}

TEST(Openings, OnlyTheProvidersKeyMakesAValidOpening) {
  const auto campus = records::NodeKey::generate();
  const auto pool = pool_with(campus);
  auto seed = campus.seed();
  const auto note = books::sign_opening(opening(), seed);
  EXPECT_EQ(books::verify_opening(note, pool).opening.micro_credits, 4941);

  const auto other = records::NodeKey::generate();
  auto other_seed = other.seed();
  EXPECT_THROW(books::verify_opening(books::sign_opening(opening(), other_seed), pool),
               books::OpeningError);
  // Text changed after signing.
  auto changed = note;
  changed.replace(changed.find("micro_credits 4941"), 18, "micro_credits 4942");
  EXPECT_THROW(books::verify_opening(changed, pool), books::OpeningError);
  // An opening of campus that claims another log.
  auto o = opening();
  o.origin = "demo/home/receipts";
  o.opening.leaves = {{o.origin, {1}}};
  EXPECT_THROW(books::verify_opening(books::sign_opening(o, seed), pool), books::OpeningError);
}
