//! The `unpress` binary: parse arguments, run a command, turn the outcome into an exit status.

use clap::{CommandFactory, Parser};
use std::process::ExitCode;
use unpress::cli::{Cli, Command, ConvertArgs};

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
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "unpress",
                &mut std::io::stdout(),
            );
            ExitCode::SUCCESS
        }
        Command::Man => {
            let man = clap_mangen::Man::new(Cli::command());
            match man.render(&mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("unpress: cannot write the man page: {e}");
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
    let outcome = match unpress::convert::run(opts) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("unpress: {e}");
            return ExitCode::from(2);
        }
    };
    // Each post's errors and warnings were printed as it finished; here, the totals.
    let s = outcome.summary;
    let failed = s.failed > 0 || s.images_failed > 0 || (args.strict && s.warnings > 0);
    let report_note = outcome
        .report_path
        .as_ref()
        .map(|p| format!("; details in {}", p.display()))
        .unwrap_or_default();
    if !args.quiet && (failed || args.verbose) {
        eprintln!(
            "unpress: {} of {} items converted, {} skipped (not posts, or duplicates), {} failed; \
             {} images downloaded, {} failed; {} warnings{}",
            s.converted,
            s.posts,
            s.skipped,
            s.failed,
            s.images_downloaded,
            s.images_failed,
            s.warnings,
            report_note
        );
    }
    if s.converted == 0 && s.failed == 0 {
        eprintln!("unpress: no posts found in the input");
        for line in &outcome.skipped_examples {
            eprintln!("skipped: {line}");
        }
        return ExitCode::from(1);
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

// Conversion allocates many small strings per post; mimalloc is markedly faster at that than
// glibc's allocator, and scales across worker threads.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
