#include "media_rtsp_record.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <vector>

#include "rtsp/rtsp_message.hpp"

namespace callcast::bench {
namespace {

struct Exchange {
  int fd;
  std::uint32_t cseq = 0;
  std::string buffer;
};

Result<rtsp::RtspResponse, std::string> request(Exchange& x, const std::string& method,
                                                const std::string& url,
                                                const std::vector<std::string>& headers,
                                                const std::string& body = {}) {
  std::string text = method + " " + url + " RTSP/1.0\r\nCSeq: " + std::to_string(++x.cseq) +
                     "\r\nUser-Agent: callcast-bench\r\n";
  for (const auto& header : headers)
    text += header + "\r\n";
  if (!body.empty()) text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  text += "\r\n" + body;
  std::size_t sent = 0;
  while (sent < text.size()) {
    const ssize_t n = send(x.fd, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(method + ": send: " + std::strerror(errno));
    sent += static_cast<std::size_t>(n);
  }
  // Every recv is bounded by SO_RCVTIMEO; 64 reads at most.
  for (int round = 0; round < 64; ++round) {
    auto parsed = rtsp::parse_response(x.buffer, rtsp::ParserLimits{64 * 1024, 64});
    if (parsed.status == rtsp::ParseStatus::complete) {
      x.buffer.erase(0, parsed.consumed);
      if (parsed.message.status != 200) {
        return fail(method + " -> " + std::to_string(parsed.message.status) + " " +
                    parsed.message.reason);
      }
      return std::move(parsed.message);
    }
    if (parsed.status == rtsp::ParseStatus::error) {
      return fail(method + ": bad response: " + parsed.error);
    }
    char chunk[4096];
    const ssize_t n = recv(x.fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return fail(method + ": the server closed the connection");
    if (n < 0) return fail(method + ": no answer (" + std::strerror(errno) + ")");
    x.buffer.append(chunk, static_cast<std::size_t>(n));
  }
  return fail(method + ": answer too long");
}

}  // namespace

Result<RtspUrl, std::string> parse_rtsp_url(const std::string& url) {
  constexpr std::string_view kScheme = "rtsp://";
  if (url.rfind(kScheme, 0) != 0) return fail("not an rtsp:// URL: " + url);
  const std::size_t slash = url.find('/', kScheme.size());
  const std::string authority = url.substr(kScheme.size(), slash - kScheme.size());
  RtspUrl out;
  out.path_and_query = slash == std::string::npos ? "/" : url.substr(slash);
  const std::size_t colon = authority.rfind(':');
  const std::size_t bracket = authority.find(']');
  if (colon == std::string::npos || (bracket != std::string::npos && bracket > colon)) {
    out.host = authority;
  } else {
    out.host = authority.substr(0, colon);
    const std::string digits = authority.substr(colon + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out.port);
    if (ec != std::errc() || end != digits.data() + digits.size()) {
      return fail("bad port in " + url);
    }
  }
  if (out.host.size() > 2 && out.host.front() == '[')
    out.host = out.host.substr(1, out.host.size() - 2);
  return out;
}

std::string with_control(const std::string& url, const std::string& control) {
  const std::size_t query = url.find('?');
  const std::string base = url.substr(0, query);
  const std::string rest = query == std::string::npos ? "" : url.substr(query);
  return base + (base.ends_with('/') ? "" : "/") + control + rest;
}

Result<int, std::string> connect_tcp(const std::string& host, std::uint16_t port,
                                     std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || !found) {
    return fail("not a numeric address: " + host);
  }
  const int fd = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    freeaddrinfo(found);
    return fail(std::string("socket: ") + std::strerror(errno));
  }
  timeval limit{static_cast<time_t>(timeout.count() / 1000),
                static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const int rc = connect(fd, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  if (rc != 0) {
    const std::string why = std::strerror(errno);
    close(fd);
    return fail("connect " + host + ":" + std::to_string(port) + ": " + why);
  }
  return fd;
}

Result<int, std::string> rtsp_record(const std::string& publish_url, const std::string& sdp,
                                     std::chrono::milliseconds timeout) {
  auto url = parse_rtsp_url(publish_url);
  if (!url) return fail(url.error());
  auto fd = connect_tcp(url->host, url->port, timeout);
  if (!fd) return fail(fd.error());
  Exchange x{*fd, 0, {}};
  auto give_up = [&x](const std::string& why) -> Result<int, std::string> {
    close(x.fd);
    return fail(why);
  };
  auto announced = request(x, "ANNOUNCE", publish_url, {"Content-Type: application/sdp"}, sdp);
  if (!announced) return give_up(announced.error());
  auto video = request(x, "SETUP", with_control(publish_url, "trackID=0"),
                       {"Transport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record"});
  if (!video) return give_up(video.error());
  const auto session_header = video->header("Session");
  if (!session_header) return give_up("SETUP answer without Session");
  const std::string session(session_header->substr(0, session_header->find(';')));
  auto audio = request(
      x, "SETUP", with_control(publish_url, "trackID=1"),
      {"Transport: RTP/AVP/TCP;unicast;interleaved=2-3;mode=record", "Session: " + session});
  if (!audio) return give_up(audio.error());
  auto recording = request(x, "RECORD", publish_url, {"Session: " + session, "Range: npt=0.000-"});
  if (!recording) return give_up(recording.error());
  return x.fd;
}

}  // namespace callcast::bench
