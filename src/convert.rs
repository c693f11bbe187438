//! The `convert` pipeline: stream posts from the inputs, convert them on N workers, download
//! their images, write every format atomically, and report on each post.

use crate::diag::{Diag, Warning};
use crate::fetch::{Downloader, FetchOptions};
use crate::media;
use crate::output::{Names, safe_component};
use crate::read::input::{self, InputError, Item, Items, RawItem};
use crate::read::wp_json::{self, PostHead};
use crate::report::{ImageReport, PostReport, Report, Status, Summary};
use crate::write::{self, Format, WriteOptions};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, PoisonError, mpsc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Layout {
    /// `OUT/<slug>/index.md` with the post's images beside it (Hugo and Zola page bundles).
    Bundle,
    /// `OUT/<slug>.md`, images in `OUT/images/`.
    Flat,
}

/// Where converted posts go.
#[derive(Debug, Clone)]
pub enum Sink {
    Folder(PathBuf),
    /// `--out -`: one format, concatenated on standard output, no images and no report.
    Stdout,
}

#[derive(Debug, Clone)]
pub struct ConvertOptions {
    pub inputs: Vec<PathBuf>,
    pub sink: Sink,
    pub formats: Vec<Format>,
    pub layout: Layout,
    pub jobs: usize,
    pub images: bool,
    pub fetch: FetchOptions,
    pub write: WriteOptions,
    pub progress: bool,
    pub messages: Messages,
    /// Output names already given to posts (type, id) by earlier runs, kept so that links and
    /// redirects stay put when a mirror is converted again.
    pub assigned: HashMap<(String, u64), String>,
    /// Return every post's output name in the outcome (a mirror keeps them).
    pub record_names: bool,
    /// Set (by a signal handler) to stop: no further posts are started, those under way are
    /// finished and reported, and the report says the run was interrupted.
    pub interrupt: Option<Arc<std::sync::atomic::AtomicBool>>,
}

/// A failure that stops the whole run (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum Fatal {
    #[error("cannot write to the output folder {path}: {source}")]
    Output {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Setup(String),
}

/// What a run did, for the summary and the exit status.
pub struct Outcome {
    pub summary: Summary,
    /// Posts not written to standard output because it already held one (md, txt, epub).
    pub stdout_refused: usize,
    /// (type, id, output name) of every post converted.
    pub names: Vec<(String, u64, String)>,
    pub report_path: Option<PathBuf>,
    /// The first few skipped items and why, for when nothing was converted.
    pub skipped_examples: Vec<String>,
}

/// What the reader hands the workers: an item to parse and plan, or an input that failed.
enum Pending {
    /// Sequence number, which opening of an input it came from, the item.
    Item(usize, usize, RawItem),
    Failed(usize, PostReport),
}

/// An item once parsed, before it is named.
enum Parsed {
    Item(usize, usize, Item),
    Failed(usize, PostReport),
}

/// One post's work once planned.
enum Job {
    Convert(usize, Unit),
    Failed(usize, PostReport),
    /// A complaint about an array's structure right after one of its elements failed: the
    /// same damage, not reported twice.
    Ignore(usize),
}

/// Items are parsed on the workers, yet output names must be given in input order so that they
/// do not depend on timing: each batch is planned in turn, under one lock.
struct Turns {
    state: Mutex<PlanState>,
    cv: Condvar,
}

struct PlanState {
    next_batch: usize,
    planner: Planner,
    /// The input (by opening) in which a syntax error was found: what follows it there is not
    /// trusted, whatever the splitter made of it.
    stopped: Option<usize>,
}

impl Turns {
    fn plan(&self, batch_no: usize, items: Vec<Parsed>) -> Vec<Job> {
        let mut g = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        while g.next_batch != batch_no {
            g = self.cv.wait(g).unwrap_or_else(PoisonError::into_inner);
        }
        let st = &mut *g;
        let jobs = items
            .into_iter()
            .map(|p| match p {
                Parsed::Failed(seq, report) => Job::Failed(seq, report),
                Parsed::Item(seq, opening, item) => {
                    // After an element that did not parse, the splitter's complaint about the
                    // array's end is the same damage seen again; later elements still count.
                    if st.stopped == Some(opening) && item.index.is_none() {
                        return Job::Ignore(seq);
                    }
                    if item.value.is_err() {
                        st.stopped = Some(opening);
                    }
                    let (source, index) = (item.source.clone(), item.index);
                    // Whatever happens, this batch's turn must pass: a panic here would leave
                    // every later batch waiting.
                    let planner = &mut st.planner;
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
                        plan(item, seq, planner)
                    }))
                    .unwrap_or_else(|_| {
                        let msg = "internal error while reading this item (please report it)";
                        Job::Failed(seq, failed(source, index, None, msg.into()))
                    })
                }
            })
            .collect();
        g.next_batch += 1;
        self.cv.notify_all();
        jobs
    }
}

struct Done {
    seq: usize,
    /// `None` for an item not to report.
    report: Option<PostReport>,
    stdout: Option<Vec<u8>>,
}

pub fn run(opts: ConvertOptions) -> Result<Outcome, Fatal> {
    let out_dir = match &opts.sink {
        Sink::Folder(p) => {
            prepare_output(p)?;
            Some(p.clone())
        }
        Sink::Stdout => None,
    };
    let downloader = if opts.images && out_dir.is_some() {
        Some(Arc::new(
            Downloader::new(opts.fetch.clone()).map_err(Fatal::Setup)?,
        ))
    } else {
        None
    };
    if let (Some(dir), Layout::Flat, Some(_)) = (&out_dir, opts.layout, &downloader) {
        crate::output::make_dirs(dir, &dir.join("images")).map_err(|source| Fatal::Output {
            path: dir.join("images").display().to_string(),
            source,
        })?;
    }
    let jobs = opts.jobs.max(1);
    // Workers take the input and hand back results in batches: one hand-off per post cost
    // more in thread wake-ups than a short post takes to convert.
    let feed = Arc::new(Mutex::new(Feed::new(&opts)));
    let (done_tx, done_rx) = mpsc::channel::<Vec<Done>>();
    let opts = Arc::new(opts);
    let turns = Arc::new(Turns {
        state: Mutex::new(PlanState {
            next_batch: 0,
            planner: planner(&opts.assigned),
            stopped: None,
        }),
        cv: Condvar::new(),
    });

    let mut workers = Vec::new();
    for _ in 0..jobs {
        let feed = feed.clone();
        let tx = done_tx.clone();
        let opts = opts.clone();
        let dl = downloader.clone();
        let out_dir = out_dir.clone();
        let turns = turns.clone();
        // Deeply nested posts recurse in the reader and writers: give them room.
        let builder = std::thread::Builder::new()
            .name("convert".into())
            .stack_size(16 << 20);
        let spawned = builder.spawn(move || {
            loop {
                let next = feed
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .next_batch();
                let Some((batch_no, batch)) = next else {
                    return;
                };
                // Parsing, the bulk of reading, happens here in parallel; naming in turn.
                let items = batch
                    .into_iter()
                    .map(|p| match p {
                        Pending::Item(seq, opening, raw) => {
                            let (source, index) = (raw.source.clone(), raw.index);
                            let parse = std::panic::AssertUnwindSafe(move || raw.parse());
                            match std::panic::catch_unwind(parse) {
                                Ok(item) => Parsed::Item(seq, opening, item),
                                Err(_) => {
                                    let msg = "internal error while parsing this item";
                                    Parsed::Failed(seq, failed(source, index, None, msg.into()))
                                }
                            }
                        }
                        Pending::Failed(seq, report) => Parsed::Failed(seq, report),
                    })
                    .collect();
                let results = turns
                    .plan(batch_no, items)
                    .into_iter()
                    .map(|job| run_job(&opts, out_dir.as_deref(), dl.as_deref(), job))
                    .collect();
                if tx.send(results).is_err() {
                    return;
                }
            }
        });
        workers
            .push(spawned.map_err(|e| Fatal::Setup(format!("cannot start a worker thread: {e}")))?);
    }
    drop(done_tx);

    let bar = progress_bar(opts.progress);
    let mut report = match &out_dir {
        Some(dir) => Some(
            ReportWriter::create(dir, &opts).map_err(|source| Fatal::Output {
                path: dir.join("unpress-report.json").display().to_string(),
                source,
            })?,
        ),
        None => None,
    };
    let mut summary = Summary::default();
    let mut skipped_examples = Vec::new();
    let mut names = Vec::new();
    // Workers finish out of order; reports (and stdout) go out in input order, and are then
    // dropped: memory stays flat however many posts stream through.
    let mut pending: BTreeMap<usize, Done> = BTreeMap::new();
    let mut next = 0usize;
    let stdout = std::io::stdout();
    let mut stdout_ok = true;
    let (mut written, mut stdout_refused) = (0usize, 0usize);
    let mut report_err = None;
    let mut announced = false;
    loop {
        // Waiting in slices, so that a Ctrl-C is answered at once even while slow downloads
        // keep every worker busy.
        let batch = match done_rx.recv_timeout(std::time::Duration::from_millis(200)) {
            Ok(b) => b,
            Err(mpsc::RecvTimeoutError::Timeout) => Vec::new(),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        if !announced && raised(&opts.interrupt) {
            announced = true;
            bar.suspend(|| {
                eprintln!(
                    "unpress: stopping: finishing the posts under way (Ctrl-C again stops at once)"
                )
            });
        }
        bar.inc(batch.len() as u64);
        pending.extend(batch.into_iter().map(|d| (d.seq, d)));
        while let Some(done) = pending.remove(&next) {
            next += 1;
            // Markdown, text and EPUB documents cannot be concatenated into one valid file.
            let single = opts.formats.first().is_some_and(|f| *f != Format::Json);
            if done.stdout.is_some() && single && written > 0 {
                stdout_refused += 1;
            } else if let Some(s) = &done.stdout
                && stdout_ok
            {
                written += 1;
                let mut lock = stdout.lock();
                // A closed pipe (`| head`) is not an error: stop writing, keep converting.
                if lock.write_all(s).is_err() || lock.flush().is_err() {
                    stdout_ok = false;
                }
            }
            let Some(p) = &done.report else {
                continue;
            };
            summary.add(p);
            if opts.record_names
                && p.status == Status::Converted
                && let (Some(kind), Some(id), Some(name)) = (&p.kind, p.id, &p.name)
            {
                names.push((kind.clone(), id, name.clone()));
            }
            if p.status == Status::Skipped && skipped_examples.len() < 10 {
                skipped_examples.push(format!(
                    "{}: {}",
                    p.origin(),
                    p.error.as_deref().unwrap_or("")
                ));
            }
            let lines = messages(p, opts.messages);
            if !lines.is_empty() {
                bar.suspend(|| {
                    for l in &lines {
                        eprintln!("{l}");
                    }
                });
            }
            if let Some(w) = report.as_mut()
                && report_err.is_none()
                && let Err(e) = w.post(p)
            {
                report_err = Some(e);
            }
        }
    }
    bar.finish_and_clear();
    for w in workers {
        let _ = w.join();
    }
    summary.interrupted = feed
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .cut_short;
    let report_path = match report {
        Some(w) => {
            let path = w.path.clone();
            let result = match report_err {
                Some(e) => Err(e),
                None => w.finish(&summary),
            };
            result.map_err(|source| Fatal::Output {
                path: path.display().to_string(),
                source,
            })?;
            Some(path)
        }
        None => None,
    };
    Ok(Outcome {
        summary,
        stdout_refused,
        names,
        report_path,
        skipped_examples,
    })
}

fn run_job(
    opts: &ConvertOptions,
    out_dir: Option<&Path>,
    dl: Option<&Downloader>,
    job: Job,
) -> Done {
    match job {
        Job::Failed(seq, report) => Done {
            seq,
            report: Some(report),
            stdout: None,
        },
        Job::Ignore(seq) => Done {
            seq,
            report: None,
            stdout: None,
        },
        Job::Convert(seq, unit) => {
            let (source, index, id) = (unit.source.clone(), unit.index, unit.head.id);
            // A bug must cost one post, not the run: the post is reported failed.
            let run = std::panic::AssertUnwindSafe(|| convert_one(opts, out_dir, dl, unit));
            let (report, stdout) = std::panic::catch_unwind(run).unwrap_or_else(|_| {
                let msg = "internal error while converting this post (please report it)";
                (failed(source, index, id, msg.to_string()), None)
            });
            Done {
                seq,
                report: Some(report),
                stdout,
            }
        }
    }
}

/// How much to say about each post as it finishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Messages {
    /// Errors only.
    Quiet,
    /// Errors and images that failed.
    Normal,
    /// Errors, failed images and every warning.
    Verbose,
}

fn messages(p: &PostReport, level: Messages) -> Vec<String> {
    let mut out = Vec::new();
    match p.status {
        // Input errors (invalid JSON, unreadable files) name the file and place themselves.
        Status::Failed => match p.error.as_deref() {
            Some(e) if p.index.is_none() && e.starts_with(&p.source) => {
                out.push(format!("error: {e}"))
            }
            e => out.push(format!("error: {}: {}", p.origin(), e.unwrap_or("failed"))),
        },
        Status::Skipped if level == Messages::Verbose => out.push(format!(
            "skipped: {}: {}",
            p.origin(),
            p.error.as_deref().unwrap_or("")
        )),
        _ => {}
    }
    for w in &p.warnings {
        match w {
            // A failed image fails the run (exit 1), so it is said even with -q.
            Warning::ImageFailed { url, reason } => {
                out.push(format!("warning: {}: image {url}: {reason}", p.origin()))
            }
            Warning::ImageSubstituted { .. } if level != Messages::Quiet => {
                out.push(format!("warning: {}: {w}", p.origin()))
            }
            _ if level == Messages::Quiet => {}
            other if level == Messages::Verbose => {
                out.push(format!("warning: {}: {other}", p.origin()))
            }
            _ => {}
        }
    }
    out
}

/// Writes `unpress-report.json` as posts finish, to a temporary file renamed at the end.
struct ReportWriter {
    file: std::io::BufWriter<std::fs::File>,
    tmp: PathBuf,
    path: PathBuf,
    first: bool,
}

impl ReportWriter {
    fn create(dir: &Path, opts: &ConvertOptions) -> std::io::Result<Self> {
        let path = dir.join("unpress-report.json");
        let tmp = crate::output::temp_path(&path);
        let mut file = std::io::BufWriter::new(crate::output::create_new(&tmp)?);
        let head = Report {
            unpress: env!("CARGO_PKG_VERSION"),
            inputs: opts
                .inputs
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
            layout: format!("{:?}", opts.layout).to_lowercase(),
            formats: opts
                .formats
                .iter()
                .map(|f| f.extension().to_string())
                .collect(),
        };
        let mut head_json = serde_json::to_string_pretty(&head).map_err(std::io::Error::other)?;
        // Reopen the object to append the streamed posts and the summary.
        head_json.truncate(head_json.trim_end().len() - 1);
        let head_json = head_json.trim_end().to_string();
        write!(file, "{head_json},\n  \"posts\": [")?;
        Ok(ReportWriter {
            file,
            tmp,
            path,
            first: true,
        })
    }

    fn post(&mut self, p: &PostReport) -> std::io::Result<()> {
        self.file
            .write_all(if self.first { b"\n    " } else { b",\n    " })?;
        self.first = false;
        serde_json::to_writer(&mut self.file, p).map_err(std::io::Error::other)
    }

    fn finish(mut self, summary: &Summary) -> std::io::Result<()> {
        let s = serde_json::to_string(summary).map_err(std::io::Error::other)?;
        write!(self.file, "\n  ],\n  \"summary\": {s}\n}}\n")?;
        self.file.flush()?;
        drop(self.file);
        std::fs::rename(&self.tmp, &self.path)
    }
}

fn progress_bar(enabled: bool) -> indicatif::ProgressBar {
    if !enabled {
        return indicatif::ProgressBar::hidden();
    }
    // Hidden by indicatif itself when stderr is not a terminal.
    let bar = indicatif::ProgressBar::new_spinner();
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} {pos} posts converted ({per_sec}) {elapsed}",
    ) {
        bar.set_style(style);
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

fn prepare_output(p: &Path) -> Result<(), Fatal> {
    // Say plainly when a part of the path is a file, not a folder.
    if let Some(file) = p.ancestors().find(|a| a.is_file()) {
        return Err(Fatal::Output {
            path: p.display().to_string(),
            source: std::io::Error::other(format!("{} is a file, not a folder", file.display())),
        });
    }
    let err = |source| Fatal::Output {
        path: p.display().to_string(),
        source,
    };
    std::fs::create_dir_all(p).map_err(err)?;
    crate::output::remove_stale_temps(p);
    // Find out now, not after an hour of downloads, that the folder cannot be written.
    let probe = crate::output::temp_path(&p.join("probe"));
    crate::output::create_new(&probe).map_err(err)?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Posts per hand-off to the workers, and the HTML bytes after which a batch goes anyway.
const BATCH_POSTS: usize = 8;
const BATCH_BYTES: usize = 256 << 10;

fn planner(assigned: &HashMap<(String, u64), String>) -> Planner {
    // Names the output folder uses for its own files: a flat layout writes NAME.json, so a
    // post called unpress-report would overwrite the report.
    const RESERVED: [&str; 3] = ["unpress-report.json", "unpress-report", "images"];
    let mut planner = Planner {
        // Names earlier runs gave (a mirror's state) are kept, unless they are not names this
        // run would give: empty, unsafe or reserved ones are given afresh.
        assigned: assigned
            .iter()
            .filter(|(_, n)| {
                !matches!(n.as_str(), "" | "." | "..")
                    && !n.contains(['/', '\\', '\0'])
                    && !RESERVED.contains(&n.as_str())
            })
            .map(|(k, n)| (k.clone(), n.clone()))
            .collect(),
        ..Planner::default()
    };
    for name in RESERVED {
        planner.names.claim_exact(name);
    }
    for name in planner.assigned.values() {
        planner.names.claim_exact(name);
    }
    planner
}

/// Whether the interrupt flag, if there is one, has been set.
fn raised(flag: &Option<Arc<std::sync::atomic::AtomicBool>>) -> bool {
    flag.as_ref()
        .is_some_and(|f| f.load(std::sync::atomic::Ordering::Relaxed))
}

/// The inputs, read a batch at a time by whichever worker needs work next. Reading takes
/// turns under a lock rather than running on a thread of its own: a separate reader thread
/// competed with the workers for the cores and woke them for every batch.
struct Feed {
    interrupt: Option<Arc<std::sync::atomic::AtomicBool>>,
    sources: std::vec::IntoIter<Result<PathBuf, InputError>>,
    current: Option<Items>,
    /// How many inputs have been opened: tells items of one opening from the next.
    openings: usize,
    seq: usize,
    batch_no: usize,
    /// Stopped by the interrupt flag with input left unread.
    cut_short: bool,
}

impl Feed {
    fn stopped(&self) -> bool {
        raised(&self.interrupt)
    }

    fn new(opts: &ConvertOptions) -> Feed {
        let out_dir = match &opts.sink {
            Sink::Folder(p) => Some(p.as_path()),
            Sink::Stdout => None,
        };
        Feed {
            interrupt: opts.interrupt.clone(),
            sources: input::expand(&opts.inputs, out_dir).into_iter(),
            current: None,
            openings: 0,
            seq: 0,
            batch_no: 0,
            cut_short: false,
        }
    }

    /// The next few items in input order, numbered; `None` when every input is read.
    fn next_batch(&mut self) -> Option<(usize, Vec<Pending>)> {
        if self.stopped() {
            // Interrupted only if something was left to read.
            let more =
                self.current.as_mut().is_some_and(|i| i.next().is_some()) || self.sources.len() > 0;
            self.cut_short |= more;
            self.current = None;
            self.sources = Vec::new().into_iter();
            return None;
        }
        let mut batch = Vec::with_capacity(BATCH_POSTS);
        let mut bytes = 0usize;
        while batch.len() < BATCH_POSTS && bytes < BATCH_BYTES {
            if let Some(items) = &mut self.current {
                match items.next() {
                    Some(item) => {
                        bytes += item.pending_len();
                        batch.push(Pending::Item(self.seq, self.openings, item));
                        self.seq += 1;
                        continue;
                    }
                    None => self.current = None,
                }
            }
            match self.sources.next() {
                Some(Ok(path)) => {
                    self.openings += 1;
                    self.current = Some(Items::open(&path));
                }
                Some(Err(e)) => {
                    batch.push(Pending::Failed(self.seq, failed_input(&e)));
                    self.seq += 1;
                }
                None => break,
            }
        }
        if batch.is_empty() {
            return None;
        }
        self.batch_no += 1;
        Some((self.batch_no - 1, batch))
    }
}

fn failed_input(e: &InputError) -> PostReport {
    let source = match e {
        InputError::Io { path, .. }
        | InputError::Json { path, .. }
        | InputError::Encoding { path, .. }
        | InputError::Missing { path }
        | InputError::EmptyFolder { path } => path.clone(),
    };
    failed(source, None, None, e.to_string())
}

fn failed(source: String, index: Option<usize>, id: Option<u64>, error: String) -> PostReport {
    PostReport {
        id,
        kind: None,
        slug: None,
        name: None,
        source,
        index,
        status: Status::Failed,
        error: Some(error),
        outputs: Vec::new(),
        images: Vec::new(),
        warnings: Vec::new(),
    }
}

/// Checks an item is a post and gives it a unique, safe output name.
/// The site a post belongs to: the host of its `link` (else its `guid`).
fn site_of(v: &Value) -> String {
    let url = v
        .get("link")
        .and_then(Value::as_str)
        .or_else(|| v.pointer("/guid/rendered").and_then(Value::as_str))
        .unwrap_or("");
    url.split("://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// What the reader remembers to name outputs: names taken, and posts already seen.
#[derive(Default)]
struct Planner {
    names: Names,
    /// (site, type, id) → where it was first seen: ids are only unique within one site.
    seen: HashMap<(String, String, u64), String>,
    assigned: HashMap<(String, u64), String>,
}

fn plan(item: Item, seq: usize, planner: &mut Planner) -> Job {
    let value = match item.value {
        Ok(v) => v,
        Err(e) => return Job::Failed(seq, failed_input(&e)),
    };
    let id = value.get("id").and_then(Value::as_u64);
    let head = match wp_json::head(&value) {
        Ok(h) => h,
        Err(e @ wp_json::PostError::OtherObject(_)) => {
            let mut r = failed(item.source, item.index, id, e.to_string());
            r.status = Status::Skipped;
            return Job::Failed(seq, r);
        }
        Err(e) => return Job::Failed(seq, failed(item.source, item.index, id, e.to_string())),
    };
    // A mirror or an export often holds a post twice (a listing and the single item): the first
    // copy is converted, later ones are reported as duplicates rather than renamed copies.
    let origin = |source: &str, index: Option<usize>| match index {
        Some(i) => format!("{source} (item {})", i + 1),
        None => source.to_string(),
    };
    if let Some(id) = head.id {
        let key = (site_of(&value), head.kind.clone(), id);
        if let Some(first) = planner.seen.get(&key) {
            let mut r = failed(
                item.source,
                item.index,
                Some(id),
                format!("duplicate of {} {id} in {first}", head.kind),
            );
            r.status = Status::Skipped;
            return Job::Failed(seq, r);
        }
        planner.seen.insert(key, origin(&item.source, item.index));
    }
    if let Some(name) = head
        .id
        .and_then(|id| planner.assigned.get(&(head.kind.clone(), id)))
    {
        return Job::Convert(
            seq,
            Unit {
                source: item.source,
                index: item.index,
                renamed: (!head.slug.is_empty() && *name != head.slug).then(|| name.clone()),
                name: name.clone(),
                value,
                head,
            },
        );
    }
    let names = &mut planner.names;
    let safe = safe_component(&head.slug);
    let fallback = match head.id {
        Some(id) => format!("{}-{id}", safe_component(&head.kind)),
        None => format!("post-{}", seq + 1),
    };
    let stem = if safe.is_empty() {
        fallback
    } else {
        safe.clone()
    };
    // Names are claimed without extension, so a flat `a.md` and `a.txt` belong to one post.
    let name = if names.claim_exact(&stem) {
        stem.clone()
    } else {
        // A duplicate slug: the post id makes a stable second name.
        let with_id = head.id.map(|id| format!("{stem}-{id}"));
        match with_id {
            Some(n) if names.claim_exact(&n) => n,
            _ => names.claim(&stem, ""),
        }
    };
    // A post without a slug gets a made-up name: said too, as its address changes.
    let renamed = (name != head.slug).then(|| name.clone());
    Job::Convert(
        seq,
        Unit {
            source: item.source,
            index: item.index,
            value,
            head,
            name,
            renamed,
        },
    )
}

struct Unit {
    source: String,
    index: Option<usize>,
    value: Value,
    head: PostHead,
    name: String,
    renamed: Option<String>,
}

fn convert_one(
    opts: &ConvertOptions,
    out_dir: Option<&Path>,
    dl: Option<&Downloader>,
    unit: Unit,
) -> (PostReport, Option<Vec<u8>>) {
    let mut diag = Diag::default();
    let mut report = PostReport {
        id: unit.head.id,
        kind: Some(unit.head.kind.clone()),
        slug: Some(unit.head.slug.clone()),
        name: Some(unit.name.clone()),
        source: unit.source,
        index: unit.index,
        status: Status::Converted,
        error: None,
        outputs: Vec::new(),
        images: Vec::new(),
        warnings: Vec::new(),
    };
    let mut doc = match wp_json::read_post(&unit.value, &mut diag) {
        Ok(d) => d,
        Err(e) => {
            report.status = Status::Failed;
            report.error = Some(e.to_string());
            return (report, None);
        }
    };
    drop(unit.value);
    if let Some(to) = &unit.renamed {
        diag.warn(Warning::SlugChanged {
            from: unit.head.slug.clone(),
            to: to.clone(),
        });
    }
    let Some(out_dir) = out_dir else {
        let format = opts.formats.first().copied().unwrap_or(Format::Md);
        let mut missing = Vec::new();
        // On standard output JSON is one document per line (NDJSON), so that many posts stay
        // readable by a JSON tool.
        let rendered = if format == Format::Json {
            serde_json::to_vec(&doc)
                .map(|mut v| {
                    v.push(b'\n');
                    v
                })
                .map_err(std::io::Error::other)
        } else {
            write::render_bytes(format, &doc, &opts.write, None, &mut missing)
        };
        let bytes = match rendered {
            Ok(b) => b,
            Err(e) => {
                report.status = Status::Failed;
                report.error = Some(format!("cannot write the {}: {e}", format.extension()));
                return (report, None);
            }
        };
        report.warnings = diag.warnings;
        return (report, Some(bytes));
    };
    let (doc_dir, img_dir, img_prefix) = match opts.layout {
        Layout::Bundle => {
            let d = out_dir.join(&unit.name);
            (d.clone(), d, String::new())
        }
        Layout::Flat => (
            out_dir.to_path_buf(),
            out_dir.join("images"),
            "images/".to_string(),
        ),
    };
    if let Err(e) = crate::output::make_dirs(out_dir, &doc_dir) {
        report.status = Status::Failed;
        report.error = Some(format!("cannot create {}: {e}", doc_dir.display()));
        return (report, None);
    }
    let urls = media::collect(&mut doc);
    if let Some(dl) = dl {
        let reach = dl.reach_of(doc.meta.link.as_deref());
        let fetched = dl.fetch_all(&urls, &img_dir, reach);
        // Other sizes are looked up only for a post that needs them.
        let alternatives = if fetched
            .iter()
            .any(|r| r.as_ref().is_err_and(|e| crate::fetch::is_missing(e)))
        {
            media::alternatives(&mut doc)
        } else {
            HashMap::new()
        };
        let mut local = HashMap::new();
        for (url, r) in urls.iter().zip(fetched) {
            // The best size missing (a 404 for the full-size file is common after a site's
            // media was regenerated): the other sizes the post names are tried, largest first.
            let r = match r {
                Err(reason)
                    if crate::fetch::is_missing(&reason) && alternatives.contains_key(url) =>
                {
                    let found = alternatives[url].iter().find_map(|alt| {
                        let got = dl.fetch_all(std::slice::from_ref(alt), &img_dir, reach);
                        got.into_iter().next()?.ok().map(|p| (alt.clone(), p))
                    });
                    match found {
                        Some((used, path)) => {
                            diag.warn(Warning::ImageSubstituted {
                                url: url.clone(),
                                reason,
                                used,
                            });
                            Ok(path)
                        }
                        None => Err(reason),
                    }
                }
                r => r,
            };
            match r {
                Ok(saved) => {
                    if let Some(note) = saved.note {
                        diag.warn(Warning::ImageSanitized {
                            url: url.clone(),
                            note,
                        });
                    }
                    let path = saved.path;
                    let file = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let rel = format!("{img_prefix}{file}");
                    local.insert(url.clone(), rel.clone());
                    report.images.push(ImageReport {
                        url: url.clone(),
                        file: Some(rel_to(out_dir, &path)),
                        error: None,
                    });
                }
                Err(reason) => {
                    diag.warn(Warning::ImageFailed {
                        url: url.clone(),
                        reason: reason.clone(),
                    });
                    report.images.push(ImageReport {
                        url: url.clone(),
                        file: None,
                        error: Some(reason),
                    });
                }
            }
        }
        media::relink(&mut doc, &local);
    } else {
        report.images = urls
            .into_iter()
            .map(|url| ImageReport {
                url,
                file: None,
                error: None,
            })
            .collect();
    }
    for &format in &opts.formats {
        let path = match opts.layout {
            Layout::Bundle => doc_dir.join(format!("index.{}", format.extension())),
            Layout::Flat => doc_dir.join(format!("{}.{}", unit.name, format.extension())),
        };
        let mut missing = Vec::new();
        let written = crate::output::write_atomic_with(&path, |w| {
            write::write_to(format, &doc, &opts.write, Some(&doc_dir), &mut missing, w)
        });
        for (target, reason) in missing {
            diag.warn(Warning::NotInBook {
                image: target,
                reason,
            });
        }
        match written {
            Ok(()) => report.outputs.push(rel_to(out_dir, &path)),
            Err(e) => {
                report.status = Status::Failed;
                report.error = Some(format!("cannot write {}: {e}", path.display()));
            }
        }
    }
    report.warnings = diag.warnings;
    (report, None)
}

fn rel_to(base: &Path, path: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_earlier_runs_that_are_reserved_or_unsafe_are_given_afresh() {
        let mut assigned = HashMap::new();
        for (id, name) in [
            (1, "unpress-report"),
            (2, ""),
            (3, "../x"),
            (4, "kept"),
            (5, "images"),
        ] {
            assigned.insert(("post".to_string(), id), name.to_string());
        }
        let p = planner(&assigned);
        let mut kept: Vec<_> = p.assigned.values().cloned().collect();
        kept.sort();
        assert_eq!(kept, ["kept"]);
    }
}
