/*
{%- for line in summary %}
 *{% if !line.is_empty() %} {{ line }}{% endif %}
{%- endfor %}
 *
 * API ({{ real }} in, {{ real }} out; x holds the {{ n_features }} model features in the order above):
 *   {{ real }} {{ p }}_log_likelihood(const {{ real }} x[{{ m }}_N_FEATURES])
 *       natural log of the mixture density, as scikit-learn's score_samples
 *   {{ real }} {{ p }}_score(const {{ real }} x[{{ m }}_N_FEATURES])
 *       anomaly score, higher is more anomalous
 *   int {{ p }}_is_anomaly(const {{ real }} x[{{ m }}_N_FEATURES])
 *       1 when the score is above {{ m }}_THRESHOLD, else 0
 *   {{ real }} {{ p }}_score_inputs(const {{ real }} *inputs)
 *   int {{ p }}_is_anomaly_inputs(const {{ real }} *inputs)
 *       the same for the whole input vector ({{ m }}_N_INPUTS values): the model picks its
 *       features out of it
 * Input with a NaN or infinite value, or so far from the model that the arithmetic
 * overflows, has log-likelihood -inf, score +inf and is an anomaly: never NaN. The checks
 * read the values' bits, so they also hold under -ffast-math.
 *
 * C99 or C++; needs {{ exp }} and {{ log }} from <math.h> (link with -lm) and <stdint.h>. Everything
 * is static const or static inline: include it in as many files as you like (each file that
 * calls the functions gets its own copy of the tables). No allocation, no mutable state.
 */
#ifndef {{ guard }}
#define {{ guard }}

#include <math.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define {{ m }}_N_FEATURES {{ n_features }}
#define {{ m }}_N_COMPONENTS {{ n_components }}
#define {{ m }}_N_INPUTS {{ n_inputs }}
#define {{ m }}_THRESHOLD {{ threshold }}

/* Per component: ln(weight) + sum of ln(diagonal of its precision factor) - D/2 ln(2 pi). */
static const {{ real }} {{ p }}_constants[{{ n_components }}] = {
{%- for line in constants %}
{{ line }}
{%- endfor %}
};

/* Component means, {{ n_features }} per component. */
static const {{ real }} {{ p }}_means[{{ n_components * n_features }}] = {
{%- for line in means %}
{{ line }}
{%- endfor %}
};

{% if covariance == "full" -%}
/* Precision Cholesky factors U (precision = U U^T, upper triangular), one per component,
   packed column by column: column j holds rows 0..j, {{ packed_len }} values per component. */
{%- else if covariance == "tied" -%}
/* The precision Cholesky factor U shared by all components (precision = U U^T, upper
   triangular), packed column by column: column j holds rows 0..j. */
{%- else if covariance == "diag" -%}
/* Diagonal precision Cholesky factors: 1/sigma per component and feature. */
{%- else -%}
/* Spherical precision Cholesky factors: 1/sigma per component. */
{%- endif %}
static const {{ real }} {{ p }}_factors[{{ n_factors }}] = {
{%- for line in factors %}
{{ line }}
{%- endfor %}
};
{%- match gather %}
{%- when Gather::Table(ty, lines) %}

/* Input index of each feature. */
static const {{ ty }} {{ p }}_axes[{{ n_features }}] = {
{%- for line in lines %}
{{ line }}
{%- endfor %}
};
{%- when Gather::Contiguous(_) %}
{%- endmatch %}

{%- if !unrolled.is_empty() %}

/* |(x - mean)^T U|^2 for one component, written out for {{ n_features }} features: y_j is the dot
   product of (x - mean)[0..j] with column j of U, which starts at u[j(j+1)/2]. */
static inline {{ real }} {{ p }}_detail_quadratic(const {{ real }} *x, const {{ real }} *mean, const {{ real }} *u)
{
{%- for line in unrolled %}
    {{ line }}
{%- endfor %}
}
{%- endif %}

/* Nonzero when v is NaN or infinite. It tests the exponent bits, which -ffast-math cannot
   assume away as it does isnan() and isinf(). (Reading a union member other than the one
   last written is defined in C99; C++ compilers support it as an extension.) */
static inline int {{ p }}_detail_nonfinite({{ real }} v)
{
    union {
        {{ real }} value;
        {{ bits }} bits;
    } u;
    u.value = v;
    return (u.bits & {{ exp_mask }}) == {{ exp_mask }};
}

/* Natural log of the mixture density at x; -{{ huge }} (minus infinity) when x has a NaN or
   infinite value or the arithmetic overflows. Never NaN. */
static inline {{ real }} {{ p }}_log_likelihood(const {{ real }} x[{{ m }}_N_FEATURES])
{
    {{ real }} lp[{{ m }}_N_COMPONENTS];
    {{ real }} best = -{{ huge }};
    {{ real }} ll;
    int top = 0;
    int bad = 0;
    int i, k;
    for (i = 0; i < {{ m }}_N_FEATURES; ++i) {
        bad |= {{ p }}_detail_nonfinite(x[i]);
    }
    if (bad) {
        return -{{ huge }};
    }
    /* lp[k] = constant[k] - 1/2 |(x - mean_k)^T U_k|^2 */
    for (k = 0; k < {{ m }}_N_COMPONENTS; ++k) {
        const {{ real }} *mean = {{ p }}_means + k * {{ m }}_N_FEATURES;
{%- if !unrolled.is_empty() %}
{%- if covariance == "full" %}
        {{ real }} q = {{ p }}_detail_quadratic(x, mean, {{ p }}_factors + k * {{ packed_len }});
{%- else %}
        {{ real }} q = {{ p }}_detail_quadratic(x, mean, {{ p }}_factors);
{%- endif %}
{%- else if covariance == "full" || covariance == "tied" %}
{%- if covariance == "full" %}
        const {{ real }} *u = {{ p }}_factors + k * {{ packed_len }};
{%- else %}
        const {{ real }} *u = {{ p }}_factors;
{%- endif %}
        {{ real }} diff[{{ m }}_N_FEATURES];
        {{ real }} q = 0.0{{ suffix }};
        int j;
        for (i = 0; i < {{ m }}_N_FEATURES; ++i) {
            diff[i] = x[i] - mean[i];
        }
        for (j = 0; j < {{ m }}_N_FEATURES; ++j) {
            {{ real }} y = 0.0{{ suffix }};
            for (i = 0; i <= j; ++i) {
                y += diff[i] * u[i];
            }
            u += j + 1;
            q += y * y;
        }
{%- else if covariance == "diag" %}
        const {{ real }} *u = {{ p }}_factors + k * {{ m }}_N_FEATURES;
        {{ real }} q = 0.0{{ suffix }};
        for (i = 0; i < {{ m }}_N_FEATURES; ++i) {
            {{ real }} y = (x[i] - mean[i]) * u[i];
            q += y * y;
        }
{%- else %}
        {{ real }} q = 0.0{{ suffix }};
        for (i = 0; i < {{ m }}_N_FEATURES; ++i) {
            {{ real }} diff = x[i] - mean[i];
            q += diff * diff;
        }
        q = q * {{ p }}_factors[k] * {{ p }}_factors[k];
{%- endif %}
        lp[k] = {{ p }}_constants[k] - 0.5{{ suffix }} * q;
        if (lp[k] > best) {
            best = lp[k];
            top = k;
        }
    }
{%- if n_components == 1 %}
    (void)top;
    ll = best;
{%- else %}
    /* Max-shifted log-sum-exp; the top component contributes exp(0) = 1. A term with
       z < {{ negligible }} adds e^z, less than half an ulp of 1, which cannot change the sum:
       it is skipped (exactly), as is a NaN lp[k] (an overflowed quadratic form: no density). */
    {
        {{ real }} sum = 1.0{{ suffix }};
        for (k = 0; k < {{ m }}_N_COMPONENTS; ++k) {
            {{ real }} z = lp[k] - best;
            if (k != top && z >= {{ negligible }}) {
                sum += {{ exp }}(z);
            }
        }
        ll = best + {{ log }}(sum);
    }
{%- endif %}
    return {{ p }}_detail_nonfinite(ll) ? -{{ huge }} : ll;
}

/* Anomaly score of x ({{ score_kind }}): higher is more anomalous, +{{ huge }} for broken input. */
static inline {{ real }} {{ p }}_score(const {{ real }} x[{{ m }}_N_FEATURES])
{
{%- if score_kind == "nll" %}
    return -{{ p }}_log_likelihood(x);
{%- else if score_kind == "edge-impulse" %}
    {{ real }} s = (-{{ p }}_log_likelihood(x) - {{ offset }}) / {{ scale }};
    return s < 0.0{{ suffix }} ? -s : s;
{%- else %}
    return (-{{ p }}_log_likelihood(x) - {{ offset }}) / {{ scale }};
{%- endif %}
}

/* 1 when x is an anomaly (score above {{ m }}_THRESHOLD), else 0. */
static inline int {{ p }}_is_anomaly(const {{ real }} x[{{ m }}_N_FEATURES])
{
    return {{ p }}_score(x) > {{ m }}_THRESHOLD;
}

/* Anomaly score of a whole input vector of {{ m }}_N_INPUTS values. */
static inline {{ real }} {{ p }}_score_inputs(const {{ real }} *inputs)
{
{%- match gather %}
{%- when Gather::Contiguous(start) %}
{%- if *start == 0 %}
    return {{ p }}_score(inputs);
{%- else %}
    return {{ p }}_score(inputs + {{ start }});
{%- endif %}
{%- when Gather::Table(_, _) %}
    {{ real }} x[{{ m }}_N_FEATURES];
    int j;
    for (j = 0; j < {{ m }}_N_FEATURES; ++j) {
        x[j] = inputs[{{ p }}_axes[j]];
    }
    return {{ p }}_score(x);
{%- endmatch %}
}

/* 1 when the input vector is an anomaly, else 0. */
static inline int {{ p }}_is_anomaly_inputs(const {{ real }} *inputs)
{
    return {{ p }}_score_inputs(inputs) > {{ m }}_THRESHOLD;
}

#ifdef __cplusplus
}
#endif

#endif /* {{ guard }} */
