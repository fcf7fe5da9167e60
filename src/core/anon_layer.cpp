// make_anon_layer: the anonymous-memory layer a machine runs.
#include "core/anon_layer.h"

#include "core/amap_layer.h"
#include "core/shadow_layer.h"

namespace uvmsim {

std::unique_ptr<AnonLayer> make_anon_layer(Uvm& uvm, AnonModel model) {
  if (model == AnonModel::kShadow) return std::make_unique<ShadowLayer>(uvm);
  return std::make_unique<AmapLayer>(uvm);
}

}  // namespace uvmsim
