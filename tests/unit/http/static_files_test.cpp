// Issue 14's web pages served by the HTTP server: which request paths name which file (and the
// many that must name none: traversal, encoded or not, hidden files, control bytes), the
// Content-Types, and serving from a real directory (symbolic links out of the root, directories,
// the console's access rule), through a real server for GET and HEAD.
#include "http/static_files.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "http/http_server.hpp"
#include "http/static_path.hpp"
#include "http_test_client.hpp"
#include "io_thread.hpp"
#include "support/temp_dir.hpp"

namespace callcast::http::static_files_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::string resolved(std::string_view path) {
  auto result = resolve_static_path(path);
  return result ? *result : "error: " + result.error();
}

TEST(StaticPathTest, PagesHaveShortPaths) {
  EXPECT_EQ(resolved("/"), "index.html");
  EXPECT_EQ(resolved("/watch"), "watch.html");
  EXPECT_EQ(resolved("/broadcast"), "broadcast.html");
  EXPECT_EQ(resolved("/watch?number=13800000001&token=abc"), "watch.html");
}

TEST(StaticPathTest, AssetsArePercentDecoded) {
  EXPECT_EQ(resolved("/assets/watch.js"), "assets/watch.js");
  EXPECT_EQ(resolved("/assets/uPlot.esm.js?v=2"), "assets/uPlot.esm.js");
  EXPECT_EQ(resolved("/assets/a%20b.css"), "assets/a b.css");
  EXPECT_EQ(resolved("/assets/icons/logo.svg"), "assets/icons/logo.svg");
  EXPECT_EQ(resolved("/assets/a..b.js"), "assets/a..b.js") << "dots inside a name are fine";
}

TEST(StaticPathTest, AnythingElseIsNoPage) {
  for (const char* path : {"/index.html", "/watch.html", "/watch/", "/dist/index.html", "/assets",
                           "/assets/", "/etc/passwd", "/v1/groups", "//watch"}) {
    EXPECT_FALSE(resolve_static_path(path).ok()) << path;
  }
}

TEST(StaticPathTest, TraversalIsRefusedEncodedOrNot) {
  for (const char* path :
       {"/assets/../../etc/passwd", "/assets/..", "/assets/.", "/assets/%2e%2e/secret",
        "/assets/%2E%2E", "/assets/.%2e/x", "/assets/x/../../y", "/assets/..%2fetc%2fpasswd",
        "/assets/%2fetc%2fpasswd", "/assets/..\\..\\windows", "/assets/a%5c..%5cb",
        "/assets/.git/config", "/assets/.env", "/assets/a//b", "/assets/a/"}) {
    EXPECT_FALSE(resolve_static_path(path).ok()) << path << " -> " << resolved(path);
  }
}

TEST(StaticPathTest, ControlBytesAndBrokenEncodingAreRefused) {
  EXPECT_THAT(resolved(std::string_view("/assets/a\0b.js", 14)), HasSubstr("control character"));
  EXPECT_THAT(resolved("/assets/a%00.js"), HasSubstr("control character"));
  EXPECT_THAT(resolved("/assets/a%0a.js"), HasSubstr("control character"));
  EXPECT_THAT(resolved("/assets/a%zz.js"), HasSubstr("percent-encoding"));
  EXPECT_THAT(resolved("/assets/a%2"), HasSubstr("percent-encoding"));
  EXPECT_THAT(resolved(""), HasSubstr("must start with '/'"));
  EXPECT_THAT(resolved("assets/a.js"), HasSubstr("must start with '/'"));
  EXPECT_THAT(resolved("http://host/assets/a.js"), HasSubstr("must start with '/'"));
}

TEST(StaticPathTest, ContentTypesByExtension) {
  EXPECT_EQ(static_content_type("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(static_content_type("assets/watch.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(static_content_type("assets/x.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(static_content_type("assets/style.css"), "text/css; charset=utf-8");
  EXPECT_EQ(static_content_type("assets/logo.svg"), "image/svg+xml");
  EXPECT_EQ(static_content_type("assets/shot.png"), "image/png");
  EXPECT_EQ(static_content_type("assets/data.json"), "application/json");
  EXPECT_EQ(static_content_type("assets/watch.js.map"), "application/json");
  EXPECT_EQ(static_content_type("assets/blob.bin"), "application/octet-stream");
  EXPECT_EQ(static_content_type("assets/.js"), "application/octet-stream") << "no base name";
  EXPECT_EQ(static_content_type("assets/js"), "application/octet-stream");
}

// A web root in a temp dir: index.html, watch.html, assets/app.js, a directory, a secret beside
// the root and a symbolic link from the root to it.
class StaticFilesTest : public ::testing::Test {
 protected:
  StaticFilesTest() {
    std::filesystem::create_directories(root() / "assets" / "folder");
    write(root() / "index.html", "<!doctype html><title>console</title>");
    write(root() / "watch.html", "<!doctype html><title>watch</title>");
    write(root() / "assets" / "app.js", "export const x = 1;\n");
    write(dir_ / "secret.txt", "the secret");
    std::filesystem::create_symlink(dir_ / "secret.txt", root() / "assets" / "leak.txt");
  }

  std::filesystem::path root() const { return dir_ / "dist"; }

  static void write(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }

  static Request get(std::string path, std::string peer = "127.0.0.1") {
    Request request;
    request.method = "GET";
    request.target = path;
    request.path = path.substr(0, path.find('?'));
    request.peer_address = std::move(peer);
    return request;
  }

  static std::string header(const Response& response, std::string_view name) {
    for (const Header& h : response.headers) {
      if (iequals(h.name, name)) return h.value;
    }
    return "(none)";
  }

  callcast::test::TempDir dir_{"static-files"};
};

TEST_F(StaticFilesTest, ServesPagesWithTheirTypeAndNoCache) {
  const StaticFiles files(root(), true);
  const Response page = files.serve(get("/watch?number=1"));
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.body, "<!doctype html><title>watch</title>");
  EXPECT_EQ(header(page, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(header(page, "Cache-Control"), "no-cache");
  EXPECT_EQ(header(page, "X-Content-Type-Options"), "nosniff");

  const Response script = files.serve(get("/assets/app.js"));
  EXPECT_EQ(script.status, 200);
  EXPECT_EQ(script.body, "export const x = 1;\n");
  EXPECT_EQ(header(script, "Content-Type"), "text/javascript; charset=utf-8");
}

TEST_F(StaticFilesTest, MissingFilesDirectoriesAndLinksOutOfTheRootAre404) {
  const StaticFiles files(root(), true);
  for (const char* path : {"/broadcast", "/assets/nope.js", "/assets/folder", "/assets/leak.txt",
                           "/assets/%2e%2e/%2e%2e/secret.txt", "/secret.txt"}) {
    const Response response = files.serve(get(path));
    EXPECT_EQ(response.status, 404) << path;
    EXPECT_EQ(header(response, "Content-Type"), "text/plain; charset=utf-8") << path;
    EXPECT_THAT(response.body, Not(HasSubstr("the secret"))) << path;
  }
  EXPECT_THAT(files.serve(get("/assets/nope.js")).body, StartsWith("no such file: assets/nope.js"));
  EXPECT_THAT(files.serve(get("/assets/..")).body, StartsWith("no such page: "));
}

TEST_F(StaticFilesTest, ARootGivenWithATrailingSlashOrDotsStillServes) {
  EXPECT_EQ(StaticFiles(root().string() + "/", true).serve(get("/watch")).status, 200);
  EXPECT_EQ(StaticFiles(root() / "assets" / "..", true).serve(get("/watch")).status, 200);
}

TEST_F(StaticFilesTest, NoRootSaysHowToBuildThePages) {
  const Response response = StaticFiles({}, true).serve(get("/"));
  EXPECT_EQ(response.status, 404);
  EXPECT_THAT(response.body, HasSubstr("make web"));
}

TEST_F(StaticFilesTest, ConsoleFollowsTheAdminApisAccessRule) {
  const StaticFiles without_key(root(), /*console_loopback_only=*/true);
  EXPECT_EQ(without_key.serve(get("/", "127.0.0.1")).status, 200);
  EXPECT_EQ(without_key.serve(get("/", "::1")).status, 200);
  const Response refused = without_key.serve(get("/", "192.0.2.7"));
  EXPECT_EQ(refused.status, 403);
  EXPECT_THAT(refused.body, HasSubstr("http.api_key"));
  EXPECT_EQ(without_key.serve(get("/watch", "192.0.2.7")).status, 200) << "the pages are public";

  const StaticFiles with_key(root(), /*console_loopback_only=*/false);
  EXPECT_EQ(with_key.serve(get("/", "192.0.2.7")).status, 200);
}

TEST(StaticFilesDefaultRootTest, IsTheSourceTreesBuildWhenItExists) {
  const std::filesystem::path root = StaticFiles::default_root();
  if (std::filesystem::is_directory(CALLCAST_TEST_WEB_ROOT)) {
    EXPECT_EQ(root, std::filesystem::path(CALLCAST_TEST_WEB_ROOT));
  } else {
    EXPECT_TRUE(root.empty()) << root;
  }
}

// Through a real server: routes, the server's own 404 for paths without a route, and HEAD.
class StaticFilesServerTest : public StaticFilesTest {
 protected:
  void SetUp() override {
    server_ = std::make_unique<HttpServer>(io_.io());
    files_.add_routes(*server_);
    ASSERT_TRUE(server_->listen("127.0.0.1", 0).ok());
    io_.start();
  }
  void TearDown() override {
    io_.run_sync([this] { server_->stop(); });
    io_.join();
    server_.reset();
  }

  // The raw bytes the server answers to `request` (sent with Connection: close).
  std::string exchange_raw(const std::string& request) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), server_->port()});
    boost::asio::write(socket, boost::asio::buffer(request));
    std::string answer;
    boost::system::error_code ec;
    boost::asio::read(socket, boost::asio::dynamic_buffer(answer), ec);
    return answer;
  }

  StaticFiles files_{root(), true};
  test::IoThread io_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(StaticFilesServerTest, GetServesTheFiles) {
  test::TestClient client(server_->port());
  const auto page = client.request("GET", "/");
  ASSERT_TRUE(page.has_value()) << client.error();
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->body, "<!doctype html><title>console</title>");
  const auto script = client.request("GET", "/assets/app.js");
  ASSERT_TRUE(script.has_value()) << client.error();
  EXPECT_EQ(script->status, 200);
  EXPECT_EQ(script->header("Content-Type"), "text/javascript; charset=utf-8");
}

TEST_F(StaticFilesServerTest, HeadGivesTheLengthWithoutTheBody) {
  const std::string answer =
      exchange_raw("HEAD /watch HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(answer, HasSubstr("Content-Length: 35\r\n"));
  EXPECT_THAT(answer, HasSubstr("Content-Type: text/html; charset=utf-8\r\n"));
  EXPECT_TRUE(answer.ends_with("\r\n\r\n")) << answer;
}

TEST_F(StaticFilesServerTest, TraversalThroughTheServerIsRefused) {
  for (const char* target : {"/assets/..%2f..%2fsecret.txt", "/assets/%2e%2e", "/assets/leak.txt",
                             "/assets/../../secret.txt", "/assets/..\\secret.txt"}) {
    const std::string answer = exchange_raw("GET " + std::string(target) +
                                            " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_THAT(answer, StartsWith("HTTP/1.1 404")) << target;
    EXPECT_THAT(answer, Not(HasSubstr("the secret"))) << target;
  }
}

TEST_F(StaticFilesServerTest, OtherMethodsAre405) {
  test::TestClient client(server_->port());
  const auto reply = client.request("POST", "/watch", "x");
  ASSERT_TRUE(reply.has_value()) << client.error();
  EXPECT_EQ(reply->status, 405);
  EXPECT_EQ(reply->header("Allow"), "GET, HEAD");
}

}  // namespace
}  // namespace callcast::http::static_files_test
