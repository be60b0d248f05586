// Stand-in for oxend's common/random.h (test oracle only): a uniform draw in
// [0, n) that rejects outputs at or above the largest multiple of n and then
// divides, as oxend's tools::uniform_distribution_portable is specified to.
#pragma once
#include <cstdint>
#include <random>
namespace tools {
inline uint64_t uniform_distribution_portable(std::mt19937_64& gen, const uint64_t n) {
    const uint64_t top = std::mt19937_64::max();
    const uint64_t limit = top - top % n;
    for (;;) {
        const uint64_t draw = gen();
        if (draw < limit)
            return draw / (limit / n);
    }
}
}  // namespace tools
