#include "replay/uvm_replay.h"

#include <cerrno>

#include "core/uvm.h"
#include "fmt/format.h"

namespace uvmsim::replay_impl {

namespace {
constexpr unsigned kRegionShift = 20;  // map 1 MiB at a time
}

StatusOr<std::unique_ptr<UvmReplay>> UvmReplay::Create(const ReplayConfig& config) {
  std::unique_ptr<UvmReplay> r(new UvmReplay());
  MachineConfig mc;
  mc.mem_bytes = config.mem_bytes;
  mc.swap_bytes = config.swap_bytes;
  mc.backend = Backend::kSoft;
  mc.seed = config.policy_options.seed;
  auto m = Machine::Create(mc);
  if (!m.ok()) return m.status();
  r->machine_ = std::move(*m);
  if (config.make_policy) {
    auto policy = config.make_policy();
    if (!policy) return errno_status(EINVAL, "ReplayConfig::make_policy returned no policy");
    r->machine_->set_replacement_policy(std::move(policy));
  } else if (config.policy != "clock") {
    auto policy = make_replacement_policy(config.policy, config.policy_options);
    if (!policy.ok()) return policy.status();
    r->machine_->set_replacement_policy(std::move(*policy));
  }
  auto p = r->machine_->spawn("replay");
  if (!p.ok()) return p.status();
  r->proc_ = *p;
  r->faults_ = &r->machine_->uvm().cnt.faults;
  return r;
}

Status UvmReplay::access(std::uint64_t page, bool write) {
  accesses_++;
  if (page >= (kUserMax >> kPageShift) - 1)
    return errno_status(EINVAL, fmt::format("access {}: address {:#x} is above the simulated user address "
                                            "space (below {:#x})",
                                            accesses_, page << kPageShift, kUserMax - kPageSize));
  const vaddr_t va = (page + 1) << kPageShift;
  const std::uint64_t region = va >> kRegionShift;
  if (region != last_region_) {
    if (!regions_.contains(region)) {
      vaddr_t base = region << kRegionShift;
      vsize_t len = vsize_t{1} << kRegionShift;
      if (base < kUserMin) {
        len -= kUserMin - base;
        base = kUserMin;
      }
      auto mapped = proc_->mmap(base, len, kProtRead | kProtWrite, Sharing::kPrivate);
      if (!mapped.ok()) return mapped.status();
      regions_.insert(region);
    }
    last_region_ = region;
  }
  const std::uint64_t before = *faults_;
  std::uint8_t byte = 1;
  auto r = write ? proc_->write(va, std::span<const std::uint8_t>(&byte, 1))
                 : proc_->read(va, std::span<std::uint8_t>(&byte, 1));
  if (!r.ok()) return r.status();
  if (!r->ok())
    return errno_status(ENOMEM, fmt::format("access {}: the process was {} ({}): memory and swap are too "
                                            "small for the trace",
                                            accesses_, to_string(r->outcome), proc_->killed_reason()));
  if (*faults_ != before) faults_seen_++;
  return absl::OkStatus();
}

ReplayResult UvmReplay::finish(const ReplayConfig& config) {
  ReplayResult res;
  res.mode = ReplayMode::kUvm;
  res.policy = std::string(machine_->replacement_policy());
  res.uvmexp = machine_->stats();
  res.frames = machine_->config().mem_bytes >> kPageShift;
  res.accesses = accesses_;
  res.faults = faults_seen_;
  res.hits = accesses_ - faults_seen_;
  res.evictions = res.uvmexp.pdfreed;
  res.writebacks = res.uvmexp.pgswapout;
  if (config.check) {
    res.checked = true;
    res.check = machine_->check();
  }
  return res;
}

}  // namespace uvmsim::replay_impl
