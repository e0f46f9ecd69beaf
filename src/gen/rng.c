#include "gen/rng.h"

uint64_t gen_zipf(gen_rng *r, uint64_t n, double s) {
    if (n <= 1) return 1;
    double u = gen_u01(r), x;
    double top = (double)n + 1.0;
    if (fabs(s - 1.0) < 1e-9) {
        x = exp(u * log(top));
    } else {
        double a = 1.0 - s;
        x = pow(1.0 + u * (pow(top, a) - 1.0), 1.0 / a);
    }
    uint64_t k = (uint64_t)x;
    if (k < 1) k = 1;
    if (k > n) k = n;
    return k;
}

void gen_feistel_init(gen_feistel *f, uint64_t n, uint64_t key) {
    int bits = 2;
    while (bits < 64 && ((uint64_t)1 << bits) < n) bits++;
    if (bits & 1) bits++;
    f->n = n ? n : 1;
    f->key = key;
    f->half = bits / 2;
}

static uint64_t feistel_once(const gen_feistel *f, uint64_t x) {
    uint64_t mask = ((uint64_t)1 << f->half) - 1;
    uint64_t l = x >> f->half, rr = x & mask;
    for (int round = 0; round < 4; round++) {
        uint64_t t = l ^ (gen_hash3(f->key, (uint64_t)round, rr) & mask);
        l = rr;
        rr = t;
    }
    return (l << f->half) | rr;
}

uint64_t gen_feistel_apply(const gen_feistel *f, uint64_t x) {
    /* cycle walking: the domain is at most 4n, so few steps on average */
    do x = feistel_once(f, x);
    while (x >= f->n);
    return x;
}
