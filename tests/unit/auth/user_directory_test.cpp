#include "auth/user_directory.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace callcast::auth {
namespace {

using namespace std::chrono_literals;

// 1001's hashes for password "secret" in realm "callcast" (python hashlib).
constexpr std::string_view kMd5 = "65372b5dba9d244bea9c87ccabb9f233";
constexpr std::string_view kSha256 =
    "b8a90375812a6679da943c49b4a38aa3f180c431c7efd812553d6701119509bc";

std::string read(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write(const std::filesystem::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
}

std::string line(std::string_view number, std::string_view realm, std::string_view password) {
  return std::string(number) + ":" + std::string(realm) + ":" +
         digest_ha1(DigestAlgorithm::md5, number, realm, password) + ":" +
         digest_ha1(DigestAlgorithm::sha256, number, realm, password);
}

class UserDirectoryTest : public ::testing::Test {
 protected:
  UserDirectory directory() {
    return UserDirectory(file_, "callcast", [this] { return now_; });
  }

  test::TempDir dir_{"auth"};
  std::filesystem::path file_ = dir_ / "users";
  std::chrono::steady_clock::time_point now_{};
};

TEST(UsersText, ReadsUsersOfTheRealmSkippingCommentsBlanksAndOtherRealms) {
  const std::string text =
      "# callcast users\n\n   # indented comment\n1001:callcast:" + std::string(kMd5) + ":" +
      std::string(kSha256) + "\r\n1001:other:" + std::string(32, 'a') + ":" + std::string(64, 'b') +
      "\n+44.20_x-1:callcast:" + std::string(32, 'A') + ":" +
      std::string(64, 'F');  // no final newline, upper-case hex
  const auto users = parse_users_text(text, "callcast");
  ASSERT_TRUE(users) << users.error();
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[0], (UserRecord{"1001", std::string(kMd5), std::string(kSha256)}));
  EXPECT_EQ((*users)[1], (UserRecord{"+44.20_x-1", std::string(32, 'a'), std::string(64, 'f')}));
}

TEST(UsersText, StoredHashesAreThoseOfDigestHa1) {
  EXPECT_EQ(digest_ha1(DigestAlgorithm::md5, "1001", "callcast", "secret"), kMd5);
  EXPECT_EQ(digest_ha1(DigestAlgorithm::sha256, "1001", "callcast", "secret"), kSha256);
}

TEST(UsersText, EmptyTextIsNoUsers) {
  const auto users = parse_users_text("", "callcast");
  ASSERT_TRUE(users);
  EXPECT_TRUE(users->empty());
}

TEST(UsersText, MalformedLineIsAnErrorNamingTheLine) {
  const std::string md5(32, 'a');
  const std::string sha(64, 'b');
  const struct {
    std::string text;
    std::string error;
  } cases[] = {
      {"# ok\n1001:callcast:" + md5, "line 2: expected number:realm:md5-ha1:sha256-ha1"},
      {"1001:callcast:" + md5 + ":" + sha + ":extra", "line 1: expected number:realm"},
      {"\n\n1001::" + md5 + ":" + sha, "line 3: empty realm"},
      {"10 01:callcast:" + md5 + ":" + sha, "line 1: invalid number '10 01'"},
      {":callcast:" + md5 + ":" + sha, "line 1: invalid number ''"},
      {std::string(33, '1') + ":callcast:" + md5 + ":" + sha, "line 1: invalid number"},
      {"1001:callcast:" + md5.substr(1) + ":" + sha, "line 1: md5-ha1 is not 32 hex digits"},
      {"1001:callcast:" + md5 + ":" + sha + "0", "line 1: sha256-ha1 is not 64 hex digits"},
      {"1001:callcast:" + std::string(32, 'g') + ":" + sha, "line 1: md5-ha1"},
      {"just garbage", "line 1: expected"},
      {"1001:callcast:" + md5 + ":" + sha + "\n1001:callcast:" + md5 + ":" + sha,
       "line 2: number 1001 appears twice in realm callcast"},
  };
  for (const auto& c : cases) {
    const auto users = parse_users_text(c.text, "callcast");
    ASSERT_FALSE(users) << c.text;
    EXPECT_TRUE(users.error().starts_with(c.error)) << users.error() << " / wanted " << c.error;
  }
}

TEST(UsersText, OtherRealmsOnlyNeedFourFields) {
  const auto users = parse_users_text("alice:other:x:y\n", "callcast");
  ASSERT_TRUE(users) << users.error();
  EXPECT_TRUE(users->empty());
}

TEST_F(UserDirectoryTest, MissingFileIsZeroUsers) {
  auto users = directory();
  const auto loaded = users.load();
  ASSERT_TRUE(loaded) << loaded.error();
  EXPECT_EQ(*loaded, 0u);
  EXPECT_FALSE(users.exists("1001"));
}

TEST_F(UserDirectoryTest, LoadErrorNamesFileAndLine) {
  write(file_, "# users\nnot a user line\n");
  auto users = directory();
  const auto loaded = users.load();
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error(), file_.string() + ": line 2: expected number:realm:md5-ha1:sha256-ha1");
}

TEST_F(UserDirectoryTest, FindsUsersAndTheirHashesPerAlgorithm) {
  write(file_, line("1001", "callcast", "secret") + "\n" + line("1002", "other", "x") + "\n");
  auto users = directory();
  ASSERT_EQ(users.load().value(), 1u);
  const auto found = users.find("1001");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->md5_ha1, digest_ha1(DigestAlgorithm::md5, "1001", "callcast", "secret"));
  EXPECT_EQ(users.ha1("1001", DigestAlgorithm::md5), found->md5_ha1);
  EXPECT_EQ(users.ha1("1001", DigestAlgorithm::sha256),
            digest_ha1(DigestAlgorithm::sha256, "1001", "callcast", "secret"));
  EXPECT_EQ(users.ha1("1002", DigestAlgorithm::md5), std::nullopt);  // other realm
  EXPECT_FALSE(users.exists("1002"));
}

TEST_F(UserDirectoryTest, FindLoadsTheFileWithoutAnExplicitLoad) {
  write(file_, line("1001", "callcast", "secret") + "\n");
  auto users = directory();
  EXPECT_TRUE(users.exists("1001"));
}

TEST_F(UserDirectoryTest, ReloadsAChangedFileAtMostOnceASecond) {
  write(file_, line("1001", "callcast", "secret") + "\n");
  auto users = directory();
  ASSERT_TRUE(users.load());
  ASSERT_TRUE(add_user(file_, "callcast", "1002", "pw"));
  now_ += 999ms;
  EXPECT_FALSE(users.exists("1002"));  // not checked yet
  now_ += 1ms;
  EXPECT_TRUE(users.exists("1002"));
  EXPECT_TRUE(users.exists("1001"));
}

TEST_F(UserDirectoryTest, ChangedPasswordIsSeenAfterReload) {
  ASSERT_TRUE(add_user(file_, "callcast", "1001", "old"));
  auto users = directory();
  ASSERT_TRUE(users.load());
  ASSERT_TRUE(add_user(file_, "callcast", "1001", "new"));
  now_ += 1s;
  EXPECT_EQ(users.ha1("1001", DigestAlgorithm::md5),
            digest_ha1(DigestAlgorithm::md5, "1001", "callcast", "new"));
}

TEST_F(UserDirectoryTest, KeepsTheUsersWhenTheChangedFileIsMalformed) {
  write(file_, line("1001", "callcast", "secret") + "\n");
  auto users = directory();
  ASSERT_TRUE(users.load());
  write(file_, line("1001", "callcast", "secret") + "\nbroken\n");
  now_ += 1s;
  EXPECT_TRUE(users.exists("1001"));
}

TEST_F(UserDirectoryTest, DeletedFileMeansNoUsers) {
  write(file_, line("1001", "callcast", "secret") + "\n");
  auto users = directory();
  ASSERT_TRUE(users.load());
  std::filesystem::remove(file_);
  now_ += 1s;
  EXPECT_FALSE(users.exists("1001"));
}

TEST_F(UserDirectoryTest, AddUserCreatesThePrivateFileWithAVerifiableLine) {
  const auto added = add_user(file_, "callcast", "1001", "secret");
  ASSERT_TRUE(added) << added.error();
  EXPECT_FALSE(*added);
  struct stat status {};
  ASSERT_EQ(::stat(file_.c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0600u);
  const std::string text = read(file_);
  EXPECT_TRUE(text.starts_with("# ")) << text;
  EXPECT_TRUE(text.ends_with(line("1001", "callcast", "secret") + "\n")) << text;
  auto users = directory();
  EXPECT_EQ(users.load().value(), 1u);
}

TEST_F(UserDirectoryTest, AddUserReplacesSameNumberAndRealmAndKeepsOtherLines) {
  const std::string before = "# my users\r\n" + line("1001", "other", "x") + "\n" +
                             line("1001", "callcast", "old") + "\n\n" +
                             line("1002", "callcast", "y");  // no final newline
  write(file_, before);
  const auto replaced = add_user(file_, "callcast", "1001", "new");
  ASSERT_TRUE(replaced) << replaced.error();
  EXPECT_TRUE(*replaced);
  EXPECT_EQ(read(file_), "# my users\r\n" + line("1001", "other", "x") + "\n" +
                             line("1001", "callcast", "new") + "\n\n" +
                             line("1002", "callcast", "y") + "\n");
  const auto added = add_user(file_, "callcast", "1003", "z");
  ASSERT_TRUE(added);
  EXPECT_FALSE(*added);
  EXPECT_TRUE(read(file_).ends_with(line("1002", "callcast", "y") + "\n" +
                                    line("1003", "callcast", "z") + "\n"));
}

TEST_F(UserDirectoryTest, AddUserReplacesTheFileInsteadOfWritingIntoIt) {
  write(file_, line("1001", "callcast", "old") + "\n");
  // A reader holding the old file (here: a second link to it) must never see a half-written one.
  const auto old_link = dir_ / "old-link";
  std::filesystem::create_hard_link(file_, old_link);
  ASSERT_TRUE(add_user(file_, "callcast", "1001", "new"));
  EXPECT_EQ(read(old_link), line("1001", "callcast", "old") + "\n");
  EXPECT_EQ(read(file_), line("1001", "callcast", "new") + "\n");
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    ++entries;
  }
  EXPECT_EQ(entries, 2u);  // no temporary file left behind
}

TEST_F(UserDirectoryTest, AddUserLeavesAMalformedFileAlone) {
  const std::string before = "garbage line\n";
  write(file_, before);
  const auto added = add_user(file_, "callcast", "1001", "secret");
  ASSERT_FALSE(added);
  EXPECT_NE(added.error().find("line 1"), std::string::npos) << added.error();
  EXPECT_EQ(read(file_), before);
}

TEST_F(UserDirectoryTest, AddUserRejectsBadNumberRealmOrPassword) {
  EXPECT_FALSE(add_user(file_, "callcast", "10 01", "secret"));
  EXPECT_FALSE(add_user(file_, "callcast", "", "secret"));
  EXPECT_FALSE(add_user(file_, "call:cast", "1001", "secret"));
  EXPECT_FALSE(add_user(file_, "", "1001", "secret"));
  EXPECT_FALSE(add_user(file_, "callcast", "1001", ""));
  EXPECT_FALSE(std::filesystem::exists(file_));
}

TEST_F(UserDirectoryTest, ListUsersNamesTheRealmsNumbersInFileOrder) {
  write(file_, "# users\n" + line("1002", "callcast", "b") + "\n" + line("1009", "other", "c") +
                   "\n" + line("1001", "callcast", "a") + "\n");
  const auto numbers = list_users(file_, "callcast");
  ASSERT_TRUE(numbers) << numbers.error();
  EXPECT_EQ(*numbers, (std::vector<std::string>{"1002", "1001"}));
  EXPECT_EQ(list_users(file_, "other").value(), std::vector<std::string>{"1009"});
}

TEST_F(UserDirectoryTest, ListUsersOfAMissingOrMalformedFileIsAnError) {
  const auto missing = list_users(file_, "callcast");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("no such users file"), std::string::npos) << missing.error();
  write(file_, "garbage line\n");
  const auto malformed = list_users(file_, "callcast");
  ASSERT_FALSE(malformed);
  EXPECT_NE(malformed.error().find("line 1"), std::string::npos) << malformed.error();
}

TEST_F(UserDirectoryTest, RemoveUserKeepsEveryOtherLine) {
  const std::string other_realm = line("1001", "other", "c");
  write(file_, "# users\n" + line("1001", "callcast", "a") + "\n" + other_realm + "\n" +
                   line("1002", "callcast", "b") + "\n");
  const auto removed = remove_user(file_, "callcast", "1001");
  ASSERT_TRUE(removed) << removed.error();
  EXPECT_TRUE(*removed);
  EXPECT_EQ(read(file_), "# users\n" + other_realm + "\n" + line("1002", "callcast", "b") + "\n");
  EXPECT_EQ(std::filesystem::status(file_).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST_F(UserDirectoryTest, RemoveOfAnUnknownUserLeavesTheFileAsItWas) {
  const std::string before = line("1001", "callcast", "a") + "\r\n";
  write(file_, before);
  const auto removed = remove_user(file_, "callcast", "1002");
  ASSERT_TRUE(removed) << removed.error();
  EXPECT_FALSE(*removed);
  EXPECT_EQ(read(file_), before);
  EXPECT_FALSE(remove_user(file_, "other", "1001").value());  // the number of another realm
}

TEST_F(UserDirectoryTest, RemoveFromAMissingOrMalformedFileIsAnError) {
  EXPECT_FALSE(remove_user(file_, "callcast", "1001"));
  EXPECT_FALSE(std::filesystem::exists(file_));
  write(file_, "garbage line\n");
  EXPECT_FALSE(remove_user(file_, "callcast", "1001"));
  EXPECT_EQ(read(file_), "garbage line\n");
}

TEST_F(UserDirectoryTest, AddUserFailsInAMissingDirectory) {
  const auto added = add_user(dir_ / "missing" / "users", "callcast", "1001", "secret");
  ASSERT_FALSE(added);
  EXPECT_NE(added.error().find("missing"), std::string::npos) << added.error();
}

TEST_F(UserDirectoryTest, AddedUserAuthenticates) {
  ASSERT_TRUE(add_user(file_, "callcast", "1001", "secret"));
  auto users = directory();
  const DigestAuthenticator authenticator("callcast", "s", 60s);
  DigestCredentials c;
  c.username = "1001";
  c.realm = "callcast";
  const auto challenge = authenticator.challenges()[1];  // MD5
  const auto start = challenge.find("nonce=\"") + 7;
  c.nonce = challenge.substr(start, challenge.find('"', start) - start);
  c.uri = "sip:127.0.0.1";
  c.response = digest_response(DigestAlgorithm::md5,
                               digest_ha1(DigestAlgorithm::md5, "1001", "callcast", "secret"), c,
                               "REGISTER");
  EXPECT_EQ(authenticator.verify(c, "REGISTER", users).verdict, DigestVerdict::ok);
}

}  // namespace
}  // namespace callcast::auth
