//! Loading feature data: CSV files and NumPy `.npy` arrays, reduced to the columns a command needs.
//!
//! Every command that reads feature vectors (`train`, `score`, `test`) goes through [`load`], so
//! the rules for what a data file may contain, and the messages for what is wrong with one, live
//! in one place:
//!
//! - CSV: a header row, numeric feature columns, optionally one label column whose
//!   text is kept per row. Messages carry `file:line:column` and the column's name.
//! - `.npy`: a 2-D `float64` or `float32` array in C order; its columns are named `f0`, `f1`, …
//!   so that names and indices work the same way as for CSV.
//!
//! A [`Selection`] says which feature columns to keep: all of them, the user's `--axes`, or the
//! ones a trained model reads. Only the selected columns are parsed and stored.
//!
//! ```
//! use gmmc::data::{LoadOptions, Selection, load_csv_reader};
//!
//! let csv = "rms_x,kind,rms_y\n0.5,normal,1.5\n0.7,anomaly,9.0\n";
//! let options = LoadOptions {
//!     label_column: Some("kind".into()),
//!     selection: Selection::Axes("rms_y,0".into()),
//! };
//! let table = load_csv_reader(csv.as_bytes(), "sensors.csv", &options)?;
//! assert_eq!(table.columns, ["rms_y", "rms_x"]);
//! assert_eq!(table.row(1), [9.0, 0.7]);
//! assert_eq!(table.labels.as_deref(), Some(&["normal".to_owned(), "anomaly".to_owned()][..]));
//! assert_eq!(table.row_location(1), "sensors.csv:3");
//! # Ok::<(), gmmc::data::DataError>(())
//! ```

mod csv;
mod npy;
mod quote_free;

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

/// The name under which standard input appears in messages and in [`Table::source`].
pub const STDIN_NAME: &str = "<stdin>";

/// Which feature columns to keep.
///
/// "Feature columns" are all columns of the file except the label column, in file order; they
/// form the *input vector* that a device passes to a scorer, and indices count them only.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Selection {
    /// Every feature column, in file order.
    #[default]
    All,
    /// A user's `--axes` value: comma-separated column names or 0-based indices, in the order
    /// wanted.
    ///
    /// Each entry is first looked up as a column name (exactly, after trimming spaces); only if
    /// no column has that name is it read as a 0-based index into the feature columns (the label
    /// column does not count). Names and indices may therefore be mixed, and a column literally
    /// named `3` is found by its name. An entry that is neither, an empty entry, or a column
    /// selected twice is an error that lists the available columns.
    Axes(String),
    /// What a trained model reads.
    ///
    /// If `names` is not empty and every name is a feature column of the file, the columns are
    /// selected by name (their order in the file and any extra columns do not matter). Otherwise,
    /// if the file has exactly `n_inputs` feature columns, the columns at `axes` are selected
    /// (the file is taken to be the model's input vector). Otherwise the file does not fit the
    /// model, and the error says both what the model expects and what the file has.
    Model {
        /// The model's feature names, one per feature it uses.
        names: Vec<String>,
        /// For each feature the model uses, its index in the input vector.
        axes: Vec<usize>,
        /// The length of the input vector the model was trained on.
        n_inputs: usize,
    },
}

/// How to read a data file: which column holds labels, and which feature columns to keep.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoadOptions {
    /// The name of the label column (CSV only). Its cells are kept as trimmed text in
    /// [`Table::labels`] and it is not a feature column.
    pub label_column: Option<String>,
    /// Which feature columns to keep.
    pub selection: Selection,
}

/// A loaded data set: the selected columns only, held once as an N×D row-major `f64` matrix.
///
/// It also remembers where every row came from, so that later stages (training, scoring) can
/// point at the offending line of the file in their own messages.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The file for messages: the path as given, or `<stdin>`.
    pub source: String,
    /// The names of all feature columns (the label column removed), in file order: the input
    /// vector. For `.npy` files these are `f0`, `f1`, ….
    pub input_columns: Vec<String>,
    /// For each selected column, its index in `input_columns`.
    pub axes: Vec<usize>,
    /// The names of the selected columns: `columns[j] == input_columns[axes[j]]`.
    pub columns: Vec<String>,
    /// The number of data rows.
    pub n_rows: usize,
    /// The values, row-major: `n_rows × columns.len()`.
    pub values: Vec<f64>,
    /// One label per row (trimmed text) when a label column was asked for.
    pub labels: Option<Vec<String>>,
    /// For CSV, the 1-based line of the file where each row starts (the header is line 1);
    /// `None` for `.npy`.
    pub lines: Option<Vec<u64>>,
}

impl Table {
    /// The number of selected columns (D, the dimension of every row).
    pub fn n_columns(&self) -> usize {
        self.columns.len()
    }

    /// Row `i` of the selected columns.
    ///
    /// # Panics
    ///
    /// If `i >= n_rows`, like slice indexing.
    pub fn row(&self, i: usize) -> &[f64] {
        let d = self.n_columns();
        &self.values[i * d..(i + 1) * d]
    }

    /// All rows in order, each of length [`n_columns`](Self::n_columns).
    pub fn rows(&self) -> impl ExactSizeIterator<Item = &[f64]> {
        // `max(1)`: with no columns there are no values, so the iterator is empty either way.
        self.values.chunks_exact(self.n_columns().max(1))
    }

    /// Checks that every value is finite, naming the first NaN or ±inf cell (file, line or row,
    /// column name) otherwise.
    ///
    /// Training refuses such data because one NaN would poison every mean and covariance.
    /// Scoring does not call this: there a broken sensor value must score +inf, not stop the run.
    pub fn check_finite(&self) -> Result<(), DataError> {
        let d = self.n_columns();
        if d == 0 {
            return Ok(());
        }
        match first_where(&self.values, |v| !v.is_finite()) {
            None => Ok(()),
            Some(k) => Err(DataError::NonFinite {
                location: self.row_location(k / d),
                column: self.columns.get(k % d).cloned().unwrap_or_default(),
                value: self.values[k],
            }),
        }
    }

    /// Where row `i` came from, for messages: `file.csv:17` (the line in the file) or
    /// `file.npy row 16` (the 0-based row index, as `arr[16]` in NumPy).
    pub fn row_location(&self, i: usize) -> String {
        match self.lines.as_ref().and_then(|lines| lines.get(i)) {
            Some(line) => format!("{}:{line}", self.source),
            None => format!("{} row {i}", self.source),
        }
    }
}

/// Why a data file could not be loaded. Every message names the file, and the line and column
/// (its 1-based number and its name) where there is one.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file could not be opened or read.
    #[error("cannot read {file}: {error}")]
    Io {
        /// The file.
        file: String,
        /// What the operating system said.
        #[source]
        error: io::Error,
    },
    /// The CSV reader reported a problem that is not an I/O error.
    #[error("{file}: {message}")]
    Csv {
        /// The file.
        file: String,
        /// The CSV reader's message (it includes the position).
        message: String,
    },
    /// The file holds nothing at all (or only blank lines).
    #[error("{file}: empty file: expected a header row")]
    EmptyFile {
        /// The file.
        file: String,
    },
    /// The file has a header (or an array shape) but no data.
    #[error("{file}: no data rows")]
    NoDataRows {
        /// The file.
        file: String,
    },
    /// A header cell is empty, for instance the unnamed index column that pandas writes.
    #[error(
        "{file}:{line}:{column}: column {column} has no name in the header \
         (a pandas index column? write the file with index=False)"
    )]
    EmptyColumnName {
        /// The file.
        file: String,
        /// The header's line.
        line: u64,
        /// The 1-based column number.
        column: usize,
    },
    /// A header name or a label is not UTF-8 text.
    #[error("{file}:{line}:{column}: the {what} is not valid UTF-8 text")]
    NotUtf8 {
        /// The file.
        file: String,
        /// The line.
        line: u64,
        /// The 1-based column number.
        column: usize,
        /// What was being read: "column name" or "label".
        what: &'static str,
    },
    /// Two header cells have the same name (after trimming).
    #[error("{file}:{line}: duplicate column name \"{name}\" (columns {first} and {second})")]
    DuplicateColumn {
        /// The file.
        file: String,
        /// The header's line.
        line: u64,
        /// The repeated name.
        name: String,
        /// The 1-based number of its first occurrence.
        first: usize,
        /// The 1-based number of its second occurrence.
        second: usize,
    },
    /// `--label-column` names no column of the file.
    #[error("{file}: no column named \"{name}\" for --label-column; the columns are: {available}")]
    UnknownLabelColumn {
        /// The file.
        file: String,
        /// The name asked for.
        name: String,
        /// The file's columns, listed for the message.
        available: String,
    },
    /// `--label-column` was given for a `.npy` file, which has no text and no column names.
    #[error("{file}: --label-column needs CSV data: a .npy array has no column names or labels")]
    LabelNeedsCsv {
        /// The file.
        file: String,
    },
    /// Apart from the label column the file has no columns.
    #[error("{file}: no feature columns besides the label column \"{label}\"")]
    NoFeatureColumns {
        /// The file.
        file: String,
        /// The label column.
        label: String,
    },
    /// A row has more or fewer fields than the header.
    #[error(
        "{file}:{line}: the row has {}, but the header (line {header_line}) has {}",
        fields(*.found),
        fields(*.expected)
    )]
    RaggedRow {
        /// The file.
        file: String,
        /// The row's line.
        line: u64,
        /// How many fields the row has.
        found: usize,
        /// How many the header has.
        expected: usize,
        /// The header's line.
        header_line: u64,
    },
    /// A feature cell is empty.
    #[error("{file}:{line}:{column} (column \"{name}\"): empty cell, expected a number")]
    EmptyCell {
        /// The file.
        file: String,
        /// The line.
        line: u64,
        /// The 1-based column number in the file.
        column: usize,
        /// The column's name.
        name: String,
    },
    /// A feature cell is not a number.
    #[error("{file}:{line}:{column} (column \"{name}\"): cannot read \"{text}\" as a number{hint}")]
    NotANumber {
        /// The file.
        file: String,
        /// The line.
        line: u64,
        /// The 1-based column number in the file.
        column: usize,
        /// The column's name.
        name: String,
        /// The cell's text (shortened if long).
        text: String,
        /// Extra advice, empty or starting with a separator.
        hint: String,
    },
    /// The `--axes` value does not select columns of this file.
    #[error("{file}: --axes \"{axes}\": {reason}")]
    BadAxes {
        /// The file.
        file: String,
        /// The `--axes` value as given.
        axes: String,
        /// What is wrong, with the available columns.
        reason: String,
    },
    /// The file's columns are not what the model reads.
    #[error("{file} does not fit the model: {reason}")]
    ModelMismatch {
        /// The file.
        file: String,
        /// What the model expects and what the file has.
        reason: String,
    },
    /// The `.npy` file is malformed or holds an array gmmc does not read.
    #[error("{file}: not a usable .npy file: {reason}")]
    Npy {
        /// The file.
        file: String,
        /// What was found and what was expected.
        reason: String,
    },
    /// The file is of a kind gmmc does not read (a zip or gzip archive).
    #[error("{file}: {reason}")]
    UnsupportedFormat {
        /// The file.
        file: String,
        /// What the file seems to be, and what to do.
        reason: String,
    },
    /// A value is NaN or infinite where finite numbers are required (training).
    #[error(
        "{location} (column \"{column}\"): {value} is not a finite number; training needs finite values"
    )]
    NonFinite {
        /// The file and line (or row), as [`Table::row_location`] gives it.
        location: String,
        /// The column's name.
        column: String,
        /// The value found.
        value: f64,
    },
}

/// The index of the first value for which `bad` holds. Blocks of values are tested in
/// parallel, each first as a whole (a test without an early exit, which the compiler
/// vectorises), so a long scan of good values runs at memory speed.
pub(crate) fn first_where(values: &[f64], bad: impl Fn(f64) -> bool + Sync) -> Option<usize> {
    use rayon::prelude::*;
    const BLOCK: usize = 1 << 14;
    values
        .par_chunks(BLOCK)
        .enumerate()
        .filter_map(|(b, block)| {
            if block.iter().fold(false, |any, v| any | bad(*v)) {
                block.iter().position(|v| bad(*v)).map(|i| b * BLOCK + i)
            } else {
                None
            }
        })
        .min()
}

/// "1 field", "3 fields".
fn fields(n: usize) -> String {
    if n == 1 {
        "1 field".to_owned()
    } else {
        format!("{n} fields")
    }
}

/// Loads a data file.
///
/// `path` `-` reads CSV from standard input. A path ending in `.npy`, or a file whose first
/// bytes are the NumPy magic `\x93NUMPY`, is read as `.npy`; anything else as CSV. Pipes and
/// other non-regular files (`<(…)` in a shell) work too.
pub fn load(path: &str, options: &LoadOptions) -> Result<Table, DataError> {
    if path == "-" {
        let stdin = io::stdin();
        return csv::read(stdin.lock(), STDIN_NAME, options, None);
    }
    let io_error = |error| DataError::Io {
        file: path.to_owned(),
        error,
    };
    let mut file = File::open(path).map_err(io_error)?;
    let metadata = file.metadata().map_err(io_error)?;
    if !metadata.is_file() {
        // A pipe has no length to check an .npy shape against, and cannot be rewound after a
        // peek at its first bytes: read it whole, then it is just bytes.
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io_error)?;
        return load_bytes(&bytes, path, options);
    }
    let mut start = [0u8; 6];
    let n = read_up_to(&mut file, &mut start).map_err(io_error)?;
    check_not_archive(&start[..n], path)?;
    file.seek(SeekFrom::Start(0)).map_err(io_error)?;
    if has_npy_extension(path) || start[..n] == npy::MAGIC[..] {
        npy::read(file, path, options, metadata.len())
    } else {
        // Text without quotes is read in parallel; a file with quotes is read again from the
        // start by the general reader.
        if let Some(table) = quote_free::read(&mut file, path, options, Some(metadata.len()))? {
            return Ok(table);
        }
        file.seek(SeekFrom::Start(0)).map_err(io_error)?;
        csv::read(file, path, options, Some(metadata.len()))
    }
}

/// Loads CSV data from any reader; `source` names it in messages (use `<stdin>` for stdin).
pub fn load_csv_reader<R: Read>(
    reader: R,
    source: &str,
    options: &LoadOptions,
) -> Result<Table, DataError> {
    csv::read(reader, source, options, None)
}

/// Loads a whole file's bytes already in memory, deciding between `.npy` and CSV as [`load`]
/// does (`path` names the data in messages; a `.npy` extension selects the NumPy reader).
pub fn load_bytes(bytes: &[u8], path: &str, options: &LoadOptions) -> Result<Table, DataError> {
    check_not_archive(bytes, path)?;
    let len = bytes.len() as u64;
    if has_npy_extension(path) || bytes.starts_with(npy::MAGIC) {
        npy::read(bytes, path, options, len)
    } else {
        load_csv_bytes(bytes, path, options)
    }
}

/// CSV text in memory: without quotes, split at line ends and read in parallel; otherwise by
/// the general reader. Both give the same table, or the same first error.
fn load_csv_bytes(bytes: &[u8], path: &str, options: &LoadOptions) -> Result<Table, DataError> {
    let len = Some(bytes.len() as u64);
    match quote_free::read(bytes, path, options, len)? {
        Some(table) => Ok(table),
        None => csv::read(bytes, path, options, len),
    }
}

fn has_npy_extension(path: &str) -> bool {
    Path::new(path)
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("npy"))
}

/// Compressed files would otherwise fail with a baffling "cannot read … as a number".
fn check_not_archive(start: &[u8], path: &str) -> Result<(), DataError> {
    let reason = if start.starts_with(b"PK\x03\x04") {
        "this is a zip archive (an .npz file?); gmmc reads a single .npy array or CSV: \
         extract the array first"
    } else if start.starts_with(b"\x1f\x8b") {
        "this file is gzip-compressed; decompress it first, or pipe it: \
         `zcat FILE | gmmc ... -`"
    } else {
        return Ok(());
    };
    Err(DataError::UnsupportedFormat {
        file: path.to_owned(),
        reason: reason.to_owned(),
    })
}

/// Reads until `buf` is full or the input ends; returns how many bytes were read.
fn read_up_to<R: Read>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Resolves a selection against a file's feature columns: for each selected column, its index
/// in `input_columns`.
fn resolve_selection(
    selection: &Selection,
    input_columns: &[String],
    file: &str,
) -> Result<Vec<usize>, DataError> {
    match selection {
        Selection::All => Ok((0..input_columns.len()).collect()),
        Selection::Axes(spec) => {
            resolve_axes(spec, input_columns).map_err(|reason| DataError::BadAxes {
                file: file.to_owned(),
                axes: spec.clone(),
                reason,
            })
        }
        Selection::Model {
            names,
            axes,
            n_inputs,
        } => resolve_model(names, axes, *n_inputs, input_columns).map_err(|reason| {
            DataError::ModelMismatch {
                file: file.to_owned(),
                reason,
            }
        }),
    }
}

fn resolve_axes(spec: &str, input_columns: &[String]) -> Result<Vec<usize>, String> {
    if spec.trim().is_empty() {
        return Err(format!(
            "no columns given; the feature columns are {}",
            describe_columns(input_columns)
        ));
    }
    let mut chosen = Vec::new();
    let mut taken = vec![false; input_columns.len()];
    for entry in spec.split(',') {
        let entry = entry.trim();
        if entry.is_empty() {
            return Err("an entry is empty (a doubled or trailing comma?)".to_owned());
        }
        let index = match input_columns.iter().position(|c| c == entry) {
            Some(i) => i,
            None => match entry.parse::<usize>() {
                Ok(i) if i < input_columns.len() => i,
                Ok(i) => {
                    return Err(format!(
                        "index {i} is out of range; the feature columns are {}",
                        describe_columns(input_columns)
                    ));
                }
                Err(_) => {
                    return Err(format!(
                        "no feature column named \"{entry}\"; the feature columns are {}",
                        describe_columns(input_columns)
                    ));
                }
            },
        };
        if taken[index] {
            return Err(format!(
                "column \"{}\" (index {index}) is selected twice",
                input_columns[index]
            ));
        }
        taken[index] = true;
        chosen.push(index);
    }
    Ok(chosen)
}

fn resolve_model(
    names: &[String],
    axes: &[usize],
    n_inputs: usize,
    input_columns: &[String],
) -> Result<Vec<usize>, String> {
    let by_name: Option<Vec<usize>> = if names.is_empty() {
        None
    } else {
        names
            .iter()
            .map(|name| input_columns.iter().position(|c| c == name))
            .collect()
    };
    if let Some(chosen) = by_name {
        return Ok(chosen);
    }
    if !axes.is_empty() && input_columns.len() == n_inputs && axes.iter().all(|&a| a < n_inputs) {
        return Ok(axes.to_vec());
    }
    let missing: Vec<String> = names
        .iter()
        .filter(|name| !input_columns.contains(name))
        .map(|name| format!("\"{name}\""))
        .collect();
    let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    let axes_text: Vec<String> = axes.iter().map(usize::to_string).collect();
    let mut reason = format!(
        "the model reads an input vector of {n_inputs} values and uses features {} at axes {}; \
         the file has {} feature columns ({})",
        list_shortened(&quoted),
        list_shortened(&axes_text),
        input_columns.len(),
        list_shortened(input_columns),
    );
    if !missing.is_empty() {
        reason.push_str(&format!(
            " and lacks the model's {}",
            list_shortened(&missing)
        ));
    }
    Err(reason)
}

/// The feature columns, named and with their index range, for `--axes` messages.
fn describe_columns(columns: &[String]) -> String {
    let quoted: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
    match columns.len() {
        0 => "none".to_owned(),
        1 => format!("{} (index 0)", quoted[0]),
        n => format!("{} (indices 0 to {})", list_shortened(&quoted), n - 1),
    }
}

/// Joins items with ", ", eliding the middle of very long lists (an .npy file can have
/// thousands of columns).
fn list_shortened(items: &[String]) -> String {
    const HEAD: usize = 20;
    const TAIL: usize = 3;
    if items.len() <= HEAD + TAIL + 1 {
        return items.join(", ");
    }
    format!(
        "{}, … ({} more), {}",
        items[..HEAD].join(", "),
        items.len() - HEAD - TAIL,
        items[items.len() - TAIL..].join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn axes(spec: &str, columns: &[&str]) -> Result<Vec<usize>, String> {
        resolve_axes(spec, &names(columns))
    }

    #[test]
    fn axes_by_name_index_and_mixed_keep_order() {
        let cols = ["a", "b", "c", "d"];
        assert_eq!(axes("c, a", &cols), Ok(vec![2, 0]));
        assert_eq!(axes("3,1", &cols), Ok(vec![3, 1]));
        assert_eq!(axes("d,0", &cols), Ok(vec![3, 0]));
    }

    #[test]
    fn a_name_wins_over_an_index() {
        // pandas writes integer column names; "1" is then the column named 1, at index 0.
        assert_eq!(axes("1", &["1", "0"]), Ok(vec![0]));
    }

    #[test]
    fn axes_errors_list_the_columns() {
        let cols = ["a", "b"];
        assert_eq!(
            axes("a,zz", &cols),
            Err(
                "no feature column named \"zz\"; the feature columns are \"a\", \"b\" \
                 (indices 0 to 1)"
                    .to_owned()
            )
        );
        assert!(
            axes("5", &cols)
                .unwrap_err()
                .starts_with("index 5 is out of range")
        );
        assert!(axes("a,0", &cols).unwrap_err().contains("selected twice"));
        assert!(axes("a,,b", &cols).unwrap_err().contains("empty"));
        assert!(axes(" ", &cols).unwrap_err().contains("no columns given"));
    }

    #[test]
    fn model_selection_by_names_then_by_axes() {
        let file = names(&["x", "y", "z"]);
        // All names present: by name, whatever the order.
        assert_eq!(
            resolve_model(&names(&["z", "x"]), &[5, 0], 9, &file),
            Ok(vec![2, 0])
        );
        // Names absent, but the file is the model's input vector: by axes.
        assert_eq!(
            resolve_model(&names(&["p", "q"]), &[2, 0], 3, &file),
            Ok(vec![2, 0])
        );
        // A model without features selects nothing, which is no table at all.
        assert!(resolve_model(&[], &[], 3, &file).is_err());
        // Neither.
        let e = resolve_model(&names(&["p", "y"]), &[3, 1], 4, &file).unwrap_err();
        assert_eq!(
            e,
            "the model reads an input vector of 4 values and uses features \"p\", \"y\" at \
             axes 3, 1; the file has 3 feature columns (x, y, z) and lacks the model's \"p\""
        );
    }

    #[test]
    fn long_lists_are_shortened() {
        let items: Vec<String> = (0..100).map(|i| format!("f{i}")).collect();
        let text = list_shortened(&items);
        assert!(text.starts_with("f0, f1,"));
        assert!(text.contains("f19, … (77 more), f97, f98, f99"), "{text}");
    }

    fn table(lines: Option<Vec<u64>>) -> Table {
        Table {
            source: "d.csv".into(),
            input_columns: names(&["a", "b", "c"]),
            axes: vec![2, 0],
            columns: names(&["c", "a"]),
            n_rows: 2,
            values: vec![1.0, 2.0, 3.0, f64::NEG_INFINITY],
            labels: None,
            lines,
        }
    }

    #[test]
    fn table_rows_and_locations() {
        let t = table(Some(vec![2, 5]));
        assert_eq!(t.n_columns(), 2);
        assert_eq!(t.row(1), [3.0, f64::NEG_INFINITY]);
        assert_eq!(t.rows().len(), 2);
        assert_eq!(t.row_location(1), "d.csv:5");
        assert_eq!(table(None).row_location(1), "d.csv row 1");
    }

    #[test]
    fn check_finite_names_the_cell() {
        let e = table(Some(vec![2, 5]))
            .check_finite()
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "d.csv:5 (column \"a\"): -inf is not a finite number; training needs finite values"
        );
        let mut t = table(None);
        t.values[3] = 0.0;
        assert!(t.check_finite().is_ok());
    }

    #[test]
    fn archives_are_recognised() {
        assert!(check_not_archive(b"PK\x03\x04", "x.npz").is_err());
        assert!(check_not_archive(b"\x1f\x8b\x08", "x.csv.gz").is_err());
        assert!(check_not_archive(b"a,b", "x.csv").is_ok());
    }
}
