#include "annotators/wire.hpp"

#include <gtest/gtest.h>

#include "core/rng.hpp"

namespace lantern::annotators::wire {
namespace {

TEST(Wire, RequestsAndRepliesRoundTrip) {
  request r;
  r.type = msg::annotate;
  r.id = 0x1122334455667788ULL;
  r.deadline_ms = 1500;
  r.items = {item{kind::classification, "nethack", "gold", std::string("bytes \0\xff ok", 10), ""},
             item{kind::ranking, "textworld", "quest", "a", "b"}};
  auto back = decode_request(encode_request(r));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->id, r.id);
  EXPECT_EQ(back->deadline_ms, 1500u);
  ASSERT_EQ(back->items.size(), 2u);
  EXPECT_EQ(back->items[0].caption, r.items[0].caption);
  EXPECT_EQ(back->items[1].k, kind::ranking);
  EXPECT_EQ(back->items[1].caption2, "b");

  reply rep;
  rep.type = msg::annotate_reply;
  rep.id = 9;
  answer a;
  a.result = outcome::labelled;
  a.lab.value = tie;
  a.lab.from = provenance{"openai", "m", "v1", 12.5, true};
  rep.answers = {a, answer{outcome::error, {}, "busy"}};
  auto rb = decode_reply(encode_reply(rep));
  ASSERT_TRUE(rb);
  EXPECT_EQ(rb->answers[0].lab.value, tie);
  EXPECT_TRUE(rb->answers[0].lab.from.resolved_by_policy);
  EXPECT_DOUBLE_EQ(rb->answers[0].lab.from.created_at, 12.5);
  EXPECT_EQ(rb->answers[1].error, "busy");
}

TEST(Wire, TheLayoutIsTheDocumentedOne) {
  request r;
  r.type = msg::annotate;
  r.id = 1;
  r.deadline_ms = 2;
  r.items = {item{kind::classification, "d", "g", "c", ""}};
  const std::string b = encode_request(r);
  // magic, version, type, id (8), deadline (4), count (4), kind, 4 strings (4-byte lengths)
  EXPECT_EQ(b.substr(0, 4), "LNAN");
  EXPECT_EQ(b[4], 1);
  EXPECT_EQ(b[5], 1);
  EXPECT_EQ(b.size(), 4u + 1 + 1 + 8 + 4 + 4 + 1 + (4 + 1) * 3 + 4);
}

TEST(Wire, MalformedInputIsAnErrorNeverACrash) {
  EXPECT_FALSE(decode_request(""));
  EXPECT_FALSE(decode_request("LNAN"));
  EXPECT_NE(decode_request(std::string("XXXX\x01\x01", 6) + std::string(8, '\0')).error().message.find("bad magic"),
            std::string::npos);
  EXPECT_NE(decode_request(std::string("LNAN\x02\x01", 6) + std::string(8, '\0')).error().message.find("version 2"),
            std::string::npos);
  request r;
  r.type = msg::annotate;
  r.items = {item{kind::classification, "d", "g", "caption", ""}};
  std::string b = encode_request(r);
  for (size_t cut = 0; cut < b.size(); ++cut) EXPECT_FALSE(decode_request(b.substr(0, cut))) << cut;
  core::pcg32 rng(3);
  for (int i = 0; i < 200000; ++i) {
    std::string junk = i % 2 ? b : std::string();
    size_t n = rng.below(64);
    for (size_t k = 0; k < n; ++k) {
      if (!junk.empty() && rng.chance(0.5)) junk[rng.below(static_cast<uint32_t>(junk.size()))] = static_cast<char>(rng.next());
      else junk += static_cast<char>(rng.next());
    }
    auto d = decode_request(junk);  // must not crash, whatever it says
    auto e = decode_reply(junk);
    (void)d;
    (void)e;
  }
}

}  // namespace
}  // namespace lantern::annotators::wire
