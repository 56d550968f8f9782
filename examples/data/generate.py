#!/usr/bin/env python3
"""Generate gmmc's example data set: vibration features of a pump motor.

Rerun with ``python3 examples/data/generate.py`` (from anywhere); it rewrites
``motor-train.csv`` and ``motor-test.csv`` next to this script. ``--check`` compares
freshly generated text with the files on disk instead and exits 1 if they differ. Only the
Python 3 standard library is used, and every random number comes from
``random.Random(seed).random()`` with a fixed seed (Gaussian noise by the Box-Muller
transform), so a rerun reproduces the committed files byte for byte. It takes about 40 s.

What is simulated
-----------------
A centrifugal pump with a 6-vane impeller, driven by a 4-pole induction motor on a
variable-frequency drive (VFD). A 3-axis MEMS accelerometer is screwed to the motor's
drive-end bearing housing: x is horizontal radial, y axial, z vertical radial. It samples at
3200 Hz; every window of 1024 samples (0.32 s) becomes one row of features.

The machine runs in four operating modes, so normal data has four clusters that differ in
speed, load and therefore in every vibration feature:

    mode        VFD     load    shaft speed
    idle        30 Hz   ~8 %    ~897 rpm
    nominal     50 Hz   ~55 %   ~1467 rpm
    high load   50 Hz   ~95 %   ~1443 rpm (more slip, more flow noise)
    boost       80 Hz   ~70 %   ~2333 rpm

Time is a sequence of sessions (8-30 consecutive windows in one mode); the load wanders from
window to window around the session's level, and the shaft speed follows it through the
motor's slip (4 % at full load).

Each axis's signal, in m/s^2, is a sum of
  * the shaft orders 1x (residual imbalance), 2x (residual misalignment, grows with load) and 3x,
    whose amplitudes grow with the square of the shaft speed, as forces from rotating masses do;
  * vane pass (6x), proportional to load: pressure pulses of the impeller;
  * magnetic vibration at twice the VFD frequency (not an exact shaft order, because of slip);
  * flow turbulence: low-pass (first-order, ~150 Hz corner) noise growing with load and speed;
  * rolling noise of the healthy bearing: white noise through a structural resonance of the
    housing at 1250 Hz (second-order resonator, 150 Hz wide), shared by the three axes;
  * sensor noise: white, 0.012 m/s^2 RMS per axis.
Every amplitude jitters a little from window to window and every phase is random.

Faults (test file only, labelled ``anomaly``):
  * bearing: an outer-race defect. Impacts at the ball-pass frequency (3.57x shaft, with 1 %
    timing jitter) ring the 1250 Hz resonance: impulsive high-frequency content that raises
    kurtosis, peak-to-peak, the high band and the spectral centroid.
  * imbalance: the 1x amplitude on the radial axes is 1.3-3 times the healthy one.
  * looseness: a loose mounting foot rattles in the vertical direction: half orders
    (0.5x, 1.5x, 2.5x) and a series of harmonics on z (less on x), and a larger 1x on z.
Each fault has five episodes of two consecutive windows, with severities spread from
incipient (hard to tell from normal) to obvious; episodes land at random places in the test
file, in whatever operating mode the machine is in there.

Features (one row per window; each axis has its mean removed first)
-------------------------------------------------------------------
    rpm         shaft speed estimated from the x spectrum: the largest peak between 10 and
                45 Hz, refined with the Hann-window amplitude-ratio interpolation, in rev/min
    rms_x       RMS acceleration of x, m/s^2
    rms_y       RMS acceleration of y, m/s^2
    rms_z       RMS acceleration of z, m/s^2
    p2p_z       peak-to-peak acceleration of z, m/s^2
    kurtosis_z  kurtosis of z, mean(a^4) / mean(a^2)^2 (3 for Gaussian noise, 1.5 for a sine)
    band_1x_x   power of x within +-2.5 spectral bins (+-7.8 Hz) of the estimated 1x, (m/s^2)^2
    band_2x_x   power of x within +-2.5 bins of 2x, (m/s^2)^2
    band_1x_y   power of y within +-2.5 bins of 1x, (m/s^2)^2
    band_hf_z   power of z between 1000 and 1600 Hz, (m/s^2)^2
    centroid_z  spectral centroid of z (power-weighted mean frequency, 0-1600 Hz), Hz
    label       "no anomaly" or "anomaly" (Edge Impulse's labels for anomaly testing)

Band powers come from a Hann-windowed periodogram scaled so that a sinusoid of amplitude A
contributes A^2/2, its mean square. The columns span very different scales on purpose
(rpm ~1e3, band_hf_z ~1e-4 to 1e-3), as raw DSP outputs do.

Byte-for-byte reproduction relies on Python's Mersenne Twister (stable across versions) and
on the platform's sin/cos/exp/log; a different C math library could, rarely, change the last
printed digit of a value.
"""

import cmath
import math
import os
import random
import sys

SEED = 20240611
FS = 3200.0  # sample rate, Hz
N = 1024  # samples per window
DF = FS / N  # spectral bin width, Hz (3.125)
WARMUP = 64  # samples the resonators run before a window starts
N_TRAIN = 2000
N_TEST = 800
FAULT_EPISODES = 15  # in the test file, each two windows long: 30 anomalies (3.75 %)
# Severity ranges. bearing: size of each impact driving the housing resonance (at 25 Hz shaft
# speed; it grows with speed squared). imbalance: factor on the healthy radial 1x amplitude.
# looseness: scale s; z's 1x grows by the factor 1 + s and each added order h gets a z amplitude
# of 0.5 * s / sqrt(h) m/s^2 at 25 Hz.
FAULT_SEVERITY = {"bearing": (0.03, 0.9), "imbalance": (1.3, 3.0), "looseness": (0.1, 1.0)}
HF_BAND_HZ = (1000.0, 1600.0)
RPM_SEARCH_HZ = (10.0, 45.0)
COLUMNS = [
    "rpm", "rms_x", "rms_y", "rms_z", "p2p_z", "kurtosis_z",
    "band_1x_x", "band_2x_x", "band_1x_y", "band_hf_z", "centroid_z", "label",
]

# name: (VFD frequency Hz, mean load, load spread between sessions, share of sessions)
MODES = {
    "idle": (30.0, 0.08, 0.01, 0.20),
    "nominal": (50.0, 0.55, 0.03, 0.40),
    "high load": (50.0, 0.95, 0.02, 0.25),
    "boost": (80.0, 0.70, 0.03, 0.15),
}

REF_HZ = 25.0  # shaft frequency at which the amplitudes below are given
# peak amplitudes (x, y, z) in m/s^2 at REF_HZ
ORDER_1X = (0.90, 0.15, 0.60)
ORDER_2X = (0.25, 0.35, 0.20)
ORDER_3X = (0.08, 0.06, 0.08)
VANE_PASS = (0.15, 0.10, 0.25)  # at full load
MAGNETIC = (0.08, 0.03, 0.10)  # at zero load; grows with load
TURBULENCE = (0.12, 0.08, 0.15)  # RMS at full load and REF_HZ; grows with load and speed
ROLLING_GAIN = (0.6, 0.3, 1.0)  # share of the bearing resonance seen on each axis
ROLLING_DRIVE = 0.004  # resonator input RMS at REF_HZ
SENSOR_NOISE = 0.012  # RMS per axis
SLIP_AT_FULL_LOAD = 0.04
VANES = 6
BPFO_ORDER = 3.57
RESONANCE_HZ = 1250.0
RESONANCE_WIDTH_HZ = 150.0
TURBULENCE_CORNER_HZ = 150.0


# ---------------------------------------------------------------------------------------------
# Spectra

BIT_REVERSED = [int(format(i, "0%db" % (N.bit_length() - 1))[::-1], 2) for i in range(N)]
TWIDDLE = [cmath.exp(-2j * math.pi * k / N) for k in range(N // 2)]
HANN = [0.5 - 0.5 * math.cos(2.0 * math.pi * i / N) for i in range(N)]
HANN_POWER = sum(w * w for w in HANN)


def fft(values):
    """Iterative radix-2 decimation-in-time FFT of a list of N numbers."""
    a = [complex(values[i]) for i in BIT_REVERSED]
    size = 2
    while size <= N:
        half = size // 2
        tw = TWIDDLE[:: N // size]
        for start in range(0, N, size):
            for j in range(half):
                i = start + j
                t = tw[j] * a[i + half]
                u = a[i]
                a[i] = u + t
                a[i + half] = u - t
        size *= 2
    return a


def one_sided_power(spectrum):
    """Power per bin 0..N/2-1 so that a sinusoid of amplitude A sums to A^2/2."""
    scale = 2.0 / (N * HANN_POWER)
    return [scale * abs(spectrum[k]) ** 2 for k in range(N // 2)]


def split_real_pair(packed):
    """Spectra of two real signals a, b from the FFT of a + i*b."""
    a, b = [], []
    for k in range(N // 2):
        p = packed[k]
        q = packed[-k].conjugate()  # packed[N-k]; packed[0] for k == 0
        a.append((p + q) * 0.5)
        b.append((p - q) * -0.5j)
    return a, b


# ---------------------------------------------------------------------------------------------
# Random numbers (only rng.random() is used: its sequence is the same in every Python 3)


def normals(rng, n, rms=1.0):
    """n independent Gaussian numbers with the given RMS (Box-Muller on rng.random())."""
    out = []
    for _ in range((n + 1) // 2):
        radius = rms * math.sqrt(-2.0 * math.log(1.0 - rng.random()))
        angle = 2.0 * math.pi * rng.random()
        out.append(radius * math.cos(angle))
        out.append(radius * math.sin(angle))
    return out[:n]


def gauss(rng):
    return normals(rng, 1)[0]


def pick(rng, weighted):
    """One item of [(item, weight), ...], chosen with probability proportional to its weight."""
    u = rng.random() * sum(w for _, w in weighted)
    for item, w in weighted:
        u -= w
        if u < 0.0:
            return item
    return weighted[-1][0]


# ---------------------------------------------------------------------------------------------
# Operating conditions


def sessions(rng, n_windows):
    """Per-window operating conditions: a list of (mode, vfd_hz, load)."""
    out = []
    while len(out) < n_windows:
        mode = pick(rng, [(m, MODES[m][3]) for m in MODES])
        vfd_hz, mean_load, spread, _ = MODES[mode]
        load = mean_load + spread * gauss(rng)
        length = 8 + int(23 * rng.random())
        for _ in range(length):
            load += 0.01 * gauss(rng) + 0.1 * (mean_load - load)
            out.append((mode, vfd_hz, min(max(load, 0.02), 1.15)))
    return out[:n_windows]


# ---------------------------------------------------------------------------------------------
# Raw signal


def add_tone(axes, rng, freq_hz, amps):
    """Add a sinusoid of the given frequency to each axis, with random phase per axis."""
    w = 2.0 * math.pi * freq_hz / FS
    sines = [math.sin(w * i) for i in range(N)]
    cosines = [math.cos(w * i) for i in range(N)]
    for axis, amp in zip(axes, amps):
        if amp == 0.0:
            continue
        amp *= abs(1.0 + 0.08 * gauss(rng))
        phase = 2.0 * math.pi * rng.random()
        p = amp * math.cos(phase)
        q = amp * math.sin(phase)
        axis[:] = [v + p * s + q * c for v, s, c in zip(axis, sines, cosines)]


def resonance(rng, drive_rms, impacts):
    """Bearing-housing resonance rung by white noise and by impacts.

    impacts: list of (sample index relative to the window start, may be negative, amplitude).
    """
    r = math.exp(-math.pi * RESONANCE_WIDTH_HZ / FS)
    a1 = 2.0 * r * math.cos(2.0 * math.pi * RESONANCE_HZ / FS)
    a2 = -r * r
    drive = normals(rng, WARMUP + N, drive_rms)
    for at, amp in impacts:
        drive[at + WARMUP] += amp
    y1 = y2 = 0.0
    out = []
    for u in drive:
        y = a1 * y1 + a2 * y2 + u
        out.append(y)
        y2, y1 = y1, y
    return out[WARMUP:]


def lowpass_noise(rng, rms):
    """First-order low-pass Gaussian noise with the given stationary RMS."""
    a = math.exp(-2.0 * math.pi * TURBULENCE_CORNER_HZ / FS)
    g = rms * math.sqrt(1.0 - a * a)
    v = rms * gauss(rng)
    out = []
    for e in normals(rng, N, g):
        v = a * v + e
        out.append(v)
    return out


def simulate_window(rng, vfd_hz, load, fault=None, severity=0.0):
    """Three axes of acceleration (m/s^2) for one window."""
    slip = SLIP_AT_FULL_LOAD * load
    shaft_hz = 0.5 * vfd_hz * (1.0 - slip) * (1.0 + 0.0005 * gauss(rng))
    r = shaft_hz / REF_HZ
    r2 = r * r
    axes = [normals(rng, N, SENSOR_NOISE) for _ in range(3)]

    order_1x = [a * r2 for a in ORDER_1X]
    if fault == "imbalance":
        order_1x = [order_1x[0] * severity, order_1x[1], order_1x[2] * severity]
    if fault == "looseness":
        order_1x[2] *= 1.0 + severity
    add_tone(axes, rng, shaft_hz, order_1x)
    add_tone(axes, rng, 2.0 * shaft_hz, [a * r2 * (0.4 + 0.6 * load) for a in ORDER_2X])
    add_tone(axes, rng, 3.0 * shaft_hz, [a * r2 for a in ORDER_3X])
    add_tone(axes, rng, VANES * shaft_hz, [a * r2 * load for a in VANE_PASS])
    add_tone(axes, rng, 2.0 * vfd_hz, [a * (1.0 + 1.5 * load) for a in MAGNETIC])
    if fault == "looseness":
        for order in (0.5, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0):
            amp = 0.5 * severity * r2 / order ** 0.5
            add_tone(axes, rng, order * shaft_hz, (0.35 * amp, 0.1 * amp, amp))

    for axis, level in zip(axes, TURBULENCE):
        noise = lowpass_noise(rng, level * load * r)
        axis[:] = [v + t for v, t in zip(axis, noise)]

    impacts = []
    if fault == "bearing":
        period = FS / (BPFO_ORDER * shaft_hz)  # samples between impacts
        t = -WARMUP + period * rng.random()
        while t < N:
            # the defect is loaded hardest once per revolution
            load_zone = 0.6 + 0.4 * math.cos(2.0 * math.pi * shaft_hz * t / FS)
            amp = severity * r2 * load_zone * abs(1.0 + 0.2 * gauss(rng))
            impacts.append((int(round(t)), amp))
            t += period * (1.0 + 0.01 * gauss(rng))
        impacts = [(i, a) for i, a in impacts if -WARMUP <= i < N]
    ring = resonance(rng, ROLLING_DRIVE * r ** 1.5, impacts)
    for axis, gain in zip(axes, ROLLING_GAIN):
        axis[:] = [v + gain * e for v, e in zip(axis, ring)]
    return axes


# ---------------------------------------------------------------------------------------------
# Features


def shaft_hz_from_spectrum(spectrum):
    """Largest peak in the search range, refined by the Hann amplitude-ratio estimator."""
    lo = int(math.ceil(RPM_SEARCH_HZ[0] / DF))
    hi = int(RPM_SEARCH_HZ[1] / DF)
    k = max(range(lo, hi + 1), key=lambda i: abs(spectrum[i]))
    left, mid, right = abs(spectrum[k - 1]), abs(spectrum[k]), abs(spectrum[k + 1])
    if right > left:
        ratio = right / mid
        delta = (2.0 * ratio - 1.0) / (ratio + 1.0)
    else:
        ratio = left / mid
        delta = -(2.0 * ratio - 1.0) / (ratio + 1.0)
    return (k + delta) * DF


def band_power(power, centre_hz, half_width_bins=2.5):
    """Power in the bins within +-half_width_bins of a frequency (never the DC bin)."""
    centre = centre_hz / DF
    lo = max(1, int(math.ceil(centre - half_width_bins)))
    hi = min(N // 2 - 1, int(math.floor(centre + half_width_bins)))
    return sum(power[lo:hi + 1])


def features(axes):
    x, y, z = [[v - mean for v in axis] for axis, mean in ((a, sum(a) / N) for a in axes)]
    rms = [math.sqrt(sum(v * v for v in axis) / N) for axis in (x, y, z)]
    mean_sq_z = rms[2] ** 2
    kurtosis_z = sum(v ** 4 for v in z) / N / (mean_sq_z * mean_sq_z)

    spec_x, spec_y = split_real_pair(fft([complex(a * w, b * w) for a, b, w in zip(x, y, HANN)]))
    spec_z = fft([v * w for v, w in zip(z, HANN)])
    power_x, power_y, power_z = (one_sided_power(s) for s in (spec_x, spec_y, spec_z))

    shaft_hz = shaft_hz_from_spectrum(spec_x)
    hf_lo = int(HF_BAND_HZ[0] / DF)
    total_z = sum(power_z[1:])
    centroid_z = sum(k * DF * p for k, p in enumerate(power_z) if k > 0) / total_z
    return [
        60.0 * shaft_hz,
        rms[0], rms[1], rms[2],
        max(z) - min(z),
        kurtosis_z,
        band_power(power_x, shaft_hz),
        band_power(power_x, 2.0 * shaft_hz),
        band_power(power_y, shaft_hz),
        sum(power_z[hf_lo:]),
        centroid_z,
    ]


# ---------------------------------------------------------------------------------------------
# Files


def fault_plan(rng, n_windows):
    """Fault episodes for the test file: {window index: (fault, severity)}.

    Each fault gets the same number of episodes, with severities spread evenly (on a log scale)
    over its range, from incipient to obvious.
    """
    per_kind = FAULT_EPISODES // len(FAULT_SEVERITY)
    episodes = []
    for kind, (lo, hi) in FAULT_SEVERITY.items():
        for i in range(per_kind):
            q = (i + rng.random()) / per_kind
            episodes.append((kind, lo * (hi / lo) ** q))
    episodes = [episodes.pop(int(rng.random() * len(episodes))) for _ in range(len(episodes))]
    starts = []
    while len(starts) < len(episodes):
        s = int(rng.random() * (n_windows - 1))
        if all(abs(s - o) > 3 for o in starts):
            starts.append(s)
    plan = {}
    for start, episode in zip(sorted(starts), episodes):
        plan[start] = plan[start + 1] = episode
    return plan


def windows(seed, n_windows, with_faults):
    """Simulated windows: a list of (features, mode, fault or None, severity)."""
    rng = random.Random(seed)
    conditions = sessions(rng, n_windows)
    plan = fault_plan(rng, n_windows) if with_faults else {}
    out = []
    for i, (mode, vfd_hz, load) in enumerate(conditions):
        fault, severity = plan.get(i, (None, 0.0))
        axes = simulate_window(rng, vfd_hz, load, fault, severity)
        out.append((features(axes), mode, fault, severity))
    return out


def csv_text(table):
    lines = [",".join(COLUMNS)]
    for values, _mode, fault, _severity in table:
        label = "anomaly" if fault else "no anomaly"
        lines.append(",".join("%.6g" % v for v in values) + "," + label)
    return "\n".join(lines) + "\n"


def describe_faults(name, table):
    """One line per anomalous window: where it is and what it simulates."""
    for row, (_values, mode, fault, severity) in enumerate(table, start=1):
        if fault:
            print("  %s data row %d (line %d): %s, severity %.3g, mode %s"
                  % (name, row, row + 1, fault, severity, mode), file=sys.stderr)


def main(argv):
    check = "--check" in argv[1:]
    here = os.path.dirname(os.path.abspath(__file__))
    outputs = {
        "motor-train.csv": windows(SEED, N_TRAIN, with_faults=False),
        "motor-test.csv": windows(SEED + 1, N_TEST, with_faults=True),
    }
    differ = False
    for name, table in outputs.items():
        path = os.path.join(here, name)
        text = csv_text(table)
        n_faults = sum(1 for _, _, fault, _ in table if fault)
        if check:
            with open(path, encoding="utf-8", newline="") as f:
                same = f.read() == text
            differ |= not same
            print("%s: %s" % (name, "identical" if same else "DIFFERS"), file=sys.stderr)
        else:
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(text)
            print("wrote %s: %d rows, %d anomalies" % (name, len(table), n_faults), file=sys.stderr)
            describe_faults(name, table)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
