// The forwarding rules' SQLite store: the "rules survive a restart" point of issue 3, across a
// reopen and a killed process, and the file's own failures. What every keeper of the rules does
// alike (round trips, the network side's conditional clear, reads during writes) is tested once
// for both the SQLite file and Redis, in tests/unit/cluster/forwarding_rules_test.cpp.
#include "forwarding/forwarding_store.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <string>

#include "support/temp_dir.hpp"

namespace callcast::forwarding {
namespace {

using ::testing::HasSubstr;

class ForwardingStoreTest : public ::testing::Test {
 protected:
  std::filesystem::path db_file() const { return dir_ / "forwarding.sqlite"; }

  std::unique_ptr<ForwardingStore> open_store() {
    auto store = ForwardingStore::open(db_file());
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error());
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // The rule of `number` as the store reports it; "<none>" without one, "<error>" on failure.
  static std::string target_of(ForwardingStore& store, std::string_view number) {
    auto target = store.unconditional_target(number);
    if (!target.ok()) return "<error> " + target.error();
    return target->value_or("<none>");
  }

  // One integer PRAGMA of the file, read by plain SQLite rather than through the store.
  std::string pragma(const std::string& name) const {
    sqlite3* db = nullptr;
    std::string value = "<failed>";
    if (sqlite3_open_v2(db_file().c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_stmt* statement = nullptr;
      const std::string sql = "PRAGMA " + name;
      if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
          sqlite3_step(statement) == SQLITE_ROW) {
        value = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
      }
      sqlite3_finalize(statement);
    }
    sqlite3_close(db);
    return value;
  }

  test::TempDir dir_{"forwarding-store"};
};

TEST_F(ForwardingStoreTest, RulesSurviveCloseAndReopen) {
  {
    auto store = open_store();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->set_unconditional("1001", "777").ok());
    ASSERT_TRUE(store->set_unconditional("1002", "1003").ok());
    ASSERT_TRUE(store->set_unconditional("1004", "777").ok());
    ASSERT_TRUE(store->clear_unconditional("1004").ok());
  }
  auto reopened = open_store();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(target_of(*reopened, "1001"), "777");
  EXPECT_EQ(target_of(*reopened, "1002"), "1003");
  EXPECT_EQ(target_of(*reopened, "1004"), "<none>");
  EXPECT_EQ(*reopened->count(), 2U);
}

// A process killed right after set_unconditional returned, without closing the store (no WAL
// checkpoint, no destructor), has still left the rule in the file. This proves the write is in
// the file, not only in the process; surviving a power cut is synchronous=FULL's part.
TEST_F(ForwardingStoreTest, AnsweredWriteSurvivesAKilledProcess) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = ForwardingStore::open(db_file());
    if (!store.ok() || !(*store)->set_unconditional("1001", "777").ok()) ::_exit(1);
    ::raise(SIGKILL);
    ::_exit(2);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the child failed before it was killed, status " << status;

  auto store = open_store();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(target_of(*store, "1001"), "777");
}

TEST_F(ForwardingStoreTest, OpenCreatesAWalDatabaseWithASchemaVersion) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(std::filesystem::exists(db_file()));
  EXPECT_EQ(pragma("journal_mode"), "wal");
  EXPECT_EQ(pragma("user_version"), "1");
}

TEST_F(ForwardingStoreTest, OpenRejectsAFileThatIsNotADatabase) {
  {
    std::ofstream out(db_file(), std::ios::binary);
    out << "number,target\n1001,777\n" << std::string(4096, 'x');
  }
  auto store = ForwardingStore::open(db_file());
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.error(), HasSubstr(db_file().string()));
  EXPECT_THAT(store.error(), HasSubstr("not a database"));
}

TEST_F(ForwardingStoreTest, OpenFailsClearlyWhereNoFileCanBeCreated) {
  // A regular file as the parent directory: not creatable, even for root (which ignores modes).
  const std::filesystem::path not_a_dir = dir_ / "plain-file";
  std::ofstream(not_a_dir) << "x";
  const std::filesystem::path file = not_a_dir / "forwarding.sqlite";
  auto store = ForwardingStore::open(file);
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.error(), HasSubstr(file.string()));
  EXPECT_THAT(store.error(), HasSubstr("unable to open database file"));
}

TEST_F(ForwardingStoreTest, OpenRejectsASchemaFromANewerVersion) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_file().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version=7", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);

  auto store = ForwardingStore::open(db_file());
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.error(), HasSubstr(db_file().string()));
  EXPECT_THAT(store.error(), HasSubstr("schema version 7"));
}

// Another process holding the write lock past the busy timeout: the write fails with a message
// that names the file, and nothing half-written is left behind.
TEST_F(ForwardingStoreTest, WriteBlockedByAnotherWriterFailsClearly) {
  auto opened = ForwardingStore::open(db_file(), std::chrono::milliseconds(50));
  ASSERT_TRUE(opened.ok()) << opened.error();
  ForwardingStore& store = **opened;
  ASSERT_TRUE(store.set_unconditional("1001", "777").ok());

  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(db_file().c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto blocked = store.set_unconditional("1001", "1005");
  auto blocked_clear = store.clear_unconditional("1001");
  EXPECT_EQ(target_of(store, "1001"), "777") << "readers are not blocked by a WAL writer";
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);

  ASSERT_FALSE(blocked.ok());
  EXPECT_THAT(blocked.error(), HasSubstr(db_file().string()));
  EXPECT_THAT(blocked.error(), HasSubstr("locked"));
  ASSERT_FALSE(blocked_clear.ok());
  EXPECT_THAT(blocked_clear.error(), HasSubstr("locked"));

  auto after = store.set_unconditional("1001", "1005");
  ASSERT_TRUE(after.ok()) << "a failed write leaves the store usable: " << after.error();
  EXPECT_EQ(target_of(store, "1001"), "1005");
}

}  // namespace
}  // namespace callcast::forwarding
