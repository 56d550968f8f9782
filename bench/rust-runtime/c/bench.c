/* A C scorer with the same algorithm as gmmc-runtime's `Full` kernel (mean subtraction,
 * packed upper-triangular quadratic form summed in the same order, NaN read as -inf,
 * max-shifted log-sum-exp with expf/logf, the same score map), on the same constants, plus a
 * timing loop. Stands in for the emitted C header until `gmmc emit c` exists.
 *
 *   c-bench time NAME TRIALS REPS   median ns per score over TRIALS timings of REPS passes
 *   c-bench check NAME              log-likelihood of every input row, one per line
 */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_models.h"

#define MAX_D 32
#define MAX_K 8

static inline __attribute__((always_inline)) float
log_likelihood(int k_count, int d, const float *constants, const float *means,
               const float *factors, const float *x)
{
    float lp[MAX_K];
    float diff[MAX_D];
    for (int i = 0; i < d; i++) {
        if (!isfinite(x[i])) return -INFINITY;
    }
    const float *u = factors;
    for (int k = 0; k < k_count; k++) {
        const float *mean = means + k * d;
        for (int i = 0; i < d; i++) diff[i] = x[i] - mean[i];
        float q = 0.0f;
        for (int j = 0; j < d; j++) {
            float y = 0.0f;
            for (int i = 0; i <= j; i++) y += diff[i] * u[i];
            u += j + 1;
            q += y * y;
        }
        float v = constants[k] - 0.5f * q;
        lp[k] = isnan(v) ? -INFINITY : v;
    }
    float max = -INFINITY;
    for (int k = 0; k < k_count; k++) {
        if (lp[k] > max) max = lp[k];
    }
    if (max == -INFINITY) return -INFINITY;
    float sum = 0.0f;
    for (int k = 0; k < k_count; k++) sum += expf(lp[k] - max);
    float ll = max + logf(sum);
    return isnan(ll) ? -INFINITY : ll;
}

static inline __attribute__((always_inline)) float
score(float ll, float offset, float scale)
{
    if (isnan(ll) || ll == -INFINITY) return INFINITY;
    float s = (-ll - offset) / scale;
    return isnan(s) ? INFINITY : s;
}

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static volatile float sink;

#define MODEL(NAME, UPPER)                                                                  \
    static float NAME##_ll(const float *x)                                                  \
    {                                                                                       \
        return log_likelihood(UPPER##_K, UPPER##_D, NAME##_constants, NAME##_means,         \
                              NAME##_factors, x);                                           \
    }                                                                                       \
    static double NAME##_time(long reps)                                                    \
    {                                                                                       \
        float acc = 0.0f;                                                                   \
        double start = now_ns();                                                            \
        for (long r = 0; r < reps; r++) {                                                   \
            for (int i = 0; i < ROWS; i++) {                                                \
                const float *x = NAME##_inputs + i * UPPER##_D;                             \
                acc += score(log_likelihood(UPPER##_K, UPPER##_D, NAME##_constants,         \
                                            NAME##_means, NAME##_factors, x),               \
                             NAME##_offset, NAME##_scale);                                  \
            }                                                                               \
        }                                                                                   \
        double elapsed = now_ns() - start;                                                  \
        sink = acc;                                                                         \
        return elapsed / ((double)reps * ROWS);                                             \
    }

MODEL(full_k4_d8, FULL_K4_D8)
MODEL(full_k8_d32, FULL_K8_D32)

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: c-bench time NAME TRIALS REPS | c-bench check NAME\n");
        return 2;
    }
    int small = strcmp(argv[2], "full_k4_d8") == 0;
    if (!small && strcmp(argv[2], "full_k8_d32") != 0) {
        fprintf(stderr, "unknown model %s\n", argv[2]);
        return 2;
    }
    if (strcmp(argv[1], "check") == 0) {
        int d = small ? FULL_K4_D8_D : FULL_K8_D32_D;
        for (int i = 0; i < ROWS; i++) {
            float ll = small ? full_k4_d8_ll(full_k4_d8_inputs + i * d)
                             : full_k8_d32_ll(full_k8_d32_inputs + i * d);
            printf("%.9g\n", (double)ll);
        }
        return 0;
    }
    if (strcmp(argv[1], "time") != 0 || argc != 5) {
        fprintf(stderr, "usage: c-bench time NAME TRIALS REPS\n");
        return 2;
    }
    int trials = atoi(argv[3]);
    long reps = atol(argv[4]);
    if (trials < 1 || trials > 1000 || reps < 1) return 2;
    double times[1000];
    for (int t = 0; t < trials; t++) {
        times[t] = small ? full_k4_d8_time(reps) : full_k8_d32_time(reps);
    }
    qsort(times, (size_t)trials, sizeof times[0], compare);
    printf("%.3f\n", times[trials / 2]);
    return 0;
}
