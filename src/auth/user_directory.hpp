#pragma once
// The users file: who may register and use the Ut API, with their passwords stored as HA1
// hashes only.
//
//   # comment                                  '#' lines and blank lines are allowed
//   number ":" realm ":" md5-ha1 ":" sha256-ha1
//
//   number     = core::is_valid_number (1-32 of [0-9A-Za-z+._-])
//   realm      = 1*(any character but ':', CR, LF)
//   md5-ha1    = 32 hex digits: MD5("number:realm:password")       (htdigest's third field)
//   sha256-ha1 = 64 hex digits: SHA-256("number:realm:password")   (RFC 7616 §3.4.2)
//
// The first three fields are those of Apache's htdigest, so the same file can be shared with it
// for MD5. Lines of other realms are kept (add_user never drops them) but ignored, so one file
// can serve several deployments; they only need their four fields. A number appears at most once
// per realm. Lines end with LF (CRLF is accepted). Hex digits may be upper-case; they are read as
// lower-case.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/digest.hpp"
#include "core/result.hpp"

namespace callcast::auth {

struct UserRecord {
  std::string number, md5_ha1, sha256_ha1;  // hashes in lower-case hex
  bool operator==(const UserRecord&) const = default;
};

// The users of `realm` in the text of a users file. The error names the line ("line 3: ...").
Result<std::vector<UserRecord>, std::string> parse_users_text(std::string_view text,
                                                              std::string_view realm);

// A users file for one realm, read at load() and again when it changes on disk. Thread-safe (one
// mutex: a lookup is once per authenticated request, not per packet).
class UserDirectory : public HashLookup {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  UserDirectory(std::filesystem::path file, std::string realm,
                Clock clock = &std::chrono::steady_clock::now);

  // Reads the file now. Returns the number of users of this realm; the error names the file and
  // the line, and leaves the users read before in place. A missing file is zero users (logged).
  Result<std::size_t, std::string> load();

  // Re-reads the file first when its mtime, size or inode changed, checked at most once a second.
  // A changed file that does not parse is logged and the previous users are kept.
  std::optional<UserRecord> find(std::string_view number);
  bool exists(std::string_view number);
  std::optional<std::string> ha1(std::string_view user, DigestAlgorithm algorithm) override;

  const std::filesystem::path& file() const { return file_; }
  const std::string& realm() const { return realm_; }

 private:
  // What tells that the file changed on disk.
  struct FileStamp {
    bool exists = false;
    std::int64_t mtime_ns = 0;
    std::int64_t size = 0;
    std::uint64_t inode = 0;
    std::uint64_t device = 0;
    bool operator==(const FileStamp&) const = default;
  };

  FileStamp stamp() const;
  Result<std::size_t, std::string> load_locked();
  void reload_if_changed_locked();

  const std::filesystem::path file_;
  const std::string realm_;
  Clock clock_;
  std::mutex mutex_;
  std::map<std::string, UserRecord, std::less<>> users_;
  FileStamp loaded_stamp_;  // the file as users_ was read from it (or as it failed to parse)
  std::optional<std::chrono::steady_clock::time_point> last_check_;
};

// Adds the user `number` of `realm` to the users file, or replaces its line; other lines are kept
// as they are. The file is rewritten atomically (a temporary file in the same directory, fsync,
// rename, fsync of the directory) with mode 0600, and created when missing. Returns true when an
// existing user was replaced. A users file that does not parse is left alone (error).
Result<bool, std::string> add_user(const std::filesystem::path& file, std::string_view realm,
                                   std::string_view number, std::string_view password);

// The numbers of `realm` in the users file, in file order. A missing or unparsable file is an
// error naming it.
Result<std::vector<std::string>, std::string> list_users(const std::filesystem::path& file,
                                                         std::string_view realm);

// Removes the line of `number` in `realm`, rewriting the file atomically as add_user does; other
// lines are kept. Returns false (and leaves the file untouched) when there is no such user; a
// missing or unparsable file is an error.
Result<bool, std::string> remove_user(const std::filesystem::path& file, std::string_view realm,
                                      std::string_view number);

}  // namespace callcast::auth
