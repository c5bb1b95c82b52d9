# CTest smoke test of `callcast-bench media` (label bench-smoke): 20 viewers of a callcastd of its
# own for a 2 s window; the run's JSON line must say no packet was lost and every viewer kept up.
#
#   cmake -DBENCH=build/dev/apps/callcast-bench/callcast-bench -P bench/media_bench_smoke.cmake
# -DPHONES=N: N of the 20 viewers are phone-style viewers (--phone-viewers, issue 13).
if(NOT BENCH)
  message(FATAL_ERROR "pass -DBENCH=<path of callcast-bench>")
endif()
if(NOT PHONES)
  set(PHONES 0)
endif()
math(EXPR rtsp_viewers "20 - ${PHONES}")

execute_process(
  COMMAND ${BENCH} media --viewers ${rtsp_viewers} --phone-viewers ${PHONES} --duration 2 --json-only
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
