//! Loading data files through `gmmc::data`: good CSV and `.npy` files, the selections, and every
//! refusal checked for the message it prints (file, line, column).

use std::io::Write;
use std::path::{Path, PathBuf};

use gmmc::data::{DataError, LoadOptions, STDIN_NAME, Selection, Table, load, load_csv_reader};

/// A scratch folder that lives as long as the test.
struct Scratch(tempfile::TempDir);

impl Scratch {
    fn new() -> Self {
        Scratch(tempfile::tempdir().expect("temporary folder"))
    }

    fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> String {
        let path: PathBuf = self.0.path().join(name);
        std::fs::write(&path, bytes).expect("write test file");
        path_string(&path)
    }
}

fn path_string(path: &Path) -> String {
    path.to_str().expect("UTF-8 temporary path").to_owned()
}

fn all() -> LoadOptions {
    LoadOptions::default()
}

fn axes(spec: &str) -> LoadOptions {
    LoadOptions {
        label_column: None,
        selection: Selection::Axes(spec.to_owned()),
    }
}

fn labelled(label: &str, selection: Selection) -> LoadOptions {
    LoadOptions {
        label_column: Some(label.to_owned()),
        selection,
    }
}

fn model(names: &[&str], axes: &[usize], n_inputs: usize) -> LoadOptions {
    LoadOptions {
        label_column: None,
        selection: Selection::Model {
            names: names.iter().map(|s| s.to_string()).collect(),
            axes: axes.to_vec(),
            n_inputs,
        },
    }
}

/// Loads CSV text from a file named `data.csv`, returning the error message.
fn csv_error(text: &str, options: &LoadOptions) -> (String, String) {
    let scratch = Scratch::new();
    let path = scratch.write("data.csv", text);
    let message = load(&path, options)
        .expect_err("should be refused")
        .to_string();
    (message, path)
}

fn csv_reader(text: &str, options: &LoadOptions) -> Result<Table, DataError> {
    load_csv_reader(text.as_bytes(), "data.csv", options)
}

// ---------------------------------------------------------------------------------------------
// Good CSV

const SENSORS: &str = "\
rms_x,kind,rms_y,peak
0.5,normal,1.5,10
0.25, normal ,2.5,20
1e3,anomaly,-3,30
";

#[test]
fn csv_with_a_label_column() {
    let scratch = Scratch::new();
    let path = scratch.write("sensors.csv", SENSORS);
    let t = load(&path, &labelled("kind", Selection::All)).unwrap();
    assert_eq!(t.source, path);
    assert_eq!(t.input_columns, ["rms_x", "rms_y", "peak"]);
    assert_eq!(t.columns, t.input_columns);
    assert_eq!(t.axes, [0, 1, 2]);
    assert_eq!(t.n_rows, 3);
    assert_eq!(t.n_columns(), 3);
    assert_eq!(t.row(1), [0.25, 2.5, 20.0]);
    assert_eq!(t.row(2), [1000.0, -3.0, 30.0]);
    assert_eq!(
        t.labels,
        Some(vec!["normal".into(), "normal".into(), "anomaly".into()])
    );
    assert_eq!(t.lines, Some(vec![2, 3, 4]));
    assert_eq!(t.row_location(2), format!("{path}:4"));
    assert!(t.check_finite().is_ok());
}

#[test]
fn csv_axes_by_names_and_by_indices_agree() {
    let by_name = csv_reader(
        SENSORS,
        &labelled("kind", Selection::Axes("peak, rms_x".into())),
    );
    let by_index = csv_reader(SENSORS, &labelled("kind", Selection::Axes("2,0".into())));
    let (by_name, by_index) = (by_name.unwrap(), by_index.unwrap());
    assert_eq!(by_name, by_index);
    assert_eq!(by_name.columns, ["peak", "rms_x"]);
    // Indices count feature columns only: the label column "kind" is not one.
    assert_eq!(by_name.axes, [2, 0]);
    assert_eq!(by_name.input_columns, ["rms_x", "rms_y", "peak"]);
    assert_eq!(by_name.values, [10.0, 0.5, 20.0, 0.25, 30.0, 1000.0]);
}

#[test]
fn csv_from_a_reader_like_stdin() {
    let t = load_csv_reader(&b"a,b\n1,2\n"[..], STDIN_NAME, &all()).unwrap();
    assert_eq!(t.source, "<stdin>");
    assert_eq!(t.values, [1.0, 2.0]);
    let e = load_csv_reader(&b"a,b\n1,x\n"[..], STDIN_NAME, &all()).unwrap_err();
    assert!(
        e.to_string().starts_with("<stdin>:2:2 (column \"b\")"),
        "{e}"
    );
}

#[test]
fn csv_with_bom_crlf_and_trailing_blank_lines() {
    let t = csv_reader("\u{feff}a,b\r\n1,2\r\n3,4\r\n\r\n\r\n", &all()).unwrap();
    assert_eq!(t.input_columns, ["a", "b"]);
    assert_eq!(t.values, [1.0, 2.0, 3.0, 4.0]);
    assert_eq!(t.lines, Some(vec![2, 3]));
}

#[test]
fn csv_keeps_nan_and_inf_for_scoring_but_training_refuses_them() {
    let (text, options) = ("a,b\n1,2\n3,NaN\n-inf,INF\n", all());
    let t = csv_reader(text, &options).unwrap();
    assert!(t.values[3].is_nan());
    assert_eq!(t.row(2), [f64::NEG_INFINITY, f64::INFINITY]);
    assert_eq!(
        t.check_finite().unwrap_err().to_string(),
        "data.csv:3 (column \"b\"): NaN is not a finite number; training needs finite values"
    );
}

/// `%.17g` as C's printf writes it: 17 significant digits, fixed notation for exponents from -4
/// to 16, trailing zeros removed.
fn format_g17(x: f64) -> String {
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    let scientific = format!("{x:.16e}");
    let (mantissa, exponent) = scientific.split_once('e').expect("exponent");
    let exponent: i32 = exponent.parse().expect("exponent digits");
    let strip = |s: &str| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            s.to_owned()
        }
    };
    if (-4..17).contains(&exponent) {
        strip(&format!("{x:.*}", (16 - exponent) as usize))
    } else {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", strip(mantissa), exponent.abs())
    }
}

#[test]
fn g17_formatting_matches_c() {
    assert_eq!(format_g17(0.1), "0.10000000000000001");
    assert_eq!(format_g17(1.0), "1");
    assert_eq!(format_g17(1e-5), "1.0000000000000001e-05");
    assert_eq!(format_g17(-2.5e20), "-2.5e+20");
    assert_eq!(format_g17(123456.0), "123456");
}

#[test]
fn csv_values_round_trip_exactly() {
    // Arbitrary finite doubles from a fixed-seed generator, plus the awkward ones.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut values = vec![
        0.0,
        -0.0,
        f64::MIN_POSITIVE,
        5e-324,
        -f64::MAX,
        f64::MAX,
        0.1,
        1.0 / 3.0,
        1e4 + 1e-3,
    ];
    while values.len() < 3000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let x = f64::from_bits(state);
        if x.is_finite() {
            values.push(x);
        }
        // And values of everyday magnitude.
        values.push((state >> 11) as f64 / (1u64 << 53) as f64 * 2e4 - 1e4);
    }
    let d = 3;
    values.truncate(values.len() / d * d);
    let mut text = String::from("a,b,c\n");
    for row in values.chunks(d) {
        let cells: Vec<String> = row.iter().map(|&x| format_g17(x)).collect();
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    let t = csv_reader(&text, &all()).unwrap();
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&t.values), bits(&values));
}

#[test]
fn unselected_text_columns_are_allowed() {
    let t = csv_reader("time,x\n2024-01-01T00:00,1.5\n,2.5\n", &axes("x")).unwrap();
    assert_eq!(t.values, [1.5, 2.5]);
}

// ---------------------------------------------------------------------------------------------
// Bad CSV: the message names the file, the line and the column

#[test]
fn csv_empty_file() {
    let (e, path) = csv_error("", &all());
    assert_eq!(e, format!("{path}: empty file: expected a header row"));
    let (e, path) = csv_error("\n\n", &all());
    assert_eq!(e, format!("{path}: empty file: expected a header row"));
}

#[test]
fn csv_header_only() {
    let (e, path) = csv_error("a,b\n", &all());
    assert_eq!(e, format!("{path}: no data rows"));
    let (e, path) = csv_error("a,b\n\n  \n", &all());
    assert_eq!(e, format!("{path}: no data rows"));
}

#[test]
fn csv_not_a_number() {
    let mut text = String::from("t,rms_x,rms_y\n");
    for i in 0..14 {
        text.push_str(&format!("{i},1,2\n"));
    }
    text.push_str("14,abc,2\n");
    let (e, path) = csv_error(&text, &all());
    assert_eq!(
        e,
        format!("{path}:16:2 (column \"rms_x\"): cannot read \"abc\" as a number")
    );
}

#[test]
fn csv_text_in_the_first_row_suggests_a_label_column() {
    let (e, path) = csv_error("a,state\n1,ok\n", &all());
    assert_eq!(
        e,
        format!(
            "{path}:2:2 (column \"state\"): cannot read \"ok\" as a number \
             (if it holds labels, pass --label-column \"state\")"
        )
    );
}

#[test]
fn csv_empty_cell() {
    let (e, path) = csv_error("a,b,c\n1,2,3\n4, ,6\n", &all());
    assert_eq!(
        e,
        format!("{path}:3:2 (column \"b\"): empty cell, expected a number")
    );
    let (e, path) = csv_error("a,b,c\n1,2,\n", &all());
    assert_eq!(
        e,
        format!("{path}:2:3 (column \"c\"): empty cell, expected a number")
    );
}

#[test]
fn csv_column_numbers_count_the_label_column() {
    let (e, path) = csv_error("kind,a,b\nx,1,oops\n", &labelled("kind", Selection::All));
    assert_eq!(
        e,
        format!("{path}:2:3 (column \"b\"): cannot read \"oops\" as a number")
    );
}

#[test]
fn csv_ragged_rows() {
    let (e, path) = csv_error("a,b,c\n1,2,3\n4,5\n", &all());
    assert_eq!(
        e,
        format!("{path}:3: the row has 2 fields, but the header (line 1) has 3 fields")
    );
    let (e, path) = csv_error("a,b\n1,2\n\n4,5,6\n", &all());
    assert_eq!(
        e,
        format!("{path}:4: the row has 3 fields, but the header (line 1) has 2 fields")
    );
}

#[test]
fn csv_unknown_label_column_lists_the_columns() {
    let (e, path) = csv_error(SENSORS, &labelled("label", Selection::All));
    assert_eq!(
        e,
        format!(
            "{path}: no column named \"label\" for --label-column; the columns are: \
             \"rms_x\", \"kind\", \"rms_y\", \"peak\""
        )
    );
}

#[test]
fn csv_label_column_alone_has_no_features() {
    let (e, path) = csv_error("kind\nx\n", &labelled("kind", Selection::All));
    assert_eq!(
        e,
        format!("{path}: no feature columns besides the label column \"kind\"")
    );
}

#[test]
fn csv_duplicate_column_names() {
    let (e, path) = csv_error("a,b, a\n1,2,3\n", &all());
    assert_eq!(
        e,
        format!("{path}:1: duplicate column name \"a\" (columns 1 and 3)")
    );
}

#[test]
fn csv_unknown_axes() {
    let (e, path) = csv_error(
        SENSORS,
        &labelled("kind", Selection::Axes("rms_x,rms_z".into())),
    );
    assert_eq!(
        e,
        format!(
            "{path}: --axes \"rms_x,rms_z\": no feature column named \"rms_z\"; the feature \
             columns are \"rms_x\", \"rms_y\", \"peak\" (indices 0 to 2)"
        )
    );
    let (e, path) = csv_error(SENSORS, &labelled("kind", Selection::Axes("0,3".into())));
    assert_eq!(
        e,
        format!(
            "{path}: --axes \"0,3\": index 3 is out of range; the feature columns are \
             \"rms_x\", \"rms_y\", \"peak\" (indices 0 to 2)"
        )
    );
    // The label column is not a feature column, so --axes cannot pick it.
    let (e, _) = csv_error(SENSORS, &labelled("kind", Selection::Axes("kind".into())));
    assert!(e.contains("no feature column named \"kind\""), "{e}");
}

#[test]
fn csv_duplicate_axes() {
    let (e, path) = csv_error(SENSORS, &labelled("kind", Selection::Axes("peak,2".into())));
    assert_eq!(
        e,
        format!("{path}: --axes \"peak,2\": column \"peak\" (index 2) is selected twice")
    );
}

#[test]
fn missing_file() {
    let scratch = Scratch::new();
    let path = path_string(&scratch.0.path().join("nope.csv"));
    let e = load(&path, &all()).unwrap_err();
    assert!(matches!(e, DataError::Io { .. }));
    assert!(
        e.to_string().starts_with(&format!("cannot read {path}: ")),
        "{e}"
    );
}

#[test]
fn compressed_files_are_named_as_such() {
    let scratch = Scratch::new();
    let path = scratch.write("data.npz", b"PK\x03\x04rest");
    let e = load(&path, &all()).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("{path}: this is a zip archive")),
        "{e}"
    );
    let path = scratch.write("data.csv.gz", b"\x1f\x8b\x08\x00");
    let e = load(&path, &all()).unwrap_err().to_string();
    assert!(e.contains("gzip-compressed"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Selection::Model

const INPUTS: &str = "a,b,c,d\n1,2,3,4\n5,6,7,8\n";

#[test]
fn model_selects_by_names_in_any_order() {
    let t = csv_reader(INPUTS, &model(&["d", "b"], &[0, 1], 2)).unwrap();
    assert_eq!(t.columns, ["d", "b"]);
    assert_eq!(t.axes, [3, 1]);
    assert_eq!(t.values, [4.0, 2.0, 8.0, 6.0]);
    // Extra columns and another order in the file do not matter.
    let t = csv_reader("x,b,y,d,z\n0,2,0,4,0\n", &model(&["d", "b"], &[3, 1], 4)).unwrap();
    assert_eq!(t.values, [4.0, 2.0]);
}

#[test]
fn model_selects_by_axes_when_the_file_is_its_input_vector() {
    let t = csv_reader(INPUTS, &model(&["p", "q"], &[2, 0], 4)).unwrap();
    assert_eq!(t.columns, ["c", "a"]);
    assert_eq!(t.axes, [2, 0]);
    assert_eq!(t.values, [3.0, 1.0, 7.0, 5.0]);
}

#[test]
fn model_mismatch_says_what_each_side_has() {
    let (e, path) = csv_error(INPUTS, &model(&["p", "b"], &[4, 1], 6));
    assert_eq!(
        e,
        format!(
            "{path} does not fit the model: the model reads an input vector of 6 values and \
             uses features \"p\", \"b\" at axes 4, 1; the file has 4 feature columns \
             (a, b, c, d) and lacks the model's \"p\""
        )
    );
}

#[test]
fn model_trained_on_npy_reads_npy_by_name() {
    let scratch = Scratch::new();
    let data: Vec<f64> = (0..12).map(f64::from).collect();
    let path = scratch.write("x.npy", npy_f8((4, 3), &data));
    let t = load(&path, &model(&["f2", "f0"], &[2, 0], 3)).unwrap();
    assert_eq!(t.values, [2.0, 0.0, 5.0, 3.0, 8.0, 6.0, 11.0, 9.0]);
}

// ---------------------------------------------------------------------------------------------
// .npy files, written byte by byte

/// A complete `.npy` file: magic, version, header length, the header dict padded with spaces
/// and ended by a newline so the data starts at a multiple of 64 bytes (as NumPy writes it).
fn npy_file(version: (u8, u8), dict: &str, data: &[u8]) -> Vec<u8> {
    let length_bytes = if version.0 == 1 { 2 } else { 4 };
    let prefix = 8 + length_bytes;
    let unpadded = prefix + dict.len() + 1;
    let padding = (64 - unpadded % 64) % 64;
    let header = format!("{dict}{}\n", " ".repeat(padding));
    let mut out = b"\x93NUMPY".to_vec();
    out.extend([version.0, version.1]);
    if length_bytes == 2 {
        out.extend((header.len() as u16).to_le_bytes());
    } else {
        out.extend((header.len() as u32).to_le_bytes());
    }
    out.extend(header.as_bytes());
    assert_eq!(out.len() % 64, 0);
    out.extend(data);
    out
}

fn dict(descr: &str, fortran: bool, shape: &str) -> String {
    let fortran = if fortran { "True" } else { "False" };
    format!("{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}")
}

fn npy_f8(shape: (usize, usize), data: &[f64]) -> Vec<u8> {
    let bytes: Vec<u8> = data.iter().flat_map(|x| x.to_le_bytes()).collect();
    npy_file(
        (1, 0),
        &dict("<f8", false, &format!("({}, {})", shape.0, shape.1)),
        &bytes,
    )
}

/// Loads `.npy` bytes written to `x.npy`; returns the error message and the path.
fn npy_error(bytes: &[u8], options: &LoadOptions) -> (String, String) {
    let scratch = Scratch::new();
    let path = scratch.write("x.npy", bytes);
    let message = load(&path, options)
        .expect_err("should be refused")
        .to_string();
    (message, path)
}

fn npy_reason(bytes: &[u8]) -> String {
    let (message, path) = npy_error(bytes, &all());
    let prefix = format!("{path}: not a usable .npy file: ");
    message
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{message:?} should start with {prefix:?}"))
        .to_owned()
}

#[test]
fn npy_f8_c_order() {
    let data = [1.5, -2.0, f64::MAX, 5e-324, 0.1, f64::NAN];
    let scratch = Scratch::new();
    let path = scratch.write("x.npy", npy_f8((3, 2), &data));
    let t = load(&path, &all()).unwrap();
    assert_eq!(t.input_columns, ["f0", "f1"]);
    assert_eq!(t.columns, ["f0", "f1"]);
    assert_eq!(t.n_rows, 3);
    assert_eq!(t.lines, None);
    assert_eq!(t.labels, None);
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&t.values), bits(&data));
    assert_eq!(t.row_location(2), format!("{path} row 2"));
    assert_eq!(
        t.check_finite().unwrap_err().to_string(),
        format!(
            "{path} row 2 (column \"f1\"): NaN is not a finite number; training needs finite values"
        )
    );
}

#[test]
fn npy_f4_and_big_endian() {
    let data: [f32; 6] = [0.1, 2.5, -3.0, 1e-30, 7.0, 8.0];
    let le: Vec<u8> = data.iter().flat_map(|x| x.to_le_bytes()).collect();
    let be: Vec<u8> = data.iter().flat_map(|x| x.to_be_bytes()).collect();
    let scratch = Scratch::new();
    let expected: Vec<f64> = data.iter().map(|&x| f64::from(x)).collect();
    for (name, descr, bytes) in [("le.npy", "<f4", &le), ("be.npy", ">f4", &be)] {
        let path = scratch.write(name, npy_file((1, 0), &dict(descr, false, "(2, 3)"), bytes));
        let t = load(&path, &all()).unwrap();
        assert_eq!(t.values, expected, "{descr}");
    }
    let be8: Vec<u8> = expected.iter().flat_map(|x| x.to_be_bytes()).collect();
    let path = scratch.write(
        "be8.npy",
        npy_file((1, 0), &dict(">f8", false, "(3, 2)"), &be8),
    );
    assert_eq!(load(&path, &all()).unwrap().values, expected);
}

#[test]
fn npy_versions_2_and_3() {
    let data = [1.0, 2.0, 3.0, 4.0];
    let bytes: Vec<u8> = data.iter().flat_map(|x: &f64| x.to_le_bytes()).collect();
    let scratch = Scratch::new();
    for version in [(2, 0), (3, 0)] {
        let path = scratch.write(
            "v.npy",
            npy_file(version, &dict("<f8", false, "(2, 2)"), &bytes),
        );
        assert_eq!(load(&path, &all()).unwrap().values, data, "{version:?}");
    }
    let e = npy_reason(&npy_file((4, 0), &dict("<f8", false, "(2, 2)"), &bytes));
    assert_eq!(
        e,
        "format version 4.0 is not supported (gmmc reads versions 1.0, 2.0 and 3.0)"
    );
}

#[test]
fn npy_axes_by_generated_names_and_indices() {
    let data: Vec<f64> = (0..8).map(f64::from).collect();
    let scratch = Scratch::new();
    let path = scratch.write("x.npy", npy_f8((2, 4), &data));
    let by_name = load(&path, &axes("f2,f0")).unwrap();
    let by_index = load(&path, &axes("2,0")).unwrap();
    assert_eq!(by_name, by_index);
    assert_eq!(by_name.values, [2.0, 0.0, 6.0, 4.0]);
    assert_eq!(by_name.axes, [2, 0]);
    assert_eq!(by_name.columns, ["f2", "f0"]);
    let e = load(&path, &axes("f4")).unwrap_err().to_string();
    assert!(e.contains("no feature column named \"f4\""), "{e}");
}

#[test]
fn npy_is_recognised_by_its_magic_whatever_the_name() {
    let scratch = Scratch::new();
    let path = scratch.write("features.bin", npy_f8((1, 2), &[3.0, 4.0]));
    assert_eq!(load(&path, &all()).unwrap().values, [3.0, 4.0]);
}

#[test]
fn npy_label_column_needs_csv() {
    let (e, path) = npy_error(
        &npy_f8((1, 2), &[3.0, 4.0]),
        &labelled("kind", Selection::All),
    );
    assert_eq!(
        e,
        format!(
            "{path}: --label-column needs CSV data: a .npy array has no column names or labels"
        )
    );
}

#[test]
fn npy_1d() {
    let bytes: Vec<u8> = [1.0f64, 2.0].iter().flat_map(|x| x.to_le_bytes()).collect();
    let e = npy_reason(&npy_file((1, 0), &dict("<f8", false, "(2,)"), &bytes));
    assert_eq!(
        e,
        "the array is 1-D, shape (2,); gmmc needs a 2-D array, one row per sample: save \
         arr.reshape(-1, 1) for a single feature"
    );
}

#[test]
fn npy_3d() {
    let bytes = vec![0u8; 8 * 8];
    let e = npy_reason(&npy_file((1, 0), &dict("<f8", false, "(2, 2, 2)"), &bytes));
    assert_eq!(
        e,
        "the array is 3-D, shape (2, 2, 2); gmmc needs a 2-D array (rows × features)"
    );
}

#[test]
fn npy_integer_dtype() {
    let bytes = vec![0u8; 4 * 8];
    let e = npy_reason(&npy_file((1, 0), &dict("<i8", false, "(2, 2)"), &bytes));
    assert_eq!(
        e,
        "the array's dtype is '<i8' (64-bit signed integer); gmmc reads float64 ('<f8') or \
         float32 ('<f4'): save arr.astype(numpy.float64)"
    );
}

#[test]
fn npy_fortran_order() {
    let bytes = vec![0u8; 4 * 8];
    let e = npy_reason(&npy_file((1, 0), &dict("<f8", true, "(2, 2)"), &bytes));
    assert_eq!(
        e,
        "the array is stored in Fortran (column-major) order; gmmc reads C order: save \
         numpy.ascontiguousarray(arr) instead"
    );
}

#[test]
fn npy_truncated_data() {
    let bytes = vec![0u8; 3 * 8 + 5];
    let e = npy_reason(&npy_file((1, 0), &dict("<f8", false, "(2, 2)"), &bytes));
    assert_eq!(
        e,
        "truncated data: shape (2, 2) of <f8 needs 32 bytes, but the file holds only 29 after \
         the header"
    );
}

#[test]
fn npy_trailing_bytes() {
    let bytes = vec![0u8; 4 * 8 + 3];
    let e = npy_reason(&npy_file((1, 0), &dict("<f8", false, "(2, 2)"), &bytes));
    assert!(
        e.starts_with("the file holds 3 bytes after the data that shape (2, 2) of <f8"),
        "{e}"
    );
}

#[test]
fn npy_absurd_shapes_are_refused_before_allocating() {
    let e = npy_reason(&npy_file(
        (1, 0),
        &dict("<f8", false, "(4294967296, 4294967296)"),
        &[],
    ));
    assert_eq!(
        e,
        "the array's shape (4294967296, 4294967296) is absurd: its size overflows 64 bits"
    );
    let e = npy_reason(&npy_file(
        (1, 0),
        &dict("<f8", false, "(1000000000, 1000)"),
        &[0; 64],
    ));
    assert!(e.starts_with("truncated data: shape (1000000000, 1000) of <f8 needs 8000000000000"));
}

#[test]
fn npy_empty_array() {
    let (e, path) = npy_error(
        &npy_file((1, 0), &dict("<f8", false, "(0, 3)"), &[]),
        &all(),
    );
    assert_eq!(e, format!("{path}: no data rows"));
    let e = npy_reason(&npy_file((1, 0), &dict("<f8", false, "(3, 0)"), &[]));
    assert_eq!(e, "the array has shape (3, 0): no columns");
}

#[test]
fn npy_corrupt_header() {
    let data = vec![0u8; 32];
    // Unterminated: no newline at the end of the header.
    let mut bytes = npy_file((1, 0), &dict("<f8", false, "(2, 2)"), &data);
    let newline = 8 + 2 + usize::from(u16::from_le_bytes([bytes[8], bytes[9]])) - 1;
    bytes[newline] = b' ';
    let e = npy_reason(&bytes);
    assert!(
        e.starts_with("corrupt header: it does not end with a newline (unterminated): {'descr'"),
        "{e}"
    );
    // Not a dict literal.
    let e = npy_reason(&npy_file(
        (1, 0),
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2)",
        &data,
    ));
    assert!(
        e.starts_with("corrupt header: the header ends before the closing '}'"),
        "{e}"
    );
    // A key missing.
    let e = npy_reason(&npy_file(
        (1, 0),
        "{'descr': '<f8', 'fortran_order': False}",
        &data,
    ));
    assert!(e.starts_with("corrupt header: no 'shape' entry"), "{e}");
    // Header length pointing past the end of the file.
    let mut bytes = npy_file((1, 0), &dict("<f8", false, "(2, 2)"), &[]);
    bytes[8..10].copy_from_slice(&5000u16.to_le_bytes());
    let e = npy_reason(&bytes);
    assert_eq!(
        e,
        "truncated header: it is said to be 5000 bytes long, but the file ends after 118 bytes of it"
    );
    // Not UTF-8.
    let e = npy_reason(
        &npy_file((1, 0), "{'descr': '\u{ff}'}", &data)
            .iter()
            .map(|&b| if b == 0xC3 { 0xFF } else { b })
            .collect::<Vec<u8>>(),
    );
    assert!(e.starts_with("corrupt header: it is not text"), "{e}");
}

#[test]
fn npy_wrong_magic() {
    let mut bytes = npy_f8((1, 2), &[3.0, 4.0]);
    bytes[1] = b'X';
    let e = npy_reason(&bytes);
    assert_eq!(
        e,
        "it starts with bytes 93 58 55 4D 50 59 01 00 (\"\u{fffd}XUMPY\\u{1}\\0\"), not the .npy \
         magic \\x93NUMPY"
    );
    let e = npy_reason(b"a,b\n1,2\n");
    assert!(
        e.starts_with("it starts with bytes 61 2C 62 0A 31 2C 32 0A"),
        "{e}"
    );
    let e = npy_reason(b"");
    assert_eq!(e, "the file is empty; expected the .npy magic \\x93NUMPY");
    let e = npy_reason(b"\x93NUMPY\x01");
    assert_eq!(e, "the file ends right after the magic, before the version");
}

// ---------------------------------------------------------------------------------------------
// Pipes

#[cfg(unix)]
#[test]
fn a_named_pipe_is_read_whole() {
    let scratch = Scratch::new();
    let fifo = scratch.0.path().join("pipe.npy");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("mkfifo unavailable; skipped");
        return;
    }
    let bytes = npy_f8((2, 1), &[1.0, 2.0]);
    let writer_path = fifo.clone();
    let writer = std::thread::spawn(move || {
        let mut pipe = std::fs::OpenOptions::new()
            .write(true)
            .open(writer_path)
            .expect("open fifo");
        pipe.write_all(&bytes).expect("write fifo");
    });
    let t = load(&path_string(&fifo), &all()).unwrap();
    writer.join().expect("writer thread");
    assert_eq!(t.values, [1.0, 2.0]);
}
