/* What firmware calls once per sensor window: the DSP stage's whole feature vector in, a
 * verdict out. `make m4` compiles this file for a Cortex-M4F to show what the detector costs
 * in flash and that it needs nothing but expf and logf. */
#include "motor_gmm.h"

int window_is_anomalous(const float features[MOTOR_N_INPUTS]);

int window_is_anomalous(const float features[MOTOR_N_INPUTS])
{
    return motor_is_anomaly_inputs(features);
}
