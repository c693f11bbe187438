//! The `unpress` binary: parse arguments, run a command, turn the outcome into an exit status.

use clap::{CommandFactory, Parser};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use unpress::cli::{BookArgs, Cli, Command, ConvertArgs, FetchArgs};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match cli.command {
        Command::Convert(args) => convert(&args),
        Command::Fetch(args) => fetch(&args),
        Command::Book(args) => book(&args),
        Command::Archive(a) => {
            let epub = a.epub.then(|| unpress::book::BookOptions {
                inputs: vec![a.src.clone()],
                out: a.out.clone(),
                title: None,
                lang: None,
                pages: true,
                order: unpress::book::Order::Date,
                group: None,
                cover: None,
                writing_mode: unpress::write::epub::WritingMode::HorizontalTb,
                images: false,
                fetch: Default::default(),
                statuses: vec!["publish".into()],
                protected: false,
            });
            let opts = unpress::archive::ArchiveOptions {
                src: a.src.clone(),
                out: a.out.clone(),
                bag: a.bag,
                force: a.force,
                epub,
            };
            match unpress::archive::package(&opts) {
                Ok(_) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("unpress: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Verify { package } => verify(&package),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "unpress",
                &mut std::io::stdout(),
            );
            ExitCode::SUCCESS
        }
        Command::Man { dir } => {
            let result = match &dir {
                // unpress.1 plus a page per command, which the top page's SEE ALSO names.
                Some(dir) => std::fs::create_dir_all(dir)
                    .and_then(|_| clap_mangen::generate_to(Cli::command(), dir)),
                None => clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout()),
            };
            match result {
                Ok(()) => ExitCode::SUCCESS,
                // `unpress man | head`: the reader has what it wanted.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                Err(e) => {
                    match dir {
                        Some(d) => eprintln!(
                            "unpress: cannot write the man pages to {}: {e}",
                            d.display()
                        ),
                        None => eprintln!("unpress: cannot write the man page: {e}"),
                    }
                    ExitCode::from(2)
                }
            }
        }
    }
}

fn convert(args: &ConvertArgs) -> ExitCode {
    let opts = match args.options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("unpress: {e}");
            return ExitCode::from(2);
        }
    };
    if matches!(opts.sink, unpress::convert::Sink::Stdout)
        && opts.formats.contains(&unpress::write::Format::Epub)
        && !args.no_images
        && !args.quiet
    {
        eprintln!(
            "unpress: note: an EPUB written to standard output has no images (they are \
             downloaded into the output folder); use --out DIR to have them inside"
        );
    }
    // Nothing to read at all is not a batch with failures: nothing could be done.
    if opts
        .inputs
        .iter()
        .all(|p| p.as_os_str() != "-" && !p.exists())
    {
        for p in &opts.inputs {
            eprintln!("unpress: {}: no such file or folder", p.display());
        }
        return ExitCode::from(2);
    }
    let mut opts = opts;
    if let Err(e) = unpress::mirror::resolve_inputs(&mut opts) {
        eprintln!("unpress: {e}");
        return ExitCode::from(2);
    }
    // Ctrl-C (or a TERM) stops starting posts; those under way finish and the report is
    // written. A second Ctrl-C stops at once.
    let interrupt = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let _ = signal_hook::flag::register_conditional_shutdown(sig, 130, interrupt.clone());
        let _ = signal_hook::flag::register(sig, interrupt.clone());
    }
    opts.interrupt = Some(interrupt);
    let outcome = match unpress::convert::run(opts) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("unpress: {e}");
            return ExitCode::from(2);
        }
    };
    if outcome.stdout_refused > 0 {
        eprintln!(
            "unpress: --out - writes one post in md, txt or epub, and the input holds {} more; \
             use --out DIR, or --to json for one JSON document per line",
            outcome.stdout_refused
        );
        return ExitCode::from(2);
    }
    // Each post's errors and warnings were printed as it finished; here, the totals.
    let s = outcome.summary;
    let failed = s.failed > 0 || s.images_failed > 0 || (args.strict && s.warnings > 0);
    let report_note = outcome
        .report_path
        .as_ref()
        .map(|p| format!("; details in {}", p.display()))
        .unwrap_or_default();
    if s.interrupted {
        eprintln!(
            "unpress: interrupted: {} of the {} items read so far converted, {} failed{}",
            s.converted, s.posts, s.failed, report_note
        );
        return ExitCode::from(130);
    }
    if !args.quiet && (failed || args.verbose) {
        let strict = if args.strict && s.warnings > 0 && s.failed == 0 && s.images_failed == 0 {
            " (--strict: warnings count as failures)"
        } else {
            ""
        };
        eprintln!(
            "unpress: {} of {} converted, {} skipped (not posts, or duplicates), {} failed; \
             {} saved, {} failed; {}{strict}{}",
            s.converted,
            plural(s.posts, "item"),
            s.skipped,
            s.failed,
            plural(s.images_downloaded, "image"),
            s.images_failed,
            plural(s.warnings, "warning"),
            report_note
        );
    }
    if s.converted == 0 && s.failed == 0 {
        // With -v each skipped item was printed already.
        if !args.verbose {
            for line in &outcome.skipped_examples {
                eprintln!("skipped: {line}");
            }
        }
        eprintln!("unpress: no posts found in the input");
        return ExitCode::from(1);
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// "1 warning", "2 warnings".
fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

// Conversion allocates many small strings per post; mimalloc is markedly faster at that than
// glibc's allocator, and scales across worker threads.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn fetch(args: &FetchArgs) -> ExitCode {
    let (crawl, convert) = match args.options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("unpress: {e}");
            return ExitCode::from(2);
        }
    };
    let convert = if args.no_convert { None } else { Some(convert) };
    let outcome = match unpress::sync::run(&crawl, convert) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("unpress: {e}");
            return ExitCode::from(2);
        }
    };
    let c = &outcome.crawl;
    if !args.quiet {
        for f in c.failures.iter().chain(&c.media_failures) {
            eprintln!("error: {f}");
        }
        if args.verbose {
            for n in &c.notes {
                eprintln!("note: {n}");
            }
            for p in &c.protected {
                eprintln!(
                    "note: {p} is password-protected and was not converted (use --post-password)"
                );
            }
        }
    }
    let failed = outcome.failed();
    if !args.quiet && (failed || args.verbose || !c.deleted.is_empty()) {
        eprintln!(
            "unpress: the mirror holds {} items: {} changed, {} deleted (moved aside), {} password-protected; \
             media {} downloaded, {} not modified, {} failed; {} requests; details in {}",
            c.items_total,
            c.changed.len(),
            c.deleted.len(),
            c.protected.len(),
            c.media_downloaded,
            c.media_not_modified,
            c.media_failures.len(),
            c.requests,
            outcome.report_path.display()
        );
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn book(args: &BookArgs) -> ExitCode {
    let outcome = match args.options().and_then(|o| unpress::book::run(&o)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("unpress: {e}");
            return ExitCode::from(2);
        }
    };
    let left_out = !outcome.missing_images.is_empty() || !outcome.skipped.is_empty();
    if !args.quiet {
        for n in &outcome.notes {
            eprintln!("note: {n}");
        }
        for s in &outcome.skipped {
            eprintln!("skipped: {s}");
        }
        if args.verbose {
            for s in &outcome.excluded {
                eprintln!("left out: {s}");
            }
        }
        for (image, why) in
            outcome
                .missing_images
                .iter()
                .take(if args.verbose { usize::MAX } else { 10 })
        {
            eprintln!("warning: image {image} is not in the book ({why}); its alt text stands in");
        }
        if left_out || args.verbose {
            eprintln!(
                "unpress: {} chapters, {} images in the book, {} images left out",
                outcome.chapters,
                outcome.images,
                outcome.missing_images.len()
            );
        }
    }
    if left_out {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn verify(package: &std::path::Path) -> ExitCode {
    let f = match unpress::archive::verify(package) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("unpress: {e}");
            return ExitCode::from(2);
        }
    };
    for p in &f.missing {
        eprintln!("missing: {p}");
    }
    for p in &f.changed {
        eprintln!("changed: {p}");
    }
    for p in &f.unexpected {
        eprintln!("unexpected: {p}");
    }
    for p in &f.problems {
        eprintln!("problem: {p}");
    }
    if f.ok() {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "unpress: {} files intact; {} missing, {} changed, {} unexpected, {} other problems",
            f.checked,
            f.missing.len(),
            f.changed.len(),
            f.unexpected.len(),
            f.problems.len()
        );
        ExitCode::from(1)
    }
}
