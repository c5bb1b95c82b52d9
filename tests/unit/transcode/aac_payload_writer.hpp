#pragma once
// Test-side AAC RTP payload writers, written to match GStreamer's payloaders byte for byte
// (checked against the captures in aac_au_depacketizer_test and latm_depacketizer_test):
// rtpmp4gpay (RFC 3640 AAC-hbr: 13-bit AU-size, 3-bit index 0) and rtpmp4apay (RFC 6416
// cpresent=0: PayloadLengthInfo + PayloadMux, one frame per element).
#include <cstdint>
#include <span>
#include <vector>

#include "transcode/audio_depacketizer.hpp"

namespace callcast::transcode::test {

using ByteVector = std::vector<std::uint8_t>;

// Whole access units in one payload.
ByteVector hbr_payload(std::span<const ByteVector> units);
// One access unit cut into payloads of at most max_payload bytes (each with its own AU header
// carrying the whole unit's size); the last gets the marker bit.
std::vector<ByteVector> hbr_fragments(const ByteVector& unit, std::size_t max_payload);
// One AudioMuxElement per unit (numSubFrames 0), concatenated.
ByteVector latm_payload(std::span<const ByteVector> units);

// An RTP packet (RFC 3550 fixed header, no CSRC/extension) around payload.
ByteVector rtp_packet(std::uint8_t payload_type, std::uint16_t sequence_number,
                      std::uint32_t timestamp, bool marker, std::span<const std::uint8_t> payload,
                      std::uint32_t ssrc = 0x11223344);

AudioRtpPacket audio_packet(const ByteVector& payload, std::uint32_t timestamp,
                            std::uint16_t sequence_number, bool marker = true);

}  // namespace callcast::transcode::test
