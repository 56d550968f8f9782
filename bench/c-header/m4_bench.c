/* Instructions per score on the Cortex-M4F (under QEMU): each scorer runs once over the same
 * rows between its own pair of marker functions, whose addresses the insn_count plugin is
 * given. The loop (row pointer, call, accumulate) is inside the window for both, a few
 * instructions per row. Prints the sums so the work cannot be optimised away, and a check
 * value per scorer. */
#include <stdio.h>

#include "rows.h"

float score_gmmc(const float *x);
float score_emlearn(const float *x);

/* Distinct bodies, so the compiler cannot fold the markers into one function. */
volatile int marker;
__attribute__((noinline)) void gmmc_begin(void) { marker = 1; }
__attribute__((noinline)) void gmmc_end(void) { marker = 2; }
__attribute__((noinline)) void emlearn_begin(void) { marker = 3; }
__attribute__((noinline)) void emlearn_end(void) { marker = 4; }

int main(void)
{
    float a = 0.0f, b = 0.0f;
    int r;
    gmmc_begin();
    for (r = 0; r < N_ROWS; ++r) {
        a += score_gmmc(rows[r]);
    }
    gmmc_end();
    emlearn_begin();
    for (r = 0; r < N_ROWS; ++r) {
        b += score_emlearn(rows[r]);
    }
    emlearn_end();
    printf("sums %.6e %.6e\n", (double)a, (double)b);
    return 0;
}
