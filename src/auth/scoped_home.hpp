#pragma once
// A sofia-sip memory home for one parse: everything sofia allocates while parsing a header lives
// in it and goes with it.
#include <sofia-sip/su_alloc.h>

namespace callcast::auth {

class ScopedHome {
 public:
  ScopedHome() { su_home_init(home_); }
  ~ScopedHome() { su_home_deinit(home_); }
  ScopedHome(const ScopedHome&) = delete;
  ScopedHome& operator=(const ScopedHome&) = delete;
  su_home_t* get() { return home_; }

 private:
  su_home_t home_[1] = {SU_HOME_INIT(home_)};
};

}  // namespace callcast::auth
