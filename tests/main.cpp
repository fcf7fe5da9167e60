// The suite's main: Catch2, plus the backend switch. With
// UVMSIM_TEST_BACKEND=kvm on a host where the kvm backend cannot run, every
// test is skipped (exit code 77, ctest's SKIP_RETURN_CODE) with the reason.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include "helpers.h"
#include "uvmsim/platform.h"

int main(int argc, char* argv[]) {
  Catch::Session session;
  if (int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  const auto& cfg = session.configData();
  const bool listing = cfg.listTests || cfg.listTestNamesOnly || cfg.listTags || cfg.listReporters;
  if (!listing && uvmsim::test::test_backend() == uvmsim::Backend::kKvm) {
    std::string why;
    if (!uvmsim::kvm_usable(&why)) {
      std::printf("SKIPPED: UVMSIM_TEST_BACKEND=kvm, but the kvm backend cannot run here: %s\n",
                  why.c_str());
      return 77;
    }
  }
  return session.run();
}
