# Warnings for every callcast target. CI turns them into errors (CALLCAST_WERROR).
add_library(callcast_warnings INTERFACE)
target_compile_options(callcast_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough
  $<$<BOOL:${CALLCAST_WERROR}>:-Werror>)
# Boost.Asio's awaitable header needs <utility> before it under GCC 12 (NOTES-deps.md).
add_library(callcast_asio INTERFACE)
target_compile_options(callcast_asio INTERFACE -include utility)
target_compile_definitions(callcast_asio INTERFACE BOOST_ASIO_NO_DEPRECATED BOOST_ASIO_DISABLE_BOOST_COROUTINE)
