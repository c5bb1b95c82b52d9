#!/usr/bin/env bash
# Regenerates the captured RTP fixtures: a 440 Hz sine through GStreamer's own AAC/Opus encoders
# and RTP payloaders, written as RFC 4571 framed packets (rtpstreampay: a 16-bit length before
# each RTP packet). Each <name>.caps holds the payloader's caps line (encoding, clock, config).
# GStreamer 1.22 (Debian 12): gst-launch-1.0, avenc_aac, opusenc, rtpmp4gpay, rtpmp4apay.
set -euo pipefail
cd "$(dirname "$0")"
capture() {  # name, caps of the raw audio, encoder, payloader (with options)
  local name=$1 raw=$2 encoder=$3 payloader=$4
  gst-launch-1.0 -v audiotestsrc freq=440 num-buffers=50 samplesperbuffer=960 ! "$raw" ! \
    $encoder ! $payloader ! rtpstreampay ! filesink location="$name.rtps" 2>&1 |
    grep -v GstRtpStreamPay | grep -o 'GstRtp[A-Za-z0-9]*Pay:[a-z0-9]*.GstPad:src: caps = .*' | head -1 |
    sed 's/^.*caps = //' > "$name.caps"
}
capture aac_hbr_48k_stereo audio/x-raw,rate=48000,channels=2 avenc_aac rtpmp4gpay
capture aac_hbr_48k_stereo_mtu300 audio/x-raw,rate=48000,channels=2 avenc_aac "rtpmp4gpay mtu=300"
capture aac_latm_48k_stereo audio/x-raw,rate=48000,channels=2 avenc_aac rtpmp4apay
capture aac_latm_48k_stereo_mtu300 audio/x-raw,rate=48000,channels=2 avenc_aac "rtpmp4apay mtu=300"
capture aac_latm_44k_mono audio/x-raw,rate=44100,channels=1 avenc_aac rtpmp4apay
capture opus_48k_stereo audio/x-raw,rate=48000,channels=2 opusenc rtpopuspay
