#include "auth/user_directory.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <utility>
#include <variant>

#include "auth/hex.hpp"
#include "core/group_registry.hpp"

namespace callcast::auth {

namespace {

// Far above any real deployment (10,000 users is ~1.3 MB), low enough to never exhaust memory on
// a wrong path.
constexpr std::int64_t kMaxFileBytes = std::int64_t{16} * 1024 * 1024;
constexpr std::size_t kMd5HexDigits = 32;
constexpr std::size_t kSha256HexDigits = 64;
constexpr auto kRecheckInterval = std::chrono::seconds(1);
constexpr mode_t kFileMode = 0600;  // HA1 hashes are password-equivalent for their realm
constexpr std::string_view kNewFileHeader =
    "# callcast users: number:realm:md5-ha1:sha256-ha1, written by `callcastd user add`.\n"
    "# HA1 = H(\"number:realm:password\") with H = MD5, then SHA-256 (RFC 7616).\n";

struct UserLine {
  std::string_view number, realm, md5_ha1, sha256_ha1;
};
struct NoEntry {};                                                // blank or comment
using ParsedLine = std::variant<NoEntry, UserLine, std::string>;  // std::string: the error

bool is_blank_or_comment(std::string_view line) {
  const auto first = line.find_first_not_of(" \t");
  return first == std::string_view::npos || line[first] == '#';
}

// One line without its LF (a trailing CR is dropped here). Lines of other realms only need their
// four fields: they may come from another tool and are not ours to judge.
ParsedLine parse_line(std::string_view line, std::string_view realm) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (is_blank_or_comment(line)) return NoEntry{};
  std::array<std::string_view, 4> fields;
  std::size_t count = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t colon = line.find(':', start);
    if (count == fields.size()) return std::string("expected number:realm:md5-ha1:sha256-ha1");
    fields[count++] = line.substr(start, colon == std::string_view::npos ? colon : colon - start);
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  if (count != fields.size()) return std::string("expected number:realm:md5-ha1:sha256-ha1");
  const UserLine user{fields[0], fields[1], fields[2], fields[3]};
  if (user.realm.empty()) return std::string("empty realm");
  if (user.realm != realm) return user;
  if (!core::is_valid_number(user.number)) {
    return "invalid number '" + std::string(user.number) + "' (1-32 of 0-9 A-Z a-z + . _ -)";
  }
  if (!is_hex(user.md5_ha1, kMd5HexDigits)) return std::string("md5-ha1 is not 32 hex digits");
  if (!is_hex(user.sha256_ha1, kSha256HexDigits)) {
    return std::string("sha256-ha1 is not 64 hex digits");
  }
  return user;
}

// Calls `each(line_number, line)` for every line of `text`, without line ends.
template <class Each>
void for_each_line(std::string_view text, Each&& each) {
  std::size_t number = 1;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    const std::size_t stop = end == std::string_view::npos ? text.size() : end;
    if (!each(number, text.substr(start, stop - start))) return;
    start = stop + 1;
    ++number;
  }
}

std::string errno_text(int error) {
  return std::strerror(error);
}

Result<std::string, std::string> read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(file.string() + ": cannot open: " + errno_text(errno));
  std::string text;
  std::array<char, std::size_t{64} * 1024> chunk{};
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
    if (static_cast<std::int64_t>(text.size()) > kMaxFileBytes) {
      return fail(file.string() + ": larger than " + std::to_string(kMaxFileBytes) + " bytes");
    }
  }
  if (in.bad()) return fail(file.string() + ": read failed");
  return text;
}

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return true;
}

// Replaces `file` with `text` so that a crash at any point leaves either the old or the new file,
// whole: a temporary file in the same directory (same file system, so rename() is atomic),
// flushed, renamed over the target, then the directory flushed so the rename itself is durable.
Result<bool, std::string> write_atomically(const std::filesystem::path& file,
                                           std::string_view text) {
  const std::filesystem::path directory =
      file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  std::string temporary = (directory / ("." + file.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkstemp(temporary.data());
  if (fd < 0) return fail(temporary + ": cannot create: " + errno_text(errno));
  auto abandon = [&](const std::string& what) {
    const int error = errno;
    ::close(fd);
    ::unlink(temporary.c_str());
    return fail(temporary + ": " + what + ": " + errno_text(error));
  };
  if (::fchmod(fd, kFileMode) != 0) return abandon("cannot set mode 0600");
  if (!write_all(fd, text)) return abandon("write failed");
  if (::fsync(fd) != 0) return abandon("fsync failed");
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    return fail(temporary + ": close failed: " + errno_text(error));
  }
  if (::rename(temporary.c_str(), file.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    return fail(file.string() + ": cannot replace: " + errno_text(error));
  }
  const int directory_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory_fd < 0) return fail(directory.string() + ": cannot open: " + errno_text(errno));
  const int synced = ::fsync(directory_fd);
  const int error = errno;
  ::close(directory_fd);
  if (synced != 0) return fail(directory.string() + ": fsync failed: " + errno_text(error));
  return true;
}

std::string user_line(std::string_view number, std::string_view realm, std::string_view password) {
  std::string line(number);
  line.push_back(':');
  line.append(realm);
  line.push_back(':');
  line.append(digest_ha1(DigestAlgorithm::md5, number, realm, password));
  line.push_back(':');
  line.append(digest_ha1(DigestAlgorithm::sha256, number, realm, password));
  return line;
}

}  // namespace

Result<std::vector<UserRecord>, std::string> parse_users_text(std::string_view text,
                                                              std::string_view realm) {
  std::vector<UserRecord> users;
  std::set<std::string_view> numbers;
  std::string error;
  for_each_line(text, [&](std::size_t line_number, std::string_view line) {
    const ParsedLine parsed = parse_line(line, realm);
    if (const auto* message = std::get_if<std::string>(&parsed)) {
      error = "line " + std::to_string(line_number) + ": " + *message;
      return false;
    }
    const auto* user = std::get_if<UserLine>(&parsed);
    if (user == nullptr || user->realm != realm) return true;
    if (!numbers.insert(user->number).second) {
      error = "line " + std::to_string(line_number) + ": number " + std::string(user->number) +
              " appears twice in realm " + std::string(realm);
      return false;
    }
    users.push_back(UserRecord{std::string(user->number), to_lower_ascii(user->md5_ha1),
                               to_lower_ascii(user->sha256_ha1)});
    return true;
  });
  if (!error.empty()) return fail(std::move(error));
  return users;
}

UserDirectory::UserDirectory(std::filesystem::path file, std::string realm, Clock clock)
    : file_(std::move(file)), realm_(std::move(realm)), clock_(std::move(clock)) {}

Result<std::size_t, std::string> UserDirectory::load() {
  const std::lock_guard lock(mutex_);
  last_check_ = clock_();
  return load_locked();
}

UserDirectory::FileStamp UserDirectory::stamp() const {
  struct stat status {};
  if (::stat(file_.c_str(), &status) != 0) return FileStamp{};
  return FileStamp{
      .exists = true,
      .mtime_ns =
          static_cast<std::int64_t>(status.st_mtim.tv_sec) * 1'000'000'000 + status.st_mtim.tv_nsec,
      .size = static_cast<std::int64_t>(status.st_size),
      .inode = static_cast<std::uint64_t>(status.st_ino),
      .device = static_cast<std::uint64_t>(status.st_dev),
  };
}

Result<std::size_t, std::string> UserDirectory::load_locked() {
  // Stamped before reading: a change during the read is seen at the next check.
  const FileStamp current = stamp();
  loaded_stamp_ = current;
  if (!current.exists) {
    users_.clear();
    spdlog::warn(
        "auth: users file {} not found: no users in realm {} (add one with `callcastd "
        "user add`)",
        file_.string(), realm_);
    return std::size_t{0};
  }
  auto text = read_text(file_);
  if (!text) return fail(text.error());
  auto parsed = parse_users_text(*text, realm_);
  if (!parsed) return fail(file_.string() + ": " + parsed.error());
  users_.clear();
  for (auto& user : *parsed) {
    std::string number = user.number;
    users_.emplace(std::move(number), std::move(user));
  }
  return users_.size();
}

void UserDirectory::reload_if_changed_locked() {
  const auto now = clock_();
  if (last_check_ && now - *last_check_ < kRecheckInterval) return;
  last_check_ = now;
  if (stamp() == loaded_stamp_) return;
  const auto loaded = load_locked();
  if (!loaded) {
    spdlog::error("auth: users file changed but not reloaded, keeping {} users: {}", users_.size(),
                  loaded.error());
    return;
  }
  spdlog::info("auth: users file {} reloaded: {} users in realm {}", file_.string(), *loaded,
               realm_);
}

std::optional<UserRecord> UserDirectory::find(std::string_view number) {
  const std::lock_guard lock(mutex_);
  reload_if_changed_locked();
  const auto found = users_.find(number);
  if (found == users_.end()) return std::nullopt;
  return found->second;
}

bool UserDirectory::exists(std::string_view number) {
  return find(number).has_value();
}

std::optional<std::string> UserDirectory::ha1(std::string_view user, DigestAlgorithm algorithm) {
  auto record = find(user);
  if (!record) return std::nullopt;
  switch (algorithm) {
    case DigestAlgorithm::md5:
      return std::move(record->md5_ha1);
    case DigestAlgorithm::sha256:
      return std::move(record->sha256_ha1);
  }
  return std::nullopt;
}

Result<bool, std::string> add_user(const std::filesystem::path& file, std::string_view realm,
                                   std::string_view number, std::string_view password) {
  if (!core::is_valid_number(number)) {
    return fail("invalid number '" + std::string(number) + "' (1-32 of 0-9 A-Z a-z + . _ -)");
  }
  if (realm.empty() || realm.find_first_of(":\r\n") != std::string_view::npos) {
    return fail("invalid realm '" + std::string(realm) + "' (not empty, no ':' or line break)");
  }
  if (password.empty()) return fail(std::string("empty password"));

  std::string old_text;
  std::error_code exists_error;
  if (std::filesystem::exists(file, exists_error)) {
    auto text = read_text(file);
    if (!text) return fail(text.error());
    old_text = std::move(*text);
  } else if (exists_error) {
    return fail(file.string() + ": " + exists_error.message());
  }
  // Never rewrite a file we cannot read back: the user would lose lines they cannot see.
  if (auto parsed = parse_users_text(old_text, realm); !parsed) {
    return fail(file.string() + ": " + parsed.error() + " (fix it by hand first)");
  }

  const std::string new_line = user_line(number, realm, password);
  std::string new_text;
  new_text.reserve(old_text.size() + new_line.size() + kNewFileHeader.size() + 1);
  if (old_text.empty()) new_text.append(kNewFileHeader);
  bool replaced = false;
  for_each_line(old_text, [&](std::size_t, std::string_view line) {
    const ParsedLine parsed = parse_line(line, realm);
    const auto* user = std::get_if<UserLine>(&parsed);
    if (user != nullptr && user->realm == realm && user->number == number) {
      new_text.append(new_line);
      replaced = true;
    } else {
      new_text.append(line);
    }
    new_text.push_back('\n');
    return true;
  });
  if (!replaced) new_text.append(new_line).push_back('\n');

  auto written = write_atomically(file, new_text);
  if (!written) return fail(written.error());
  return replaced;
}

Result<std::vector<std::string>, std::string> list_users(const std::filesystem::path& file,
                                                         std::string_view realm) {
  std::error_code exists_error;
  if (!std::filesystem::exists(file, exists_error)) {
    return fail(file.string() + ": " +
                (exists_error ? exists_error.message() : std::string("no such users file")));
  }
  auto text = read_text(file);
  if (!text) return fail(text.error());
  auto users = parse_users_text(*text, realm);
  if (!users) return fail(file.string() + ": " + users.error());
  std::vector<std::string> numbers;
  numbers.reserve(users->size());
  for (auto& user : *users)
    numbers.push_back(std::move(user.number));
  return numbers;
}

Result<bool, std::string> remove_user(const std::filesystem::path& file, std::string_view realm,
                                      std::string_view number) {
  std::error_code exists_error;
  if (!std::filesystem::exists(file, exists_error)) {
    return fail(file.string() + ": " +
                (exists_error ? exists_error.message() : std::string("no such users file")));
  }
  auto old_text = read_text(file);
  if (!old_text) return fail(old_text.error());
  // As add_user: a file we cannot read back is not rewritten.
  if (auto parsed = parse_users_text(*old_text, realm); !parsed) {
    return fail(file.string() + ": " + parsed.error() + " (fix it by hand first)");
  }
  std::string new_text;
  new_text.reserve(old_text->size());
  bool removed = false;
  for_each_line(*old_text, [&](std::size_t, std::string_view line) {
    const ParsedLine parsed = parse_line(line, realm);
    const auto* user = std::get_if<UserLine>(&parsed);
    if (user != nullptr && user->realm == realm && user->number == number) {
      removed = true;
      return true;
    }
    new_text.append(line).push_back('\n');
    return true;
  });
  if (!removed) return false;  // nothing to write: the file stays as it is, byte for byte
  auto written = write_atomically(file, new_text);
  if (!written) return fail(written.error());
  return true;
}

}  // namespace callcast::auth
