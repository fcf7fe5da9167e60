// UVM_KASSERT: the contracts the comments state ("=> page must be busy",
// "=> amap must have one reference", the lock order), checked where NetBSD
// would KASSERT them.
//
// Active in Debug and sanitizer builds (no NDEBUG), free in Release: a
// violated contract is a bug in the model, never a consequence of bad input
// (bad input gets an error value before it reaches a contract). A failure
// prints the condition and where, then aborts, so the test that found it
// stops at the first wrong step.
#pragma once

#include <cstdio>
#include <cstdlib>

#if defined(NDEBUG) && !defined(UVMSIM_KASSERT_ALWAYS)
#define UVM_KASSERT(cond) ((void)0)
#define UVM_KASSERT_MSG(cond, msg) ((void)0)
#else
#define UVM_KASSERT(cond) UVM_KASSERT_MSG(cond, "")
#define UVM_KASSERT_MSG(cond, msg)                                                              \
  ((cond) ? (void)0                                                                             \
          : ::uvmsim::kassert_fail(#cond, msg, __FILE__, __LINE__, static_cast<const char*>(__func__)))
#endif

namespace uvmsim {

[[noreturn]] inline void kassert_fail(const char* cond, const char* msg, const char* file, int line,
                                      const char* func) {
  std::fprintf(stderr, "uvmsim: contract violated: %s%s%s\n  in %s (%s:%d)\n", cond, *msg ? ": " : "", msg,
               func, file, line);
  std::abort();
}

}  // namespace uvmsim
