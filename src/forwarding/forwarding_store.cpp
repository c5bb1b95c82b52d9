#include "forwarding/forwarding_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdint>
#include <utility>

namespace callcast::forwarding {

namespace {

// PRAGMA user_version of the layout below; a file with a higher one was written by a newer
// callcastd and is refused rather than misread.
constexpr int kSchemaVersion = 1;
constexpr std::string_view kUnconditional = "unconditional";

constexpr const char* kCreateSchema =
    "CREATE TABLE IF NOT EXISTS forwarding("
    " number TEXT NOT NULL,"
    " kind TEXT NOT NULL,"
    " target TEXT NOT NULL,"
    " updated_unix INTEGER NOT NULL,"
    " PRIMARY KEY(number, kind)) WITHOUT ROWID";

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Resets a statement when the call that ran it returns, so that it holds no read lock and no
// bindings into the caller's strings.
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite3_stmt* statement) : statement_(statement) {}
  ~ResetOnExit() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  sqlite3_stmt* statement_;
};

// nullptr as destructor is SQLITE_STATIC: the text outlives the step, which the ResetOnExit
// guard ends before the caller's string goes away.
bool bind_text(sqlite3_stmt* statement, int index, std::string_view text) {
  if (text.size() > static_cast<std::size_t>(INT_MAX)) return false;
  return sqlite3_bind_text(statement, index, text.data(), static_cast<int>(text.size()), nullptr) ==
         SQLITE_OK;
}

}  // namespace

void ForwardingStore::StatementDeleter::operator()(sqlite3_stmt* statement) const {
  sqlite3_finalize(statement);
}

ForwardingStore::ForwardingStore(std::filesystem::path file, sqlite3* db)
    : file_(std::move(file)), db_(db) {}

ForwardingStore::~ForwardingStore() {
  // Statements first: sqlite3_close refuses a connection with live statements.
  select_target_.reset();
  update_rule_.reset();
  insert_rule_.reset();
  delete_rule_.reset();
  delete_rule_if_.reset();
  count_rules_.reset();
  sqlite3_close(db_);
}

Result<std::unique_ptr<ForwardingStore>, std::string> ForwardingStore::open(
    const std::filesystem::path& file, std::chrono::milliseconds busy_timeout) {
  sqlite3* db = nullptr;
  const int opened = sqlite3_open_v2(
      file.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
      nullptr);
  if (opened != SQLITE_OK) {
    std::string message = "forwarding store " + file.string() + ": cannot open: " +
                          (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(opened));
    sqlite3_close(db);
    return fail(std::move(message));
  }
  std::unique_ptr<ForwardingStore> store(new ForwardingStore(file, db));

  // SQLite falls back to read-only when the file cannot be written: the rules could then be
  // read but every PUT would fail, so refuse at start-up instead.
  if (sqlite3_db_readonly(db, "main") == 1) {
    return fail("forwarding store " + file.string() + ": the file is read-only");
  }
  sqlite3_busy_timeout(db, static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(
                               busy_timeout.count(), 0, INT_MAX)));

  // The first statement that reads the file: a file that is not an SQLite database fails here.
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &raw, nullptr) != SQLITE_OK) {
    return fail(store->failure("cannot set the journal mode"));
  }
  Statement journal(raw);
  if (sqlite3_step(journal.get()) != SQLITE_ROW) {
    return fail(store->failure("cannot set the journal mode"));
  }
  const auto* mode = reinterpret_cast<const char*>(sqlite3_column_text(journal.get(), 0));
  if (mode == nullptr || std::string_view(mode) != "wal") {
    return fail("forwarding store " + file.string() + ": the WAL journal is unavailable (mode " +
                (mode != nullptr ? mode : "unknown") + ")");
  }
  journal.reset();

  if (auto done = store->execute("PRAGMA synchronous=FULL", "cannot set synchronous=FULL"); !done) {
    return fail(done.error());
  }

  raw = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &raw, nullptr) != SQLITE_OK) {
    return fail(store->failure("cannot read the schema version"));
  }
  Statement version_query(raw);
  if (sqlite3_step(version_query.get()) != SQLITE_ROW) {
    return fail(store->failure("cannot read the schema version"));
  }
  const int version = sqlite3_column_int(version_query.get(), 0);
  version_query.reset();
  if (version > kSchemaVersion) {
    return fail("forwarding store " + file.string() + ": schema version " +
                std::to_string(version) + " is newer than this program's (" +
                std::to_string(kSchemaVersion) + ")");
  }
  if (version < kSchemaVersion) {
    if (auto created = store->execute(
            std::string("BEGIN IMMEDIATE; ") + kCreateSchema +
                "; PRAGMA user_version=" + std::to_string(kSchemaVersion) + "; COMMIT",
            "cannot create the forwarding table");
        !created) {
      (void)store->execute("ROLLBACK", "rollback");
      return fail(created.error());
    }
  }
  if (auto prepared = store->prepare_statements(); !prepared) return fail(prepared.error());
  return store;
}

Result<bool, std::string> ForwardingStore::prepare_statements() {
  const auto prepare = [this](const char* sql, Statement& out) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr) != SQLITE_OK) {
      return false;
    }
    out.reset(raw);
    return true;
  };
  const bool ok =
      prepare("SELECT target FROM forwarding WHERE number = ?1 AND kind = ?2", select_target_) &&
      prepare(
          "UPDATE forwarding SET target = ?3, updated_unix = ?4 WHERE number = ?1 AND kind = ?2",
          update_rule_) &&
      prepare("INSERT INTO forwarding(number, kind, target, updated_unix) VALUES(?1, ?2, ?3, ?4)",
              insert_rule_) &&
      prepare("DELETE FROM forwarding WHERE number = ?1 AND kind = ?2", delete_rule_) &&
      prepare("DELETE FROM forwarding WHERE number = ?1 AND kind = ?2 AND target = ?3",
              delete_rule_if_) &&
      prepare("SELECT count(*) FROM forwarding", count_rules_);
  if (!ok) return fail(failure("the forwarding table does not have the expected columns"));
  return true;
}

std::string ForwardingStore::failure(std::string_view what) const {
  return "forwarding store " + file_.string() + ": " + std::string(what) + ": " +
         sqlite3_errmsg(db_);
}

Result<bool, std::string> ForwardingStore::execute(std::string_view sql, std::string_view what) {
  const std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return fail(failure(what));
  }
  return true;
}

Result<std::optional<std::string>, std::string> ForwardingStore::unconditional_target(
    std::string_view number) {
  const std::lock_guard lock(mutex_);
  sqlite3_stmt* statement = select_target_.get();
  const ResetOnExit reset(statement);
  if (!bind_text(statement, 1, number) || !bind_text(statement, 2, kUnconditional)) {
    return fail(failure("cannot bind the number"));
  }
  const int code = sqlite3_step(statement);
  if (code == SQLITE_DONE) return std::optional<std::string>();
  if (code != SQLITE_ROW) return fail(failure("cannot read the rule of " + std::string(number)));
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
  const int size = sqlite3_column_bytes(statement, 0);
  return std::optional<std::string>(
      std::string(text != nullptr ? text : "", static_cast<std::size_t>(size)));
}

Result<bool, std::string> ForwardingStore::set_unconditional(std::string_view number,
                                                             std::string_view target) {
  const std::lock_guard lock(mutex_);
  const std::string what = "cannot store the rule of " + std::string(number);
  // One transaction, so that the update-or-insert is atomic for other processes sharing the
  // file, and one commit (one fsync of the WAL) whichever branch runs.
  if (auto begun = execute("BEGIN IMMEDIATE", what); !begun) return begun;
  const std::int64_t now = now_unix();
  const auto run = [&](sqlite3_stmt* statement) {
    const ResetOnExit reset(statement);
    if (!bind_text(statement, 1, number) || !bind_text(statement, 2, kUnconditional) ||
        !bind_text(statement, 3, target) || sqlite3_bind_int64(statement, 4, now) != SQLITE_OK) {
      return false;
    }
    return sqlite3_step(statement) == SQLITE_DONE;
  };
  bool replaced = false;
  bool ok = run(update_rule_.get());
  if (ok) {
    replaced = sqlite3_changes(db_) > 0;
    if (!replaced) ok = run(insert_rule_.get());
  }
  if (!ok) {
    std::string message = failure(what);
    (void)execute("ROLLBACK", "rollback");
    return fail(std::move(message));
  }
  if (auto committed = execute("COMMIT", what); !committed) {
    (void)execute("ROLLBACK", "rollback");
    return committed;
  }
  return replaced;
}

Result<bool, std::string> ForwardingStore::clear_unconditional(std::string_view number) {
  const std::lock_guard lock(mutex_);
  return delete_rule(delete_rule_.get(), number, std::nullopt);
}

Result<bool, std::string> ForwardingStore::clear_unconditional_if(std::string_view number,
                                                                  std::string_view target) {
  const std::lock_guard lock(mutex_);
  return delete_rule(delete_rule_if_.get(), number, target);
}

Result<bool, std::string> ForwardingStore::delete_rule(sqlite3_stmt* statement,
                                                       std::string_view number,
                                                       std::optional<std::string_view> target) {
  const ResetOnExit reset(statement);
  if (!bind_text(statement, 1, number) || !bind_text(statement, 2, kUnconditional) ||
      (target && !bind_text(statement, 3, *target))) {
    return fail(failure("cannot bind the number"));
  }
  // A single statement in autocommit mode: atomic, and durable once step returns.
  if (sqlite3_step(statement) != SQLITE_DONE) {
    return fail(failure("cannot clear the rule of " + std::string(number)));
  }
  return sqlite3_changes(db_) > 0;
}

Result<std::size_t, std::string> ForwardingStore::count() {
  const std::lock_guard lock(mutex_);
  sqlite3_stmt* statement = count_rules_.get();
  const ResetOnExit reset(statement);
  if (sqlite3_step(statement) != SQLITE_ROW) return fail(failure("cannot count the rules"));
  return static_cast<std::size_t>(sqlite3_column_int64(statement, 0));
}

}  // namespace callcast::forwarding
