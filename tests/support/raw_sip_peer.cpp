#include "support/raw_sip_peer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <map>

#include "auth/digest.hpp"
#include "auth/digest_client.hpp"

namespace callcast::test {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

// `Digest realm="callcast", nonce="...", algorithm=SHA-256, qop="auth"` -> its parameters,
// names in lower case, quotes removed.
std::map<std::string, std::string> challenge_params(std::string_view challenge) {
  std::map<std::string, std::string> params;
  challenge = trim(challenge);
  const auto space = challenge.find(' ');
  if (space == std::string_view::npos || !iequals(challenge.substr(0, space), "Digest")) {
    return params;
  }
  std::string_view rest = challenge.substr(space + 1);
  while (!rest.empty()) {
    rest = trim(rest);
    const auto equals = rest.find('=');
    if (equals == std::string_view::npos) break;
    std::string name(trim(rest.substr(0, equals)));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    rest.remove_prefix(equals + 1);
    rest = trim(rest);
    std::string value;
    if (!rest.empty() && rest.front() == '"') {
      std::size_t i = 1;
      for (; i < rest.size() && rest[i] != '"'; ++i) {
        if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
        value.push_back(rest[i]);
      }
      rest.remove_prefix(std::min(rest.size(), i + 1));
    } else {
      const auto comma = rest.find(',');
      value = std::string(trim(rest.substr(0, comma)));
      rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma);
    }
    params[name] = value;
    const auto comma = rest.find(',');
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return params;
}

// "CSeq: 2 INVITE" -> 2
std::uint32_t cseq_number(std::string_view message) {
  const auto value = sip_header(message, "CSeq").value_or("");
  std::uint32_t number = 0;
  std::from_chars(value.data(), value.data() + value.size(), number);
  return number;
}

}  // namespace

int sip_status(std::string_view message) {
  constexpr std::string_view prefix = "SIP/2.0 ";
  if (message.substr(0, prefix.size()) != prefix || message.size() < prefix.size() + 3) return 0;
  int status = 0;
  const auto* begin = message.data() + prefix.size();
  if (std::from_chars(begin, begin + 3, status).ptr != begin + 3) return 0;
  return status;
}

std::vector<std::string> sip_header_values(std::string_view message, std::string_view name) {
  std::vector<std::string> values;
  const auto end_of_headers = message.find("\r\n\r\n");
  message = message.substr(0, end_of_headers);
  std::size_t at = message.find("\r\n");
  while (at != std::string_view::npos) {
    at += 2;
    const auto next = message.find("\r\n", at);
    const std::string_view line =
        message.substr(at, next == std::string_view::npos ? next : next - at);
    const auto colon = line.find(':');
    if (colon != std::string_view::npos && iequals(trim(line.substr(0, colon)), name)) {
      values.emplace_back(trim(line.substr(colon + 1)));
    }
    at = next;
  }
  return values;
}

std::optional<std::string> sip_header(std::string_view message, std::string_view name) {
  auto values = sip_header_values(message, name);
  if (values.empty()) return std::nullopt;
  return values.front();
}

std::optional<std::string> digest_authorization(const std::string& challenge,
                                                const std::string& user,
                                                const std::string& password,
                                                const std::string& method, const std::string& uri) {
  // The project's one digest client (auth/digest_client), as the Ut client and the bench use it.
  const auto choice = auth::choose_digest_challenge_of(std::vector<std::string>{challenge});
  if (!choice) return std::nullopt;
  return auth::digest_authorization(
      *choice, user, password, method, uri,
      "e2e" + std::to_string(std::hash<std::string>{}(choice->challenge.nonce)));
}

RawSipPeer::RawSipPeer(sipua::Transport transport, std::uint16_t server_port)
    : transport_(transport), server_port_(server_port) {
  const bool tcp = transport == sipua::Transport::tcp;
  fd_ = ::socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
  if (fd_ < 0) {
    error_ = "socket failed";
    return;
  }
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(server_port);
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&server), sizeof server) != 0) {
    error_ = "connect to 127.0.0.1:" + std::to_string(server_port) + " failed";
    ::close(fd_);
    fd_ = -1;
    return;
  }
  sockaddr_in local{};
  socklen_t length = sizeof local;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &length);
  local_port_ = ntohs(local.sin_port);
  if (!tcp) {
    // A flood's answers must not be dropped by a small default buffer while the test sends.
    const int size = 4 << 20;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
}

RawSipPeer::~RawSipPeer() {
  if (fd_ >= 0) ::close(fd_);
}

std::string RawSipPeer::build(const RawSipRequest& request) {
  const std::string domain = "127.0.0.1:" + std::to_string(server_port_);
  const bool tcp = transport_ == sipua::Transport::tcp;
  const std::string to_user = request.method == "REGISTER" ? request.from_user : request.to_user;
  const std::string request_uri =
      request.method == "REGISTER" ? "sip:" + domain : "sip:" + request.to_user + "@" + domain;
  std::string text = request.method + " " + request_uri + " SIP/2.0\r\n";
  text += "Via: SIP/2.0/" + std::string(tcp ? "TCP" : "UDP") +
          " 127.0.0.1:" + std::to_string(local_port_) + ";rport;branch=z9hG4bK-raw-" +
          request.call_id + "-" + std::to_string(next_branch_++) + "\r\n";
  text += "Max-Forwards: 70\r\n";
  text +=
      "From: <sip:" + request.from_user + "@" + domain + ">;tag=raw-" + request.call_id + "\r\n";
  text += "To: <sip:" + to_user + "@" + domain + ">\r\n";
  text += "Call-ID: " + request.call_id + "\r\n";
  text += "CSeq: " + std::to_string(request.cseq) + " " + request.method + "\r\n";
  for (const auto& header : request.headers)
    text += header + "\r\n";
  text += "Content-Length: " + std::to_string(request.body.size()) + "\r\n\r\n";
  text += request.body;
  return text;
}

bool RawSipPeer::send(std::string_view bytes) {
  if (fd_ < 0) return false;
  if (bytes.substr(0, 7) == "INVITE ") last_request_ = std::string(bytes);
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const auto n =
        ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    // A server that stops reading must not hang the test: give up after a while.
    pollfd writable{fd_, POLLOUT, 0};
    if ((errno != EAGAIN && errno != EWOULDBLOCK) || ::poll(&writable, 1, 2000) <= 0) {
      return false;
    }
  }
  return true;
}

std::optional<std::string> RawSipPeer::receive(std::chrono::milliseconds timeout) {
  if (fd_ < 0) return std::nullopt;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const bool tcp = transport_ == sipua::Transport::tcp;
  for (;;) {
    if (tcp) {
      // One message off the stream once its headers and Content-Length bytes are in.
      const auto end = stream_.find("\r\n\r\n");
      if (end != std::string::npos) {
        const auto length_text =
            sip_header(stream_.substr(0, end + 4), "Content-Length")
                .value_or(sip_header(stream_.substr(0, end + 4), "l").value_or("0"));
        std::size_t length = 0;
        std::from_chars(length_text.data(), length_text.data() + length_text.size(), length);
        if (stream_.size() >= end + 4 + length) {
          std::string message = stream_.substr(0, end + 4 + length);
          stream_.erase(0, end + 4 + length);
          return message;
        }
      }
      if (closed_) return std::nullopt;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd ready{fd_, POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
    char buffer[65536];
    const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) {
      // UDP: an ICMP error from an earlier datagram; keep waiting. TCP: the server closed (or
      // reset) the connection; what is complete in stream_ is still returned.
      if (tcp) closed_ = true;
      continue;
    }
    if (!tcp) return std::string(buffer, static_cast<std::size_t>(n));
    stream_.append(buffer, static_cast<std::size_t>(n));
  }
}

std::optional<std::string> RawSipPeer::wait_response(const std::string& call_id, std::uint32_t cseq,
                                                     std::chrono::milliseconds timeout,
                                                     int min_status) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto message = receive(left);
    if (!message) return std::nullopt;
    const int status = sip_status(*message);
    if (status == 0 || sip_header(*message, "Call-ID").value_or("") != call_id ||
        cseq_number(*message) != cseq) {
      continue;
    }
    const auto method = sip_header(*message, "CSeq").value_or("");
    if (status >= 300 && method.find("INVITE") != std::string::npos) ack(*message);
    if (status >= min_status) return message;
  }
}

void RawSipPeer::ack(const std::string& response) {
  // RFC 3261 §17.1.1.3: the ACK of an error response copies the INVITE's Request-URI, Via,
  // From, Call-ID and CSeq number, and the response's To (with its tag). Only for the INVITE
  // last sent: an ACK for another one would be a stray.
  const std::string invite = last_request_;
  const auto cseq = cseq_number(response);
  if (invite.empty() || cseq_number(invite) != cseq ||
      sip_header(invite, "Call-ID") != sip_header(response, "Call-ID")) {
    return;
  }
  std::string text = "ACK" + invite.substr(6, invite.find("\r\n") - 6) + "\r\n";
  text += "Via: " + sip_header(invite, "Via").value_or("") + "\r\n";
  text += "Max-Forwards: 70\r\n";
  text += "From: " + sip_header(invite, "From").value_or("") + "\r\n";
  text += "To: " + sip_header(response, "To").value_or("") + "\r\n";
  text += "Call-ID: " + sip_header(invite, "Call-ID").value_or("") + "\r\n";
  text += "CSeq: " + std::to_string(cseq) + " ACK\r\nContent-Length: 0\r\n\r\n";
  send(text);
}

std::optional<std::string> RawSipPeer::send_authenticated(RawSipRequest request,
                                                          const std::string& password,
                                                          const std::string& algorithm,
                                                          std::chrono::milliseconds timeout) {
  if (!send(build(request))) return std::nullopt;
  auto challenge_response = wait_response(request.call_id, request.cseq, timeout);
  if (!challenge_response || sip_status(*challenge_response) != 401) return challenge_response;
  std::optional<std::string> challenge;
  for (const auto& value : sip_header_values(*challenge_response, "WWW-Authenticate")) {
    const auto params = challenge_params(value);
    const auto it = params.find("algorithm");
    const std::string offered = it == params.end() || it->second.empty() ? "MD5" : it->second;
    if (iequals(offered, algorithm)) challenge = value;
  }
  if (!challenge) return std::nullopt;
  const std::string uri =
      request.method == "REGISTER"
          ? "sip:127.0.0.1:" + std::to_string(server_port_)
          : "sip:" + request.to_user + "@127.0.0.1:" + std::to_string(server_port_);
  auto authorization =
      digest_authorization(*challenge, request.from_user, password, request.method, uri);
  if (!authorization) return std::nullopt;
  request.cseq += 1;
  request.headers.push_back("Authorization: " + *authorization);
  if (!send(build(request))) return std::nullopt;
  return wait_response(request.call_id, request.cseq, timeout);
}

}  // namespace callcast::test
