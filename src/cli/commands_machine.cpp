// Global commands on the machine itself: machine, spawn, stats, check.
#include <optional>

#include "absl/status/status.h"
#include "cli/process_stats_format.h"
#include "cli/scenario_commands.h"
#include "fmt/format.h"

namespace uvmsim::cli {

namespace {

// ---- machine [mem=SIZE] [swap=SIZE] [backend=soft|kvm|auto] [anon=amap|shadow] [policy=NAME] [seed=N] ----

struct MachineArgs {
  MachineConfig config;
};

std::optional<Backend> parse_backend(std::string_view s) {
  if (s == "soft") return Backend::kSoft;
  if (s == "kvm") return Backend::kKvm;
  if (s == "auto") return Backend::kAuto;
  return std::nullopt;
}

MachineArgs parse_machine(ArgReader& r) {
  MachineArgs a;
  bool seen_mem = false, seen_swap = false, seen_backend = false, seen_anon = false, seen_seed = false, seen_policy = false;
  auto once = [&](bool& seen, std::string_view key) {
    if (seen) r.fail(fmt::format("{}= given twice", key));
    seen = true;
  };
  auto number = [&](std::string_view key, std::string_view value) -> std::uint64_t {
    auto v = parse_number(value);
    if (!v.ok()) r.fail(fmt::format("bad {}= value '{}': {}", key, value, std::string(v.status().message())));
    return v.ok() ? *v : 0;
  };
  while (r.ok() && !r.at_end()) {
    auto [key, value] = r.option("option");
    if (!r.ok()) break;
    if (key == "mem") {
      once(seen_mem, key);
      a.config.mem_bytes = number(key, value);
    } else if (key == "swap") {
      once(seen_swap, key);
      a.config.swap_bytes = number(key, value);
    } else if (key == "backend") {
      once(seen_backend, key);
      if (auto b = parse_backend(value)) a.config.backend = *b;
      else r.fail(fmt::format("bad backend= value '{}': expected soft|kvm|auto", value));
    } else if (key == "anon") {
      once(seen_anon, key);
      if (value == "amap") a.config.anon_model = AnonModel::kAmap;
      else if (value == "shadow") a.config.anon_model = AnonModel::kShadow;
      else r.fail(fmt::format("bad anon= value '{}': expected amap|shadow", value));
    } else if (key == "policy") {
      once(seen_policy, key);
      // Checked here, so that an unknown name is a script error at its line.
      if (auto p = make_replacement_policy(value); p.ok()) a.config.replacement = std::string(value);
      else r.fail(fmt::format("bad policy= value: {}", std::string(p.status().message())));
    } else if (key == "seed") {
      once(seen_seed, key);
      a.config.seed = number(key, value);
    } else {
      r.fail(fmt::format("unknown option '{}' (expected mem=, swap=, backend=, anon=, policy= or seed=)", key));
    }
  }
  return a;
}

Status exec_machine(Session& s, const Subject&, const MachineArgs& a) {
  if (s.has_machine() || s.commands_done() > 0)
    return absl::FailedPreconditionError("machine: must be the first command");
  return s.create_machine(a.config);
}

// ---- spawn P ----

struct SpawnArgs {
  std::string name;
};

SpawnArgs parse_spawn(ArgReader& r) { return {r.name("P")}; }

Status exec_spawn(Session& s, const Subject&, const SpawnArgs& a) {
  if (Status st = s.check_new_name(a.name); !st.ok())
    return absl::FailedPreconditionError(fmt::format("spawn: {}", std::string(st.message())));
  auto p = s.machine().spawn(a.name);
  if (!p.ok())
    return absl::InternalError(fmt::format("spawn: the machine refused: {}", std::string(p.status().message())));
  s.add_process(a.name, *p);
  return absl::OkStatus();
}

// ---- stats, check ----

struct NoArgs {};
NoArgs parse_none(ArgReader&) { return {}; }

Status exec_stats(Session& s, const Subject&, const NoArgs&) {
  const UvmExp st = s.machine().stats();
  std::string text = st.to_string();
  text += process_stats_text(s.machine());
  if (!text.empty() && text.back() == '\n') text.pop_back();
  s.emit({"stats", std::move(text), [&](JsonWriter& w) {
            w.key("stats").raw(st.to_json());
            w.key("processes").raw(process_stats_json(s.machine()));
          }});
  return absl::OkStatus();
}

Status exec_check(Session& s, const Subject&, const NoArgs&) {
  Status st = s.machine().check();
  const std::string why(st.message());
  s.emit({"check", st.ok() ? std::string("check ok") : "check failed: " + why, [&](JsonWriter& w) {
            w.field("result", st.ok() ? "ok" : "failed");
            if (!st.ok()) w.field("problems", why);
          }});
  return absl::OkStatus();
}

}  // namespace

void add_machine_commands(CommandTable& t) {
  t.push_back(make_command<MachineArgs>(
      "machine", Scope::kGlobal,
      "machine [mem=SIZE] [swap=SIZE] [backend=soft|kvm|auto] [anon=amap|shadow] [policy=NAME] [seed=N]",
      "configure the machine (first command only; defaults mem=64M swap=256M backend=auto anon=amap\n"
      "      policy=clock; anon: amaps and anons (UVM) or shadow-object chains (BSD VM);\n"
      "      policies: clock second-chance fifo lru random aging wsclock arc; seed for random choices)",
      parse_machine, exec_machine));
  t.push_back(make_command<SpawnArgs>("spawn", Scope::kGlobal, "spawn P",
                                      "create process P with an empty address space", parse_spawn,
                                      exec_spawn));
  t.push_back(make_command<NoArgs>("stats", Scope::kGlobal, "stats",
                                   "print the simulator's counters", parse_none, exec_stats));
  t.push_back(make_command<NoArgs>("check", Scope::kGlobal, "check",
                                   "run the invariant checker; print `check ok` or what is wrong",
                                   parse_none, exec_check));
}

}  // namespace uvmsim::cli
