#include "stats/exposition.hpp"

#include <cassert>
#include <charconv>
#include <cmath>
#include <limits>

namespace callcast::stats {

std::string Exposition::escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Exposition::escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Exposition::format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Counters are whole numbers: written as such while a double holds them exactly (2^53).
  constexpr double kExact = 9007199254740992.0;
  if (value == std::floor(value) && std::fabs(value) < kExact) {
    return std::to_string(static_cast<long long>(value));
  }
  char text[32];
  const auto result = std::to_chars(text, text + sizeof text, value);  // shortest round trip
  return std::string(text, result.ptr);
}

Exposition::Family& Exposition::family(const Metric& metric) {
  for (Family& f : families_) {
    if (f.metric->name == metric.name) {
      assert(f.metric->kind == metric.kind);
      return f;
    }
  }
  families_.push_back(Family{&metric, {}});
  return families_.back();
}

void Exposition::declare(const Metric& metric) {
  (void)family(metric);
}

void Exposition::sample_line(std::string& out, std::string_view name, const Metric& metric,
                             Labels label_values, std::string_view extra_label,
                             std::string_view extra_value, double value) const {
  assert(label_values.size() == metric.labels.size());
  out += name;
  const bool any = !metric.labels.empty() || !extra_label.empty();
  if (any) {
    out += '{';
    std::size_t i = 0;
    for (const std::string_view v : label_values) {
      if (i >= metric.labels.size()) break;
      if (i > 0) out += ',';
      out += metric.labels[i];
      out += "=\"";
      out += escape_label_value(v);
      out += '"';
      ++i;
    }
    if (!extra_label.empty()) {
      if (i > 0) out += ',';
      out += extra_label;
      out += "=\"";
      out += extra_value;
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  out += format_value(value);
  out += '\n';
}

void Exposition::add(const Metric& metric, Labels label_values, double value) {
  assert(metric.kind != Kind::histogram);
  sample_line(family(metric).samples, metric.name, metric, label_values, {}, {}, value);
}

void Exposition::add(const Metric& metric, Labels label_values, const Histogram& histogram) {
  assert(metric.kind == Kind::histogram);
  std::string& out = family(metric).samples;
  const std::string bucket = std::string(metric.name) + "_bucket";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < histogram.bounds().size(); ++i) {
    cumulative += histogram.counts()[i];
    sample_line(out, bucket, metric, label_values, "le", format_value(histogram.bounds()[i]),
                static_cast<double>(cumulative));
  }
  sample_line(out, bucket, metric, label_values, "le", "+Inf",
              static_cast<double>(histogram.count()));
  sample_line(out, std::string(metric.name) + "_sum", metric, label_values, {}, {},
              histogram.sum());
  sample_line(out, std::string(metric.name) + "_count", metric, label_values, {}, {},
              static_cast<double>(histogram.count()));
}

void Exposition::append(const Exposition& other) {
  for (const Family& f : other.families_) {
    family(*f.metric).samples += f.samples;
  }
}

std::string Exposition::text() const {
  std::string out;
  for (const Family& f : families_) {
    out += "# HELP ";
    out += f.metric->name;
    out += ' ';
    out += escape_help(f.metric->help);
    out += "\n# TYPE ";
    out += f.metric->name;
    out += ' ';
    out += to_string(f.metric->kind);
    out += '\n';
    out += f.samples;
  }
  return out;
}

}  // namespace callcast::stats
