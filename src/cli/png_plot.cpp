#include "cli/png_plot.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "fmt/format.h"

namespace uvmsim::cli {

namespace {

struct Glyph {
  char c;
  std::uint8_t rows[7];  // bit 4: leftmost column
};

constexpr Glyph kFont[] = {
    {'0', {0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e}},
    {'1', {0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e}},
    {'2', {0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f}},
    {'3', {0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e}},
    {'4', {0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02}},
    {'5', {0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e}},
    {'6', {0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e}},
    {'7', {0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}},
    {'8', {0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e}},
    {'9', {0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c}},
    {'a', {0x00, 0x00, 0x0e, 0x01, 0x0f, 0x11, 0x0f}},
    {'b', {0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x1e}},
    {'c', {0x00, 0x00, 0x0e, 0x10, 0x10, 0x11, 0x0e}},
    {'d', {0x01, 0x01, 0x0d, 0x13, 0x11, 0x11, 0x0f}},
    {'e', {0x00, 0x00, 0x0e, 0x11, 0x1f, 0x10, 0x0e}},
    {'f', {0x06, 0x09, 0x08, 0x1c, 0x08, 0x08, 0x08}},
    {'g', {0x00, 0x0f, 0x11, 0x11, 0x0f, 0x01, 0x0e}},
    {'h', {0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x11}},
    {'i', {0x04, 0x00, 0x0c, 0x04, 0x04, 0x04, 0x0e}},
    {'j', {0x02, 0x00, 0x06, 0x02, 0x02, 0x12, 0x0c}},
    {'k', {0x10, 0x10, 0x12, 0x14, 0x18, 0x14, 0x12}},
    {'l', {0x0c, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e}},
    {'m', {0x00, 0x00, 0x1a, 0x15, 0x15, 0x11, 0x11}},
    {'n', {0x00, 0x00, 0x16, 0x19, 0x11, 0x11, 0x11}},
    {'o', {0x00, 0x00, 0x0e, 0x11, 0x11, 0x11, 0x0e}},
    {'p', {0x00, 0x00, 0x1e, 0x11, 0x1e, 0x10, 0x10}},
    {'q', {0x00, 0x00, 0x0d, 0x13, 0x0f, 0x01, 0x01}},
    {'r', {0x00, 0x00, 0x16, 0x19, 0x10, 0x10, 0x10}},
    {'s', {0x00, 0x00, 0x0e, 0x10, 0x0e, 0x01, 0x1e}},
    {'t', {0x08, 0x08, 0x1c, 0x08, 0x08, 0x09, 0x06}},
    {'u', {0x00, 0x00, 0x11, 0x11, 0x11, 0x13, 0x0d}},
    {'v', {0x00, 0x00, 0x11, 0x11, 0x11, 0x0a, 0x04}},
    {'w', {0x00, 0x00, 0x11, 0x11, 0x15, 0x15, 0x0a}},
    {'x', {0x00, 0x00, 0x11, 0x0a, 0x04, 0x0a, 0x11}},
    {'y', {0x00, 0x00, 0x11, 0x11, 0x0f, 0x01, 0x0e}},
    {'z', {0x00, 0x00, 0x1f, 0x02, 0x04, 0x08, 0x1f}},
    {'.', {0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x0c}},
    {'-', {0x00, 0x00, 0x00, 0x1f, 0x00, 0x00, 0x00}},
    {':', {0x00, 0x0c, 0x0c, 0x00, 0x0c, 0x0c, 0x00}},
    {'(', {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02}},
    {')', {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08}},
    {'/', {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00}},
    {',', {0x00, 0x00, 0x00, 0x00, 0x0c, 0x04, 0x08}},
    {'%', {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03}},
    {'=', {0x00, 0x00, 0x1f, 0x00, 0x1f, 0x00, 0x00}},
    {'_', {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1f}},
};

struct Rgb {
  std::uint8_t r, g, b;
};

constexpr Rgb kPalette[] = {{31, 119, 180}, {214, 39, 40},  {44, 160, 44},  {255, 127, 14},
                            {148, 103, 189}, {140, 86, 75}, {227, 119, 194}, {23, 190, 207},
                            {127, 127, 127}, {188, 189, 34}};

class Canvas {
 public:
  Canvas(int w, int h) : w_(w), h_(h), px_(static_cast<std::size_t>(w) * h * 3, 255) {}
  int width() const { return w_; }
  int height() const { return h_; }
  void set(int x, int y, Rgb c) {
    if (x < 0 || y < 0 || x >= w_ || y >= h_) return;
    std::uint8_t* p = &px_[(static_cast<std::size_t>(y) * w_ + x) * 3];
    p[0] = c.r, p[1] = c.g, p[2] = c.b;
  }
  void rect(int x0, int y0, int x1, int y1, Rgb c) {
    for (int y = y0; y <= y1; y++)
      for (int x = x0; x <= x1; x++) set(x, y, c);
  }
  // A line `thick` pixels wide (Bresenham with a square pen).
  void line(int x0, int y0, int x1, int y1, Rgb c, int thick = 1) {
    const int dx = std::abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
    const int dy = -std::abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (;;) {
      rect(x0 - thick / 2, y0 - thick / 2, x0 + (thick - 1) / 2, y0 + (thick - 1) / 2, c);
      if (x0 == x1 && y0 == y1) break;
      const int e2 = 2 * err;
      if (e2 >= dy) err += dy, x0 += sx;
      if (e2 <= dx) err += dx, y0 += sy;
    }
  }
  // Text at scale s (glyphs are 5x7, advance 6), left edge x, top y.
  void text(int x, int y, std::string_view s, Rgb c, int scale = 2) {
    for (char ch : s) {
      const char lc = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
      for (const Glyph& g : kFont) {
        if (g.c != lc) continue;
        for (int r = 0; r < 7; r++)
          for (int col = 0; col < 5; col++)
            if (g.rows[r] & (0x10 >> col)) rect(x + col * scale, y + r * scale, x + col * scale + scale - 1,
                                                 y + r * scale + scale - 1, c);
      }
      x += 6 * scale;
    }
  }
  // Vertical text, bottom to top.
  void text_up(int x, int y, std::string_view s, Rgb c, int scale = 2) {
    for (char ch : s) {
      const char lc = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
      for (const Glyph& g : kFont) {
        if (g.c != lc) continue;
        for (int r = 0; r < 7; r++)
          for (int col = 0; col < 5; col++)
            if (g.rows[r] & (0x10 >> col))
              rect(x + r * scale, y - col * scale - scale + 1, x + r * scale + scale - 1, y - col * scale, c);
      }
      y -= 6 * scale;
    }
  }
  static int text_width(std::string_view s, int scale = 2) { return static_cast<int>(s.size()) * 6 * scale; }
  const std::vector<std::uint8_t>& pixels() const { return px_; }

 private:
  int w_, h_;
  std::vector<std::uint8_t> px_;
};

// "Nice" tick spacing: 1, 2 or 5 times a power of ten, about `n` ticks.
double nice_step(double range, int n) {
  if (range <= 0) return 1;
  const double raw = range / n;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

std::string tick_label(double v) {
  std::string s = fmt::format("{:.6g}", v);
  return s == "-0" ? "0" : s;
}

void put_be32(std::string& out, std::uint32_t v) {
  for (int i = 3; i >= 0; i--) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void chunk(std::string& out, const char* type, const std::string& data) {
  put_be32(out, static_cast<std::uint32_t>(data.size()));
  std::string body = std::string(type, 4) + data;
  out += body;
  put_be32(out, static_cast<std::uint32_t>(
                    crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))));
}

StatusOr<std::string> encode_png(const Canvas& c) {
  std::string raw;
  raw.reserve(static_cast<std::size_t>(c.height()) * (c.width() * 3 + 1));
  for (int y = 0; y < c.height(); y++) {
    raw.push_back(0);  // filter: none
    raw.append(reinterpret_cast<const char*>(&c.pixels()[static_cast<std::size_t>(y) * c.width() * 3]),
               static_cast<std::size_t>(c.width()) * 3);
  }
  uLongf zlen = compressBound(static_cast<uLong>(raw.size()));
  std::string z(zlen, '\0');
  if (compress2(reinterpret_cast<Bytef*>(z.data()), &zlen, reinterpret_cast<const Bytef*>(raw.data()),
                static_cast<uLong>(raw.size()), 9) != Z_OK)
    return errno_status(ENOMEM, "plot: compression failed");
  z.resize(zlen);
  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  put_be32(ihdr, static_cast<std::uint32_t>(c.width()));
  put_be32(ihdr, static_cast<std::uint32_t>(c.height()));
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB, deflate, no interlace
  chunk(png, "IHDR", ihdr);
  chunk(png, "IDAT", z);
  chunk(png, "IEND", "");
  return png;
}

}  // namespace

Status write_png_plot(const std::string& path, const PlotSpec& spec) {
  double xmin = 0, xmax = 0, ymax = 0;
  bool any = false;
  for (const PlotSeries& s : spec.series)
    for (auto [x, y] : s.points) {
      if (!any) xmin = xmax = x;
      any = true;
      xmin = std::min(xmin, x), xmax = std::max(xmax, x), ymax = std::max(ymax, y);
    }
  if (!any) return errno_status(EINVAL, "plot: nothing to plot");
  if (xmax == xmin) xmax = xmin + 1;
  const double ystep = nice_step(ymax > 0 ? ymax : 1, 5);
  const double ytop = std::max(ystep, std::ceil(ymax / ystep) * ystep);
  const double xstep = nice_step(xmax - xmin, 8);

  int legend_w = 0;
  for (const PlotSeries& s : spec.series) legend_w = std::max(legend_w, Canvas::text_width(s.name));
  Canvas c(960, 600);
  const int left = 110, top = 60, right = c.width() - legend_w - 70, bottom = c.height() - 80;
  const Rgb black{0, 0, 0}, grid{225, 225, 225}, grey{90, 90, 90};
  auto px = [&](double x) { return left + static_cast<int>(std::lround((x - xmin) / (xmax - xmin) * (right - left))); };
  auto py = [&](double y) { return bottom - static_cast<int>(std::lround(y / ytop * (bottom - top))); };

  c.text((left + right - Canvas::text_width(spec.title)) / 2, 18, spec.title, black);
  for (double y = 0; y <= ytop + ystep / 2; y += ystep) {
    c.line(left, py(y), right, py(y), grid);
    const std::string l = tick_label(y);
    c.text(left - 12 - Canvas::text_width(l), py(y) - 7, l, grey);
  }
  for (double x = std::ceil(xmin / xstep) * xstep; x <= xmax + xstep / 1e6; x += xstep) {
    c.line(px(x), top, px(x), bottom, grid);
    const std::string l = tick_label(x);
    c.text(px(x) - Canvas::text_width(l) / 2, bottom + 10, l, grey);
  }
  c.line(left, bottom, right, bottom, black, 2);
  c.line(left, top, left, bottom, black, 2);
  c.text((left + right - Canvas::text_width(spec.xlabel)) / 2, c.height() - 36, spec.xlabel, black);
  c.text_up(24, (top + bottom + Canvas::text_width(spec.ylabel)) / 2, spec.ylabel, black);

  for (std::size_t i = 0; i < spec.series.size(); i++) {
    const PlotSeries& s = spec.series[i];
    const Rgb col = kPalette[i % std::size(kPalette)];
    for (std::size_t k = 0; k + 1 < s.points.size(); k++)
      c.line(px(s.points[k].first), py(s.points[k].second), px(s.points[k + 1].first),
             py(s.points[k + 1].second), col, 3);
    if (s.points.size() == 1) c.rect(px(s.points[0].first) - 3, py(s.points[0].second) - 3,
                                     px(s.points[0].first) + 3, py(s.points[0].second) + 3, col);
    const int ly = top + 10 + static_cast<int>(i) * 28;
    c.line(right + 20, ly + 7, right + 44, ly + 7, col, 3);
    c.text(right + 52, ly, s.name, black);
  }

  auto png = encode_png(c);
  if (!png.ok()) return png.status();
  std::ofstream out(path, std::ios::binary);
  out.write(png->data(), static_cast<std::streamsize>(png->size()));
  out.close();
  if (!out) return errno_status(errno ? errno : EIO, fmt::format("cannot write '{}': {}", path, std::strerror(errno)));
  return absl::OkStatus();
}

}  // namespace uvmsim::cli
