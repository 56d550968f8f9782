//! The packed layout of an upper-triangular D×D matrix.
//!
//! Precision Cholesky factors `U` (upper triangular, precision = U·Uᵀ, as scikit-learn's
//! `precisions_cholesky_`) are stored column by column: column `j` holds rows `0..=j`, so the
//! packed vector is `U[0][0], U[0][1], U[1][1], U[0][2], U[1][2], U[2][2], …` and has
//! `D·(D+1)/2` entries. Scoring needs `y = (x − μ)ᵀ·U`, whose entry `y[j]` is the dot product of
//! `(x − μ)[0..=j]` with column `j`: one contiguous slice per output, in order.

/// Number of entries of a packed D×D upper triangle.
pub const fn len(d: usize) -> usize {
    d * (d + 1) / 2
}

/// Offset of column `j` in the packed vector (column `j` has `j + 1` entries).
pub const fn column_start(j: usize) -> usize {
    j * (j + 1) / 2
}

/// Index of `U[i][j]` (with `i <= j`) in the packed vector.
pub const fn index(i: usize, j: usize) -> usize {
    column_start(j) + i
}

/// Index of the diagonal entry `U[j][j]`.
pub const fn diagonal(j: usize) -> usize {
    column_start(j) + j
}

/// Packs the upper triangle of a dense row-major D×D matrix (entries below the diagonal are
/// ignored).
pub fn pack_upper(dense: &[f64], d: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(len(d));
    for j in 0..d {
        for i in 0..=j {
            out.push(dense[i * d + j]);
        }
    }
    out
}

/// Expands a packed upper triangle into a dense row-major D×D matrix with zeros below the
/// diagonal.
pub fn unpack_upper(packed: &[f64], d: usize) -> Vec<f64> {
    let mut out = vec![0.0; d * d];
    for j in 0..d {
        for i in 0..=j {
            out[i * d + j] = packed[index(i, j)];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_column_by_column() {
        // U = [[1, 2, 4], [0, 3, 5], [0, 0, 6]]: columns are (1), (2, 3), (4, 5, 6).
        let dense = [1.0, 2.0, 4.0, 0.0, 3.0, 5.0, 0.0, 0.0, 6.0];
        let packed = pack_upper(&dense, 3);
        assert_eq!(packed, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(len(3), 6);
        assert_eq!(packed[diagonal(2)], 6.0);
        assert_eq!(packed[index(1, 2)], 5.0);
        assert_eq!(unpack_upper(&packed, 3), dense.to_vec());
    }
}
