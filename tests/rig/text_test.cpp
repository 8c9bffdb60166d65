#include "rig/base/text.hpp"

#include <gtest/gtest.h>

#include "rig/base/sha256.hpp"

using namespace lockrig;
using namespace std::chrono_literals;

TEST(ParseDuration, AcceptsEveryDocumentedUnit) {
  EXPECT_EQ(parse_duration("250ms"), Duration(250ms));
  EXPECT_EQ(parse_duration("1.5s"), Duration(1500ms));
  EXPECT_EQ(parse_duration("2m"), Duration(120s));
  EXPECT_EQ(parse_duration("2min"), Duration(120s));
  EXPECT_EQ(parse_duration("1h"), Duration(3600s));
  EXPECT_EQ(parse_duration("30us"), Duration(30us));
}

TEST(ParseDuration, RejectsMissingUnitsNegativesAndGarbage) {
  for (const char* bad : {"5", "5 sec", "-1s", "s", "", "1.2.3s", "5 s", "1d", "ms"})
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
}

TEST(FormatDuration, PicksAReadableUnit) {
  EXPECT_EQ(format_duration(250ms), "250ms");
  EXPECT_EQ(format_duration(1500ms), "1.5s");
  EXPECT_EQ(format_duration(150s), "2m30s");
  EXPECT_EQ(format_duration(3725s), "1h02m05s");
}

TEST(ClosestMatch, SuggestsATypoFixButNotAnUnrelatedWord) {
  const std::vector<std::string> names = {"battery", "rf_shield"};
  EXPECT_EQ(closest_match("batery", names), "battery");
  EXPECT_EQ(closest_match("rf-shield", names), "rf_shield");
  EXPECT_FALSE(closest_match("elephant", names).has_value());
  EXPECT_EQ(did_you_mean("steal", {"wood", "steel"}), " (did you mean \"steel\"?)");
}

TEST(Quote, EscapesQuotesAndControlCharacters) {
  EXPECT_EQ(quote("a\"b"), "\"a\\\"b\"");
  EXPECT_EQ(quote("x\ny"), "\"x\\x0ay\"");
}

TEST(Sha256, MatchesTheFipsTestVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(SplitCommas, ReadsRepeatedCommaSeparatedOptionsAndDropsEmptyItems) {
  EXPECT_EQ(split_commas({"a,b", "c", ",d,,"}), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_TRUE(split_commas({""}).empty());
}

// Issue 17 item 7: the one rule every output applies to journal strings.
TEST(Printable, ReplacesC0AndC1ControlsEscAndDelButKeepsOrdinaryText) {
  EXPECT_EQ(printable("2.4.0 caf\xC3\xA9"), "2.4.0 caf\xC3\xA9");
  EXPECT_EQ(printable("a\x1b[2Jb"), "a\xEF\xBF\xBD[2Jb");
  EXPECT_EQ(printable("bell\x07"), "bell\xEF\xBF\xBD");
  EXPECT_EQ(printable("del\x7f"), "del\xEF\xBF\xBD");
  // U+009B is CSI in one code point: as dangerous as ESC [ on a terminal honouring C1.
  EXPECT_EQ(printable("x\xC2\x9B"
                      "31m"),
            "x\xEF\xBF\xBD"
            "31m");
  EXPECT_EQ(printable("bad\xFF"), "bad\xEF\xBF\xBD");
  // Line breaks: replaced on one-line outputs, kept for documents that lay them out.
  EXPECT_EQ(printable("a\nb\tc\rd"),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD"
            "c\xEF\xBF\xBD"
            "d");
  EXPECT_EQ(printable("a\nb\tc\rd", true), "a\nb\tc\rd");
  EXPECT_EQ(printable("a\x1b"
                      "b",
                      true),
            "a\xEF\xBF\xBD"
            "b");
}

TEST(Printable, MarksEveryBidiOverrideAndIsolateVisibly) {
  // U+202A..U+202E (embeddings, overrides) and U+2066..U+2069 (isolates): CVE-2021-42574.
  EXPECT_EQ(printable("fw \xE2\x80\xAE"
                      "0.3.5"),
            "fw [U+202E]0.3.5");
  EXPECT_EQ(printable("\xE2\x80\xAA|\xE2\x81\xA6|\xE2\x81\xA9"), "[U+202A]|[U+2066]|[U+2069]");
  // Neighbours that reorder nothing pass: U+2029 (paragraph separator), U+206A.
  EXPECT_EQ(printable("\xE2\x80\xA9"), "\xE2\x80\xA9");
  EXPECT_TRUE(has_bidi_control("x\xE2\x80\xAE"));
  EXPECT_FALSE(has_bidi_control("plain \xC3\xA9"));
}
