//! Command-line definitions, and their translation into plain option structs.

use crate::convert::{ConvertOptions, Layout, Messages, Sink};
use crate::fetch::FetchOptions;
use crate::write::{Format, WriteOptions, front_matter};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

const EXIT_CODES: &str = "\
Exit status:
  0  every post (and every image) was converted
  1  some posts or images failed; the rest were written (see unpress-report.json)
  2  usage error, or nothing could be done (e.g. the output folder is not writable)";

#[derive(Parser, Debug)]
#[command(
    name = "unpress",
    version,
    about = "Take a blog's content out of WordPress, whole and clean",
    long_about = "unpress reads WordPress REST API JSON and writes clean Markdown, plain text and \
                  JSON through one document model, with the images downloaded beside them.",
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Convert saved REST JSON (a post, an array of posts, NDJSON or a folder) into files
    #[command(after_help = CONVERT_EXAMPLES)]
    Convert(ConvertArgs),
    /// Print a shell completion script
    Completions {
        /// bash, zsh, fish, elvish or powershell
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to standard output
    Man,
}

const CONVERT_EXAMPLES: &str = "\
Examples:
  unpress convert samples/post-2160.json --out out/
  unpress convert export/ --out site/ --to md,txt,json --jobs 2
  curl -s https://example.org/wp-json/wp/v2/posts?per_page=100 | unpress convert - --out site/
  unpress convert post.json --to md --out -        # Markdown on standard output

Each post becomes OUT/<slug>/index.md (and index.txt, …) with its images beside it
(a Hugo/Zola page bundle); --layout flat writes OUT/<slug>.md and OUT/images/.
OUT/unpress-report.json lists every post, its files, its images and its warnings.

Exit status:
  0  every post (and every image) was converted
  1  some posts or images failed; the rest were written (see unpress-report.json)
  2  usage error, or nothing could be done (e.g. the output folder is not writable)";

#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// JSON files or folders (searched recursively for *.json); `-` reads standard input
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output folder, or `-` to write one format to standard output
    #[arg(short, long, value_name = "DIR")]
    pub out: PathBuf,
    /// Formats to write, comma-separated
    #[arg(long, value_delimiter = ',', default_value = "md,txt")]
    pub to: Vec<Format>,
    /// Page bundles (OUT/<slug>/index.md) or flat files (OUT/<slug>.md, OUT/images/)
    #[arg(long, value_enum, default_value = "bundle")]
    pub layout: Layout,
    /// Front matter style of the Markdown
    #[arg(long, value_enum, default_value = "yaml")]
    pub front_matter: front_matter::Style,
    /// Posts converted in parallel [default: the number of CPUs]
    #[arg(short, long)]
    pub jobs: Option<usize>,
    /// Do not download images; the Markdown keeps their remote URLs
    #[arg(long)]
    pub no_images: bool,
    /// Keep link URLs in the plain text
    #[arg(long)]
    pub links: bool,
    /// Seconds before one image request is abandoned
    #[arg(long, default_value = "60", value_name = "SECS")]
    pub timeout: f64,
    /// Further attempts after a transient download failure (5xx, 429, timeouts)
    #[arg(long, default_value = "3")]
    pub retries: u32,
    /// Largest image accepted, in bytes
    #[arg(long, default_value = "52428800", value_name = "BYTES")]
    pub max_image_size: u64,
    /// Image downloads in flight at once
    #[arg(long, default_value = "8", value_name = "N")]
    pub download_jobs: usize,
    /// Treat warnings as failures (exit status 1)
    #[arg(long)]
    pub strict: bool,
    /// Print nothing but errors
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print every warning, and a summary even on success
    #[arg(short, long)]
    pub verbose: bool,
}

impl ConvertArgs {
    pub fn options(&self) -> Result<ConvertOptions, String> {
        let mut formats = Vec::new();
        for f in &self.to {
            if !formats.contains(f) {
                formats.push(*f);
            }
        }
        let to_stdout = self.out.as_os_str() == "-";
        if to_stdout && formats.len() != 1 {
            return Err("--out - writes one format: choose it with --to (md, txt or json)".into());
        }
        if !(self.timeout.is_finite() && self.timeout > 0.0) {
            return Err("--timeout takes a number of seconds above 0".into());
        }
        let jobs = self.jobs.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        });
        if jobs == 0 {
            return Err("--jobs takes a number above 0".into());
        }
        let timeout = Duration::from_secs_f64(self.timeout);
        Ok(ConvertOptions {
            inputs: self.inputs.clone(),
            sink: if to_stdout {
                Sink::Stdout
            } else {
                Sink::Folder(self.out.clone())
            },
            formats,
            layout: self.layout,
            jobs,
            images: !self.no_images && !to_stdout,
            fetch: FetchOptions {
                timeout,
                connect_timeout: timeout.min(Duration::from_secs(10)),
                retries: self.retries,
                max_bytes: self.max_image_size,
                concurrency: self.download_jobs.max(1),
                ..FetchOptions::default()
            },
            write: WriteOptions {
                front_matter: self.front_matter,
                links_in_text: self.links,
            },
            progress: !self.quiet,
            messages: if self.quiet {
                Messages::Quiet
            } else if self.verbose || self.strict {
                Messages::Verbose
            } else {
                Messages::Normal
            },
        })
    }
}
