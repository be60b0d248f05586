// Minimal stand-ins so oxend's service_node_swarm.cpp compiles on its own (test oracle only).
#pragma once
#include <algorithm>
#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <string>
#include <sys/types.h>
namespace crypto {
struct public_key {
    std::array<unsigned char, 32> d{};
    bool operator==(const public_key& o) const { return d == o.d; }
};
}  // namespace crypto
namespace service_nodes {
namespace log {
    struct Cat { Cat(const char*) {} };
    template <class... A> void trace(A&&...) {}
    template <class... A> void debug(A&&...) {}
    template <class... A> void error(A&&...) {}
    template <class... A> void warning(A&&...) {}
}  // namespace log
inline constexpr size_t MIN_SWARM_SIZE = 5;
inline constexpr size_t IDEAL_SWARM_MARGIN = 2;
inline constexpr size_t IDEAL_SWARM_SIZE = MIN_SWARM_SIZE + IDEAL_SWARM_MARGIN;
inline constexpr size_t EXCESS_BASE = MIN_SWARM_SIZE;
inline constexpr size_t NEW_SWARM_SIZE = IDEAL_SWARM_SIZE;
inline constexpr size_t FILL_SWARM_LOWER_PERCENTILE = 25;
inline constexpr size_t DECOMMISSIONED_REDISTRIBUTION_LOWER_PERCENTILE = 0;
inline constexpr size_t STEALING_SWARM_UPPER_PERCENTILE = 75;
using swarm_id_t = uint64_t;
inline constexpr swarm_id_t UNASSIGNED_SWARM_ID = UINT64_MAX;
}  // namespace service_nodes
