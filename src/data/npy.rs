//! The NumPy `.npy` reader: a 2-D `float64` or `float32` array in C order.
//!
//! The format (NumPy's `numpy.lib.format`): the magic `\x93NUMPY`, a major and a minor version
//! byte, the header length (2 bytes little-endian for version 1.0, 4 bytes for 2.0 and 3.0),
//! then the header — a Python dict literal such as
//! `{'descr': '<f8', 'fortran_order': False, 'shape': (1000, 8), }` padded with spaces and
//! ended by a newline — then the raw array data.
//!
//! It is small enough to read by hand, which lets every refusal say exactly what was found and
//! what gmmc expects. The shape is checked against the file's length before anything is
//! allocated, so a corrupt or hostile header cannot ask for terabytes.

use std::io::{self, BufReader, Read};

use rayon::prelude::*;

use super::{DataError, LoadOptions, Table, resolve_selection};

/// The first six bytes of every `.npy` file.
pub(super) const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Nesting deeper than this in a header is refused (a real header nests two levels).
const MAX_DEPTH: usize = 16;

/// Header text longer than this is shortened in messages.
const MAX_SHOWN_HEADER: usize = 120;

/// Bytes of array data converted per read.
const CHUNK_BYTES: usize = 1 << 16;

/// Reads an `.npy` file of `file_len` bytes from `reader`, positioned at its start.
pub(super) fn read<R: Read>(
    reader: R,
    file: &str,
    options: &LoadOptions,
    file_len: u64,
) -> Result<Table, DataError> {
    let npy_error = |reason: String| DataError::Npy {
        file: file.to_owned(),
        reason,
    };
    let io_error = |error| DataError::Io {
        file: file.to_owned(),
        error,
    };
    if options.label_column.is_some() {
        return Err(DataError::LabelNeedsCsv {
            file: file.to_owned(),
        });
    }
    let mut reader = BufReader::with_capacity(CHUNK_BYTES, reader);

    let mut preamble = [0u8; 8];
    let n = super::read_up_to(&mut reader, &mut preamble).map_err(io_error)?;
    if n < MAGIC.len() || preamble[..MAGIC.len()] != MAGIC[..] {
        return Err(npy_error(describe_bad_magic(&preamble[..n])));
    }
    if n < preamble.len() {
        return Err(npy_error(
            "the file ends right after the magic, before the version".to_owned(),
        ));
    }
    let (major, minor) = (preamble[6], preamble[7]);
    let length_bytes = match (major, minor) {
        (1, 0) => 2,
        (2, 0) | (3, 0) => 4,
        _ => {
            return Err(npy_error(format!(
                "format version {major}.{minor} is not supported (gmmc reads versions 1.0, 2.0 \
                 and 3.0)"
            )));
        }
    };
    let mut length = [0u8; 4];
    let n = super::read_up_to(&mut reader, &mut length[..length_bytes]).map_err(io_error)?;
    if n < length_bytes {
        return Err(npy_error(
            "the file ends inside the header length field".to_owned(),
        ));
    }
    let header_len = u64::from(u32::from_le_bytes(length));
    let data_start = preamble.len() as u64 + length_bytes as u64 + header_len;
    if data_start > file_len {
        return Err(npy_error(format!(
            "truncated header: it is said to be {header_len} bytes long, but the file ends \
             after {} bytes of it",
            file_len.saturating_sub(preamble.len() as u64 + length_bytes as u64)
        )));
    }
    let mut header_bytes = Vec::new();
    (&mut reader)
        .take(header_len)
        .read_to_end(&mut header_bytes)
        .map_err(io_error)?;
    if (header_bytes.len() as u64) < header_len {
        return Err(npy_error(format!(
            "truncated header: it is said to be {header_len} bytes long, but the file ends \
             after {} bytes of it",
            header_bytes.len()
        )));
    }
    let header = parse_header(&header_bytes).map_err(npy_error)?;

    let (rows, cols) = (header.rows, header.cols);
    let shape = format!("({rows}, {cols})");
    if cols == 0 {
        return Err(npy_error(format!(
            "the array has shape {shape}: no columns"
        )));
    }
    if rows == 0 {
        return Err(DataError::NoDataRows {
            file: file.to_owned(),
        });
    }
    let item = header.dtype.size();
    let data_len = rows
        .checked_mul(cols)
        .and_then(|n| n.checked_mul(item as u64))
        .ok_or_else(|| {
            npy_error(format!(
                "the array's shape {shape} is absurd: its size overflows 64 bits"
            ))
        })?;
    let available = file_len - data_start;
    if available < data_len {
        return Err(npy_error(format!(
            "truncated data: shape {shape} of {} needs {data_len} bytes, but the file holds \
             only {available} after the header",
            header.descr
        )));
    }
    if available > data_len {
        return Err(npy_error(format!(
            "the file holds {} bytes after the data that shape {shape} of {} does not account \
             for (corrupt shape, or something appended to the file)",
            available - data_len,
            header.descr
        )));
    }
    // The data's bytes are in the file; if their count also fits in memory, so does every
    // product of the dimensions computed from here on.
    let (rows, cols) = match (
        usize::try_from(rows),
        usize::try_from(cols),
        usize::try_from(data_len),
    ) {
        (Ok(r), Ok(c), Ok(_)) => (r, c),
        _ => {
            return Err(npy_error(format!(
                "the array's shape {shape} is too large for this machine"
            )));
        }
    };

    let input_columns: Vec<String> = (0..cols).map(|i| format!("f{i}")).collect();
    let axes = resolve_selection(&options.selection, &input_columns, file)?;
    let columns: Vec<String> = axes.iter().map(|&a| input_columns[a].clone()).collect();
    let values = read_values(&mut reader, header.dtype, rows, cols, &axes).map_err(|error| {
        if error.kind() == io::ErrorKind::UnexpectedEof {
            npy_error(format!(
                "truncated data: the file ended before the {rows} rows of shape {shape} \
                 were read (did it change while being read?)"
            ))
        } else {
            io_error(error)
        }
    })?;
    Ok(Table {
        source: file.to_owned(),
        input_columns,
        axes,
        columns,
        n_rows: rows,
        values,
        labels: None,
        lines: None,
    })
}

/// Reads `rows × cols` elements and keeps the columns at `axes`, converted to `f64`.
fn read_values<R: Read>(
    reader: &mut R,
    dtype: Dtype,
    rows: usize,
    cols: usize,
    axes: &[usize],
) -> io::Result<Vec<f64>> {
    if dtype.is_native_f64() && axes.iter().copied().eq(0..cols) {
        // The file's bytes are the values: read straight into them. Their pages are first
        // touched on every thread: a page's first touch costs a fault (about 2 µs per 4 KiB
        // on this project's machines), and the faults of one thread were most of the time a
        // read took (1M×8 rows: `gmmc train` 88 -> 71 ms).
        let mut values = vec![0.0f64; rows * cols];
        values.par_chunks_mut(1 << 16).for_each(|c| c.fill(0.0));
        reader.read_exact(bytemuck::cast_slice_mut(&mut values))?;
        return Ok(values);
    }
    let item = dtype.size();
    let row_bytes = cols * item;
    let rows_per_chunk = (CHUNK_BYTES / row_bytes).max(1);
    let mut buf = vec![0u8; rows_per_chunk * row_bytes];
    let mut values = Vec::with_capacity(rows * axes.len());
    let mut left = rows;
    while left > 0 {
        let n = left.min(rows_per_chunk);
        let chunk = &mut buf[..n * row_bytes];
        reader.read_exact(chunk)?;
        for row in chunk.chunks_exact(row_bytes) {
            for &a in axes {
                values.push(dtype.decode(&row[a * item..(a + 1) * item]));
            }
        }
        left -= n;
    }
    Ok(values)
}

/// An element type gmmc reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dtype {
    F64 { little_endian: bool },
    F32 { little_endian: bool },
}

impl Dtype {
    fn size(self) -> usize {
        match self {
            Dtype::F64 { .. } => 8,
            Dtype::F32 { .. } => 4,
        }
    }

    /// Whether an element is an `f64` in this machine's byte order.
    fn is_native_f64(self) -> bool {
        self == Dtype::F64 {
            little_endian: cfg!(target_endian = "little"),
        }
    }

    /// Converts one element; `bytes` is exactly [`size`](Self::size) long.
    fn decode(self, bytes: &[u8]) -> f64 {
        match self {
            Dtype::F64 { little_endian } => {
                let mut b = [0u8; 8];
                b.copy_from_slice(bytes);
                if little_endian {
                    f64::from_le_bytes(b)
                } else {
                    f64::from_be_bytes(b)
                }
            }
            Dtype::F32 { little_endian } => {
                let mut b = [0u8; 4];
                b.copy_from_slice(bytes);
                f64::from(if little_endian {
                    f32::from_le_bytes(b)
                } else {
                    f32::from_be_bytes(b)
                })
            }
        }
    }
}

/// What the header says, once checked.
#[derive(Debug, PartialEq)]
struct Header {
    descr: String,
    dtype: Dtype,
    rows: u64,
    cols: u64,
}

/// Parses and checks the header text (its bytes after the length field).
fn parse_header(bytes: &[u8]) -> Result<Header, String> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| "corrupt header: it is not text (the file may be damaged)".to_owned())?;
    let shown = shorten(text.trim_end());
    if !text.ends_with('\n') {
        return Err(format!(
            "corrupt header: it does not end with a newline (unterminated): {shown}"
        ));
    }
    let mut parser = Parser { text, pos: 0 };
    let value = parser
        .value(0)
        .and_then(|v| {
            parser.skip_space();
            if parser.pos < text.len() {
                Err(format!("unexpected text at byte {}", parser.pos))
            } else {
                Ok(v)
            }
        })
        .map_err(|e| format!("corrupt header: {e}: {shown}"))?;
    let Py::Dict(entries) = value else {
        return Err(format!(
            "corrupt header: expected a dict {{'descr': …, 'fortran_order': …, 'shape': …}}, \
             found {shown}"
        ));
    };
    let get = |key: &str| {
        entries
            .iter()
            .find(|(k, _)| matches!(k, Py::Str(s) if s == key))
            .map(|(_, v)| v)
            .ok_or_else(|| format!("corrupt header: no '{key}' entry: {shown}"))
    };

    let descr = match get("descr")? {
        Py::Str(s) => s.clone(),
        Py::List(_) => {
            return Err(format!(
                "the array has a structured dtype (named fields); gmmc reads a plain 2-D float \
                 array: convert it to one (e.g. numpy.lib.recfunctions.structured_to_unstructured): \
                 {shown}"
            ));
        }
        other => {
            return Err(format!(
                "corrupt header: 'descr' should be a dtype string, found {}",
                other.kind()
            ));
        }
    };
    let dtype = parse_dtype(&descr)?;

    match get("fortran_order")? {
        Py::Bool(false) => {}
        Py::Bool(true) => {
            return Err(
                "the array is stored in Fortran (column-major) order; gmmc reads C order: \
                 save numpy.ascontiguousarray(arr) instead"
                    .to_owned(),
            );
        }
        other => {
            return Err(format!(
                "corrupt header: 'fortran_order' should be True or False, found {}",
                other.kind()
            ));
        }
    }

    let dims: Vec<u64> = match get("shape")? {
        Py::Tuple(items) => items
            .iter()
            .map(|item| match item {
                Py::Int(n) => Ok(*n),
                other => Err(format!(
                    "corrupt header: 'shape' should hold integers, found {}",
                    other.kind()
                )),
            })
            .collect::<Result<_, _>>()?,
        other => {
            return Err(format!(
                "corrupt header: 'shape' should be a tuple, found {}",
                other.kind()
            ));
        }
    };
    let shape_text = match dims.as_slice() {
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            dims.iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    match dims.as_slice() {
        [rows, cols] => Ok(Header {
            descr,
            dtype,
            rows: *rows,
            cols: *cols,
        }),
        [_] => Err(format!(
            "the array is 1-D, shape {shape_text}; gmmc needs a 2-D array, one row per sample: \
             save arr.reshape(-1, 1) for a single feature"
        )),
        _ => Err(format!(
            "the array is {}-D, shape {shape_text}; gmmc needs a 2-D array (rows × features)",
            dims.len()
        )),
    }
}

/// Reads a dtype string such as `<f8`: byte order, kind, size.
fn parse_dtype(descr: &str) -> Result<Dtype, String> {
    let (order, rest) = match descr.as_bytes().first() {
        Some(c @ (b'<' | b'>' | b'=' | b'|')) => (*c, &descr[1..]),
        _ => (b'=', descr),
    };
    let little_endian = match order {
        b'<' => true,
        b'>' => false,
        _ => cfg!(target_endian = "little"),
    };
    let mut chars = rest.chars();
    let kind = chars.next();
    let size = chars.as_str();
    let unsupported = |what: &str| {
        Err(format!(
            "the array's dtype is '{descr}' ({what}); gmmc reads float64 ('<f8') or float32 \
             ('<f4'): save arr.astype(numpy.float64)"
        ))
    };
    match (kind, size) {
        (Some('f'), "8") => Ok(Dtype::F64 { little_endian }),
        (Some('f'), "4") => Ok(Dtype::F32 { little_endian }),
        (Some('f'), "2") => unsupported("16-bit float"),
        (Some('f'), _) => unsupported("extended-precision float"),
        (Some('i'), s) => unsupported(&format!("{}-bit signed integer", bits(s))),
        (Some('u'), s) => unsupported(&format!("{}-bit unsigned integer", bits(s))),
        (Some('b'), _) => unsupported("boolean"),
        (Some('c'), _) => unsupported("complex"),
        (Some('U' | 'S' | 'a'), _) => unsupported("strings"),
        (Some('O'), _) => unsupported("Python objects"),
        (Some('M' | 'm'), _) => unsupported("dates or times"),
        (Some('V'), _) => unsupported("raw bytes"),
        _ => Err(format!(
            "corrupt header: '{descr}' is not a dtype gmmc recognises; it reads float64 ('<f8') \
             or float32 ('<f4')"
        )),
    }
}

/// A dtype size in bytes as bits, for messages ("8" → "64").
fn bits(size: &str) -> String {
    size.parse::<u32>()
        .ok()
        .and_then(|n| n.checked_mul(8))
        .map_or_else(|| size.to_owned(), |n| n.to_string())
}

/// What the first bytes of a file that is not `.npy` look like.
fn describe_bad_magic(start: &[u8]) -> String {
    if start.is_empty() {
        return "the file is empty; expected the .npy magic \\x93NUMPY".to_owned();
    }
    let hex: Vec<String> = start.iter().map(|b| format!("{b:02X}")).collect();
    format!(
        "it starts with bytes {} ({:?}), not the .npy magic \\x93NUMPY",
        hex.join(" "),
        String::from_utf8_lossy(start)
    )
}

fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_SHOWN_HEADER) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// A Python literal, as far as `.npy` headers use them.
#[derive(Debug, PartialEq)]
enum Py {
    Str(String),
    Int(u64),
    Bool(bool),
    None,
    Tuple(Vec<Py>),
    List(Vec<Py>),
    Dict(Vec<(Py, Py)>),
}

impl Py {
    /// What the value is, for messages.
    fn kind(&self) -> String {
        match self {
            Py::Str(s) => format!("the string '{s}'"),
            Py::Int(n) => format!("the number {n}"),
            Py::Bool(b) => if *b { "True" } else { "False" }.to_owned(),
            Py::None => "None".to_owned(),
            Py::Tuple(_) => "a tuple".to_owned(),
            Py::List(_) => "a list".to_owned(),
            Py::Dict(_) => "a dict".to_owned(),
        }
    }
}

/// A recursive-descent reader of Python literals: dicts, tuples, lists, quoted strings,
/// non-negative integers (with Python 2's `L` suffix), `True`, `False` and `None`.
struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Py, String> {
        if depth > MAX_DEPTH {
            return Err(format!("nested too deeply at byte {}", self.pos));
        }
        self.skip_space();
        match self.peek() {
            None => Err("the header ends where a value was expected".to_owned()),
            Some(b'{') => {
                self.pos += 1;
                let mut entries = Vec::new();
                self.items(b'}', |p| {
                    let key = p.value(depth + 1)?;
                    p.expect(b':')?;
                    let value = p.value(depth + 1)?;
                    entries.push((key, value));
                    Ok(())
                })?;
                Ok(Py::Dict(entries))
            }
            Some(b'(') => {
                self.pos += 1;
                let mut items = Vec::new();
                self.items(b')', |p| {
                    items.push(p.value(depth + 1)?);
                    Ok(())
                })?;
                Ok(Py::Tuple(items))
            }
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                self.items(b']', |p| {
                    items.push(p.value(depth + 1)?);
                    Ok(())
                })?;
                Ok(Py::List(items))
            }
            Some(quote @ (b'\'' | b'"')) => self.string(quote),
            Some(c) if c.is_ascii_digit() => self.integer(),
            Some(c) if c.is_ascii_alphabetic() => {
                let start = self.pos;
                while self.peek().is_some_and(|c| c.is_ascii_alphanumeric()) {
                    self.pos += 1;
                }
                match &self.text[start..self.pos] {
                    "True" => Ok(Py::Bool(true)),
                    "False" => Ok(Py::Bool(false)),
                    "None" => Ok(Py::None),
                    word => Err(format!("unexpected word '{word}' at byte {start}")),
                }
            }
            Some(_) => Err(format!("unexpected character at byte {}", self.pos)),
        }
    }

    /// Reads comma-separated items up to `close` (a trailing comma is allowed); the opening
    /// bracket has been consumed.
    fn items(
        &mut self,
        close: u8,
        mut item: impl FnMut(&mut Self) -> Result<(), String>,
    ) -> Result<(), String> {
        loop {
            self.skip_space();
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok(());
            }
            item(self)?;
            self.skip_space();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(c) if c == close => {
                    self.pos += 1;
                    return Ok(());
                }
                None => {
                    return Err(format!(
                        "the header ends before the closing '{}'",
                        char::from(close)
                    ));
                }
                Some(_) => {
                    return Err(format!(
                        "expected ',' or '{}' at byte {}",
                        char::from(close),
                        self.pos
                    ));
                }
            }
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        self.skip_space();
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(format!("expected '{}' at byte {}", char::from(c), self.pos))
        }
    }

    fn string(&mut self, quote: u8) -> Result<Py, String> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let mut chars = self.text[self.pos..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                c if c as u32 == u32::from(quote) => {
                    self.pos += i + 1;
                    return Ok(Py::Str(out));
                }
                '\\' => match chars.next() {
                    Some((_, escaped)) => out.push(escaped),
                    None => break,
                },
                c => out.push(c),
            }
        }
        Err(format!("unterminated string starting at byte {start}"))
    }

    fn integer(&mut self) -> Result<Py, String> {
        let start = self.pos;
        let mut n: u64 = 0;
        while let Some(c) = self.peek().filter(u8::is_ascii_digit) {
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(c - b'0')))
                .ok_or_else(|| format!("the number at byte {start} is too large"))?;
            self.pos += 1;
        }
        if self.peek() == Some(b'L') {
            self.pos += 1;
        }
        Ok(Py::Int(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(text: &str) -> Result<Header, String> {
        parse_header(text.as_bytes())
    }

    #[test]
    fn reads_the_header_numpy_writes() {
        let h =
            header("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }    \n").unwrap();
        assert_eq!(
            h,
            Header {
                descr: "<f8".into(),
                dtype: Dtype::F64 {
                    little_endian: true
                },
                rows: 3,
                cols: 2
            }
        );
    }

    #[test]
    fn reads_key_order_double_quotes_and_long_ints() {
        let h = header("{\"shape\": (3L, 2L), \"fortran_order\": False, \"descr\": \">f4\"}\n")
            .unwrap();
        assert_eq!(
            h.dtype,
            Dtype::F32 {
                little_endian: false
            }
        );
        assert_eq!((h.rows, h.cols), (3, 2));
    }

    #[test]
    fn refusals_say_what_was_found() {
        let e = |t: &str| header(t).unwrap_err();
        assert!(
            e("{'descr': '<f8', 'fortran_order': False, 'shape': (5,), }\n")
                .contains("1-D, shape (5,)")
        );
        assert!(
            e("{'descr': '<f8', 'fortran_order': False, 'shape': (), }\n")
                .contains("0-D, shape ()")
        );
        assert!(
            e("{'descr': '<i8', 'fortran_order': False, 'shape': (5, 2), }\n")
                .contains("'<i8' (64-bit signed integer)")
        );
        assert!(
            e("{'descr': '|b1', 'fortran_order': False, 'shape': (5, 2), }\n").contains("boolean")
        );
        assert!(
            e("{'descr': '<f2', 'fortran_order': False, 'shape': (5, 2), }\n")
                .contains("16-bit float")
        );
        assert!(
            e("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (5,), }\n")
                .contains("structured dtype")
        );
        assert!(
            e("{'descr': '<f8', 'fortran_order': True, 'shape': (5, 2), }\n").contains("Fortran")
        );
        assert!(e("{'descr': '<f8', 'shape': (5, 2), }\n").contains("no 'fortran_order' entry"));
        assert!(
            e("{'descr': '<f8', 'fortran_order': False, 'shape': (5, 2), }")
                .contains("unterminated")
        );
        assert!(
            e("{'descr': '<f8', 'fortran_order': False, 'shape': (5, 2), \n")
                .contains("corrupt header")
        );
        assert!(e("{'descr': '<f8, 'fortran_order': False}\n").contains("corrupt header"));
        assert!(e("{'shape': (99999999999999999999999, 2)}\n").contains("too large"));
        assert!(e("[1, 2]\n").contains("expected a dict"));
        assert!(e("{'descr': '<f8'} extra\n").contains("unexpected"));
    }

    #[test]
    fn deep_nesting_is_refused_without_overflowing_the_stack() {
        let text = format!("{}\n", "(".repeat(100_000));
        assert!(header(&text).unwrap_err().contains("nested too deeply"));
    }

    #[test]
    fn strings_with_escapes() {
        let mut p = Parser {
            text: r"'a\'b'",
            pos: 0,
        };
        assert_eq!(p.value(0).unwrap(), Py::Str("a'b".into()));
        let mut p = Parser {
            text: "'abc",
            pos: 0,
        };
        assert!(p.value(0).unwrap_err().contains("unterminated string"));
    }

    #[test]
    fn decodes_both_byte_orders() {
        let x = 1.5e-7_f64;
        assert_eq!(
            Dtype::F64 {
                little_endian: false
            }
            .decode(&x.to_be_bytes()),
            x
        );
        let y = -3.25_f32;
        assert_eq!(
            Dtype::F32 {
                little_endian: true
            }
            .decode(&y.to_le_bytes()),
            f64::from(y)
        );
    }

    #[test]
    fn bad_magic_is_described() {
        assert!(describe_bad_magic(b"").contains("empty"));
        assert!(describe_bad_magic(b"a,b\n").contains("61 2C 62 0A"));
    }
}
