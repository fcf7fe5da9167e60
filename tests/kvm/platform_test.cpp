#include <catch2/catch.hpp>

#include "kvm/platform.h"
#include "kvm_test_util.h"

using namespace uvmsim::kvm;

TEST_CASE("platform report: flavour, caps, strategy and fault round trip", "[kvm][platform]") {
  SKIP_WITHOUT_KVM();
  PlatformReport r = probe_platform(200);
  INFO(r.to_string());
  REQUIRE(r.usable);
  CHECK(r.dev_kvm_present);
  CHECK(r.api_version == 12);
  CHECK(r.flavour != "unknown");
  CHECK(r.self_test.ran);
  CHECK(!r.self_test.chosen.why.empty());
  CHECK(r.fault_round_trip_us > 0);
  WARN("platform report (informational):\n" << r.to_string());
}
