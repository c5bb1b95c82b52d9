# CTest smoke test of `callcast-bench sip` (label bench-smoke): a small run on a callcastd of
# its own; every phase and the summary must say that each call was answered (ok == calls) and
# the summary that the server was left with no group and no dialog (clean == true).
#
#   cmake -DBENCH=build/dev/apps/callcast-bench/callcast-bench -P bench/sip_bench_smoke.cmake
if(NOT BENCH)
  message(FATAL_ERROR "pass -DBENCH=<path of callcast-bench>")
endif()

execute_process(
  COMMAND ${BENCH} sip --masters 2 --viewers 2 --json-only
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc TIMEOUT 90)
message(STATUS "callcast-bench output:\n${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "callcast-bench sip exited with ${rc}\n${err}")
endif()

string(REPLACE "\n" ";" lines "${out}")
set(phases "")
set(summary_seen FALSE)
foreach(line IN LISTS lines)
  if(line STREQUAL "")
    continue()
  endif()
  string(JSON phase ERROR_VARIABLE json_error GET "${line}" phase)
  if(json_error)
    message(FATAL_ERROR "not a JSON object: ${line} (${json_error})")
  endif()
  string(JSON calls GET "${line}" calls)
  string(JSON ok GET "${line}" ok)
  if(NOT ok EQUAL calls OR calls EQUAL 0)
    message(FATAL_ERROR "${phase}: ok=${ok} of calls=${calls}: ${line}")
  endif()
  list(APPEND phases ${phase})
  if(phase STREQUAL "summary")
    set(summary_seen TRUE)
    string(JSON clean GET "${line}" clean)
    if(NOT clean STREQUAL "ON")
      message(FATAL_ERROR "the server was not clean after the run: ${line}")
    endif()
    if(NOT calls EQUAL 6)
      message(FATAL_ERROR "2 masters x 2 viewers make 6 calls, the summary says ${calls}")
    endif()
  endif()
endforeach()
if(NOT phases STREQUAL "master_calls;viewer_calls;summary")
  message(FATAL_ERROR "expected the phases master_calls, viewer_calls, summary; got ${phases}")
endif()
