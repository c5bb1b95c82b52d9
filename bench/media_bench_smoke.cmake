# CTest smoke test of `callcast-bench media` (label bench-smoke): 20 viewers of a callcastd of its
# own for a 2 s window; the run's JSON line must say no packet was lost and every viewer kept up.
#
#   cmake -DBENCH=build/dev/apps/callcast-bench/callcast-bench -P bench/media_bench_smoke.cmake
# -DPHONES=N: N of the 20 viewers are phone-style viewers (--phone-viewers, issue 13).
# -DWEBRTC=N: N of the 20 are WebRTC viewers (--with-webrtc-viewers, issue 14): each must have
# finished ICE and DTLS, decrypted SRTP with no failure, and callcastd must count them as
# playing, with packets sent and SRTCP receiver reports taken from them.
# -DEDGE=ON: origin+edge (--edge, issue 15): 10 viewers at the origin and 10 at an edge node that
# pulls the group from it; both sides must have latency samples and no loss, and the hop must
# not add more than 200 ms at p99 (a loaded machine's margin; it adds < 1 ms on an idle one).
if(NOT BENCH)
  message(FATAL_ERROR "pass -DBENCH=<path of callcast-bench>")
endif()
if(NOT PHONES)
  set(PHONES 0)
endif()
if(NOT WEBRTC)
  set(WEBRTC 0)
endif()
math(EXPR rtsp_viewers "20 - ${PHONES} - ${WEBRTC}")
set(edge_args)
if(EDGE)
  math(EXPR rtsp_viewers "${rtsp_viewers} / 2")  # per node
  set(edge_args --edge)
endif()

execute_process(
  COMMAND ${BENCH} media --viewers ${rtsp_viewers} --phone-viewers ${PHONES}
          --with-webrtc-viewers ${WEBRTC} ${edge_args} --duration 2 --json-only
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc TIMEOUT 90)
message(STATUS "callcast-bench output:\n${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "callcast-bench media exited with ${rc}\n${err}")
endif()
string(STRIP "${out}" line)
string(JSON target ERROR_VARIABLE json_error GET "${line}" target)
if(json_error)
  message(FATAL_ERROR "not one JSON object: ${line} (${json_error})\n${err}")
endif()
string(JSON loss GET "${line}" loss_pct)
string(JSON kept_up GET "${line}" kept_up)
string(JSON viewers GET "${line}" viewers_playing)
if(NOT loss EQUAL 0)
  message(FATAL_ERROR "loss_pct is ${loss}, expected 0: ${line}")
endif()
if(NOT kept_up STREQUAL "ON")
  message(FATAL_ERROR "kept_up is ${kept_up}, expected true: ${line}")
endif()
if(NOT viewers EQUAL 20)
  message(FATAL_ERROR "${viewers} of 20 viewers played: ${line}")
endif()

if(WEBRTC GREATER 0)
  string(JSON connected GET "${line}" webrtc connected)
  string(JSON decrypted GET "${line}" webrtc srtp_packets)
  string(JSON failures GET "${line}" webrtc decrypt_failures)
  string(JSON video_lost GET "${line}" webrtc video_by_sequence lost)
  string(JSON server_playing ERROR_VARIABLE no_server GET "${line}" webrtc server playing)
  if(no_server)
    message(FATAL_ERROR "no server view of the WebRTC viewers: ${line}")
  endif()
  string(JSON server_packets GET "${line}" webrtc server packets_sent)
  string(JSON server_reports GET "${line}" webrtc server rtcp_reports)
  if(NOT connected EQUAL WEBRTC)
    message(FATAL_ERROR "${connected} of ${WEBRTC} WebRTC viewers connected (ICE + DTLS): ${line}")
  endif()
  # At least 2 s of 2 Mbit/s video (~190 packets/s) each, decrypted.
  math(EXPR least "${WEBRTC} * 300")
  if(decrypted LESS least)
    message(FATAL_ERROR "the WebRTC viewers decrypted ${decrypted} SRTP packets, expected at least ${least}: ${line}")
  endif()
  if(NOT failures EQUAL 0 OR NOT video_lost EQUAL 0)
    message(FATAL_ERROR "SRTP decrypt failures ${failures}, video sequence gaps ${video_lost}: ${line}")
  endif()
  if(NOT server_playing EQUAL WEBRTC OR server_packets LESS least OR server_reports LESS WEBRTC)
    message(FATAL_ERROR "callcastd counts ${server_playing} WebRTC viewers playing, ${server_packets} packets sent, ${server_reports} receiver reports: ${line}")
  endif()
endif()

if(EDGE)
  string(JSON edge_type ERROR_VARIABLE no_edge TYPE "${line}" edge)
  if(no_edge OR NOT edge_type STREQUAL "OBJECT")
    message(FATAL_ERROR "no \"edge\" object in an --edge run: ${line}")
  endif()
  foreach(side origin edge)
    string(JSON samples GET "${line}" edge ${side}_latency_ms samples)
    string(JSON side_loss GET "${line}" edge ${side}_loss_pct)
    if(samples EQUAL 0 OR NOT side_loss EQUAL 0)
      message(FATAL_ERROR "${side} viewers: ${samples} latency samples, ${side_loss} % lost: ${line}")
    endif()
  endforeach()
  # The hop adds well under a millisecond when the edge hands each pulled packet to its fan-out
  # at once; its batches once left only when full (0.9 s at this clip's rate).
  string(JSON added_p99 GET "${line}" edge added_p99_ms)
  if(added_p99 GREATER 200)
    message(FATAL_ERROR "the edge hop adds ${added_p99} ms at p99 (over 200 ms): ${line}")
  endif()
endif()
