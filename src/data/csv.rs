//! The general CSV reader: a header row, numeric feature columns and an optional label column.
//! Files without quotes are read by [`super::quote_free`] instead, faster and with the same
//! result; this reader takes everything else (quoted fields, lone CR line ends, stdin).
//!
//! Rows are read as raw bytes ([`::csv::ByteRecord`], reused for every row) and only the selected
//! feature columns and the label column are looked at: a file may carry extra text columns
//! (timestamps, notes) as long as `--axes` leaves them out.
//!
//! Splitting the text into fields and turning numbers into `f64` cost about the same, so they
//! run side by side: this thread tokenizes and copies the selected cells of a few thousand rows
//! into a [`Batch`], parsing threads turn batches into values, and the values are put back in
//! row order. A million rows of eight features load in about half a second on two cores. The
//! outcome is exactly that of reading row by row: the first bad cell or row in the file is the
//! one reported.
//!
//! The reader is configured to accept rows of any length; row lengths are checked here so the
//! message can say which line has how many fields. Lines holding nothing but spaces are skipped
//! wherever they are (the `csv` crate already skips empty ones).
//!
//! Line numbers are corrected here ([`LineTracker`]): the `csv` crate's record positions point
//! at the end of the previous record, which after blank lines, or with CRLF line ends, is a line
//! too early. Lines are counted by `\n` (LF and CRLF files; old Mac files ending lines with a
//! lone CR count as one line).

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Mutex, PoisonError};
use std::thread;

use ::csv::{ByteRecord, ReaderBuilder};

use super::{DataError, LoadOptions, Table, resolve_selection};

/// The UTF-8 byte-order mark some spreadsheet programs put at the start of a CSV file.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Cell text longer than this is shortened in messages.
const MAX_SHOWN_TEXT: usize = 40;

/// A batch is handed to a parsing thread after this many rows…
const BATCH_ROWS: usize = 8192;
/// …or once its text reaches this size (very wide rows).
const BATCH_BYTES: usize = 1 << 20;
/// More parsing threads than this do not help: tokenizing is then the bottleneck.
const MAX_PARSERS: usize = 4;

/// Reads CSV from `reader`. `size_hint` is the input's length in bytes when known; it is used
/// to reserve the storage for values, lines and labels once instead of growing it.
pub(super) fn read<R: Read>(
    reader: R,
    file: &str,
    options: &LoadOptions,
    size_hint: Option<u64>,
) -> Result<Table, DataError> {
    let mut reader = ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(LineTracker::new(reader));
    let mut record = ByteRecord::new();

    // The header: the first line that is not blank.
    loop {
        if !reader
            .read_byte_record(&mut record)
            .map_err(|e| csv_error(e, file))?
        {
            return Err(DataError::EmptyFile {
                file: file.to_owned(),
            });
        }
        if !is_blank(&record) {
            break;
        }
    }
    let header_line = reader.get_mut().line_of(&record);
    let names = header_names(&record, file, header_line)?;

    let (layout, columns) = Layout::new(file, &names, header_line, options)?;

    let parsers = thread::available_parallelism()
        .map_or(1, NonZeroUsize::get)
        .min(MAX_PARSERS);
    let (batch_tx, batch_rx) = mpsc::sync_channel::<Batch>(2 * parsers);
    let batch_rx = Mutex::new(batch_rx);
    let (parsed_tx, parsed_rx) = mpsc::channel::<Parsed>();
    let failed = AtomicBool::new(false);
    let (rows, assembly) = thread::scope(|scope| {
        for _ in 0..parsers {
            let parsed_tx = parsed_tx.clone();
            let (batch_rx, failed) = (&batch_rx, &failed);
            scope.spawn(move || parse_batches(batch_rx, parsed_tx, failed));
        }
        drop(parsed_tx);
        let mut assembly = Assembly::default();
        let rows = read_rows(
            &mut reader,
            &mut record,
            &layout,
            size_hint,
            batch_tx,
            &parsed_rx,
            &failed,
            &mut assembly,
        );
        // `read_rows` has closed the batch channel: the parsers finish the queue and stop.
        for parsed in parsed_rx {
            assembly.add(parsed);
        }
        (rows, assembly)
    });

    // The first bad cell comes before wherever reading stopped, so it is reported first.
    if let Some((first_row, bad)) = assembly.first_bad {
        return Err(layout.bad_cell(first_row, bad, options.label_column.is_none(), &rows.lines));
    }
    if let Some(error) = rows.error {
        return Err(error);
    }
    if rows.lines.is_empty() {
        return Err(DataError::NoDataRows {
            file: file.to_owned(),
        });
    }
    let values = assembly.values;
    if values.len() != rows.lines.len() * layout.fields.len() {
        // Every batch sent is parsed and put back; this guards the table's invariant anyway.
        return Err(DataError::Csv {
            file: file.to_owned(),
            message: "internal error: some rows were lost while parsing".to_owned(),
        });
    }
    Ok(columns.into_table(file, values, rows.lines, rows.labels))
}

/// The columns a header gives once the label column and the selection are applied.
pub(super) struct Columns {
    /// The feature columns (all but the label column), in file order.
    pub input_columns: Vec<String>,
    /// The selected columns, as indices into `input_columns`.
    pub axes: Vec<usize>,
    /// Their names.
    pub columns: Vec<String>,
    /// For each selected column, its field number in a row.
    pub fields: Vec<usize>,
    /// The label column's field number.
    pub label_field: Option<usize>,
}

impl Columns {
    /// Applies `options` (label column, selection) to the header's `names`.
    pub fn of(names: &[String], file: &str, options: &LoadOptions) -> Result<Columns, DataError> {
        let label_field = match &options.label_column {
            None => None,
            Some(label) => {
                let label = label.trim();
                match names.iter().position(|n| n == label) {
                    Some(k) => Some(k),
                    None => {
                        let quoted: Vec<String> =
                            names.iter().map(|n| format!("\"{n}\"")).collect();
                        return Err(DataError::UnknownLabelColumn {
                            file: file.to_owned(),
                            name: label.to_owned(),
                            available: super::list_shortened(&quoted),
                        });
                    }
                }
            }
        };
        // Feature column i of the input vector is field `input_fields[i]` of a row.
        let input_fields: Vec<usize> = (0..names.len())
            .filter(|&k| Some(k) != label_field)
            .collect();
        let input_columns: Vec<String> = input_fields.iter().map(|&k| names[k].clone()).collect();
        if input_columns.is_empty() {
            return Err(DataError::NoFeatureColumns {
                file: file.to_owned(),
                label: options.label_column.clone().unwrap_or_default(),
            });
        }
        let axes = resolve_selection(&options.selection, &input_columns, file)?;
        let columns = axes.iter().map(|&a| input_columns[a].clone()).collect();
        let fields = axes.iter().map(|&a| input_fields[a]).collect();
        Ok(Columns {
            input_columns,
            axes,
            columns,
            fields,
            label_field,
        })
    }

    /// The table of the rows read under these columns (storage trimmed to its length).
    pub fn into_table(
        self,
        file: &str,
        mut values: Vec<f64>,
        mut lines: Vec<u64>,
        mut labels: Option<Vec<String>>,
    ) -> Table {
        values.shrink_to_fit();
        lines.shrink_to_fit();
        if let Some(labels) = labels.as_mut() {
            labels.shrink_to_fit();
        }
        Table {
            source: file.to_owned(),
            input_columns: self.input_columns,
            axes: self.axes,
            columns: self.columns,
            n_rows: lines.len(),
            values,
            labels,
            lines: Some(lines),
        }
    }
}

/// Turns the `csv` crate's error into ours, keeping I/O errors as such.
fn csv_error(error: ::csv::Error, file: &str) -> DataError {
    let message = error.to_string();
    match error.into_kind() {
        ::csv::ErrorKind::Io(error) => DataError::Io {
            file: file.to_owned(),
            error,
        },
        _ => DataError::Csv {
            file: file.to_owned(),
            message,
        },
    }
}

/// What the header says about where things are in a row.
pub(super) struct Layout<'a> {
    pub file: &'a str,
    /// All column names, in file order.
    pub names: &'a [String],
    pub header_line: u64,
    /// For each selected column, its field number in a row.
    pub fields: Vec<usize>,
    pub label_field: Option<usize>,
}

impl<'a> Layout<'a> {
    /// The layout of rows under the header `names` (on `header_line`), and the columns the
    /// table will have, for `options`.
    pub(super) fn new(
        file: &'a str,
        names: &'a [String],
        header_line: u64,
        options: &LoadOptions,
    ) -> Result<(Layout<'a>, Columns), DataError> {
        let columns = Columns::of(names, file, options)?;
        let layout = Layout {
            file,
            names,
            header_line,
            fields: columns.fields.clone(),
            label_field: columns.label_field,
        };
        Ok((layout, columns))
    }

    /// The error for a cell a parser could not read; `lines` has the line of every row read.
    fn bad_cell(&self, first_row: usize, bad: BadCell, no_label: bool, lines: &[u64]) -> DataError {
        let d = self.fields.len().max(1);
        let row = first_row + bad.cell / d;
        let line = lines.get(row).copied().unwrap_or_default();
        self.bad_cell_at(row, bad.cell % d, bad, no_label, line)
    }

    /// The error for the bad cell of data row `row` (0-based) in the `index`-th selected
    /// column, on line `line`.
    pub(super) fn bad_cell_at(
        &self,
        row: usize,
        index: usize,
        bad: BadCell,
        no_label: bool,
        line: u64,
    ) -> DataError {
        let field = self.fields.get(index).copied().unwrap_or_default();
        let file = self.file.to_owned();
        let name = self.names.get(field).cloned().unwrap_or_default();
        match bad.problem {
            CellProblem::Empty => DataError::EmptyCell {
                file,
                line,
                column: field + 1,
                name,
            },
            CellProblem::NotANumber => DataError::NotANumber {
                file,
                line,
                column: field + 1,
                hint: if row == 0 && no_label {
                    format!(" (if it holds labels, pass --label-column \"{name}\")")
                } else {
                    String::new()
                },
                name,
                text: bad.text,
            },
        }
    }
}

/// The selected cells of consecutive rows, as raw text, on their way to a parsing thread.
struct Batch {
    /// Batches are numbered in file order from 0.
    index: usize,
    /// The row number (0-based, data rows only) of the batch's first row.
    first_row: usize,
    rows: usize,
    /// The cells' text, one after the other, row by row.
    text: Vec<u8>,
    /// Where each cell's text ends in `text`.
    ends: Vec<usize>,
}

impl Batch {
    fn new(index: usize, first_row: usize) -> Self {
        Batch {
            index,
            first_row,
            rows: 0,
            text: Vec::new(),
            ends: Vec::new(),
        }
    }
}

/// A cell a parsing thread could not read: its index in the batch, why, and its text.
pub(super) struct BadCell {
    pub cell: usize,
    pub problem: CellProblem,
    pub text: String,
}

/// A parsed batch: its index, its first row, and its values or its first bad cell.
type Parsed = (usize, usize, Result<Vec<f64>, BadCell>);

/// A parsing thread: takes batches until the channel closes.
fn parse_batches(batches: &Mutex<Receiver<Batch>>, parsed: Sender<Parsed>, failed: &AtomicBool) {
    loop {
        let batch = {
            // A poisoned lock only means another parser panicked; the receiver is still sound.
            let receiver = batches.lock().unwrap_or_else(PoisonError::into_inner);
            match receiver.recv() {
                Ok(batch) => batch,
                Err(_) => return,
            }
        };
        let values = parse_batch(&batch);
        if values.is_err() {
            failed.store(true, Ordering::Relaxed);
        }
        if parsed.send((batch.index, batch.first_row, values)).is_err() {
            return;
        }
    }
}

/// Parses every cell of a batch, stopping at the first bad one.
fn parse_batch(batch: &Batch) -> Result<Vec<f64>, BadCell> {
    let mut values = Vec::with_capacity(batch.ends.len());
    let mut start = 0;
    for (cell, &end) in batch.ends.iter().enumerate() {
        let bytes = batch.text.get(start..end).unwrap_or_default();
        match parse_number(bytes) {
            Ok(value) => values.push(value),
            Err(problem) => {
                return Err(BadCell {
                    cell,
                    problem,
                    text: shown_text(bytes),
                });
            }
        }
        start = end;
    }
    Ok(values)
}

/// Parsed batches, put back in file order as they come in.
#[derive(Default)]
struct Assembly {
    /// The values of batches 0..next, in order.
    values: Vec<f64>,
    next: usize,
    /// Batches that arrived before an earlier one.
    waiting: BTreeMap<usize, (usize, Result<Vec<f64>, BadCell>)>,
    /// The first bad cell in file order, with its batch's first row.
    first_bad: Option<(usize, BadCell)>,
}

impl Assembly {
    fn add(&mut self, (index, first_row, values): Parsed) {
        self.waiting.insert(index, (first_row, values));
        while let Some((first_row, values)) = self.waiting.remove(&self.next) {
            self.next += 1;
            if self.first_bad.is_some() {
                continue;
            }
            match values {
                Ok(values) => self.values.extend_from_slice(&values),
                Err(bad) => self.first_bad = Some((first_row, bad)),
            }
        }
    }
}

/// What reading the rows gave besides the values: each row's line and label, and the error
/// that stopped reading, if any.
struct Rows {
    lines: Vec<u64>,
    labels: Option<Vec<String>>,
    error: Option<DataError>,
}

/// Reads the data rows: checks their length, keeps their line and label, and sends their
/// selected cells to the parsers in batches. Stops at the first bad row, or as soon as a parser
/// has found a bad cell.
#[allow(clippy::too_many_arguments)]
fn read_rows<R: Read>(
    reader: &mut ::csv::Reader<LineTracker<R>>,
    record: &mut ByteRecord,
    layout: &Layout<'_>,
    size_hint: Option<u64>,
    batches: SyncSender<Batch>,
    parsed: &Receiver<Parsed>,
    failed: &AtomicBool,
    assembly: &mut Assembly,
) -> Rows {
    let file = layout.file;
    let n_fields = layout.names.len();
    let mut rows = Rows {
        lines: Vec::new(),
        labels: layout.label_field.map(|_| Vec::new()),
        error: None,
    };
    let mut batch = Batch::new(0, 0);
    loop {
        match reader.read_byte_record(record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(error) => {
                rows.error = Some(csv_error(error, file));
                break;
            }
        }
        if is_blank(record) {
            continue;
        }
        let line = reader.get_mut().line_of(record);
        if record.len() != n_fields {
            rows.error = Some(DataError::RaggedRow {
                file: file.to_owned(),
                line,
                found: record.len(),
                expected: n_fields,
                header_line: layout.header_line,
            });
            break;
        }
        if rows.lines.is_empty() {
            let estimate = estimate_rows(record, size_hint);
            assembly
                .values
                .reserve(estimate.saturating_mul(layout.fields.len()));
            rows.lines.reserve(estimate);
            if let Some(labels) = rows.labels.as_mut() {
                labels.reserve(estimate);
            }
        }
        for &field in &layout.fields {
            batch
                .text
                .extend_from_slice(record.get(field).unwrap_or_default());
            batch.ends.push(batch.text.len());
        }
        if let (Some(labels), Some(field)) = (rows.labels.as_mut(), layout.label_field) {
            match std::str::from_utf8(record.get(field).unwrap_or_default()) {
                Ok(text) => labels.push(text.trim().to_owned()),
                Err(_) => {
                    // The row's cells still go to the parsers: a bad cell in it is reported
                    // before its label, as a bad cell in any earlier row is.
                    rows.lines.push(line);
                    batch.rows += 1;
                    rows.error = Some(DataError::NotUtf8 {
                        file: file.to_owned(),
                        line,
                        column: field + 1,
                        what: "label",
                    });
                    break;
                }
            }
        }
        rows.lines.push(line);
        batch.rows += 1;
        if batch.rows >= BATCH_ROWS || batch.text.len() >= BATCH_BYTES {
            let next = Batch::new(batch.index + 1, rows.lines.len());
            if batches.send(std::mem::replace(&mut batch, next)).is_err() {
                break;
            }
            // Put finished batches in place while reading, so their text is freed early.
            while let Ok(done) = parsed.try_recv() {
                assembly.add(done);
            }
            if failed.load(Ordering::Relaxed) {
                return rows;
            }
        }
    }
    if batch.rows > 0 {
        // If the parsers are gone, the batch is lost and the result incomplete; they only go
        // when this channel closes, so this cannot happen.
        let _ = batches.send(batch);
    }
    rows
}

/// The header's column names, trimmed; a leading byte-order mark is dropped. Names must be
/// non-empty, UTF-8 and distinct.
pub(super) fn header_names(
    record: &ByteRecord,
    file: &str,
    line: u64,
) -> Result<Vec<String>, DataError> {
    let mut names: Vec<String> = Vec::with_capacity(record.len());
    for (k, field) in record.iter().enumerate() {
        let field = if k == 0 {
            field.strip_prefix(BOM).unwrap_or(field)
        } else {
            field
        };
        let name = std::str::from_utf8(field)
            .map_err(|_| DataError::NotUtf8 {
                file: file.to_owned(),
                line,
                column: k + 1,
                what: "column name",
            })?
            .trim();
        if name.is_empty() {
            return Err(DataError::EmptyColumnName {
                file: file.to_owned(),
                line,
                column: k + 1,
            });
        }
        if let Some(first) = names.iter().position(|n| n == name) {
            return Err(DataError::DuplicateColumn {
                file: file.to_owned(),
                line,
                name: name.to_owned(),
                first: first + 1,
                second: k + 1,
            });
        }
        names.push(name.to_owned());
    }
    Ok(names)
}

/// A line holding nothing but spaces (the `csv` crate gives it as one blank field).
fn is_blank(record: &ByteRecord) -> bool {
    record.len() == 1 && record.get(0).is_some_and(|f| f.trim_ascii().is_empty())
}

/// Passes the input through to the CSV reader, keeping the bytes it has read ahead so that the
/// line where each record really starts can be found.
///
/// The CSV reader counts every line feed it consumes, so a record's position holds the right
/// line for the offset where the reader began looking for it; only the line breaks it then
/// skipped (blank lines, or the LF of a CRLF ending the previous record) are missing. They are
/// counted here from the kept bytes. The reader reads ahead at most its buffer's size, so only
/// that much (plus the current record) is kept.
struct LineTracker<R> {
    inner: R,
    /// Bytes read but not yet looked at, from `pending[cursor]` on.
    pending: Vec<u8>,
    cursor: usize,
    /// The input offset of `pending[0]`.
    pending_start: u64,
}

impl<R> LineTracker<R> {
    fn new(inner: R) -> Self {
        LineTracker {
            inner,
            pending: Vec::new(),
            cursor: 0,
            pending_start: 0,
        }
    }

    /// The 1-based line where `record` starts. Must be called for records in file order.
    fn line_of(&mut self, record: &ByteRecord) -> u64 {
        let Some(position) = record.position() else {
            return 0;
        };
        let start = usize::try_from(position.byte().saturating_sub(self.pending_start))
            .unwrap_or(usize::MAX)
            .clamp(self.cursor, self.pending.len());
        let mut line = position.line();
        self.cursor = start;
        while let Some(&b) = self.pending.get(self.cursor) {
            match b {
                b'\n' => line += 1,
                b'\r' => {}
                _ => break,
            }
            self.cursor += 1;
        }
        line
    }
}

impl<R: Read> Read for LineTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        // Drop the bytes looked at once they are half the buffer: amortised O(1) per byte.
        if self.cursor > 0 && self.cursor >= self.pending.len() / 2 {
            self.pending.drain(..self.cursor);
            self.pending_start += self.cursor as u64;
            self.cursor = 0;
        }
        self.pending.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

/// How many rows to reserve room for, judging by the first data row's length and the bytes
/// left in the input; a little generous so that rows slightly shorter than the first do not
/// force one last doubling of a large vector. Without a size hint, nothing is reserved.
fn estimate_rows(first: &ByteRecord, size_hint: Option<u64>) -> usize {
    let start = first.position().map_or(0, |p| p.byte());
    // Field bytes, plus one separator per field (the last one being the newline).
    let row_bytes = (first.as_slice().len() + first.len()) as u64;
    rows_to_reserve(size_hint, start, row_bytes, first.len())
}

/// [`estimate_rows`] from its parts: the input's length, where the first data row starts, its
/// length in bytes with its separators, and its number of fields (shared with
/// [`super::quote_free`]).
pub(super) fn rows_to_reserve(
    size_hint: Option<u64>,
    start: u64,
    row_bytes: u64,
    n_fields: usize,
) -> usize {
    let Some(total) = size_hint else {
        return 0;
    };
    let remaining = total.saturating_sub(start);
    // Every row needs at least one byte per field (a digit or a separator).
    let at_most = remaining / (n_fields.max(1) as u64) + 1;
    let estimate = (remaining / row_bytes.max(1)).saturating_mul(11) / 10 + 16;
    usize::try_from(estimate.min(at_most)).unwrap_or(0)
}

/// Why a feature cell is not a value.
pub(super) enum CellProblem {
    Empty,
    NotANumber,
}

/// Parses a feature cell: surrounding spaces are ignored; `nan`, `inf`, `-inf` and `infinity`
/// are accepted in any case so that scoring can see broken sensor values.
///
/// The syntax and the rounding are Rust's `f64::from_str` (a test checks the two agree on
/// every short string of digits, signs, points and exponents, and on special values), parsed
/// by `fast-float2` from the bytes: about a third faster, and no UTF-8 check is needed (text
/// that is not ASCII is not a number either way).
pub(super) fn parse_number(cell: &[u8]) -> Result<f64, CellProblem> {
    let text = cell.trim_ascii();
    if text.is_empty() {
        return Err(CellProblem::Empty);
    }
    fast_float2::parse::<f64, _>(text).map_err(|_| CellProblem::NotANumber)
}

/// A cell's text for a message: trimmed, and shortened when long.
pub(super) fn shown_text(cell: &[u8]) -> String {
    let text = String::from_utf8_lossy(cell.trim_ascii());
    match text.char_indices().nth(MAX_SHOWN_TEXT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Selection;

    fn load(text: &str, options: &LoadOptions) -> Result<Table, DataError> {
        read(text.as_bytes(), "t.csv", options, Some(text.len() as u64))
    }

    fn all() -> LoadOptions {
        LoadOptions::default()
    }

    #[test]
    fn reads_header_values_and_lines() {
        let t = load("a, b ,c\n1,2,3\n\n4, 5 ,6\n", &all()).unwrap();
        assert_eq!(t.input_columns, ["a", "b", "c"]);
        assert_eq!(t.columns, ["a", "b", "c"]);
        assert_eq!(t.axes, [0, 1, 2]);
        assert_eq!(t.n_rows, 2);
        assert_eq!(t.values, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(t.lines, Some(vec![2, 4]));
        assert_eq!(t.labels, None);
    }

    #[test]
    fn special_values_any_case() {
        let t = load("x\nnan\nNaN\ninf\n-INF\n+Infinity\n", &all()).unwrap();
        assert!(t.values[0].is_nan() && t.values[1].is_nan());
        assert_eq!(
            t.values[2..],
            [f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY]
        );
    }

    #[test]
    fn bom_is_dropped() {
        let t = load("\u{feff}a,b\n1,2\n", &all()).unwrap();
        assert_eq!(t.input_columns, ["a", "b"]);
        let t = load("\u{feff}\"a\",b\n1,2\n", &all()).unwrap();
        assert_eq!(t.input_columns[0], "a");
    }

    #[test]
    fn line_numbers_survive_blank_lines_crlf_and_quoted_newlines() {
        let t = load("a\n\n1\n\n\n2\n\"3\n\"\n4", &all()).unwrap();
        assert_eq!(t.lines, Some(vec![3, 6, 7, 9]));
        let t = load("\r\na\r\n1\r\n\r\n2\r\n3", &all()).unwrap();
        assert_eq!(t.lines, Some(vec![3, 5, 6]));
        let e = load("\n\na,b\n1,2\n\n1\n", &all()).unwrap_err().to_string();
        assert_eq!(
            e,
            "t.csv:6: the row has 1 field, but the header (line 3) has 2 fields"
        );
    }

    #[test]
    fn line_numbers_across_read_ahead_buffers() {
        // Far more than the reader's 64 KiB buffer, with blank lines and CRLF spread through.
        let mut text = String::from("x\r\n");
        let mut expected = Vec::new();
        let mut line = 2;
        for i in 0..40_000u64 {
            if i % 7 == 0 {
                text.push_str("\r\n");
                line += 1;
            }
            text.push_str(&format!("{i}\r\n"));
            expected.push(line);
            line += 1;
        }
        let t = read(text.as_bytes(), "t.csv", &all(), None).unwrap();
        assert_eq!(t.lines, Some(expected));
    }

    #[test]
    fn crlf_and_trailing_blank_lines() {
        let t = load("a,b\r\n1,2\r\n3,4\r\n\r\n  \n\n", &all()).unwrap();
        assert_eq!(t.n_rows, 2);
        assert_eq!(t.lines, Some(vec![2, 3]));
    }

    #[test]
    fn whitespace_only_line_in_the_middle_keeps_line_numbers() {
        let t = load("a,b\n1,2\n   \n3,x\n", &all()).unwrap_err();
        assert!(t.to_string().starts_with("t.csv:4:2 "), "{t}");
    }

    #[test]
    fn label_column_is_kept_as_text_and_not_a_feature() {
        let options = LoadOptions {
            label_column: Some("kind".into()),
            selection: Selection::All,
        };
        let t = load("a,kind,b\n1, normal ,2\n3,anomaly,4\n", &options).unwrap();
        assert_eq!(t.input_columns, ["a", "b"]);
        assert_eq!(t.values, [1.0, 2.0, 3.0, 4.0]);
        assert_eq!(t.labels, Some(vec!["normal".into(), "anomaly".into()]));
    }

    #[test]
    fn unselected_columns_are_not_parsed() {
        let options = LoadOptions {
            label_column: None,
            selection: Selection::Axes("b".into()),
        };
        let t = load("time,b\n12:00,2\n12:01,3\n", &options).unwrap();
        assert_eq!(t.values, [2.0, 3.0]);
        assert_eq!(t.axes, [1]);
    }

    #[test]
    fn first_row_text_suggests_label_column() {
        let e = load("a,kind\n1,normal\n", &all()).unwrap_err().to_string();
        assert_eq!(
            e,
            "t.csv:2:2 (column \"kind\"): cannot read \"normal\" as a number \
             (if it holds labels, pass --label-column \"kind\")"
        );
        let e = load("a,b\n1,2\n1,abc\n", &all()).unwrap_err().to_string();
        assert_eq!(
            e,
            "t.csv:3:2 (column \"b\"): cannot read \"abc\" as a number"
        );
    }

    #[test]
    fn long_cell_text_is_shortened() {
        let cell = "y".repeat(100);
        let e = load(&format!("a\n{cell}\n"), &all())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(&format!("\"{}…\"", "y".repeat(MAX_SHOWN_TEXT))),
            "{e}"
        );
    }

    #[test]
    fn non_utf8_header_and_cells() {
        let bytes = b"a,\xff\n1,2\n";
        let e = read(&bytes[..], "t.csv", &all(), None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.csv:1:2: the column name is not valid UTF-8 text"
        );
        let bytes = b"a,b\n1,\xff\n";
        let e = read(&bytes[..], "t.csv", &all(), None).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("t.csv:2:2 (column \"b\"): cannot read \"\u{fffd}\""),
            "{e}"
        );
    }

    #[test]
    fn pandas_index_column_is_refused() {
        let e = load(",a\n0,1\n", &all()).unwrap_err().to_string();
        assert!(e.starts_with("t.csv:1:1: column 1 has no name"), "{e}");
    }

    /// A file of `rows` rows `i,i` with `bad` lines replaced.
    fn many_rows(rows: usize, bad: &[(usize, &str)]) -> String {
        let mut text = String::from("a,b\n");
        for i in 0..rows {
            match bad.iter().find(|(row, _)| *row == i) {
                Some((_, line)) => text.push_str(line),
                None => text.push_str(&format!("{i},{i}")),
            }
            text.push('\n');
        }
        text
    }

    #[test]
    fn many_batches_come_back_in_order() {
        let rows = 5 * BATCH_ROWS + 17;
        let t = load(&many_rows(rows, &[]), &all()).unwrap();
        assert_eq!(t.n_rows, rows);
        assert!(t.rows().enumerate().all(|(i, r)| r == [i as f64, i as f64]));
        assert_eq!(
            t.lines.as_ref().and_then(|l| l.last()),
            Some(&(rows as u64 + 1))
        );
        // Without a size hint (stdin) nothing is reserved, and the result is the same.
        let text = many_rows(rows, &[]);
        assert_eq!(read(text.as_bytes(), "t.csv", &all(), None).unwrap(), t);
    }

    #[test]
    fn the_first_problem_in_the_file_is_reported() {
        let late = 3 * BATCH_ROWS + 5;
        let early = BATCH_ROWS + 3;
        // A bad cell before a ragged row, in another batch.
        let e = load(
            &many_rows(late + 10, &[(early, "1,x"), (late, "1")]),
            &all(),
        );
        assert!(
            e.unwrap_err()
                .to_string()
                .contains(&format!(":{}:2 ", early + 2))
        );
        // A ragged row before a bad cell.
        let e = load(
            &many_rows(late + 10, &[(early, "1"), (late, "1,x")]),
            &all(),
        );
        assert!(
            e.unwrap_err()
                .to_string()
                .contains(&format!(":{}: the row", early + 2))
        );
        // Two bad cells in different batches; and in the same row.
        let e = load(
            &many_rows(late + 10, &[(early, ",x"), (late, "y,1")]),
            &all(),
        );
        assert_eq!(
            e.unwrap_err().to_string(),
            format!(
                "t.csv:{}:1 (column \"a\"): empty cell, expected a number",
                early + 2
            )
        );
    }

    #[test]
    fn estimate_is_bounded_by_the_input() {
        let mut reader = ReaderBuilder::new()
            .has_headers(false)
            .from_reader(&b"a,b\n1,2\n"[..]);
        let mut record = ByteRecord::new();
        assert!(reader.read_byte_record(&mut record).unwrap());
        assert!(reader.read_byte_record(&mut record).unwrap());
        assert_eq!(estimate_rows(&record, None), 0);
        // A size hint larger than the real input still gives a bounded estimate.
        assert!(estimate_rows(&record, Some(1000)) <= 1000 / 2 + 1);
        assert!(estimate_rows(&record, Some(u64::MAX)) > 0);
    }

    #[test]
    fn numbers_parse_as_rusts_from_str() {
        // Every string of up to five characters from digits, points, exponents and signs, and
        // special values: accepted by both or neither, and then to the same bits.
        let alphabet = ['0', '7', '.', 'e', 'E', '+', '-'];
        let mut strings: Vec<String> = vec![String::new()];
        let mut frontier = vec![String::new()];
        for _ in 0..5 {
            frontier = frontier
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            strings.extend(frontier.iter().cloned());
        }
        for special in [
            "nan",
            "NaN",
            "-nan",
            "+nan",
            "inf",
            "-INF",
            "+Infinity",
            "infinit",
            "nan(1)",
            "1e400",
            "-1e400",
            "4.9e-324",
            "2e-324",
            "2.2250738585072011e-308",
            "0.17973015277536289",
            "-0.085583618487587471",
            "123456789012345678901234567890",
            "1_0",
            "0x10",
            "١",
        ] {
            strings.push(special.to_owned());
        }
        for s in &strings {
            let ours = match parse_number(s.as_bytes()) {
                Ok(v) => Some(v.to_bits()),
                Err(CellProblem::Empty) => None,
                Err(CellProblem::NotANumber) => None,
            };
            let std = s.trim_ascii().parse::<f64>().ok().map(f64::to_bits);
            assert_eq!(ours, std, "{s:?}");
        }
    }

    #[test]
    fn a_bad_cell_is_reported_before_a_bad_label_in_the_same_row() {
        // The first row or a later one: the same order within the row.
        let options = LoadOptions {
            label_column: Some("b".into()),
            selection: Selection::All,
        };
        for (text, line) in [
            (&b"a,b\n.,\x800\n"[..], 2),
            (&b"a,b\n1,x\n.,\x800\n"[..], 3),
        ] {
            let e = read(text, "t.csv", &options, None).unwrap_err().to_string();
            assert_eq!(
                e,
                format!("t.csv:{line}:1 (column \"a\"): cannot read \".\" as a number")
            );
        }
    }
}
