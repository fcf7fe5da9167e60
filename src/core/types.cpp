#include "uvmsim/types.h"

#include <string>

namespace uvmsim {

std::string_view to_string(Inherit i) {
  switch (i) {
    case Inherit::kShare: return "share";
    case Inherit::kCopy: return "copy";
    case Inherit::kNone: return "none";
    case Inherit::kZero: return "zero";
  }
  return "?";
}

std::string_view to_string(Advice a) {
  switch (a) {
    case Advice::kNormal: return "normal";
    case Advice::kRandom: return "random";
    case Advice::kSequential: return "sequential";
  }
  return "?";
}

std::string_view to_string(AnonModel m) { return m == AnonModel::kShadow ? "shadow" : "amap"; }

std::string_view to_string(Backend b) {
  switch (b) {
    case Backend::kAuto: return "auto";
    case Backend::kSoft: return "soft";
    case Backend::kKvm: return "kvm";
  }
  return "?";
}

std::string prot_string(Prot p) {
  if (p == kProtNone) return "none";
  std::string s;
  if (p & kProtRead) s += 'r';
  if (p & kProtWrite) s += 'w';
  if (p & kProtExec) s += 'x';
  return s;
}

}  // namespace uvmsim
