#pragma once
// The call-forwarding rules of the network side (patent step [0154]; 3GPP TS 24.604 CDIV,
// communication-diversion "unconditional"), kept in an SQLite file so that they survive a
// restart or a crash: an answered write has reached the disk (WAL journal, synchronous=FULL).
//
// One rule per (number, kind); today only the kind "unconditional" exists, the column leaves
// room for CDIV's busy / no-reply / not-reachable rules.
//
// Thread-safe: the SIP thread reads the rules while the Ut API's HTTP thread writes them; one
// internal mutex serialises the calls. Another process may share the file (busy_timeout).
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "forwarding/forwarding_rules.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace callcast::forwarding {

class ForwardingStore final : public ForwardingRules {
 public:
  // Opens the store, creating the file and its table when missing. Errors name the file and
  // carry SQLite's message (not a database, cannot open, read-only, newer schema...).
  // busy_timeout: how long a call waits for another process's write lock before it fails.
  static Result<std::unique_ptr<ForwardingStore>, std::string> open(
      const std::filesystem::path& file,
      std::chrono::milliseconds busy_timeout = std::chrono::seconds(5));

  ~ForwardingStore() override;
  ForwardingStore(const ForwardingStore&) = delete;
  ForwardingStore& operator=(const ForwardingStore&) = delete;

  Result<std::optional<std::string>, std::string> unconditional_target(
      std::string_view number) override;
  Result<bool, std::string> set_unconditional(std::string_view number,
                                              std::string_view target) override;
  Result<bool, std::string> clear_unconditional(std::string_view number) override;
  Result<bool, std::string> clear_unconditional_if(std::string_view number,
                                                   std::string_view target) override;
  Result<std::size_t, std::string> count() override;

  const std::filesystem::path& file() const { return file_; }

 private:
  struct StatementDeleter {
    void operator()(sqlite3_stmt* statement) const;
  };
  using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

  ForwardingStore(std::filesystem::path file, sqlite3* db);
  Result<bool, std::string> prepare_statements();
  // "forwarding store <file>: <what>: <SQLite's message>"
  std::string failure(std::string_view what) const;
  // Runs SQL without parameters or rows (pragmas, BEGIN/COMMIT).
  Result<bool, std::string> execute(std::string_view sql, std::string_view what);
  // Runs one of the DELETE statements; `target` binds ?3 when given. Caller holds mutex_.
  Result<bool, std::string> delete_rule(sqlite3_stmt* statement, std::string_view number,
                                        std::optional<std::string_view> target);

  std::filesystem::path file_;
  sqlite3* db_;
  std::mutex mutex_;
  Statement select_target_;
  Statement update_rule_;
  Statement insert_rule_;
  Statement delete_rule_;
  Statement delete_rule_if_;
  Statement count_rules_;
};

}  // namespace callcast::forwarding
