// The Ut API (call forwarding, step 708) against stock HTTP clients, with callcastd's default
// configuration (issue 11 item 10): Python's urllib digest handler, which reads only the first
// challenge and knows no SHA-256, curl --digest, and a SHA-256 answer (still accepted although
// MD5 is offered first). The rule each client sets must be the one callcastd's API reads back.
#include <gtest/gtest.h>

#include <string>

#include "support/media_tools.hpp"
#include "support/sip_e2e.hpp"

namespace callcast::test {
namespace {

using namespace std::chrono_literals;

class UtApiInteropTest : public SipE2eTest {
 protected:
  UtApiInteropTest() : SipE2eTest(CALLCASTD_PATH) {}

  std::string base_url() { return "http://127.0.0.1:" + std::to_string(server().http_port()); }

  ToolRun python(const std::string& mode) {
    return run_tool({"python3", UT_STOCK_CLIENTS_PY, mode, base_url(), kMaster, kPassword}, dir(),
                    "python-" + mode, 30s);
  }
};

TEST_F(UtApiInteropTest, PythonUrllibDigestHandlerSetsReadsAndClearsTheRule) {
  const ToolRun run = python("urllib");
  EXPECT_TRUE(run.ok()) << run.command << "\n" << run.out << run.err;
  EXPECT_NE(run.out.find("PUT 201"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("GET 200 {\"target\":\"777\"}"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("DELETE 204"), std::string::npos) << run.out;
  EXPECT_TRUE(server().wait_for_log("step=708 event=forwarding_set target=777", 2s))
      << server().log_tail();
}

TEST_F(UtApiInteropTest, Sha256IsStillAcceptedAfterTheMd5Challenge) {
  const ToolRun run = python("sha256");
  EXPECT_TRUE(run.ok()) << run.command << "\n" << run.out << run.err;
  EXPECT_NE(run.out.find("PUT (SHA-256) 201"), std::string::npos) << run.out;
  const UtResult read = ut("GET", kMaster);
  EXPECT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(read.body, R"({"target":"777"})");
}

TEST_F(UtApiInteropTest, CurlDigestSetsReadsAndClearsTheRule) {
  EXPECT_EQ(ut("PUT", kMaster, R"({"target":"777"})").status, 201);
  const UtResult read = ut("GET", kMaster);
  EXPECT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(read.body, R"({"target":"777"})");
  EXPECT_EQ(ut("PUT", kMaster, R"({"target":"13800000001"})").status, 400)
      << "not the user's own number";
  EXPECT_EQ(ut("DELETE", kMaster).status, 204);
  EXPECT_EQ(ut("GET", kMaster).status, 404);
}

}  // namespace
}  // namespace callcast::test
