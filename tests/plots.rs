//! Every picture is well-formed SVG with the expected parts: parsed with roxmltree, elements
//! counted in their `<g class="...">` groups and compared with counts made from the data.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::fixture;
use gmmc::model::Model;
use gmmc::plot::explorer::{ExplorerInput, PointSet, explorer};
use gmmc::plot::scores::{ScoreClass, scores};

fn gmmc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gmmc"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "gmmc failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The elements (not text) directly inside the group of class `class`.
fn group<'a, 'i>(doc: &'a roxmltree::Document<'i>, class: &str) -> Vec<roxmltree::Node<'a, 'i>> {
    let groups: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some(class))
        .collect();
    assert_eq!(groups.len(), 1, "one group `{class}`");
    groups[0].children().filter(|n| n.is_element()).collect()
}

fn count(doc: &roxmltree::Document<'_>, class: &str, tag: &str) -> usize {
    let nodes = group(doc, class);
    assert!(
        nodes.iter().all(|n| n.has_tag_name(tag)),
        "group `{class}` holds only <{tag}>"
    );
    nodes.len()
}

fn parse(svg: &str) -> roxmltree::Document<'_> {
    let doc = roxmltree::Document::parse(svg).expect("well-formed XML");
    let root = doc.root_element();
    assert!(root.has_tag_name(("http://www.w3.org/2000/svg", "svg")));
    assert!(root.attribute("width").is_some() && root.attribute("viewBox").is_some());
    doc
}

struct Setup {
    dir: tempfile::TempDir,
    model: PathBuf,
    /// The selection fixture's rows with a label column (every 25th row `anomaly`) and one
    /// broken row (NaN) at the end, labelled normal.
    labelled: PathBuf,
    rows: Vec<[f64; 2]>,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.json");
    let data = fixture("selection/data.csv");
    ok(&gmmc(&[
        "train",
        s(&data),
        "-k",
        "3",
        "-q",
        "-o",
        s(&model),
    ]));
    let (values, _) = common::read_numbers_csv(&data);
    let rows: Vec<[f64; 2]> = values.chunks(2).map(|r| [r[0], r[1]]).collect();
    let mut csv = String::from("x,y,label\n");
    for (i, r) in rows.iter().enumerate() {
        let label = if i % 25 == 0 { "anomaly" } else { "no anomaly" };
        csv.push_str(&format!("{:?},{:?},{label}\n", r[0], r[1]));
    }
    csv.push_str("nan,1,no anomaly\n");
    let labelled = dir.path().join("labelled.csv");
    std::fs::write(&labelled, csv).unwrap();
    Setup {
        dir,
        model,
        labelled,
        rows,
    }
}

#[test]
fn explorer_has_every_point_ellipse_and_the_threshold() {
    let t = setup();
    let svg_path = t.dir.path().join("e.svg");
    let printed = ok(&gmmc(&[
        "plot",
        "explorer",
        s(&t.model),
        s(&t.labelled),
        "--label-column",
        "label",
        "--axes",
        "x,y",
        "-o",
        s(&svg_path),
    ]));
    assert!(
        printed.contains("(1 rows with NaN or infinite values left out)"),
        "{printed}"
    );
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let doc = parse(&svg);
    let n_anomalous = t.rows.len().div_ceil(25);
    let n_normal = t.rows.len() - n_anomalous;
    assert_eq!(count(&doc, "points-normal", "circle"), n_normal);
    assert_eq!(count(&doc, "points-anomalous", "circle"), n_anomalous);
    assert_eq!(count(&doc, "ellipses-1sigma", "polyline"), 3);
    assert_eq!(count(&doc, "ellipses-2sigma", "polyline"), 3);
    assert!(count(&doc, "threshold", "polyline") >= 1);
    assert!(count(&doc, "contour-bands", "rect") > 10);
    // Axis descriptions carry the feature names.
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect();
    assert!(texts.contains(&"x") && texts.contains(&"y"), "{texts:?}");
    assert!(texts.iter().any(|t| t.starts_with("labelled anomaly (18)")));

    // Points sit where the data says: pixel x grows with x, pixel y falls as y grows.
    let circles = group(&doc, "points-normal");
    let normal_rows: Vec<&[f64; 2]> = t
        .rows
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 25 != 0)
        .map(|(_, r)| r)
        .collect();
    let px: Vec<(f64, f64)> = circles
        .iter()
        .map(|c| {
            (
                c.attribute("cx").unwrap().parse().unwrap(),
                c.attribute("cy").unwrap().parse().unwrap(),
            )
        })
        .collect();
    for i in 0..normal_rows.len() {
        for j in 0..normal_rows.len() {
            if normal_rows[i][0] < normal_rows[j][0] {
                assert!(px[i].0 <= px[j].0);
            }
            if normal_rows[i][1] < normal_rows[j][1] {
                assert!(px[i].1 >= px[j].1);
            }
        }
    }

    // Features the model does not have, or the same one twice, are refused by name.
    for (axes, reason) in [
        (
            "x,z",
            "the model has no feature `z`; its features are `x` or `y`",
        ),
        ("y,1", "names `y` twice"),
        ("x", "--axes takes two features"),
    ] {
        let out = gmmc(&[
            "plot",
            "explorer",
            s(&t.model),
            s(&t.labelled),
            "--axes",
            axes,
            "-o",
            s(&t.dir.path().join("never.svg")),
        ]);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(reason), "{axes}: {err}");
    }
    assert!(!t.dir.path().join("never.svg").exists());

    // Without labels, points are coloured by the model's decision.
    ok(&gmmc(&[
        "plot",
        "explorer",
        s(&t.model),
        &fixture("selection/data.csv").display().to_string(),
        "--axes",
        "1,0",
        "-o",
        s(&svg_path),
    ]));
    let model = Model::from_json(&std::fs::read_to_string(&t.model).unwrap()).unwrap();
    let flagged = t
        .rows
        .iter()
        .filter(|r| model.score.is_anomaly(model.score(&r[..])))
        .count();
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let doc = parse(&svg);
    assert_eq!(count(&doc, "points-anomalous", "circle"), flagged);
    assert_eq!(
        count(&doc, "points-normal", "circle"),
        t.rows.len() - flagged
    );
}

#[test]
fn explorer_threshold_contour_lies_on_the_marginal_threshold() {
    let t = setup();
    let model = Model::from_json(&std::fs::read_to_string(&t.model).unwrap()).unwrap();
    let picture = explorer(
        &model,
        &ExplorerInput {
            features: [0, 1],
            normal: PointSet {
                name: "rows".into(),
                points: t.rows.iter().map(|r| (r[0], r[1])).collect(),
            },
            anomalous: PointSet {
                name: "none".into(),
                points: Vec::new(),
            },
            data_name: "data.csv".into(),
            seed: 0,
        },
    )
    .unwrap();
    let marginal = &picture.projection.model;
    let threshold = marginal.score.threshold;
    assert!(picture.levels.contains(&threshold));
    // The model's own threshold holds about 99 % of its mass (training quantile 0.99).
    assert!(
        (picture.projection.mass - 0.99).abs() < 0.01,
        "{}",
        picture.projection.mass
    );
    // Each contour point, found by linear interpolation on a 181 × 141 grid, scores close to
    // the threshold (the score is normalized: 0 typical, threshold 1).
    let mut points = 0;
    for line in &picture.threshold_lines {
        for &(x, y) in line {
            let s = marginal.score(&[x, y]);
            assert!((s - threshold).abs() < 0.05, "score {s} at ({x}, {y})");
            points += 1;
        }
    }
    assert!(points > 100);
    // A two-feature model is its own marginal: the threshold is the model's.
    assert!((threshold - model.score.threshold).abs() < 0.05);
    let doc = parse(&picture.svg);
    assert_eq!(
        count(&doc, "threshold", "polyline"),
        picture.threshold_lines.len()
    );
}

#[test]
fn scores_histograms_count_every_row() {
    let t = setup();
    let svg_path = t.dir.path().join("s.svg");
    ok(&gmmc(&[
        "plot",
        "scores",
        s(&t.model),
        s(&t.labelled),
        "--label-column",
        "label",
        "-o",
        s(&svg_path),
    ]));
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let doc = parse(&svg);
    assert_eq!(count(&doc, "threshold", "polyline"), 1);
    assert!(count(&doc, "bars-0", "rect") > 3);
    assert!(count(&doc, "bars-1", "rect") >= 1);
    assert!(svg.contains("anomaly score (normalized; higher is more anomalous)"));

    // The library's bins against brute force, with an extreme score and +inf.
    let model = Model::from_json(&std::fs::read_to_string(&t.model).unwrap()).unwrap();
    let mut normal: Vec<f64> = t.rows.iter().map(|r| model.score(&r[..])).collect();
    normal.push(f64::INFINITY);
    let anomalous = vec![0.5, 3.0, 1e6, f64::NAN];
    let classes = [
        ScoreClass {
            name: "normal".into(),
            scores: normal.clone(),
        },
        ScoreClass {
            name: "anomalous".into(),
            scores: anomalous.clone(),
        },
    ];
    let plot = scores(&classes, model.score.threshold, "normalized", "test").unwrap();
    let edges = &plot.edges;
    let (lo, hi) = (edges[0], *edges.last().unwrap());
    for (class, counts) in classes.iter().zip(&plot.counts) {
        assert_eq!(counts.iter().sum::<usize>(), class.scores.len());
        for b in 0..edges.len() - 1 {
            let last = b == edges.len() - 2;
            let want = class
                .scores
                .iter()
                .filter(|&&v| v >= edges[b] && (v < edges[b + 1] || (last && v <= hi)))
                .count();
            assert_eq!(counts[b], want, "bin {b}");
        }
        let beyond = class
            .scores
            .iter()
            .filter(|&&v| v.is_nan() || v > hi)
            .count();
        assert_eq!(*counts.last().unwrap(), beyond);
        assert!(class.scores.iter().all(|&v| v.is_nan() || v >= lo));
    }
    let doc = parse(&plot.svg);
    for (i, counts) in plot.counts.iter().enumerate() {
        let bars = counts.iter().filter(|&&c| c > 0).count();
        assert_eq!(count(&doc, &format!("bars-{i}"), "rect"), bars);
    }
}

#[test]
fn selection_picture_from_train_and_from_the_report_agree() {
    let dir = tempfile::tempdir().unwrap();
    let (model, report) = (dir.path().join("m.json"), dir.path().join("r.json"));
    let (a, b) = (dir.path().join("a.svg"), dir.path().join("b.svg"));
    ok(&gmmc(&[
        "train",
        s(&fixture("selection/data.csv")),
        "--components",
        "auto:1..5",
        "-q",
        "-o",
        s(&model),
        "--report",
        s(&report),
        "--plot",
        s(&a),
    ]));
    ok(&gmmc(&["plot", "selection", s(&report), "-o", s(&b)]));
    let svg = std::fs::read_to_string(&a).unwrap();
    assert_eq!(svg, std::fs::read_to_string(&b).unwrap());
    let doc = parse(&svg);
    assert_eq!(count(&doc, "bic-points", "circle"), 5);
    assert_eq!(count(&doc, "aic-points", "circle"), 5);
    assert_eq!(count(&doc, "bic-line", "polyline"), 1);
    assert_eq!(count(&doc, "aic-line", "polyline"), 1);
    assert_eq!(count(&doc, "best", "polyline"), 1);
    let line = group(&doc, "bic-line")[0].attribute("points").unwrap();
    assert_eq!(line.split_whitespace().count(), 5);
    assert!(svg.contains("chosen: K = 3"));
    // A report without a selection table is refused with the reason.
    let plain = dir.path().join("plain.json");
    ok(&gmmc(&[
        "train",
        s(&fixture("selection/data.csv")),
        "-k",
        "2",
        "-q",
        "-o",
        s(&model),
        "--report",
        s(&plain),
    ]));
    let out = gmmc(&["plot", "selection", s(&plain), "-o", s(&b)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no `selection` table"));
}

/// Least-squares line `pixel = a·value + b`.
fn fit_line(pairs: &[(f64, f64)]) -> (f64, f64) {
    let n = pairs.len() as f64;
    let (sx, sy) = pairs
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let (mx, my) = (sx / n, sy / n);
    let (sxy, sxx) = pairs.iter().fold((0.0, 0.0), |(a, b), (x, y)| {
        (a + (x - mx) * (y - my), b + (x - mx) * (x - mx))
    });
    let slope = sxy / sxx;
    (slope, my - slope * mx)
}

/// The explorer's ellipses, mapped back from pixels to data (through the pixel positions of
/// the plotted rows), lie at Mahalanobis distance 1 and 2 from their component's mean, under
/// the model's own precision factors; pixels are whole numbers, so the bound is 6 %.
#[test]
fn explorer_ellipses_are_one_and_two_sigma() {
    let t = setup();
    let svg_path = t.dir.path().join("e.svg");
    let data = fixture("selection/data.csv");
    ok(&gmmc(&[
        "plot",
        "explorer",
        s(&t.model),
        s(&data),
        "--axes",
        "x,y",
        "-o",
        s(&svg_path),
    ]));
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let doc = parse(&svg);
    // Pixel ↔ data: every plotted row, whichever group its colour put it in.
    let model = Model::from_json(&std::fs::read_to_string(&t.model).unwrap()).unwrap();
    let (mut normal, mut anomalous) = (Vec::new(), Vec::new());
    for r in &t.rows {
        if model.score.is_anomaly(model.score(&r[..])) {
            anomalous.push(*r);
        } else {
            normal.push(*r);
        }
    }
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for (class, rows) in [("points-normal", &normal), ("points-anomalous", &anomalous)] {
        let circles = group(&doc, class);
        assert_eq!(circles.len(), rows.len());
        for (c, r) in circles.iter().zip(rows.iter()) {
            let px: f64 = c.attribute("cx").unwrap().parse().unwrap();
            let py: f64 = c.attribute("cy").unwrap().parse().unwrap();
            xs.push((r[0], px));
            ys.push((r[1], py));
        }
    }
    let (ax, bx) = fit_line(&xs);
    let (ay, by) = fit_line(&ys);
    assert!(ax > 0.0 && ay < 0.0, "x grows rightwards, y upwards");

    let mix = gmmc::mixture::Mixture::from_model(&model);
    let factors = common::dense_factors(&mix);
    for (class, radius) in [("ellipses-1sigma", 1.0), ("ellipses-2sigma", 2.0)] {
        let lines = group(&doc, class);
        assert_eq!(lines.len(), model.n_components);
        for (k, line) in lines.iter().enumerate() {
            let mean = mix.mean(k);
            // Upper triangular U (row-major 2 × 2): distance² = ‖Uᵀ(x − μ)‖².
            let u = &factors[k * 4..(k + 1) * 4];
            let mut worst: f64 = 0.0;
            for point in line.attribute("points").unwrap().split_whitespace() {
                let (px, py) = point.split_once(',').unwrap();
                let (px, py): (f64, f64) = (px.parse().unwrap(), py.parse().unwrap());
                let dx = (px - bx) / ax - mean[0];
                let dy = (py - by) / ay - mean[1];
                let v0 = dx * u[0] + dy * u[2];
                let v1 = dx * u[1] + dy * u[3];
                let distance = (v0 * v0 + v1 * v1).sqrt();
                worst = worst.max((distance - radius).abs() / radius);
            }
            assert!(worst < 0.06, "{class} {k}: off by {:.1} %", 100.0 * worst);
            eprintln!("{class} {k}: within {:.2} %", 100.0 * worst);
        }
    }
}
