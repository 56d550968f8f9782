//! CSV without quotes, read in parallel.
//!
//! Most CSV files that hold feature vectors (written by NumPy, pandas or a logger) have no
//! quoted fields. Then every line break ends a record, so the text can be cut at line breaks
//! into parts that threads read side by side, each splitting its lines at commas and parsing
//! its cells, instead of one thread splitting records for the others. The outcome is that of
//! the general reader ([`super::csv`]) to the byte: the same values, lines, labels, and the
//! same first error in file order with the same message.
//!
//! A text is taken here only when it has no `"` at all and every carriage return is followed
//! by a line feed (LF or CRLF line ends); anything else goes to the general reader.

use std::io::{self, Read};

use memchr::{memchr, memchr_iter};
use rayon::prelude::*;

use super::csv::{BadCell, Layout, header_names, parse_number, rows_to_reserve, shown_text};
use super::{DataError, LoadOptions, Table};

/// Parts are at least this long (shorter texts are read by one thread).
const MIN_PART_BYTES: usize = 1 << 14;

/// A block is cut into this many parts per thread (or fewer, of [`MIN_PART_BYTES`]).
const PARTS_PER_THREAD: usize = 8;

/// Whether [`read`] can take `text`: no quote, and no carriage return but before a line feed.
pub(super) fn applies(text: &[u8]) -> bool {
    if memchr(b'"', text).is_some() {
        return false;
    }
    memchr_iter(b'\r', text).all(|i| text.get(i + 1) == Some(&b'\n'))
}

/// A line holding nothing but spaces (or nothing): skipped, as the general reader does.
fn is_blank(line: &[u8]) -> bool {
    line.trim_ascii().is_empty()
}

/// The most bytes read from the input at a time (the text is read in blocks of whole lines,
/// so that a large file is never all in memory at once).
const BLOCK_BYTES: usize = 1 << 20;

/// The fewest: also the first read's size, so that parsing starts soon.
const MIN_BLOCK_BYTES: usize = 1 << 18;

/// The block size for an input of `size_hint` bytes: about a sixteenth of it, within
/// [`MIN_BLOCK_BYTES`] and [`BLOCK_BYTES`] (small inputs get small buffers: fresh memory costs
/// a page fault per 4 KiB; large ones get few blocks).
fn block_bytes(size_hint: Option<u64>) -> usize {
    let size = size_hint.map_or(BLOCK_BYTES, |s| {
        usize::try_from(s / 16).unwrap_or(BLOCK_BYTES)
    });
    size.clamp(MIN_BLOCK_BYTES, BLOCK_BYTES)
}

/// Appends up to `size` more bytes of `reader` to `buffer`; true at the end of input.
fn read_bytes<R: Read>(reader: &mut R, buffer: &mut Vec<u8>, size: usize) -> io::Result<bool> {
    let before = buffer.len();
    reader.take(size as u64).read_to_end(buffer)?;
    Ok(buffer.len() - before < size)
}

/// Reads CSV from `reader` if its text is quote-free ([`applies`] holds for every block);
/// `Ok(None)` as soon as a block is not (the caller then reads the input again with the
/// general reader: nothing before that block can differ). The result is that of
/// [`super::csv::read`]. `size_hint` is the input's length when known, to reserve the
/// values' storage once.
pub(super) fn read<R: Read + Send>(
    mut reader: R,
    file: &str,
    options: &LoadOptions,
    size_hint: Option<u64>,
) -> Result<Option<Table>, DataError> {
    let io_error = |error| DataError::Io {
        file: file.to_owned(),
        error,
    };
    let block = block_bytes(size_hint);
    let mut buffer = Vec::with_capacity(block + (1 << 16));
    // A small first read: parsing starts sooner, and a small file is never read in one go
    // before any of it is parsed.
    let mut eof = read_bytes(&mut reader, &mut buffer, MIN_BLOCK_BYTES).map_err(io_error)?;
    // The header: the first line that is not blank.
    let mut line = 1u64;
    let mut start = 0;
    let (header, body_start) = loop {
        match memchr(b'\n', &buffer[start..]) {
            None if !eof => {
                eof = read_bytes(&mut reader, &mut buffer, block).map_err(io_error)?;
                continue;
            }
            None if start >= buffer.len() => {
                return if applies(&buffer) {
                    Err(DataError::EmptyFile {
                        file: file.to_owned(),
                    })
                } else {
                    Ok(None)
                };
            }
            found => {
                let end = found.map_or(buffer.len(), |i| start + i);
                let next = found.map_or(buffer.len(), |_| end + 1);
                let bytes = &buffer[start..end];
                let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
                if !is_blank(bytes) {
                    break (bytes.to_vec(), next);
                }
                line += 1;
                start = next;
            }
        }
    };
    if !applies(&buffer[..body_start]) {
        return Ok(None);
    }
    let header_line = line;
    let record: csv::ByteRecord = header.split(|&b| b == b',').collect();
    let names = header_names(&record, file, header_line)?;
    let (layout, columns) = Layout::new(file, &names, header_line, options)?;
    buffer.drain(..body_start);

    let d = layout.fields.len();
    let mut out = Rows {
        values: Vec::new(),
        lines: Vec::new(),
        labels: layout.label_field.map(|_| Vec::new()),
        next_line: header_line + 1,
    };
    let mut reserved = false;
    let mut next = Vec::with_capacity(block + (1 << 16));
    let mut pending: Vec<Part> = Vec::new();
    loop {
        // Whole lines only, but at the end of input.
        let cut = if eof {
            buffer.len()
        } else {
            match memchr::memrchr(b'\n', &buffer) {
                Some(i) => i + 1,
                None => {
                    eof = read_bytes(&mut reader, &mut buffer, block).map_err(io_error)?;
                    continue;
                }
            }
        };
        let text = &buffer[..cut];
        if !applies(text) {
            return Ok(None);
        }
        if !reserved {
            reserved = true;
            // The first line's bytes, its line feed included.
            let row_bytes = memchr(b'\n', text).map_or(text.len(), |i| i + 1) as u64;
            let rows = rows_to_reserve(size_hint, body_start as u64, row_bytes, layout.names.len());
            out.values.reserve(rows.saturating_mul(d));
            out.lines.reserve(rows);
        }
        // While this block is parsed, the next one is read and the previous one's rows are
        // put in place.
        next.clear();
        next.extend_from_slice(&buffer[cut..]);
        let previous = std::mem::take(&mut pending);
        let (read, (next_eof, added)) = rayon::join(
            || {
                // Many parts per thread: a thread that starts late (it read the next block
                // first) still finds parts to take, and none waits long for the last one.
                split_at_lines(text, rayon::current_num_threads() * PARTS_PER_THREAD)
                    .par_iter()
                    .map(|range| read_part(&text[range.clone()], &layout))
                    .collect::<Vec<Part>>()
            },
            || {
                rayon::join(
                    || {
                        if eof {
                            Ok(true)
                        } else {
                            read_bytes(&mut reader, &mut next, block)
                        }
                    },
                    || out.add_all(previous, &layout, options),
                )
            },
        );
        added?;
        pending = read;
        eof = next_eof.map_err(io_error)?;
        std::mem::swap(&mut buffer, &mut next);
        if eof && buffer.is_empty() {
            break;
        }
    }
    out.add_all(pending, &layout, options)?;
    if out.lines.is_empty() {
        return Err(DataError::NoDataRows {
            file: file.to_owned(),
        });
    }
    Ok(Some(
        columns.into_table(file, out.values, out.lines, out.labels),
    ))
}

/// The rows read so far, and the line the next part starts on.
struct Rows {
    values: Vec<f64>,
    lines: Vec<u64>,
    labels: Option<Vec<String>>,
    next_line: u64,
}

impl Rows {
    /// Adds the parts in order, up to the first problem, which becomes the error.
    fn add_all(
        &mut self,
        parts: Vec<Part>,
        layout: &Layout<'_>,
        options: &LoadOptions,
    ) -> Result<(), DataError> {
        for part in parts {
            if let Some(problem) = part.problem {
                let rows_before = self.lines.len();
                return Err(problem.into_error(layout, self.next_line, rows_before, options));
            }
            self.add(part);
        }
        Ok(())
    }

    fn add(&mut self, part: Part) {
        self.values.extend_from_slice(&part.values);
        let base = self.next_line;
        self.lines.extend(part.lines.iter().map(|l| base + l));
        if let (Some(all), Some(some)) = (self.labels.as_mut(), part.labels) {
            all.extend(some);
        }
        self.next_line += part.line_breaks;
    }
}

/// Cuts `text` into at most `count` ranges of whole lines, each (but the last) ending just
/// after a line feed and at least [`MIN_PART_BYTES`] long.
fn split_at_lines(text: &[u8], count: usize) -> Vec<std::ops::Range<usize>> {
    let size = text.len().div_ceil(count.max(1)).max(MIN_PART_BYTES);
    let mut parts = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let end = match text
            .get(start + size..)
            .and_then(|rest| memchr(b'\n', rest))
        {
            Some(i) => start + size + i + 1,
            None => text.len(),
        };
        parts.push(start..end);
        start = end;
    }
    parts
}

/// What one part gave: its rows' values, lines (counted from the part's first line, 0-based)
/// and labels, how many line breaks it holds, and the problem that stopped it, if any.
struct Part {
    values: Vec<f64>,
    lines: Vec<u64>,
    labels: Option<Vec<String>>,
    line_breaks: u64,
    problem: Option<Problem>,
}

/// The first problem in a part: where (line within the part, row within the part) and what.
struct Problem {
    line: u64,
    row: usize,
    kind: ProblemKind,
}

enum ProblemKind {
    Ragged { found: usize },
    Cell { field_index: usize, bad: BadCell },
    LabelNotUtf8 { field: usize },
}

impl Problem {
    /// The error the general reader gives for it, the part starting at line `base_line` after
    /// `rows_before` data rows.
    fn into_error(
        self,
        layout: &Layout<'_>,
        base_line: u64,
        rows_before: usize,
        options: &LoadOptions,
    ) -> DataError {
        let line = base_line + self.line;
        let file = layout.file.to_owned();
        match self.kind {
            ProblemKind::Ragged { found } => DataError::RaggedRow {
                file,
                line,
                found,
                expected: layout.names.len(),
                header_line: layout.header_line,
            },
            ProblemKind::Cell { field_index, bad } => layout.bad_cell_at(
                rows_before + self.row,
                field_index,
                bad,
                options.label_column.is_none(),
                line,
            ),
            ProblemKind::LabelNotUtf8 { field } => DataError::NotUtf8 {
                file,
                line,
                column: field + 1,
                what: "label",
            },
        }
    }
}

/// Reads the lines of one part, stopping at its first problem: lines found with `memchr`, and
/// commas within each line.
fn read_part(text: &[u8], layout: &Layout<'_>) -> Part {
    let n_fields = layout.names.len();
    let d = layout.fields.len();
    let mut part = Part {
        values: Vec::with_capacity(text.len() / (12 * n_fields.max(1)) * d),
        lines: Vec::new(),
        labels: layout.label_field.map(|_| Vec::new()),
        line_breaks: 0,
        problem: None,
    };
    let mut bounds: Vec<(usize, usize)> = Vec::with_capacity(n_fields);
    let every_field = layout.label_field.is_none() && layout.fields.iter().copied().eq(0..n_fields);
    let mut line = 0u64;
    let mut start = 0;
    while start < text.len() {
        if every_field {
            if let Some(next) = read_plain_row(text, start, n_fields, &mut part.values) {
                part.lines.push(line);
                line += 1;
                start = next;
                continue;
            }
        }
        let end = memchr(b'\n', &text[start..]).map_or(text.len(), |i| start + i);
        let this_line = line;
        line += 1;
        let line_start = start;
        start = end + 1;
        let content_end = if end > line_start && text[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        let content = &text[line_start..content_end];
        if is_blank(content) {
            continue;
        }
        bounds.clear();
        let mut field_start = line_start;
        for comma in memchr_iter(b',', content) {
            bounds.push((field_start, line_start + comma));
            field_start = line_start + comma + 1;
        }
        bounds.push((field_start, content_end));
        if let Err(kind) = read_row(&bounds, text, layout, &mut part) {
            part.problem = Some(Problem {
                line: this_line,
                row: part.lines.len(),
                kind,
            });
            break;
        }
        part.lines.push(this_line);
    }
    // Every line read ended with a line feed but a last one without (a part that stopped
    // early is the last one used: its count does not matter).
    part.line_breaks = if text.ends_with(b"\n") {
        line
    } else {
        line.saturating_sub(1)
    };
    part
}

/// ASCII whitespace that a cell's trimming removes, but for the line feed that ends a line
/// (a carriage return inside a line is never followed by a line feed, so it only ever
/// appears right before one: [`applies`]).
fn is_cell_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\x0C' | b'\r')
}

/// Reads the line at `text[start..]` in one pass when it is a plain row: `n_fields` numbers,
/// each with optional spaces around it, separated by commas. Returns where the next line
/// starts, its values appended to `values`; `None` (and `values` as it was) for any other
/// line (blank, ragged, a bad cell), which the general path then reads for its error.
///
/// The values are those of [`parse_number`] on the trimmed cells: `parse_number` is
/// `fast_float2::parse` of the trimmed cell, which is `parse_partial` consuming all of it, and
/// a number's text ends at the space, comma or line end that follows it.
fn read_plain_row(
    text: &[u8],
    start: usize,
    n_fields: usize,
    values: &mut Vec<f64>,
) -> Option<usize> {
    let before = values.len();
    let mut at = start;
    for field in 1..=n_fields {
        while text
            .get(at)
            .is_some_and(|&b| is_cell_space(b) && b != b'\r')
        {
            at += 1;
        }
        let parsed = text
            .get(at..)
            .and_then(|rest| fast_float2::parse_partial::<f64, _>(rest).ok());
        let Some((value, used)) = parsed else {
            values.truncate(before);
            return None;
        };
        values.push(value);
        at += used;
        while text.get(at).copied().is_some_and(is_cell_space) {
            at += 1;
        }
        match (text.get(at), field == n_fields) {
            (Some(b','), false) => at += 1,
            (Some(b'\n'), true) => return Some(at + 1),
            (None, true) => return Some(at),
            _ => {
                values.truncate(before);
                return None;
            }
        }
    }
    values.truncate(before);
    None
}

/// Reads one row whose fields lie at `bounds` in `text` into `part` (values, then label), or
/// says what is wrong with it: its length, then its cells in selection order, then its label.
fn read_row(
    bounds: &[(usize, usize)],
    text: &[u8],
    layout: &Layout<'_>,
    part: &mut Part,
) -> Result<(), ProblemKind> {
    if bounds.len() != layout.names.len() {
        return Err(ProblemKind::Ragged {
            found: bounds.len(),
        });
    }
    let before = part.values.len();
    for (index, &field) in layout.fields.iter().enumerate() {
        let (a, b) = bounds[field];
        match parse_number(&text[a..b]) {
            Ok(v) => part.values.push(v),
            Err(problem) => {
                part.values.truncate(before);
                return Err(ProblemKind::Cell {
                    field_index: index,
                    bad: BadCell {
                        cell: index,
                        problem,
                        text: shown_text(&text[a..b]),
                    },
                });
            }
        }
    }
    if let (Some(labels), Some(field)) = (part.labels.as_mut(), layout.label_field) {
        let (a, b) = bounds[field];
        match std::str::from_utf8(&text[a..b]) {
            Ok(label) => labels.push(label.trim().to_owned()),
            Err(_) => return Err(ProblemKind::LabelNotUtf8 { field }),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Selection;
    use proptest::prelude::*;

    /// The general reader's result, for comparison.
    fn general(text: &[u8], options: &LoadOptions) -> Result<Table, DataError> {
        super::super::csv::read(text, "t.csv", options, Some(text.len() as u64))
    }

    /// This reader's result on quote-free text.
    fn fast(text: &[u8], options: &LoadOptions) -> Result<Table, DataError> {
        match read(text, "t.csv", options, Some(text.len() as u64)) {
            Ok(Some(table)) => Ok(table),
            Ok(None) => panic!("quote-free text refused"),
            Err(e) => Err(e),
        }
    }

    /// Tables equal to the bit (NaN cells included), or errors with the same message.
    fn same(a: &Result<Table, DataError>, b: &Result<Table, DataError>) -> Result<(), String> {
        match (a, b) {
            (Ok(a), Ok(b)) => {
                let bits = |t: &Table| t.values.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                if bits(a) != bits(b)
                    || (a.input_columns.clone(), a.axes.clone(), a.columns.clone())
                        != (b.input_columns.clone(), b.axes.clone(), b.columns.clone())
                    || (a.n_rows, &a.lines, &a.labels) != (b.n_rows, &b.lines, &b.labels)
                {
                    return Err(format!("tables differ:\n{a:?}\n{b:?}"));
                }
                Ok(())
            }
            (Err(a), Err(b)) if a.to_string() == b.to_string() => Ok(()),
            _ => Err(format!("{a:?}\nvs\n{b:?}")),
        }
    }

    /// Pieces of lines: numbers, odd cells, separators, blank lines and line ends.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            8 => (-1e6f64..1e6).prop_map(|v| format!("{v}")),
            2 => Just(",".to_owned()),
            3 => Just("\n".to_owned()),
            1 => Just("\r\n".to_owned()),
            1 => Just(" ".to_owned()),
            1 => Just("\n\n".to_owned()),
            1 => Just("  \n".to_owned()),
            1 => prop::sample::select(vec!["nan", "-inf", "x", "", "1e400", "\u{e9}", "ok"])
                .prop_map(str::to_owned),
            // Spaces that cells lose, and texts that begin as a number and do not end as one.
            1 => prop::sample::select(vec![
                "\t", "\x0c", "\x0b", "infinity", "infinit", "+.5", "1.", "1e", "1.5e+", "-",
                "0x1", "1_0", "1 2", "2.5E-3",
            ])
            .prop_map(str::to_owned),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

        /// Whatever the text (well formed or not), the same table or the same first error as
        /// the general reader, with and without a label column and a selection.
        #[test]
        fn reads_as_the_general_reader(
            header in prop::sample::select(vec!["a,b,c\n", "\n a , b ,c\r\n", "\u{feff}a,b,c\n", "a,b\n", "a,a,b\n"]),
            pieces in prop::collection::vec(piece(), 0..120),
            label in prop::sample::select(vec![None, Some("c"), Some("b"), Some("zz")]),
            axes in prop::sample::select(vec![None, Some("1"), Some("c,a"), Some("q")]),
        ) {
            let mut text = header.to_owned();
            for p in &pieces {
                text.push_str(p);
            }
            let options = LoadOptions {
                label_column: label.map(str::to_owned),
                selection: axes.map_or(Selection::All, |a| Selection::Axes(a.to_owned())),
            };
            prop_assert!(applies(text.as_bytes()));
            let fast = fast(text.as_bytes(), &options);
            let slow = general(text.as_bytes(), &options);
            if let Err(why) = same(&fast, &slow) {
                prop_assert!(false, "{why}\ntext: {text:?}");
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

        /// Arbitrary bytes (quotes and lone carriage returns taken out): never a panic, and
        /// the general reader's result.
        #[test]
        fn arbitrary_bytes_read_as_the_general_reader(
            mut bytes in prop::collection::vec(prop_oneof![
                4 => prop::sample::select(b"0123456789,.-e\n \r\t+Ein".to_vec()),
                1 => any::<u8>(),
            ], 0..400),
            label in any::<bool>(),
        ) {
            for i in 0..bytes.len() {
                if bytes[i] == b'"' || (bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
                    bytes[i] = b'x';
                }
            }
            let mut text = b"a,b\n".to_vec();
            text.extend_from_slice(&bytes);
            let options = LoadOptions {
                label_column: label.then(|| "b".to_owned()),
                selection: Selection::All,
            };
            prop_assert!(applies(&text));
            if let Err(why) = same(&fast(&text, &options), &general(&text, &options)) {
                prop_assert!(false, "{why}\ntext: {:?}", String::from_utf8_lossy(&text));
            }
        }
    }

    #[test]
    fn plain_rows_are_read_in_one_pass() {
        let read = |text: &str, n: usize| {
            let mut values = vec![7.0];
            let next = read_plain_row(text.as_bytes(), 0, n, &mut values);
            (next, values)
        };
        assert_eq!(
            read("1.5, -2 ,\t3e2\nrest", 3),
            (Some(14), vec![7.0, 1.5, -2.0, 300.0])
        );
        assert_eq!(read("1,2\r\n", 2), (Some(5), vec![7.0, 1.0, 2.0]));
        assert_eq!(read("1,2", 2), (Some(3), vec![7.0, 1.0, 2.0]));
        assert_eq!(read("inf,-0\n", 2).1[1..], [f64::INFINITY, -0.0]);
        // Anything else is left to the general path, with the values as they were.
        for other in [
            "1,2,3\n", "1\n", "1,,3\n", "  \n", "\n", "1,x\n", "1.5e,2\n", "1 2,3\n", "1,2 x\n", "",
        ] {
            assert_eq!(read(other, 2), (None, vec![7.0]), "{other:?}");
        }
    }

    #[test]
    fn long_texts_split_into_parts_read_as_one() {
        // Many parts, with blank lines, CRLF and a label column; then a bad cell far in.
        let mut text = String::from("x,y,label\n");
        for i in 0..60_000u32 {
            match i % 11 {
                0 => text.push('\n'),
                1 => text.push_str(&format!("{i},{},  a{i} \r\n", i as f64 / 7.0)),
                _ => text.push_str(&format!("{},{i},b\n", f64::from(i) * 1.5)),
            }
        }
        assert!(split_at_lines(text.as_bytes()[10..].as_ref(), 8).len() > 1);
        let options = LoadOptions {
            label_column: Some("label".into()),
            selection: Selection::All,
        };
        same(
            &fast(text.as_bytes(), &options),
            &general(text.as_bytes(), &options),
        )
        .unwrap();
        let bad = text.replacen("50003,", "50003x,", 1);
        let result = fast(bad.as_bytes(), &options);
        same(&result, &general(bad.as_bytes(), &options)).unwrap();
        assert!(result.is_err());
        let ragged = format!(
            "{}1,2\n",
            &text[..text.len() / 2 + text[text.len() / 2..].find('\n').unwrap() + 1]
        );
        same(
            &fast(ragged.as_bytes(), &options),
            &general(ragged.as_bytes(), &options),
        )
        .unwrap();
    }

    #[test]
    fn a_quote_far_in_hands_the_whole_input_to_the_general_reader() {
        let mut text = String::from("x,y\n");
        for i in 0..200_000u32 {
            text.push_str(&format!("{},{}\n", f64::from(i) / 3.0, i % 7));
        }
        text.push_str("\"1\",2\n");
        assert!(text.len() > 2 * BLOCK_BYTES);
        let options = LoadOptions::default();
        let len = Some(text.len() as u64);
        assert!(
            read(text.as_bytes(), "t.csv", &options, len)
                .unwrap()
                .is_none()
        );
        let loaded = crate::data::load_bytes(text.as_bytes(), "t.csv", &options).unwrap();
        assert_eq!(loaded.n_rows, 200_001);
        assert_eq!(loaded.row(200_000), [1.0, 2.0]);
        same(&Ok(loaded), &general(text.as_bytes(), &options)).unwrap();
    }

    #[test]
    fn takes_only_text_without_quotes_or_lone_carriage_returns() {
        assert!(applies(b"a,b\r\n1,2\n"));
        assert!(!applies(b"a,b\n\"1\",2\n"));
        assert!(!applies(b"a,b\r1,2\r"));
        assert!(!applies(b"a,b\n1,2\r"));
    }
}
