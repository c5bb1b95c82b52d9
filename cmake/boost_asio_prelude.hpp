#pragma once
// Force-included (-include) first in every source file of the targets that use Boost.Asio
// (callcast_asio, cmake/CallcastWarnings.cmake), for two defects of Debian 12's Boost 1.74 under
// GCC 12:
// - boost/asio/awaitable.hpp uses std::exchange without including <utility> (NOTES-deps.md).
// - scheduler::compensating_work_started() (detail/impl/scheduler.ipp) dereferences
//   thread_call_stack::contains(this) unchecked. It is only called from inside the scheduler,
//   where that is never null (asio's author, chriskohlhoff/asio#588), but once GCC inlines it
//   into epoll_reactor::perform_io at -O2 it sees the null path and -Wnull-dereference fires
//   (chriskohlhoff/asio#847); Boost 1.82 tells the compiler so with BOOST_ASIO_ASSUME. Here the
//   warning is off for the lines of Boost's scheduler headers alone: a diagnostic pragma covers
//   the source locations between push and pop, and their include guards make this their one
//   inclusion in the file. Everything else, callcast's code included, keeps the warning.
#include <boost/version.hpp>
#include <utility>

#if defined(__GNUC__) && !defined(__clang__) && BOOST_VERSION < 108200
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/detail/scheduler.hpp>
#pragma GCC diagnostic pop
#endif
