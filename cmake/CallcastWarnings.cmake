# Warnings for every callcast target. CI turns them into errors (CALLCAST_WERROR).
add_library(callcast_warnings INTERFACE)
target_compile_options(callcast_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough
  $<$<BOOL:${CALLCAST_WERROR}>:-Werror>)
# Boost 1.74's Asio under GCC 12: <utility> before its awaitable header (NOTES-deps.md), and
# a false -Wnull-dereference inside its scheduler silenced for its lines alone (the prelude says
# why). The warning stays on for callcast's code.
add_library(callcast_asio INTERFACE)
target_compile_options(callcast_asio INTERFACE
  -include ${PROJECT_SOURCE_DIR}/cmake/boost_asio_prelude.hpp)
target_compile_definitions(callcast_asio INTERFACE BOOST_ASIO_NO_DEPRECATED BOOST_ASIO_DISABLE_BOOST_COROUTINE)
