#include "user_command.hpp"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "auth/user_directory.hpp"
#include "support/temp_dir.hpp"

namespace callcast {
namespace {

class UserCommandTest : public ::testing::Test {
 protected:
  UserCommandTest() {
    config_.sip.users_file = (dir_ / "users").string();
    config_.sip.realm = "callcast";
  }

  // Parses `callcastd ARGS...` and runs the `user` action; stdout and stderr land in out_ and
  // err_.
  int run(std::vector<std::string> args) {
    CLI::App app{"callcastd", "callcastd"};
    UserCommandOptions options;
    add_user_subcommand(app, options);
    args.insert(args.begin(), "callcastd");
    std::vector<const char*> argv;
    for (const auto& arg : args)
      argv.push_back(arg.c_str());
    app.parse(static_cast<int>(argv.size()), argv.data());
    EXPECT_TRUE(options.requested());
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    const int code = run_user_command(options, config_);
    out_ = ::testing::internal::GetCapturedStdout();
    err_ = ::testing::internal::GetCapturedStderr();
    return code;
  }

  std::optional<auth::UserRecord> find(const std::filesystem::path& file, const std::string& realm,
                                       const std::string& number) {
    auth::UserDirectory users(file, realm);
    if (!users.load()) return std::nullopt;
    return users.find(number);
  }

  test::TempDir dir_{"user-command"};
  core::Config config_;
  std::string out_, err_;
};

TEST_F(UserCommandTest, AddsUserToTheConfiguredFileAndRealm) {
  ASSERT_EQ(run({"user", "add", "1001", "--password", "secret"}), 0) << err_;
  EXPECT_EQ(out_, "added user 1001 to " + config_.sip.users_file + " (realm callcast)\n");
  const auto user = find(config_.sip.users_file, "callcast", "1001");
  ASSERT_TRUE(user);
  EXPECT_EQ(user->md5_ha1,
            auth::digest_ha1(auth::DigestAlgorithm::md5, "1001", "callcast", "secret"));
}

TEST_F(UserCommandTest, SecondAddOfTheSameNumberUpdatesIt) {
  ASSERT_EQ(run({"user", "add", "1001", "--password", "old"}), 0) << err_;
  ASSERT_EQ(run({"user", "add", "1001", "--password", "new"}), 0) << err_;
  EXPECT_EQ(out_, "updated user 1001 in " + config_.sip.users_file + " (realm callcast)\n");
  EXPECT_EQ(find(config_.sip.users_file, "callcast", "1001")->sha256_ha1,
            auth::digest_ha1(auth::DigestAlgorithm::sha256, "1001", "callcast", "new"));
}

TEST_F(UserCommandTest, FlagsOverrideTheConfiguredFileAndRealm) {
  const auto other = (dir_ / "other-users").string();
  ASSERT_EQ(run({"user", "add", "1002", "--password", "pw", "--users", other, "--realm", "lab"}), 0)
      << err_;
  EXPECT_EQ(out_, "added user 1002 to " + other + " (realm lab)\n");
  EXPECT_TRUE(find(other, "lab", "1002"));
  EXPECT_FALSE(std::filesystem::exists(config_.sip.users_file));
}

TEST_F(UserCommandTest, InvalidNumberIsOneErrorLineAndExitTwo) {
  EXPECT_EQ(run({"user", "add", "10 01", "--password", "pw"}), 2);
  EXPECT_EQ(out_, "");
  EXPECT_TRUE(err_.starts_with("callcastd: user add: invalid number")) << err_;
  EXPECT_EQ(std::count(err_.begin(), err_.end(), '\n'), 1);
}

TEST_F(UserCommandTest, EmptyPasswordIsRefused) {
  EXPECT_EQ(run({"user", "add", "1001", "--password", ""}), 2);
  EXPECT_NE(err_.find("empty password"), std::string::npos) << err_;
}

TEST_F(UserCommandTest, MissingNumberIsACommandLineError) {
  CLI::App app{"callcastd", "callcastd"};
  UserCommandOptions options;
  add_user_subcommand(app, options);
  const char* argv[] = {"callcastd", "user", "add"};
  EXPECT_THROW(app.parse(3, argv), CLI::RequiredError);
}

TEST_F(UserCommandTest, NotRequestedWithoutTheSubcommand) {
  CLI::App app{"callcastd", "callcastd"};
  UserCommandOptions options;
  add_user_subcommand(app, options);
  const char* argv[] = {"callcastd"};
  app.parse(1, argv);
  EXPECT_FALSE(options.requested());
}

TEST_F(UserCommandTest, ListPrintsTheNumbersOfTheRealmOnlyAndNoHashes) {
  ASSERT_EQ(run({"user", "add", "1001", "--password", "pw-1"}), 0) << err_;
  ASSERT_EQ(run({"user", "add", "1003", "--password", "pw-3"}), 0) << err_;
  ASSERT_EQ(run({"user", "add", "1002", "--password", "pw-2", "--realm", "lab"}), 0) << err_;
  ASSERT_EQ(run({"user", "list"}), 0) << err_;
  EXPECT_EQ(out_, "1001\n1003\n");
  ASSERT_EQ(run({"user", "list", "--realm", "lab"}), 0) << err_;
  EXPECT_EQ(out_, "1002\n");
  EXPECT_EQ(out_.find(auth::digest_ha1(auth::DigestAlgorithm::md5, "1002", "lab", "pw-2")),
            std::string::npos);
}

TEST_F(UserCommandTest, ListOfAMissingFileIsExitOne) {
  EXPECT_EQ(run({"user", "list"}), 1);
  EXPECT_EQ(out_, "");
  EXPECT_TRUE(err_.starts_with("callcastd: user list: " + config_.sip.users_file)) << err_;
  EXPECT_NE(err_.find("no such users file"), std::string::npos) << err_;
}

TEST_F(UserCommandTest, RemoveDropsOnlyThatUser) {
  ASSERT_EQ(run({"user", "add", "1001", "--password", "pw-1"}), 0) << err_;
  ASSERT_EQ(run({"user", "add", "1002", "--password", "pw-2"}), 0) << err_;
  ASSERT_EQ(run({"user", "remove", "1001"}), 0) << err_;
  EXPECT_EQ(out_, "removed user 1001 from " + config_.sip.users_file + " (realm callcast)\n");
  EXPECT_FALSE(find(config_.sip.users_file, "callcast", "1001"));
  EXPECT_TRUE(find(config_.sip.users_file, "callcast", "1002"));
}

TEST_F(UserCommandTest, RemoveOfAnUnknownUserIsExitOneAndChangesNothing) {
  ASSERT_EQ(run({"user", "add", "1001", "--password", "pw-1"}), 0) << err_;
  const auto before = std::filesystem::last_write_time(config_.sip.users_file);
  EXPECT_EQ(run({"user", "remove", "1009"}), 1);
  EXPECT_EQ(out_, "");
  EXPECT_EQ(err_, "callcastd: user remove: no user 1009 in " + config_.sip.users_file +
                      " (realm callcast)\n");
  EXPECT_EQ(std::filesystem::last_write_time(config_.sip.users_file), before);
  EXPECT_TRUE(find(config_.sip.users_file, "callcast", "1001"));
}

TEST_F(UserCommandTest, RemoveFromAMissingFileIsExitOne) {
  EXPECT_EQ(run({"user", "remove", "1001"}), 1);
  EXPECT_NE(err_.find("no such users file"), std::string::npos) << err_;
  EXPECT_FALSE(std::filesystem::exists(config_.sip.users_file));
}

TEST_F(UserCommandTest, PasswdChangesTheHashesOfAnExistingUser) {
  ASSERT_EQ(run({"user", "add", "1001", "--password", "old-pw"}), 0) << err_;
  ASSERT_EQ(run({"user", "passwd", "1001", "--password", "new-pw"}), 0) << err_;
  EXPECT_EQ(out_, "changed the password of user 1001 in " + config_.sip.users_file +
                      " (realm callcast)\n");
  EXPECT_EQ(out_.find("new-pw"), std::string::npos);
  EXPECT_EQ(find(config_.sip.users_file, "callcast", "1001")->md5_ha1,
            auth::digest_ha1(auth::DigestAlgorithm::md5, "1001", "callcast", "new-pw"));
}

TEST_F(UserCommandTest, PasswdOfAnUnknownUserIsExitOneAndAddsNobody) {
  ASSERT_EQ(run({"user", "add", "1001", "--password", "pw"}), 0) << err_;
  EXPECT_EQ(run({"user", "passwd", "1002", "--password", "pw"}), 1);
  EXPECT_NE(err_.find("no user 1002"), std::string::npos) << err_;
  EXPECT_FALSE(find(config_.sip.users_file, "callcast", "1002"));
  EXPECT_EQ(
      run({"user", "passwd", "1001", "--password", "pw", "--users", (dir_ / "absent").string()}),
      1);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "absent"));
}

TEST_F(UserCommandTest, PasswdWithAnEmptyPasswordIsExitTwo) {
  ASSERT_EQ(run({"user", "add", "1001", "--password", "pw"}), 0) << err_;
  EXPECT_EQ(run({"user", "passwd", "1001", "--password", ""}), 2);
  EXPECT_EQ(err_, "callcastd: user passwd: empty password\n");
  EXPECT_EQ(find(config_.sip.users_file, "callcast", "1001")->md5_ha1,
            auth::digest_ha1(auth::DigestAlgorithm::md5, "1001", "callcast", "pw"));
}

TEST_F(UserCommandTest, EveryActionIsRecognised) {
  for (const auto& [args, action] : std::vector<std::pair<std::vector<std::string>, UserAction>>{
           {{"user", "add", "1"}, UserAction::add},
           {{"user", "passwd", "1"}, UserAction::passwd},
           {{"user", "remove", "1"}, UserAction::remove},
           {{"user", "list"}, UserAction::list}}) {
    CLI::App app{"callcastd", "callcastd"};
    UserCommandOptions options;
    add_user_subcommand(app, options);
    std::vector<const char*> argv{"callcastd"};
    for (const auto& arg : args)
      argv.push_back(arg.c_str());
    app.parse(static_cast<int>(argv.size()), argv.data());
    EXPECT_EQ(options.action(), action) << args[1];
  }
}

TEST(PasswordLine, IsTheFirstLineWithoutItsEnd) {
  std::istringstream piped("pass word\r\nsecond\n");
  EXPECT_EQ(read_password_line(piped).value(), "pass word");
  std::istringstream no_newline("secret");
  EXPECT_EQ(read_password_line(no_newline).value(), "secret");
  std::istringstream empty("");
  EXPECT_FALSE(read_password_line(empty));
}

}  // namespace
}  // namespace callcast
