#pragma once
// RTCP (RFC 3550 §6): validated views over compound packets and writers into caller buffers.
//
// Common header of every RTCP packet:
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |V=2|P|   RC    |      PT       |      length (32-bit words - 1)|
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "rtp/byte_io.hpp"

namespace callcast::rtp {

enum class RtcpType : std::uint8_t {
  sender_report = 200,
  receiver_report = 201,
  source_description = 202,
  bye = 203,
  app = 204,
  transport_feedback = 205,  // RFC 4585 RTPFB (NACK, TMMBR, TMMBN)
  payload_feedback = 206,    // RFC 4585 PSFB (PLI, FIR, REMB)
};

// FMT values of RTPFB packets (IANA "FMT Values for RTPFB Payload Types").
enum class TransportFeedbackFormat : std::uint8_t {
  generic_nack = 1,                        // RFC 4585 §6.2.1
  temporary_max_bitrate = 3,               // RFC 5104 §4.2.1 TMMBR
  temporary_max_bitrate_notification = 4,  // RFC 5104 §4.2.2 TMMBN
};

// FMT values of PSFB packets (IANA "FMT Values for PSFB Payload Types").
enum class PayloadFeedbackFormat : std::uint8_t {
  picture_loss_indication = 1,  // RFC 4585 §6.3.1
  full_intra_request = 4,       // RFC 5104 §4.3.1
  application_layer = 15,       // RFC 4585 §6.4; REMB is one (draft-alvestrand-rmcat-remb)
};

// One packet inside a compound, validated by RtcpCompoundView::parse.
class RtcpPacketView {
 public:
  RtcpPacketView() = default;
  std::uint8_t type() const { return data_[1]; }
  std::uint8_t count() const { return data_[0] & 0x1f; }  // RC / SC / FMT
  Bytes bytes() const { return data_; }                   // header included, padding included
  Bytes body() const { return data_.subspan(4); }
  // Octets of RTCP padding at the end of bytes(), the count octet included; 0 without the P bit.
  // Only the last packet of a compound can have any.
  std::size_t padding_size() const { return (data_[0] & 0x20) != 0 ? data_.back() : 0; }

 private:
  friend class RtcpCompoundView;
  explicit RtcpPacketView(Bytes data) : data_(data) {}
  Bytes data_;
};

// A compound packet whose every length field has been checked: the packets tile the buffer
// exactly, each has version 2, and only the last may carry padding (RFC 3550 §6.4.1, A.2).
class RtcpCompoundView {
 public:
  static constexpr std::size_t kMaxPackets = 32;

  static std::optional<RtcpCompoundView> parse(Bytes compound);

  std::size_t size() const { return count_; }
  const RtcpPacketView& operator[](std::size_t i) const { return packets_[i]; }
  const RtcpPacketView* begin() const { return packets_.data(); }
  const RtcpPacketView* end() const { return packets_.data() + count_; }

 private:
  RtcpCompoundView() = default;
  std::array<RtcpPacketView, kMaxPackets> packets_{};
  std::size_t count_ = 0;
};

// RFC 3550 §6.4.1 report block.
struct ReportBlock {
  std::uint32_t ssrc = 0;
  std::uint8_t fraction_lost = 0;      // of 256
  std::int32_t cumulative_lost = 0;    // signed 24-bit
  std::uint32_t highest_sequence = 0;  // extended
  std::uint32_t jitter = 0;            // in RTP timestamp units
  std::uint32_t last_sr = 0;
  std::uint32_t delay_since_last_sr = 0;
  bool operator==(const ReportBlock&) const = default;
};

struct SenderInfo {
  std::uint32_t ssrc = 0;
  std::uint64_t ntp_timestamp = 0;
  std::uint32_t rtp_timestamp = 0;
  std::uint32_t packet_count = 0;
  std::uint32_t octet_count = 0;
  bool operator==(const SenderInfo&) const = default;
};

struct SenderReport {
  SenderInfo sender;
  std::array<ReportBlock, 31> blocks{};
  std::size_t block_count = 0;
};

struct ReceiverReport {
  std::uint32_t sender_ssrc = 0;
  std::array<ReportBlock, 31> blocks{};
  std::size_t block_count = 0;
};

// nullopt when the packet is not of that type or its body is shorter than its counts say.
std::optional<SenderReport> parse_sender_report(const RtcpPacketView& packet);
std::optional<ReceiverReport> parse_receiver_report(const RtcpPacketView& packet);

// Writers return the number of bytes written, or 0 when `out` is too small (nothing useful is
// left in `out` then). Lengths are padded to 32-bit words as RFC 3550 requires.
std::size_t write_sender_report(MutableBytes out, const SenderInfo& sender);
std::size_t write_receiver_report(MutableBytes out, std::uint32_t sender_ssrc,
                                  std::span<const ReportBlock> blocks);
std::size_t write_sdes_cname(MutableBytes out, std::uint32_t ssrc, std::string_view cname);
std::size_t write_bye(MutableBytes out, std::uint32_t ssrc, std::string_view reason);

}  // namespace callcast::rtp
