/* Host timing of two scorers over the same rows, side by side.
 *
 *   host_bench values   one line per row: the log-likelihood from gmmc, then from emlearn
 *   host_bench ROUNDS   ROUNDS timed passes of each scorer, alternating which goes first;
 *                       prints "gmmc t1 t2 ..." and "emlearn t1 t2 ..." in ns per score
 *
 * score_gmmc and score_emlearn live in their own translation units (impl_*.c), so neither is
 * inlined into the timing loop; both are called through the same function pointer type. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rows.h"

typedef float (*scorer)(const float *x);
float score_gmmc(const float *x);
float score_emlearn(const float *x);

static volatile float sink;

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* Mean ns per score over `reps` passes over all rows. */
static double pass(scorer f, int reps)
{
    float acc = 0.0f;
    double start = now_ns();
    int rep, r;
    for (rep = 0; rep < reps; ++rep) {
        for (r = 0; r < N_ROWS; ++r) {
            acc += f(rows[r]);
        }
    }
    sink = acc;
    return (now_ns() - start) / ((double)reps * N_ROWS);
}

int main(int argc, char **argv)
{
    enum { MAX_ROUNDS = 101 };
    double t_gmmc[MAX_ROUNDS], t_eml[MAX_ROUNDS];
    int rounds, reps, i, r;
    if (argc == 2 && strcmp(argv[1], "values") == 0) {
        for (r = 0; r < N_ROWS; ++r) {
            printf("%.9g %.9g\n", (double)score_gmmc(rows[r]), (double)score_emlearn(rows[r]));
        }
        return 0;
    }
    rounds = argc == 2 ? atoi(argv[1]) : 21;
    if (rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "usage: host_bench values | host_bench ROUNDS (1..%d)\n", MAX_ROUNDS);
        return 2;
    }
    /* Passes of roughly 10 ms for the slower scorer: calibrate on one warm-up pass. */
    {
        double slow = pass(score_emlearn, 1);
        double fast = pass(score_gmmc, 1);
        double per = slow > fast ? slow : fast;
        reps = (int)(1e7 / (per * N_ROWS)) + 1;
    }
    for (i = 0; i < rounds; ++i) {
        if (i % 2 == 0) {
            t_gmmc[i] = pass(score_gmmc, reps);
            t_eml[i] = pass(score_emlearn, reps);
        } else {
            t_eml[i] = pass(score_emlearn, reps);
            t_gmmc[i] = pass(score_gmmc, reps);
        }
    }
    printf("gmmc");
    for (i = 0; i < rounds; ++i) {
        printf(" %.3f", t_gmmc[i]);
    }
    printf("\nemlearn");
    for (i = 0; i < rounds; ++i) {
        printf(" %.3f", t_eml[i]);
    }
    printf("\n");
    return 0;
}
