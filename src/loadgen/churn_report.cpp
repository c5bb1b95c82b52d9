#include "loadgen/churn_report.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

namespace callcast::loadgen {
namespace {

double round_to_places(double value, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

}  // namespace

ChurnReport::ChurnReport(std::size_t rounds, std::size_t calls_per_round,
                         std::optional<std::uint64_t> rss_start_kb)
    : rounds_(rounds), calls_per_round_(calls_per_round), rss_start_kb_(rss_start_kb) {
  rss_by_round_.reserve(rounds);
}

void ChurnReport::add_round(std::optional<std::uint64_t> rss_kb) {
  rss_by_round_.push_back(rss_kb);
}

std::optional<std::uint64_t> ChurnReport::after_round(std::size_t round) const {
  if (round == 0 || round > rss_by_round_.size()) return std::nullopt;
  return rss_by_round_[round - 1];
}

std::optional<std::uint64_t> ChurnReport::rss_after_n_kb() const {
  return after_round(half());
}

std::optional<std::uint64_t> ChurnReport::rss_after_2n_kb() const {
  return rss_by_round_.size() == rounds_ ? after_round(rounds_) : std::nullopt;
}

std::optional<double> ChurnReport::growth_pct() const {
  const auto n = rss_after_n_kb();
  const auto two_n = rss_after_2n_kb();
  if (!n || !two_n || *n == 0) return std::nullopt;
  return (static_cast<double>(*two_n) - static_cast<double>(*n)) * 100.0 / static_cast<double>(*n);
}

std::optional<double> ChurnReport::growth_per_call_bytes() const {
  const auto n = rss_after_n_kb();
  const auto two_n = rss_after_2n_kb();
  const std::size_t calls = (rounds_ - half()) * calls_per_round_;
  if (!n || !two_n || calls == 0) return std::nullopt;
  return (static_cast<double>(*two_n) - static_cast<double>(*n)) * 1024.0 /
         static_cast<double>(calls);
}

void ChurnReport::write(nlohmann::ordered_json& out) const {
  const auto or_null = [](const auto& value) {
    return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
  };
  const auto rounded = [](const std::optional<double>& value, int decimals) {
    return value ? nlohmann::ordered_json(round_to_places(*value, decimals))
                 : nlohmann::ordered_json(nullptr);
  };
  out["rounds"] = rounds_;
  out["calls_per_round"] = calls_per_round_;
  out["n_calls"] = half() * calls_per_round_;
  out["rss_start_kb"] = or_null(rss_start_kb_);
  out["rss_after_n_kb"] = or_null(rss_after_n_kb());
  out["rss_after_2n_kb"] = or_null(rss_after_2n_kb());
  out["growth_pct"] = rounded(growth_pct(), 2);
  out["growth_per_call_b"] = rounded(growth_per_call_bytes(), 1);
  nlohmann::ordered_json by_round = nlohmann::ordered_json::array();
  for (const auto& rss : rss_by_round_) {
    by_round.push_back(or_null(rss));
  }
  out["rss_by_round_kb"] = std::move(by_round);
}

}  // namespace callcast::loadgen
