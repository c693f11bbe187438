//! Test helpers: the binary, temp folders, and an HTTP server on 127.0.0.1 with scripted answers.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Every file below `dir` (none if it is absent), sorted.
pub fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Every file below `dir` with its bytes, by path relative to `dir`.
pub fn file_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    files_under(dir)
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            let bytes = std::fs::read(&p).unwrap();
            (rel, bytes)
        })
        .collect()
}

pub fn unpress(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_unpress"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run unpress")
}

pub fn unpress_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_unpress"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run unpress");
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub fn sample() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/post-2160.json"))
        .unwrap()
}

/// A post object with the given id, slug and body.
pub fn post(id: u64, slug: &str, html: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id, "slug": slug, "type": "post", "status": "publish",
        "date": "2024-01-02T03:04:05", "date_gmt": "2024-01-02T03:04:05",
        "link": format!("https://example.org/{slug}/"),
        "title": {"rendered": format!("Post {id}")},
        "content": {"rendered": html}
    })
}

/// A post of the site at `base` (its `link` there): the images such a post shows may come from
/// the site's own kind of network, 127.0.0.1 included.
pub fn post_on(base: &str, id: u64, slug: &str, html: &str) -> serde_json::Value {
    let mut p = post(id, slug, html);
    p["link"] = serde_json::json!(format!("{base}/{slug}/"));
    p
}

/// Small but whole images (made with PHP's GD), that image decoders such as epubcheck accept.
pub const PNG: &[u8] = include_bytes!("../fixtures/tiny.png");
pub const JPEG: &[u8] = include_bytes!("../fixtures/tiny.jpg");

/// What the server answers for one request.
#[derive(Clone)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub delay: Duration,
    pub headers: Vec<(String, String)>,
    pub fault: Fault,
}

/// Ways a response can go wrong on the wire.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Fault {
    None,
    /// Close the connection without answering.
    Reset,
    /// Promise the whole body, send half, close.
    Truncate,
}

impl Reply {
    pub fn ok(content_type: &'static str, body: &[u8]) -> Self {
        Reply {
            status: 200,
            content_type,
            body: body.to_vec(),
            delay: Duration::ZERO,
            headers: Vec::new(),
            fault: Fault::None,
        }
    }
    pub fn status(status: u16) -> Self {
        Reply {
            status,
            content_type: "text/plain",
            body: b"error".to_vec(),
            delay: Duration::ZERO,
            headers: Vec::new(),
            fault: Fault::None,
        }
    }
}

type Handler = dyn Fn(&str, usize) -> Reply + Send + Sync;

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub authorization: Option<String>,
    /// The `Host` header: tells `localhost` from `127.0.0.1` on one port.
    pub host: Option<String>,
}

/// A small HTTP/1.1 server on 127.0.0.1; `handler(path, nth_hit_of_that_path)` scripts the answers.
pub struct Server {
    pub base: String,
    hits: Arc<Mutex<HashMap<String, usize>>>,
    pub log: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    pub fn start(handler: impl Fn(&str, usize) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let hits: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let log: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let handler: Arc<Handler> = Arc::new(handler);
        let h2 = hits.clone();
        let l2 = log.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let hits = h2.clone();
                let log = l2.clone();
                let handler = handler.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut line = String::new();
                    if reader.read_line(&mut line).is_err() {
                        return;
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                    let (mut authorization, mut host) = (None, None);
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                            break;
                        }
                        if let Some((k, v)) = h.split_once(':') {
                            if k.eq_ignore_ascii_case("authorization") {
                                authorization = Some(v.trim().to_string());
                            } else if k.eq_ignore_ascii_case("host") {
                                host = Some(v.trim().to_string());
                            }
                        }
                    }
                    log.lock().unwrap().push(Seen {
                        path: path.clone(),
                        authorization,
                        host,
                    });
                    let n = {
                        let mut m = hits.lock().unwrap();
                        let c = m.entry(path.clone()).or_insert(0);
                        *c += 1;
                        *c
                    };
                    let r = handler(&path, n);
                    std::thread::sleep(r.delay);
                    if r.fault == Fault::Reset {
                        let _ = stream.shutdown(std::net::Shutdown::Both);
                        return;
                    }
                    let mut head = format!(
                        "HTTP/1.1 {} X\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
                        r.status,
                        r.content_type,
                        r.body.len()
                    );
                    for (k, v) in &r.headers {
                        head.push_str(&format!("{k}: {v}\r\n"));
                    }
                    head.push_str("\r\n");
                    let body = if r.fault == Fault::Truncate {
                        &r.body[..r.body.len() / 2]
                    } else {
                        &r.body[..]
                    };
                    // One write: a head and a body written apart meet Nagle and delayed ACKs.
                    let mut out = head.into_bytes();
                    out.extend_from_slice(body);
                    let _ = stream.write_all(&out);
                    if r.fault == Fault::Truncate {
                        let _ = stream.shutdown(std::net::Shutdown::Both);
                    }
                });
            }
        });
        Server { base, hits, log }
    }

    pub fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }

    /// Every request seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.log.lock().unwrap().clone()
    }
}

/// Runs unpress and measures the peak memory of that process alone (`wait4` on its pid),
/// whatever other tests run beside it: (output, peak resident set in MB).
// The child is reaped by `wait4` below, which clippy cannot see.
#[allow(clippy::zombie_processes)]
pub fn unpress_measured(args: &[&str]) -> (Output, f64) {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    let mut child = Command::new(env!("CARGO_BIN_EXE_unpress"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run unpress");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out.read_to_end(&mut b);
        b
    });
    let t_err = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err.read_to_end(&mut b);
        b
    });
    let mut status = 0;
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 writes only into the two values we own; the pid is our own child's.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut ru) };
    assert_eq!(pid, child.id() as i32, "wait4");
    let output = Output {
        status: std::process::ExitStatus::from_raw(status),
        stdout: t_out.join().unwrap(),
        stderr: t_err.join().unwrap(),
    };
    (output, ru.ru_maxrss as f64 / 1024.0)
}

/// Prints a line that `cargo test` shows even for a passing test: its output capture covers
/// the print macros only, so this writes to the stderr handle directly.
pub fn notice(msg: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "notice: {msg}");
}
