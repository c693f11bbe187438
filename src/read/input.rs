//! Where posts come from: files, folders, stdin; one object, a JSON array (streamed) or NDJSON.

use serde_json::Value;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why an input could not be read. Each names the file and says what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: invalid JSON: {msg}")]
    Json {
        path: String,
        line: usize,
        column: usize,
        msg: String,
    },
    #[error("{path}: not UTF-8 ({what}); save it as UTF-8 and try again")]
    Encoding { path: String, what: &'static str },
    #[error("{path}: no such file or folder")]
    Missing { path: String },
    #[error("{path}: the folder holds no .json files")]
    EmptyFolder { path: String },
}

/// One JSON value read from an input, or the error that stopped that input.
pub struct Item {
    /// The file it came from (`-` for stdin).
    pub source: String,
    /// Its position in an array or NDJSON stream; `None` for a file holding one object.
    pub index: Option<usize>,
    pub value: Result<Value, InputError>,
}

/// One value as the reader found it, not yet parsed where that can wait: the conversion
/// pipeline parses array elements on its workers, so that the thread reading the input only
/// splits it.
pub struct RawItem {
    pub source: String,
    pub index: Option<usize>,
    pub value: Result<Raw, InputError>,
}

pub enum Raw {
    /// An array element's bytes and where they start in the file (for error positions).
    Bytes {
        bytes: Bytes,
        line: usize,
        col: usize,
    },
    /// A value the reader had to parse to find its end (a single object, NDJSON).
    Value(Value),
}

/// An element's bytes: its own copy (streamed input) or a range of a memory-mapped file,
/// shared with the other elements so that splitting copies nothing.
pub enum Bytes {
    Owned(Vec<u8>),
    Mapped(Arc<memmap2::Mmap>, std::ops::Range<usize>),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Owned(v) => v,
            Bytes::Mapped(map, range) => &map[range.clone()],
        }
    }
}

/// Reads a mapped file through `BufRead`, the whole rest being one buffer.
struct MapReader {
    map: Arc<memmap2::Mmap>,
    pos: usize,
}

impl Read for MapReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let rest = &self.map[self.pos..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }
}

impl BufRead for MapReader {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        Ok(&self.map[self.pos..])
    }
    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.map.len());
    }
}

impl RawItem {
    /// The number of bytes still to parse (0 for parsed values and errors).
    pub fn pending_len(&self) -> usize {
        match &self.value {
            Ok(Raw::Bytes { bytes, .. }) => bytes.len(),
            _ => 0,
        }
    }

    pub fn parse(self) -> Item {
        let value = match self.value {
            Err(e) => Err(e),
            Ok(Raw::Value(v)) => Ok(v),
            Ok(Raw::Bytes { bytes, line, col }) => {
                // Validating the element's UTF-8 once, with SIMD, spares serde_json checking
                // every string as it goes (a tenth of the whole conversion on Japanese text).
                let parsed = match simdutf8::basic::from_utf8(&bytes) {
                    Ok(text) => serde_json::from_str::<Value>(text),
                    Err(_) => serde_json::from_slice::<Value>(&bytes),
                };
                parsed.map_err(|e| json_error(&self.source, &e, Pos { line, col }, ""))
            }
        };
        Item {
            source: self.source,
            index: self.index,
            value,
        }
    }
}

/// Files up to this size are memory-mapped: no copy into the process, and elements are
/// ranges of the map. Bigger ones are streamed, so that memory stays flat however big they are
/// (a mapped file's pages count in the resident set as they are read).
const MAP_LIMIT: u64 = 64 << 20;

/// Expands inputs (folders recursively, sorted so that runs are reproducible) into sources.
/// `skip` is a folder never to descend into: the output folder, when it lies inside an input.
pub fn expand(inputs: &[PathBuf], skip: Option<&Path>) -> Vec<Result<PathBuf, InputError>> {
    let skip = skip.and_then(|p| p.canonicalize().ok());
    let mut out = Vec::new();
    for p in inputs {
        if p.as_os_str() == "-" {
            out.push(Ok(p.clone()));
        } else if p.is_dir() {
            let mut files = Vec::new();
            let mut seen = std::collections::HashSet::new();
            if let Ok(c) = p.canonicalize() {
                seen.insert(c);
            }
            if let Err(e) = walk(p, &mut files, skip.as_deref(), &mut seen) {
                out.push(Err(e));
                continue;
            }
            if files.is_empty() {
                out.push(Err(InputError::EmptyFolder {
                    path: p.display().to_string(),
                }));
            }
            files.sort();
            out.extend(files.into_iter().map(Ok));
        } else if p.exists() {
            out.push(Ok(p.clone()));
        } else {
            out.push(Err(InputError::Missing {
                path: p.display().to_string(),
            }));
        }
    }
    out
}

fn walk(
    dir: &Path,
    files: &mut Vec<PathBuf>,
    skip: Option<&Path>,
    seen: &mut std::collections::HashSet<PathBuf>,
) -> Result<(), InputError> {
    let rd = std::fs::read_dir(dir).map_err(|source| InputError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    for entry in rd.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // unpress's own report and hidden folders (.git, our temp files) are not input.
        if name.starts_with('.') || name == "unpress-report.json" {
            continue;
        }
        let ft = match entry.file_type() {
            Ok(ft) => ft,
            Err(_) => continue,
        };
        if ft.is_dir() || (ft.is_symlink() && path.is_dir()) {
            let canon = path.canonicalize().ok();
            if skip.is_some() && canon.as_deref() == skip {
                continue;
            }
            // A folder reached twice (symbolic links round in a loop) is read once.
            if let Some(c) = canon
                && !seen.insert(c)
            {
                continue;
            }
            walk(&path, files, skip, seen)?;
        } else if name.ends_with(".json") || name.ends_with(".ndjson") || name.ends_with(".jsonl") {
            files.push(path);
        }
    }
    Ok(())
}

/// Reads every value of one source and hands each to `f`, holding at most one in memory.
/// A syntax error ends the source (what follows it cannot be trusted). Returns `false` if `f`
/// asked to stop.
pub fn read_source(path: &Path, f: &mut dyn FnMut(Item) -> bool) -> bool {
    read_source_raw(path, &mut |raw| f(raw.parse()))
}

/// [`read_source`] without parsing array elements: each is handed over as its bytes. An
/// element that does not parse costs that element: the splitter has found where the next one
/// starts. An error in the input's structure ends the source (and says so).
pub fn read_source_raw(path: &Path, f: &mut dyn FnMut(RawItem) -> bool) -> bool {
    for item in Items::open(path) {
        if !f(item) {
            return false;
        }
    }
    true
}

type Input = Box<dyn BufRead + Send>;

/// The values of one source, pulled one at a time (so that conversion workers can take turns
/// reading): array elements as bytes, other values parsed, an error as the last item.
pub struct Items {
    name: String,
    state: State,
}

enum State {
    Done,
    /// Items already known (an error, or the first values of a single object or NDJSON).
    Queued(std::collections::VecDeque<RawItem>, Option<Values>),
    Array(ArrayState),
}

struct Values {
    it: serde_json::StreamDeserializer<'static, serde_json::de::IoRead<Input>, Value>,
    index: usize,
    /// Where serde_json started counting (after a byte-order mark and leading whitespace).
    start: Pos,
}

struct ArrayState {
    sc: Scanner<Input>,
    /// The mapped file the scanner reads, when it is one.
    map: Option<Arc<memmap2::Mmap>>,
    index: usize,
    /// After an element: a `,` or `]` must come next.
    after_element: bool,
}

impl Items {
    pub fn open(path: &Path) -> Items {
        let name = if path.as_os_str() == "-" {
            "<stdin>".to_string()
        } else {
            path.display().to_string()
        };
        let mut map = None;
        let reader: Input = if path.as_os_str() == "-" {
            Box::new(BufReader::with_capacity(1 << 16, std::io::stdin()))
        } else {
            let io_err = |source| InputError::Io {
                path: name.clone(),
                source,
            };
            let file = match File::open(path) {
                Ok(file) => file,
                Err(e) => return Items::failed(name.clone(), io_err(e)),
            };
            let size = file.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
            // SAFETY: the map is only read. Another process truncating the file while it is
            // read would fault, as it would for any reader of a mapped file (ripgrep takes the
            // same view); exports and mirrors are replaced by rename, never cut in place.
            let mapped = (size > 0 && size <= MAP_LIMIT)
                .then(|| unsafe { memmap2::Mmap::map(&file) }.ok())
                .flatten();
            match mapped {
                Some(m) => {
                    let m = Arc::new(m);
                    map = Some(m.clone());
                    Box::new(MapReader { map: m, pos: 0 })
                }
                None => Box::new(BufReader::with_capacity(1 << 16, file)),
            }
        };
        let mut items = Items::from_reader(name, reader);
        if let State::Array(a) = &mut items.state {
            a.map = map;
        }
        items
    }

    fn failed(name: String, e: InputError) -> Items {
        let item = RawItem {
            source: name.clone(),
            index: None,
            value: Err(e),
        };
        Items {
            name,
            state: State::Queued([item].into(), None),
        }
    }

    fn from_reader(name: String, mut reader: Input) -> Items {
        let (first, start) = match peek_start(&mut reader) {
            Ok(b) => b,
            Err(e) => {
                let e = e.into_input(&name);
                return Items::failed(name, e);
            }
        };
        match first {
            None => {
                let e = InputError::Json {
                    path: name.clone(),
                    line: 1,
                    column: 1,
                    msg: "the file is empty; expected a post object, an array of posts or NDJSON"
                        .into(),
                };
                Items::failed(name, e)
            }
            Some(b'[') => {
                let mut sc = Scanner {
                    r: reader,
                    pos: start,
                };
                // The caller saw `[`.
                if let Err(e) = sc.next_byte() {
                    let e = io(&name, e);
                    return Items::failed(name, e);
                }
                Items {
                    name,
                    state: State::Array(ArrayState {
                        sc,
                        map: None,
                        index: 0,
                        after_element: false,
                    }),
                }
            }
            Some(_) => {
                // One object, or NDJSON: a run of whitespace-separated values. Whether there
                // is more than one decides whether items carry an index.
                let mut values = Values {
                    it: serde_json::Deserializer::from_reader(reader).into_iter::<Value>(),
                    index: 0,
                    start,
                };
                let first = values.it.next();
                let second = values.it.next();
                let many = second.is_some();
                let mut queue = std::collections::VecDeque::new();
                for v in first.into_iter().chain(second) {
                    queue.push_back(values.item(&name, v, many));
                }
                let rest = many.then_some(values);
                Items {
                    name,
                    state: State::Queued(queue, rest),
                }
            }
        }
    }
}

impl Values {
    fn item(&mut self, name: &str, v: serde_json::Result<Value>, many: bool) -> RawItem {
        let index = self.index;
        self.index += 1;
        RawItem {
            source: name.to_string(),
            index: many.then_some(index),
            // NDJSON cannot be picked up again after a broken line: say what was lost.
            value: v.map(Raw::Value).map_err(|e| {
                let rest = if many { REST_NOT_READ } else { "" };
                json_error(name, &e, self.start, rest)
            }),
        }
    }
}

impl Iterator for Items {
    type Item = RawItem;

    fn next(&mut self) -> Option<RawItem> {
        let name = &self.name;
        let item = match &mut self.state {
            State::Done => return None,
            State::Queued(queue, rest) => match queue.pop_front() {
                Some(item) => item,
                None => {
                    let v = rest.as_mut().and_then(|r| r.it.next());
                    match (v, rest.as_mut()) {
                        (Some(v), Some(r)) => r.item(name, v, true),
                        _ => {
                            self.state = State::Done;
                            return None;
                        }
                    }
                }
            },
            State::Array(a) => match a.next(name) {
                Some(item) => item,
                None => {
                    self.state = State::Done;
                    return None;
                }
            },
        };
        // A syntax error leaves the stream at an unknown place: nothing after it is read.
        if item.value.is_err() {
            self.state = State::Done;
        }
        Some(item)
    }
}

impl ArrayState {
    /// The next element, an error, or `None` at the end of the array.
    fn next(&mut self, name: &str) -> Option<RawItem> {
        let fail = |e: InputError| {
            Some(RawItem {
                source: name.to_string(),
                index: None,
                value: Err(e),
            })
        };
        let err_at = |pos: Pos, msg: &str| InputError::Json {
            path: name.to_string(),
            line: pos.line,
            column: pos.col,
            msg: msg.to_string(),
        };
        const UNCLOSED: &str = "the array is not closed: expected `]` before the end of the file";
        let sc = &mut self.sc;
        if self.after_element {
            match sc.skip_ws() {
                Ok(Some(b',')) => {
                    let _ = sc.next_byte();
                }
                Ok(Some(b']')) => {
                    let _ = sc.next_byte();
                    return self.finish(name);
                }
                Ok(Some(c)) => {
                    let msg = format!(
                        "expected `,` or `]` after item {}, found `{}`{REST_NOT_READ}",
                        self.index, c as char
                    );
                    return fail(err_at(sc.pos, &msg));
                }
                Ok(None) => return fail(err_at(sc.pos, UNCLOSED)),
                Err(e) => return fail(io(name, e)),
            }
        }
        match sc.skip_ws() {
            Ok(None) => return fail(err_at(sc.pos, UNCLOSED)),
            Ok(Some(b']')) if self.index == 0 => {
                let _ = sc.next_byte();
                return self.finish(name);
            }
            Ok(Some(_)) => {}
            Err(e) => return fail(io(name, e)),
        }
        let start = sc.pos;
        let bytes = match &self.map {
            Some(map) => {
                // Where the scanner stands in the map: the reader's buffer is the whole rest.
                let from = match sc.r.fill_buf() {
                    Ok(rest) => map.len() - rest.len(),
                    Err(e) => return fail(io(name, e)),
                };
                let taken = match sc.take_value(None) {
                    Ok(n) => n,
                    Err(e) => return fail(io(name, e)),
                };
                let end = from + taken;
                let trailing = map[from..end]
                    .iter()
                    .rev()
                    .take_while(|b| b.is_ascii_whitespace())
                    .count();
                Bytes::Mapped(map.clone(), from..end - trailing)
            }
            None => {
                let mut buf = Vec::new();
                if let Err(e) = sc.take_value(Some(&mut buf)) {
                    return fail(io(name, e));
                }
                while buf.last().is_some_and(|b| b.is_ascii_whitespace()) {
                    buf.pop();
                }
                Bytes::Owned(buf)
            }
        };
        let index = self.index;
        self.index += 1;
        self.after_element = true;
        Some(RawItem {
            source: name.to_string(),
            index: Some(index),
            value: Ok(Raw::Bytes {
                bytes,
                line: start.line,
                col: start.col,
            }),
        })
    }

    /// After the closing `]`: only whitespace may follow.
    fn finish(&mut self, name: &str) -> Option<RawItem> {
        match self.sc.skip_ws() {
            Ok(None) => None,
            Ok(Some(_)) => Some(RawItem {
                source: name.to_string(),
                index: None,
                value: Err(InputError::Json {
                    path: name.to_string(),
                    line: self.sc.pos.line,
                    column: self.sc.pos.col,
                    msg: "unexpected data after the array".into(),
                }),
            }),
            Err(e) => Some(RawItem {
                source: name.to_string(),
                index: None,
                value: Err(io(name, e)),
            }),
        }
    }
}

/// serde_json's message without its "at line L column C" (the error says where), in words
/// a person reading about their own file would use.
fn clean_msg(e: &serde_json::Error) -> String {
    let s = e.to_string();
    let s = match s.rfind(" at line ") {
        Some(i) => &s[..i],
        None => &s,
    };
    match s {
        "expected ident" => "expected true, false or null".into(),
        "EOF while parsing a string" => {
            "the file ends inside a string (a closing quote is missing)".into()
        }
        "EOF while parsing an object" => "the file ends inside an object (a `}` is missing)".into(),
        "EOF while parsing a list" => "the file ends inside an array (a `]` is missing)".into(),
        "EOF while parsing a value" => "the file ends where a value should be".into(),
        "key must be a string" => {
            "expected a quoted key (a stray comma, or a missing quote?)".into()
        }
        s if s.starts_with("control character") => {
            "a line break or control character inside a string (a closing quote is missing?)".into()
        }
        s => s.to_string(),
    }
}

/// A syntax error at its place in the file: serde_json counts from where it started parsing
/// (`start`), lines and columns from 1.
fn json_error(path: &str, e: &serde_json::Error, start: Pos, suffix: &str) -> InputError {
    let (line, column) = if e.line() <= 1 {
        (start.line, start.col + e.column().saturating_sub(1))
    } else {
        (start.line + e.line() - 1, e.column().max(1))
    };
    InputError::Json {
        path: path.to_string(),
        line,
        column,
        msg: format!("{}{suffix}", clean_msg(e)),
    }
}

/// What follows an error that leaves the input at an unknown place.
const REST_NOT_READ: &str = "; nothing after it in this file was read";

enum PeekError {
    Io(std::io::Error),
    Encoding(&'static str),
}

impl PeekError {
    fn into_input(self, name: &str) -> InputError {
        match self {
            PeekError::Io(source) => InputError::Io {
                path: name.to_string(),
                source,
            },
            PeekError::Encoding(what) => InputError::Encoding {
                path: name.to_string(),
                what,
            },
        }
    }
}

/// Skips a UTF-8 byte-order mark and leading whitespace; returns the first significant byte
/// and where it stands (line, column).
fn peek_start<R: BufRead>(r: &mut R) -> Result<(Option<u8>, Pos), PeekError> {
    const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];
    let mut pos = Pos { line: 1, col: 1 };
    // Bytes of a byte-order mark seen so far: a slow pipe may deliver it a byte at a time.
    let mut bom = 0;
    let mut first = true;
    loop {
        let buf = r.fill_buf().map_err(PeekError::Io)?;
        if buf.is_empty() {
            return Ok((None, pos));
        }
        if first && (buf.starts_with(&[0xFF, 0xFE]) || buf.starts_with(&[0xFE, 0xFF])) {
            return Err(PeekError::Encoding("it is UTF-16"));
        }
        first = false;
        if bom < BOM.len() && (bom > 0 || buf[0] == BOM[0]) {
            let n = buf
                .iter()
                .zip(&BOM[bom..])
                .take_while(|(a, b)| a == b)
                .count();
            if n > 0 && (bom + n == BOM.len() || n == buf.len()) {
                bom += n;
                r.consume(n);
                continue;
            }
            if bom > 0 {
                return Err(PeekError::Encoding(
                    "it starts with a broken byte-order mark",
                ));
            }
            bom = BOM.len();
        }
        let skip = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
        for &b in &buf[..skip] {
            pos.advance(b);
        }
        if skip < buf.len() {
            let b = buf[skip];
            r.consume(skip);
            return Ok((Some(b), pos));
        }
        let n = buf.len();
        r.consume(n);
    }
}

/// A place in the input, 1-based, counted in bytes as serde_json counts columns.
#[derive(Debug, Clone, Copy)]
struct Pos {
    line: usize,
    col: usize,
}

impl Pos {
    fn advance_over(&mut self, bytes: &[u8]) {
        match memchr::memrchr(b'\n', bytes) {
            None => self.col += bytes.len(),
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', bytes).count();
                self.col = bytes.len() - last;
            }
        }
    }

    fn advance(&mut self, b: u8) {
        if b == b'\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
    }
}

fn io(name: &str, source: std::io::Error) -> InputError {
    InputError::Io {
        path: name.to_string(),
        source,
    }
}

/// Finds array elements in a byte stream, counting lines and columns for error messages.
struct Scanner<R: BufRead> {
    r: R,
    pos: Pos,
}

impl<R: BufRead> Scanner<R> {
    fn peek(&mut self) -> std::io::Result<Option<u8>> {
        Ok(self.r.fill_buf()?.first().copied())
    }
    fn next_byte(&mut self) -> std::io::Result<Option<u8>> {
        let b = self.peek()?;
        if let Some(b) = b {
            self.pos.advance(b);
            self.r.consume(1);
        }
        Ok(b)
    }
    fn skip_ws(&mut self) -> std::io::Result<Option<u8>> {
        loop {
            match self.peek()? {
                Some(b) if b.is_ascii_whitespace() => {
                    self.next_byte()?;
                }
                other => return Ok(other),
            }
        }
    }
    /// Takes one value's bytes (copied into `out` if given; their number is returned): up to
    /// the `,` or `]` that ends it at depth 0, strings respected. Malformed values are taken
    /// as they are; the parser then says what is wrong. Strings (nearly all of a post's
    /// bytes) are crossed with `memchr`, not byte by byte.
    fn take_value(&mut self, mut out: Option<&mut Vec<u8>>) -> std::io::Result<usize> {
        let mut taken = 0;
        let mut depth = 0usize;
        let mut in_str = false;
        // Backslashes ending the bytes scanned so far in the current string, when the run
        // reaches the end of a buffer (it decides whether a quote at the next one is escaped).
        let mut carry = 0usize;
        loop {
            let buf = self.r.fill_buf()?;
            if buf.is_empty() {
                return Ok(taken);
            }
            let mut i = 0;
            let mut done = false;
            while i < buf.len() {
                if in_str {
                    // Jump from quote to quote (escapes such as `\/` or `\n` are not stops); a
                    // quote ends the string unless an odd run of backslashes precedes it.
                    let seg = &buf[i..];
                    match memchr::memchr(b'"', seg) {
                        None => {
                            let run = seg.iter().rev().take_while(|&&b| b == b'\\').count();
                            carry = if run == seg.len() { carry + run } else { run };
                            i = buf.len();
                        }
                        Some(k) => {
                            let run = seg[..k].iter().rev().take_while(|&&b| b == b'\\').count();
                            let run = if run == k { carry + run } else { run };
                            carry = 0;
                            if run % 2 == 0 {
                                in_str = false;
                            }
                            i += k + 1;
                        }
                    }
                } else {
                    match buf[i] {
                        b'"' => {
                            in_str = true;
                            carry = 0;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' if depth > 0 => depth -= 1,
                        b',' | b']' if depth == 0 => {
                            done = true;
                            break;
                        }
                        _ => {}
                    }
                    i += 1;
                }
            }
            if let Some(out) = out.as_deref_mut() {
                out.extend_from_slice(&buf[..i]);
            }
            self.pos.advance_over(&buf[..i]);
            self.r.consume(i);
            taken += i;
            if done {
                return Ok(taken);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(bytes: &[u8]) -> Vec<Result<Value, String>> {
        let mut out = Vec::new();
        let reader = Box::new(std::io::Cursor::new(bytes.to_vec()));
        for it in Items::from_reader("t.json".into(), reader) {
            let it = it.parse();
            let bad = it.value.is_err();
            out.push(it.value.map_err(|e| e.to_string()));
            if bad {
                break;
            }
        }
        out
    }

    #[test]
    fn array_elements_arrive_one_by_one() {
        let v = values(b" [ {\"a\":1}, {\"a\":2} ] ");
        assert_eq!(v.len(), 2);
    }

    #[test]
    fn a_mapped_file_gives_the_same_items_as_a_stream() {
        let text =
            b"\xEF\xBB\xBF [ {\"a\":\"x,]\\\"y\"} ,\n {\"b\":[1,{\"c\":2}]}\t, {\"d\": tru} ] ";
        let dir = std::env::temp_dir().join(format!("unpress-map-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("a.json");
        std::fs::write(&f, text).unwrap();
        let show = |it: RawItem| {
            let bytes = match &it.value {
                Ok(Raw::Bytes { bytes, line, col }) => {
                    format!("{}@{line}:{col}", String::from_utf8_lossy(bytes))
                }
                _ => String::new(),
            };
            let parsed = it.parse();
            format!("{bytes} {:?}", parsed.value.map_err(|e| e.to_string()))
        };
        let mapped: Vec<String> = Items::open(&f).map(show).collect();
        let reader = Box::new(std::io::Cursor::new(text.to_vec()));
        let streamed: Vec<String> = Items::from_reader(f.display().to_string(), reader)
            .map(show)
            .collect();
        assert_eq!(mapped, streamed);
        assert_eq!(mapped.len(), 3);
        assert!(
            mapped[1].starts_with("{\"b\":[1,{\"c\":2}]}@2:2 "),
            "{}",
            mapped[1]
        );
        assert!(
            mapped[2].contains("a.json:2:31: invalid JSON"),
            "{}",
            mapped[2]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn escaped_quotes_and_backslash_runs_split_alike_at_every_buffer_size() {
        let text = br#"[{"a":"\\"},{"b":"x\"],\\\"y"},{"c":"\\\\","d":"\/\n"},"\\\\\"]"]"#;
        let split = |cap: usize| -> Vec<String> {
            let reader = Box::new(BufReader::with_capacity(cap, &text[..]));
            Items::from_reader("t.json".into(), reader)
                .map(|it| match it.value {
                    Ok(Raw::Bytes { bytes, .. }) => String::from_utf8_lossy(&bytes).into_owned(),
                    other => format!("{:?}", other.err().map(|e| e.to_string())),
                })
                .collect()
        };
        let whole = split(1 << 16);
        assert_eq!(
            whole,
            [
                r#"{"a":"\\"}"#,
                r#"{"b":"x\"],\\\"y"}"#,
                r#"{"c":"\\\\","d":"\/\n"}"#,
                r#""\\\\\"]""#
            ]
        );
        for cap in 1..12 {
            assert_eq!(split(cap), whole, "buffer of {cap} bytes");
        }
    }

    #[test]
    fn errors_in_single_objects_and_ndjson_count_from_the_start_of_the_file() {
        let err = |text: &[u8]| {
            values(text)
                .into_iter()
                .find_map(Result::err)
                .expect("an error")
        };
        assert!(err(b"\n\n\n{\"id\":1 \"slug\":\"a\"}\n").contains("t.json:4:9:"));
        assert!(err(b"   {\"id\":1 x}").contains("t.json:1:12:"));
        assert!(err(b"\n\n{}\n{\"id\":2 x}\n").contains("t.json:4:9:"));
    }

    #[test]
    fn a_byte_order_mark_arriving_a_byte_at_a_time_is_skipped() {
        let text = b"\xEF\xBB\xBF [{\"a\":1}]";
        let reader = Box::new(BufReader::with_capacity(1, &text[..]));
        let items: Vec<_> = Items::from_reader("t.json".into(), reader)
            .map(|i| i.parse().value.map_err(|e| e.to_string()))
            .collect();
        assert_eq!(items.len(), 1);
        assert!(items[0].is_ok(), "{items:?}");
        let broken = Box::new(BufReader::with_capacity(1, &b"\xEF\xBB[{}]"[..]));
        let e = Items::from_reader("t.json".into(), broken).next().unwrap();
        assert!(
            e.parse()
                .value
                .unwrap_err()
                .to_string()
                .contains("byte-order mark")
        );
    }

    #[test]
    fn ndjson_and_single_objects_are_read() {
        assert_eq!(values(b"{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n").len(), 3);
        assert_eq!(values(b"\xEF\xBB\xBF{\"a\":1}").len(), 1);
    }

    #[test]
    fn invalid_json_names_line_and_column() {
        let v = values(b"[{\"a\":1},\n {\"a\" 2}]");
        let err = v.last().unwrap().as_ref().unwrap_err();
        assert!(err.starts_with("t.json:2:"), "{err}");
        assert!(err.contains("expected"), "{err}");
    }

    #[test]
    fn utf16_is_refused_with_a_clear_message() {
        let v = values(b"\xFF\xFE[\x00");
        assert!(v[0].as_ref().unwrap_err().contains("UTF-16"));
    }
}
