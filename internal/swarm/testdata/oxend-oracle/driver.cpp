// Test oracle: runs oxend's own calc_swarm_changes over two pseudo-random
// histories of registrations and removals and prints a digest of every step.
#include "service_node_swarm.h"
#include <cstdio>
#include <functional>
#include <map>
#include <vector>
using namespace service_nodes;

static crypto::public_key key_of(uint64_t i) {
    crypto::public_key k;
    for (int b = 0; b < 8; b++) k.d[31 - b] = (i >> (8 * b)) & 0xff;
    return k;
}
static uint64_t index_of(const crypto::public_key& k) {
    uint64_t i = 0;
    for (int b = 0; b < 8; b++) i |= uint64_t(k.d[31 - b]) << (8 * b);
    return i;
}
struct fnv { uint64_t h = 1469598103934665603ULL;
    void u64(uint64_t v) { for (int b = 0; b < 8; b++) { h ^= (v >> (8 * b)) & 0xff; h *= 1099511628211ULL; } } };

static void run(const char* name, uint64_t rng_seed, int steps,
                std::function<uint64_t(int, uint64_t)> adds,
                std::function<uint64_t(int, uint64_t)> rems, bool last) {
    std::mt19937_64 rng(rng_seed);
    uint64_t next = 0;
    std::map<uint64_t, uint64_t> swarm_of;
    std::vector<uint64_t> swarm_ids;
    printf(" {\"name\":\"%s\",\"rng_seed\":%llu,\"steps\":[\n", name, (unsigned long long)rng_seed);
    for (int step = 0; step < steps; step++) {
        uint64_t n_add = adds(step, rng());
        uint64_t n_rem = rems(step, rng());
        for (uint64_t k = 0; k < n_rem && swarm_of.size() > 5; k++) {
            auto it = swarm_of.begin();
            std::advance(it, rng() % swarm_of.size());
            swarm_of.erase(it);
        }
        if (!swarm_ids.empty() && rng() % 10 == 0) {
            uint64_t victim = swarm_ids[rng() % swarm_ids.size()];
            uint64_t keep = rng() % 5;
            std::vector<uint64_t> members;
            for (auto& [n, s] : swarm_of) if (s == victim) members.push_back(n);
            while (members.size() > keep && swarm_of.size() > 5) { swarm_of.erase(members.back()); members.pop_back(); }
        }
        for (uint64_t k = 0; k < n_add; k++) swarm_of[next++] = UNASSIGNED_SWARM_ID;
        swarm_snode_map_t m;
        for (auto& [n, s] : swarm_of) m[s].push_back(key_of(n));
        uint64_t seed = rng();
        calc_swarm_changes(m, seed);
        fnv h;
        size_t total = 0;
        swarm_ids.clear();
        for (auto& [id, members] : m) {
            swarm_ids.push_back(id);
            std::vector<uint64_t> idx;
            for (auto& k : members) idx.push_back(index_of(k));
            std::sort(idx.begin(), idx.end());
            h.u64(id); h.u64(idx.size());
            for (auto i : idx) { h.u64(i); swarm_of[i] = id; }
            total += members.size();
        }
        printf("  {\"step\":%d,\"swarms\":%zu,\"nodes\":%zu,\"fnv64\":\"%016llx\"}%s\n", step, m.size(), total,
               (unsigned long long)h.h, step + 1 < steps ? "," : "");
    }
    printf(" ]}%s\n", last ? "" : ",");
}

// Sorts pseudo-random (id, size) lists with std::sort and std::partial_sort
// (the heap path of introsort) and prints digests of the resulting id orders.
static void sorts() {
    std::mt19937_64 rng(99);
    printf("\"sorts\":[\n");
    for (int t = 0; t < 200; t++) {
        size_t n = rng() % 400 + 1;
        uint64_t k = rng() % 12 + 1;
        std::vector<swarm_size> v;
        for (size_t i = 0; i < n; i++) v.push_back({i, size_t(rng() % k)});
        auto a = v, b = v;
        auto cmp = [](const swarm_size& x, const swarm_size& y) { return x.size < y.size; };
        std::sort(a.begin(), a.end(), cmp);
        std::partial_sort(b.begin(), b.end(), b.end(), cmp);
        fnv ha, hb;
        for (auto& e : a) ha.u64(e.swarm_id);
        for (auto& e : b) hb.u64(e.swarm_id);
        printf(" {\"n\":%zu,\"k\":%llu,\"sort_fnv64\":\"%016llx\",\"heap_fnv64\":\"%016llx\"}%s\n", n,
               (unsigned long long)k, (unsigned long long)ha.h, (unsigned long long)hb.h, t + 1 < 200 ? "," : "");
    }
    printf("],\n");
}

int main() {
    printf("{");
    sorts();
    printf("\"scenarios\":[\n");
    run("grow-churn-shrink", 20241024, 260,
        [](int s, uint64_t r) -> uint64_t { return s < 60 ? r % 40 : s == 60 ? 1000 : s < 200 ? r % 12 : 0; },
        [](int s, uint64_t r) -> uint64_t { return s < 60 ? r % 3 : s < 200 ? r % 9 : r % 60; }, false);
    run("tiny", 7, 150,
        [](int, uint64_t r) -> uint64_t { return r % 8; },
        [](int, uint64_t r) -> uint64_t { return r % 7; }, true);
    printf("]}\n");
}
