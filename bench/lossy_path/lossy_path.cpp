// callcast-lossy-path: the lossy, delayed link of bench/loss.sh (issue 12).
//
// The kernels the bench runs on have no netem qdisc ("Specified qdisc kind is unknown"), so loss
// and delay are made in user space: an iptables rule in the lab's router sends the packets of
// one direction to an NFQUEUE, and this program gives each packet its verdict. A packet it drops
// gets NF_DROP at once; every other packet is held for --delay-ms and then accepted. The delay is
// the same for every packet, so a FIFO of held packets releases them in the order they came: the
// path delays and loses, it never reorders.
//
//   callcast-lossy-path --queue N [--loss PERCENT] [--burst MIN-MAX] [--delay-ms MS] [--seed S]
//
//   --loss 0..100   share of packets dropped, on average
//   --burst MIN-MAX drop in bursts (Gilbert-Elliott with a bounded bad state): a burst starts at a
//                   packet with a probability chosen so that the long-run loss is --loss, and
//                   drops that packet and the next L-1, L uniform in [MIN, MAX]
//   --delay-ms MS   one-way delay added to every packet that is not dropped
//   --seed S        the random generator's seed: the same seed drops the same packet numbers
//
// Prints `ready queue N` on stdout once bound, and at exit (SIGTERM, SIGINT) accepts what it
// still holds and prints its counts as one JSON line. The counts are server-agnostic figures for
// the bench: per RTP flow (destination, SSRC) the packets, bytes, drops and repeats (a sequence
// number seen before on that flow: a retransmission sent as the original packet), so RFC 4588
// streams (their own SSRC and payload type) and plain resends are both visible; and the RTCP
// feedback the path carried (generic NACKs with the sequence numbers they ask for, PLI, FIR).
#include <arpa/inet.h>
#include <fcntl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <bitset>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <tuple>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int queue = -1;
  double loss = 0.0;  // 0..1
  unsigned burst_min = 0;
  unsigned burst_max = 0;  // 0: independent (Bernoulli) loss
  std::chrono::microseconds delay{0};
  std::uint64_t seed = 1;
};

struct Held {
  std::uint32_t id;
  Clock::time_point due;
};

struct Counts {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  std::uint64_t dropped = 0;
  std::uint64_t dropped_bytes = 0;
  std::uint64_t bursts = 0;
  std::uint64_t delayed = 0;
  std::size_t max_held = 0;
  std::uint64_t verdict_errors = 0;
  std::uint64_t netlink_overruns = 0;  // the kernel could not hand us packets: unasked-for loss
};

// Decides each packet's fate. Bursty mode: a burst starts with probability p at a packet of the
// good state; it drops that packet and L-1 more (E[L] = (min+max)/2). Over a cycle of 1/p good
// packets and L-1 more the loss is E[L] / (1/p + E[L] - 1), so 1/p = E[L] (1/loss - 1) + 1.
class LossModel {
 public:
  explicit LossModel(const Options& options)
      : options_(options), random_(options.seed), unit_(0.0, 1.0) {
    if (options.burst_max > 0 && options.loss > 0.0) {
      const double mean = (options.burst_min + options.burst_max) / 2.0;
      burst_start_ = 1.0 / (mean * (1.0 / options.loss - 1.0) + 1.0);
    }
  }

  // True: drop this packet. `started_burst` tells the caller a new burst began here.
  bool drop(bool& started_burst) {
    started_burst = false;
    if (options_.loss <= 0.0) return false;
    if (options_.burst_max == 0) return unit_(random_) < options_.loss;
    if (burst_left_ > 0) {
      --burst_left_;
      return true;
    }
    if (unit_(random_) >= burst_start_) return false;
    std::uniform_int_distribution<unsigned> length(options_.burst_min, options_.burst_max);
    burst_left_ = length(random_) - 1;
    started_burst = true;
    return true;
  }

 private:
  const Options& options_;
  std::mt19937_64 random_;
  std::uniform_real_distribution<double> unit_;
  double burst_start_ = 0.0;
  unsigned burst_left_ = 0;
};

// One RTP stream as the path sees it. `seen` holds the sequence numbers of the last half cycle:
// a number seen again is a repeat.
struct Flow {
  int payload_type = -1;
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  std::uint64_t dropped = 0;
  std::uint64_t repeats = 0;
  std::uint16_t highest = 0;
  bool started = false;
  std::unique_ptr<std::bitset<65536>> seen = std::make_unique<std::bitset<65536>>();
};
using FlowKey = std::tuple<std::uint32_t, std::uint16_t, std::uint32_t>;  // daddr, dport, ssrc

struct Feedback {
  std::uint64_t rtcp_packets = 0;
  std::uint64_t nack_messages = 0;
  std::uint64_t nacked_packets = 0;  // sequence numbers asked for (PID + BLP bits)
  std::uint64_t pli = 0;
  std::uint64_t fir = 0;
  std::uint64_t remb = 0;
  std::uint64_t tmmbr = 0;
};

struct State {
  Options options;
  LossModel* model = nullptr;
  nfq_q_handle* queue = nullptr;
  std::deque<Held> held;
  Counts counts;
  std::map<FlowKey, Flow> flows;
  Feedback feedback;
};

std::uint16_t be16(const unsigned char* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
std::uint32_t be32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}

// A compound RTCP packet: counts its feedback messages (RFC 4585 6.2.1, 6.3.1; RFC 5104).
void count_rtcp(State& state, const unsigned char* p, std::size_t length) {
  ++state.feedback.rtcp_packets;
  while (length >= 4) {
    const std::size_t size = (std::size_t{be16(p + 2)} + 1) * 4;
    if (size > length || (p[0] >> 6) != 2) return;
    const int fmt = p[0] & 0x1f;
    if (p[1] == 205 && fmt == 1 && size >= 12) {
      ++state.feedback.nack_messages;
      for (std::size_t at = 12; at + 4 <= size; at += 4) {
        state.feedback.nacked_packets += 1 + std::bitset<16>(be16(p + at + 2)).count();
      }
    } else if (p[1] == 205 && fmt == 3) {
      ++state.feedback.tmmbr;
    } else if (p[1] == 206 && fmt == 1) {
      ++state.feedback.pli;
    } else if (p[1] == 206 && fmt == 4) {
      ++state.feedback.fir;
    } else if (p[1] == 206 && fmt == 15) {
      ++state.feedback.remb;
    }
    p += size;
    length -= size;
  }
}

// Classifies one IPv4 packet: RTP (per flow), RTCP (feedback counts) or neither.
void classify(State& state, const unsigned char* ip, std::size_t length, bool dropped) {
  if (length < 20 || (ip[0] >> 4) != 4 || ip[9] != 17) return;
  const std::size_t header = std::size_t{ip[0] & 0x0fu} * 4;
  if (length < header + 8 + 12) return;
  const unsigned char* udp = ip + header;
  const unsigned char* rtp = udp + 8;
  const std::size_t rtp_length = length - header - 8;
  if ((rtp[0] >> 6) != 2) return;
  const int second = rtp[1];
  if (second >= 192 && second <= 223) {  // RTCP (RFC 5761 4: types 192-223 are not RTP)
    count_rtcp(state, rtp, rtp_length);
    return;
  }
  const FlowKey key{be32(ip + 16), be16(udp + 2), be32(rtp + 8)};
  Flow& flow = state.flows[key];
  const std::uint16_t seq = be16(rtp + 2);
  flow.payload_type = second & 0x7f;
  ++flow.packets;
  flow.bytes += rtp_length;
  if (dropped) ++flow.dropped;
  if (!flow.started) {
    flow.started = true;
    flow.highest = seq;
    flow.seen->set(seq);
    return;
  }
  const auto ahead = static_cast<std::uint16_t>(seq - flow.highest);
  if (ahead != 0 && ahead < 0x8000) {
    // Forward: what lies between was never sent through here (yet); forget its old half cycle.
    for (std::uint16_t s = static_cast<std::uint16_t>(flow.highest + 1); s != seq; ++s) {
      flow.seen->reset(s);
    }
    flow.highest = seq;
    flow.seen->set(seq);
    return;
  }
  if (flow.seen->test(seq)) {
    ++flow.repeats;
  } else {
    flow.seen->set(seq);
  }
}

volatile std::sig_atomic_t stop_requested = 0;
void on_stop(int) { stop_requested = 1; }

void accept_packet(State& state, std::uint32_t id) {
  if (nfq_set_verdict(state.queue, id, NF_ACCEPT, 0, nullptr) < 0) ++state.counts.verdict_errors;
}

int on_packet(nfq_q_handle*, nfgenmsg*, nfq_data* data, void* context) {
  auto& state = *static_cast<State*>(context);
  const nfqnl_msg_packet_hdr* header = nfq_get_msg_packet_hdr(data);
  if (header == nullptr) return 0;
  const std::uint32_t id = ntohl(header->packet_id);
  unsigned char* payload = nullptr;
  const int length = nfq_get_payload(data, &payload);
  const std::uint64_t bytes = length > 0 ? static_cast<std::uint64_t>(length) : 0;
  ++state.counts.packets;
  state.counts.bytes += bytes;
  bool started_burst = false;
  const bool drop = state.model->drop(started_burst);
  if (payload != nullptr && length > 0) {
    classify(state, payload, static_cast<std::size_t>(length), drop);
  }
  if (drop) {
    ++state.counts.dropped;
    state.counts.dropped_bytes += bytes;
    if (started_burst) ++state.counts.bursts;
    if (nfq_set_verdict(state.queue, id, NF_DROP, 0, nullptr) < 0) ++state.counts.verdict_errors;
    return 0;
  }
  if (state.options.delay.count() == 0 && state.held.empty()) {
    accept_packet(state, id);
    return 0;
  }
  state.held.push_back({id, Clock::now() + state.options.delay});
  ++state.counts.delayed;
  if (state.held.size() > state.counts.max_held) state.counts.max_held = state.held.size();
  return 0;
}

void release_due(State& state, Clock::time_point now) {
  while (!state.held.empty() && state.held.front().due <= now) {
    accept_packet(state, state.held.front().id);
    state.held.pop_front();
  }
}

bool parse_number(const char* text, double min, double max, double& value) {
  char* end = nullptr;
  errno = 0;
  const double parsed = std::strtod(text, &end);
  if (errno != 0 || end == text || *end != '\0' || parsed < min || parsed > max) return false;
  value = parsed;
  return true;
}

bool parse_burst(const char* text, unsigned& min, unsigned& max) {
  unsigned low = 0, high = 0;
  char tail = 0;
  if (std::sscanf(text, "%u-%u%c", &low, &high, &tail) != 2) return false;
  if (low < 1 || high < low || high > 1000) return false;
  min = low;
  max = high;
  return true;
}

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: callcast-lossy-path --queue N [--loss PERCENT] [--burst MIN-MAX] "
               "[--delay-ms MS] [--seed S]\n");
}

bool parse_options(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "-h" || flag == "--help") {
      usage(stdout);
      std::exit(0);
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "callcast-lossy-path: %s needs a value\n", flag.c_str());
      return false;
    }
    const char* value = argv[++i];
    double number = 0;
    bool ok = true;
    if (flag == "--queue") {
      ok = parse_number(value, 0, 65535, number);
      options.queue = static_cast<int>(number);
    } else if (flag == "--loss") {
      ok = parse_number(value, 0, 100, number);
      options.loss = number / 100.0;
    } else if (flag == "--burst") {
      ok = parse_burst(value, options.burst_min, options.burst_max);
    } else if (flag == "--delay-ms") {
      ok = parse_number(value, 0, 10000, number);
      options.delay = std::chrono::microseconds(static_cast<std::int64_t>(number * 1000));
    } else if (flag == "--seed") {
      ok = parse_number(value, 0, 1e15, number);
      options.seed = static_cast<std::uint64_t>(number);
    } else {
      std::fprintf(stderr, "callcast-lossy-path: unknown flag %s\n", flag.c_str());
      usage(stderr);
      return false;
    }
    if (!ok) {
      std::fprintf(stderr, "callcast-lossy-path: bad value for %s: '%s'\n", flag.c_str(), value);
      return false;
    }
  }
  if (options.queue < 0) {
    std::fprintf(stderr, "callcast-lossy-path: --queue is required\n");
    return false;
  }
  if (options.loss >= 1.0 && options.burst_max > 0) {
    std::fprintf(stderr, "callcast-lossy-path: --burst needs --loss below 100\n");
    return false;
  }
  return true;
}

void print_counts(const State& state) {
  const Counts& c = state.counts;
  std::printf(
      "{\"queue\":%d,\"loss_pct\":%.3f,\"burst\":\"%u-%u\",\"delay_ms\":%.3f,\"seed\":%llu,"
      "\"packets\":%llu,\"bytes\":%llu,\"dropped\":%llu,\"dropped_bytes\":%llu,"
      "\"dropped_pct\":%.3f,\"bursts\":%llu,\"delayed\":%llu,\"max_held\":%zu,"
      "\"verdict_errors\":%llu,\"netlink_overruns\":%llu",
      state.options.queue, state.options.loss * 100.0, state.options.burst_min,
      state.options.burst_max, static_cast<double>(state.options.delay.count()) / 1000.0,
      static_cast<unsigned long long>(state.options.seed),
      static_cast<unsigned long long>(c.packets), static_cast<unsigned long long>(c.bytes),
      static_cast<unsigned long long>(c.dropped), static_cast<unsigned long long>(c.dropped_bytes),
      c.packets ? 100.0 * static_cast<double>(c.dropped) / static_cast<double>(c.packets) : 0.0,
      static_cast<unsigned long long>(c.bursts), static_cast<unsigned long long>(c.delayed),
      c.max_held, static_cast<unsigned long long>(c.verdict_errors),
      static_cast<unsigned long long>(c.netlink_overruns));
  const Feedback& f = state.feedback;
  std::printf(
      ",\"rtcp\":{\"packets\":%llu,\"nack_messages\":%llu,\"nacked_packets\":%llu,"
      "\"pli\":%llu,\"fir\":%llu,\"remb\":%llu,\"tmmbr\":%llu},\"flows\":[",
      static_cast<unsigned long long>(f.rtcp_packets),
      static_cast<unsigned long long>(f.nack_messages),
      static_cast<unsigned long long>(f.nacked_packets), static_cast<unsigned long long>(f.pli),
      static_cast<unsigned long long>(f.fir), static_cast<unsigned long long>(f.remb),
      static_cast<unsigned long long>(f.tmmbr));
  bool first = true;
  for (const auto& [key, flow] : state.flows) {
    const std::uint32_t address = std::get<0>(key);
    std::printf(
        "%s{\"dst\":\"%u.%u.%u.%u:%u\",\"ssrc\":%u,\"pt\":%d,\"packets\":%llu,"
        "\"bytes\":%llu,\"dropped\":%llu,\"repeats\":%llu}",
        first ? "" : ",", address >> 24, (address >> 16) & 0xff, (address >> 8) & 0xff,
        address & 0xff, std::get<1>(key), std::get<2>(key), flow.payload_type,
        static_cast<unsigned long long>(flow.packets), static_cast<unsigned long long>(flow.bytes),
        static_cast<unsigned long long>(flow.dropped),
        static_cast<unsigned long long>(flow.repeats));
    first = false;
  }
  std::printf("]}\n");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  // Started by the bench: it must not outlive it and leave the lab's traffic queued to nobody.
  const pid_t parent = getppid();
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) return 1;

  State state;
  if (!parse_options(argc, argv, state.options)) return 1;
  LossModel model(state.options);
  state.model = &model;

  nfq_handle* handle = nfq_open();
  if (handle == nullptr) {
    std::fprintf(stderr, "callcast-lossy-path: nfq_open: %s\n", std::strerror(errno));
    return 1;
  }
  state.queue = nfq_create_queue(handle, static_cast<std::uint16_t>(state.options.queue),
                                 &on_packet, &state);
  if (state.queue == nullptr) {
    std::fprintf(stderr, "callcast-lossy-path: cannot bind queue %d: %s\n", state.options.queue,
                 std::strerror(errno));
    nfq_close(handle);
    return 1;
  }
  // The whole packet, for the byte counts (a few Mbit/s: the copy costs nothing here).
  nfq_set_mode(state.queue, NFQNL_COPY_PACKET, 0xffff);
  // Held packets stay in the kernel's queue until their verdict: room for a second at 8k pkt/s.
  nfq_set_queue_maxlen(state.queue, 8192);
  const int fd = nfq_fd(handle);
  // A full netlink socket makes the kernel drop packets: loss the bench did not ask for. Root
  // may go past net.core.rmem_max.
  int receive_buffer = 16 * 1024 * 1024;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &receive_buffer, sizeof receive_buffer) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

  struct sigaction action {};
  action.sa_handler = on_stop;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  std::printf("ready queue %d\n", state.options.queue);
  std::fflush(stdout);

  alignas(8) static char buffer[0x10000 + 4096];
  while (!stop_requested) {
    int timeout_ms = 1000;
    if (!state.held.empty()) {
      const auto wait = std::chrono::ceil<std::chrono::milliseconds>(state.held.front().due -
                                                                     Clock::now());
      timeout_ms = wait.count() < 0 ? 0 : static_cast<int>(wait.count());
    }
    pollfd readable{fd, POLLIN, 0};
    const int ready = poll(&readable, 1, timeout_ms);
    if (ready < 0 && errno != EINTR) {
      std::fprintf(stderr, "callcast-lossy-path: poll: %s\n", std::strerror(errno));
      break;
    }
    if (ready > 0) {
      // Drain what is there; each message's callback queues or drops its packet.
      for (int i = 0; i < 256; ++i) {
        const ssize_t got = recv(fd, buffer, sizeof buffer, 0);
        if (got < 0) {
          if (errno == ENOBUFS) {
            ++state.counts.netlink_overruns;
            continue;
          }
          break;  // EAGAIN: drained
        }
        nfq_handle_packet(handle, buffer, static_cast<int>(got));
      }
    }
    release_due(state, Clock::now());
  }
  // Whatever is still held goes on now: the lab is about to go, nothing waits on it.
  release_due(state, Clock::time_point::max());
  nfq_destroy_queue(state.queue);
  nfq_close(handle);
  print_counts(state);
  return 0;
}
