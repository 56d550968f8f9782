//! Contours of a function sampled on a regular grid: filled bands as runs of cells, and level
//! lines by marching squares, joined into polylines.

use std::collections::HashMap;

/// A function sampled at the nodes of a regular grid over `[x0, x1] × [y0, y1]`.
#[derive(Clone, Debug)]
pub struct Grid {
    /// Left edge.
    pub x0: f64,
    /// Right edge.
    pub x1: f64,
    /// Bottom edge.
    pub y0: f64,
    /// Top edge.
    pub y1: f64,
    /// Nodes along x (at least 2).
    pub nx: usize,
    /// Nodes along y (at least 2).
    pub ny: usize,
    /// Values, row by row from the bottom: `values[j * nx + i]` at `(x(i), y(j))`.
    pub values: Vec<f64>,
}

impl Grid {
    /// Samples `f` at `nx × ny` nodes spanning the rectangle (edges included).
    pub fn sample(
        (x0, x1): (f64, f64),
        (y0, y1): (f64, f64),
        nx: usize,
        ny: usize,
        f: impl Fn(f64, f64) -> f64,
    ) -> Grid {
        let (nx, ny) = (nx.max(2), ny.max(2));
        let mut g = Grid {
            x0,
            x1,
            y0,
            y1,
            nx,
            ny,
            values: Vec::with_capacity(nx * ny),
        };
        for j in 0..ny {
            for i in 0..nx {
                let v = f(g.x(i as f64), g.y(j as f64));
                g.values.push(v);
            }
        }
        g
    }

    /// x at fractional node index `i`.
    pub fn x(&self, i: f64) -> f64 {
        self.x0 + (self.x1 - self.x0) * i / (self.nx - 1) as f64
    }

    /// y at fractional node index `j`.
    pub fn y(&self, j: f64) -> f64 {
        self.y0 + (self.y1 - self.y0) * j / (self.ny - 1) as f64
    }

    fn at(&self, i: usize, j: usize) -> f64 {
        self.values[j * self.nx + i]
    }
}

/// The band of a value: the number of `levels` (ascending) it is above. NaN counts as above
/// all.
pub fn band(value: f64, levels: &[f64]) -> usize {
    levels
        .iter()
        .take_while(|&&l| value.is_nan() || value > l)
        .count()
}

/// A rectangle of cells in one band: `[x0, x1] × [y0, y1]` and the band index.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Run {
    /// Left edge.
    pub x0: f64,
    /// Right edge.
    pub x1: f64,
    /// Bottom edge.
    pub y0: f64,
    /// Top edge.
    pub y1: f64,
    /// Band index (see [`band`]).
    pub band: usize,
}

/// Filled bands: each node of the grid stands for the cell around it (half a step each way,
/// clipped to the rectangle); horizontal runs of cells in the same band are merged into one
/// rectangle, and a run exactly above one of the previous row (same ends, same band) extends
/// it upwards.
pub fn band_runs(grid: &Grid, levels: &[f64]) -> Vec<Run> {
    let dx = (grid.x1 - grid.x0) / (grid.nx - 1) as f64;
    let dy = (grid.y1 - grid.y0) / (grid.ny - 1) as f64;
    let clamp_x = |x: f64| x.clamp(grid.x0, grid.x1);
    let clamp_y = |y: f64| y.clamp(grid.y0, grid.y1);
    let mut runs: Vec<Run> = Vec::new();
    // Runs of the previous row by (first node, last node, band): index into `runs`.
    let mut open: HashMap<(usize, usize, usize), usize> = HashMap::new();
    for j in 0..grid.ny {
        let yc = grid.y(j as f64);
        let (y0, y1) = (clamp_y(yc - dy / 2.0), clamp_y(yc + dy / 2.0));
        let mut row_open = HashMap::new();
        let mut start = 0;
        while start < grid.nx {
            let b = band(grid.at(start, j), levels);
            let mut end = start + 1;
            while end < grid.nx && band(grid.at(end, j), levels) == b {
                end += 1;
            }
            let key = (start, end, b);
            let index = match open.get(&key) {
                Some(&i) => {
                    runs[i].y1 = y1;
                    i
                }
                None => {
                    runs.push(Run {
                        x0: clamp_x(grid.x(start as f64) - dx / 2.0),
                        x1: clamp_x(grid.x((end - 1) as f64) + dx / 2.0),
                        y0,
                        y1,
                        band: b,
                    });
                    runs.len() - 1
                }
            };
            row_open.insert(key, index);
            start = end;
        }
        open = row_open;
    }
    runs
}

/// A grid edge: horizontal from node (i, j) to (i+1, j), or vertical from (i, j) to (i, j+1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Edge {
    H(usize, usize),
    V(usize, usize),
}

/// The level line `f = level` by marching squares on the grid's cells, as polylines in data
/// coordinates (closed loops repeat their first point at the end). Saddle cells are resolved
/// by the mean of their four corners. Nodes that are NaN count as above the level.
pub fn level_lines(grid: &Grid, level: f64) -> Vec<Vec<(f64, f64)>> {
    let above = |i: usize, j: usize| {
        let v = grid.at(i, j);
        v.is_nan() || v > level
    };
    // Where the level crosses an edge, by linear interpolation.
    let crossing = |e: Edge| -> (f64, f64) {
        let ((i0, j0), (i1, j1)) = match e {
            Edge::H(i, j) => ((i, j), (i + 1, j)),
            Edge::V(i, j) => ((i, j), (i, j + 1)),
        };
        let (a, b) = (grid.at(i0, j0), grid.at(i1, j1));
        let t = if a.is_finite() && b.is_finite() && a != b {
            ((level - a) / (b - a)).clamp(0.0, 1.0)
        } else {
            0.5
        };
        let fi = i0 as f64 + t * (i1 as f64 - i0 as f64);
        let fj = j0 as f64 + t * (j1 as f64 - j0 as f64);
        (grid.x(fi), grid.y(fj))
    };
    let mut segments: Vec<(Edge, Edge)> = Vec::new();
    for j in 0..grid.ny - 1 {
        for i in 0..grid.nx - 1 {
            // Corners: 0 bottom-left, 1 bottom-right, 2 top-right, 3 top-left.
            let c = [
                above(i, j),
                above(i + 1, j),
                above(i + 1, j + 1),
                above(i, j + 1),
            ];
            let bottom = Edge::H(i, j);
            let right = Edge::V(i + 1, j);
            let top = Edge::H(i, j + 1);
            let left = Edge::V(i, j);
            let case = usize::from(c[0])
                | usize::from(c[1]) << 1
                | usize::from(c[2]) << 2
                | usize::from(c[3]) << 3;
            let centre_above = || {
                let m =
                    (grid.at(i, j) + grid.at(i + 1, j) + grid.at(i + 1, j + 1) + grid.at(i, j + 1))
                        / 4.0;
                m.is_nan() || m > level
            };
            match case {
                0 | 15 => {}
                1 | 14 => segments.push((left, bottom)),
                2 | 13 => segments.push((bottom, right)),
                3 | 12 => segments.push((left, right)),
                4 | 11 => segments.push((right, top)),
                6 | 9 => segments.push((bottom, top)),
                7 | 8 => segments.push((left, top)),
                // The rest are 5 and 10, saddles: corners 0 and 2 on one side, 1 and 3 on
                // the other.
                _ => {
                    let joined = centre_above() == c[0];
                    if joined {
                        // Corners 0 and 2 connect through the centre: cut off 1 and 3.
                        segments.push((bottom, right));
                        segments.push((left, top));
                    } else {
                        segments.push((left, bottom));
                        segments.push((right, top));
                    }
                }
            }
        }
    }
    // Join segments that share an edge.
    let mut by_edge: HashMap<Edge, Vec<usize>> = HashMap::new();
    for (s, (a, b)) in segments.iter().enumerate() {
        by_edge.entry(*a).or_default().push(s);
        by_edge.entry(*b).or_default().push(s);
    }
    let mut used = vec![false; segments.len()];
    let mut lines = Vec::new();
    // Open chains start at edges with one segment (the grid's border); then closed loops.
    let mut starts: Vec<(Edge, usize)> = Vec::new();
    for (s, (a, b)) in segments.iter().enumerate() {
        for e in [a, b] {
            if by_edge.get(e).is_some_and(|v| v.len() == 1) {
                starts.push((*e, s));
            }
        }
    }
    starts.extend(segments.iter().enumerate().map(|(s, (a, _))| (*a, s)));
    for (first_edge, first) in starts {
        if used[first] {
            continue;
        }
        let mut edges = vec![first_edge];
        let mut current = first;
        let mut at = first_edge;
        loop {
            used[current] = true;
            let (a, b) = segments[current];
            let other = if a == at { b } else { a };
            edges.push(other);
            at = other;
            match by_edge
                .get(&at)
                .and_then(|v| v.iter().copied().find(|&s| !used[s]))
            {
                Some(next) => current = next,
                None => break,
            }
        }
        lines.push(edges.into_iter().map(crossing).collect());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circle_level_line_is_one_closed_loop_at_the_radius() {
        let g = Grid::sample((-2.0, 2.0), (-2.0, 2.0), 81, 61, |x, y| x * x + y * y);
        let lines = level_lines(&g, 1.0);
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(line.first(), line.last());
        for &(x, y) in line {
            let r = (x * x + y * y).sqrt();
            assert!((r - 1.0).abs() < 0.01, "r = {r}");
        }
    }

    #[test]
    fn open_lines_end_on_the_border() {
        // f = x: the level 0.25 is one vertical line from bottom to top.
        let g = Grid::sample((-1.0, 1.0), (0.0, 1.0), 9, 5, |x, _| x);
        let lines = level_lines(&g, 0.25);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].len(), 5);
        for &(x, _) in &lines[0] {
            assert!((x - 0.25).abs() < 1e-12);
        }
    }

    #[test]
    fn bands_and_runs() {
        assert_eq!(band(0.5, &[1.0, 2.0]), 0);
        assert_eq!(band(1.0, &[1.0, 2.0]), 0);
        assert_eq!(band(1.5, &[1.0, 2.0]), 1);
        assert_eq!(band(f64::NAN, &[1.0, 2.0]), 2);
        let g = Grid::sample((0.0, 4.0), (0.0, 1.0), 5, 2, |x, _| x);
        let runs = band_runs(&g, &[1.5]);
        // Nodes 0, 1 in band 0 (x ≤ 1.5), nodes 2..4 in band 1, the same in both rows: two
        // rectangles spanning the height.
        assert_eq!(runs.len(), 2);
        assert_eq!((runs[0].x0, runs[0].x1, runs[0].band), (0.0, 1.5, 0));
        assert_eq!((runs[1].x0, runs[1].x1, runs[1].band), (1.5, 4.0, 1));
        assert_eq!((runs[0].y0, runs[0].y1), (0.0, 1.0));
        // f = x + 2y: the top row (2, 3, …, 6) is all band 1, so nothing merges vertically.
        let g = Grid::sample((0.0, 4.0), (0.0, 1.0), 5, 2, |x, y| x + 2.0 * y);
        let runs = band_runs(&g, &[1.5]);
        assert_eq!(runs.len(), 3);
        assert_eq!((runs[2].x0, runs[2].x1, runs[2].y0), (0.0, 4.0, 0.5));
    }
}
