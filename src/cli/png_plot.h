// A line plot written as a PNG (the miss-ratio curves of `uvmsim replay
// --plot`): axes with ticks, one coloured line per series, a legend. A
// small built-in rasteriser with a 5x7 bitmap font and zlib for the image
// data, so plotting needs no program beside uvmsim.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "uvmsim/status.h"

namespace uvmsim::cli {

struct PlotSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), x increasing
};

struct PlotSpec {
  std::string title, xlabel, ylabel;
  std::vector<PlotSeries> series;
};

// Errors: EINVAL for nothing to plot, the errno of a failed write.
Status write_png_plot(const std::string& path, const PlotSpec& spec);

}  // namespace uvmsim::cli
