// The catalog is the one table of series: these checks keep its names in the ecosystem's style
// and the README's table of metrics in step with it.
#include "stats/catalog.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace callcast::stats {
namespace {

bool valid_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

TEST(Catalog, NamesAreUniqueAndPrefixed) {
  std::set<std::string_view> seen;
  for (const Metric* m : kAll) {
    EXPECT_TRUE(seen.insert(m->name).second) << m->name;
    EXPECT_TRUE(m->name.starts_with("callcast_")) << m->name;
    EXPECT_TRUE(valid_name(m->name)) << m->name;
    EXPECT_FALSE(m->help.empty()) << m->name;
    for (const std::string_view label : m->labels) {
      EXPECT_TRUE(valid_name(label)) << m->name << " " << label;
      EXPECT_NE(label, "le") << m->name;
    }
  }
}

TEST(Catalog, CountersEndInTotalAndOthersDoNot) {
  for (const Metric* m : kAll) {
    EXPECT_EQ(m->kind == Kind::counter, m->name.ends_with("_total")) << m->name;
  }
}

TEST(Catalog, UnitsAreBaseUnitsAndInTheName) {
  for (const Metric* m : kAll) {
    EXPECT_FALSE(m->name.find("_ms") != std::string_view::npos ||
                 m->name.find("_milliseconds") != std::string_view::npos ||
                 m->name.find("_kilobytes") != std::string_view::npos)
        << m->name;
    if (m->unit.empty()) continue;
    const std::string suffix = "_" + std::string(m->unit);
    const bool named = m->name.ends_with(suffix) || m->name.ends_with(suffix + "_total");
    EXPECT_TRUE(named) << m->name << " should end in " << suffix;
  }
}

TEST(Catalog, HistogramsHaveAscendingBucketsAndOthersNone) {
  for (const Metric* m : kAll) {
    if (m->kind != Kind::histogram) {
      EXPECT_TRUE(m->buckets.empty()) << m->name;
      continue;
    }
    EXPECT_FALSE(m->buckets.empty()) << m->name;
    EXPECT_TRUE(std::is_sorted(m->buckets.begin(), m->buckets.end())) << m->name;
    EXPECT_EQ(std::adjacent_find(m->buckets.begin(), m->buckets.end()), m->buckets.end())
        << m->name;
  }
}

TEST(Catalog, TheReadmeDocumentsEverySeries) {
  std::ifstream file(CALLCAST_README);
  ASSERT_TRUE(file) << CALLCAST_README;
  std::stringstream text;
  text << file.rdbuf();
  for (const Metric* m : kAll) {
    const std::string row = "| `" + std::string(m->name) + "` | " + std::string(to_string(m->kind));
    EXPECT_NE(text.str().find(row), std::string::npos) << "README lacks a row: " << row;
  }
}

}  // namespace
}  // namespace callcast::stats
