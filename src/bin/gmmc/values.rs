//! Parsers of option values that have a range of their own: a value outside it is wrong usage
//! (exit status 2), reported by clap with the option's name.

/// Most `--n-init`: each initialisation is a whole EM run.
pub const MAX_N_INIT: usize = 10_000;

fn number(s: &str) -> Result<f64, String> {
    s.trim()
        .parse::<f64>()
        .map_err(|_| format!("`{s}` is not a number"))
}

/// A finite number (a threshold).
pub fn finite(s: &str) -> Result<f64, String> {
    let v = number(s)?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("must be a finite number, not {v}"))
    }
}

/// A finite number ≥ 0 (a tolerance, a regularisation).
pub fn non_negative(s: &str) -> Result<f64, String> {
    let v = number(s)?;
    if v >= 0.0 && v.is_finite() {
        Ok(v)
    } else {
        Err(format!("must be a non-negative number, not {v}"))
    }
}

/// A number strictly between 0 and 1 (a quantile).
pub fn fraction(s: &str) -> Result<f64, String> {
    let v = number(s)?;
    if v > 0.0 && v < 1.0 {
        Ok(v)
    } else {
        Err(format!("must be strictly between 0 and 1, not {v}"))
    }
}

/// A number of initialisations, 1 to [`MAX_N_INIT`].
pub fn n_init(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_N_INIT).contains(&n) => Ok(n),
        _ => Err(format!(
            "must be a whole number from 1 to {MAX_N_INIT}, not {s}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(non_negative("0"), Ok(0.0));
        assert_eq!(non_negative("1e-6"), Ok(1e-6));
        for bad in ["-1", "nan", "inf", "x", ""] {
            assert!(non_negative(bad).is_err(), "{bad}");
        }
        assert_eq!(fraction("0.99"), Ok(0.99));
        for bad in ["0", "1", "1.5", "-0.5", "nan"] {
            assert!(fraction(bad).is_err(), "{bad}");
        }
        assert_eq!(finite("-2.5"), Ok(-2.5));
        for bad in ["inf", "-inf", "NaN"] {
            assert!(finite(bad).is_err(), "{bad}");
        }
        assert_eq!(n_init("10000"), Ok(10_000));
        for bad in ["0", "10001", "1000000000000", "-1", "two"] {
            assert!(n_init(bad).is_err(), "{bad}");
        }
    }
}
