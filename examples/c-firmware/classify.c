/* classify: score rows of pump-motor features with a detector compiled by `gmmc emit c`.
 *
 * Reads CSV on standard input: a header line, then rows of MOTOR_N_INPUTS numbers (the whole
 * feature vector the DSP stage computes; the detector picks its own axes out of it),
 * optionally followed by a label column ("anomaly" / "no anomaly"). Prints every row the
 * detector flags, then a summary, compared with the labels when there are any.
 *
 * On a device the same calls run once per sensor window: see detector.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "motor_gmm.h"

int main(void)
{
    char line[4096];
    float inputs[MOTOR_N_INPUTS];
    long row = 0;
    long flagged = 0;
    long caught = 0, missed = 0, false_alarms = 0, labelled_normal = 0;

    if (!fgets(line, sizeof line, stdin)) {
        fprintf(stderr, "classify: no header line on standard input\n");
        return 1;
    }
    while (fgets(line, sizeof line, stdin)) {
        char *p = line;
        char *label;
        float score;
        int anomaly, j;
        ++row;
        for (j = 0; j < MOTOR_N_INPUTS; ++j) {
            char *end;
            inputs[j] = strtof(p, &end);
            if (end == p) {
                fprintf(stderr, "classify: line %ld, column %d: not a number\n", row + 1, j + 1);
                return 1;
            }
            p = (*end == ',') ? end + 1 : end;
        }
        label = p;
        label[strcspn(label, "\r\n")] = '\0';

        score = motor_score_inputs(inputs);
        anomaly = motor_is_anomaly_inputs(inputs);

        if (anomaly) {
            ++flagged;
            printf("row %4ld  score %9.3f  ANOMALY%s%s\n", row, (double)score,
                   *label ? "   label: " : "", label);
        }
        if (strcmp(label, "anomaly") == 0) {
            if (anomaly) {
                ++caught;
            } else {
                ++missed;
            }
        } else if (strcmp(label, "no anomaly") == 0) {
            ++labelled_normal;
            if (anomaly) {
                ++false_alarms;
            }
        }
    }
    printf("%ld rows, %ld flagged (threshold %.3f on the score)\n", row, flagged,
           (double)MOTOR_THRESHOLD);
    if (caught + missed + labelled_normal > 0) {
        printf("labels: %ld of %ld anomalies caught, %ld false alarms in %ld normal rows\n",
               caught, caught + missed, false_alarms, labelled_normal);
    }
    return 0;
}
