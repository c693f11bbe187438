//! Command-line definitions, and their translation into plain option structs.

use crate::convert::{ConvertOptions, Layout, Messages, Sink};
use crate::fetch::FetchOptions;
use crate::write::{Format, WriteOptions, front_matter};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

const EXIT_CODES: &str = "\
Exit status:
  0    every post (and every image) was converted
  1    some posts or images failed; the rest were written (see unpress-report.json)
  2    usage error, or nothing could be done (e.g. the output folder is not writable)
  130  interrupted (Ctrl-C, convert): posts already converted are written and reported";

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
    /// Mirror a live site over its REST API (incrementally), then convert it
    #[command(after_help = FETCH_EXAMPLES)]
    Fetch(FetchArgs),
    /// Make one EPUB book of many posts (a mirror, or saved JSON)
    #[command(after_help = BOOK_EXAMPLES)]
    Book(BookArgs),
    /// Package a mirror (or any folder) as a BagIt bag, zipped or as a folder
    #[command(after_help = ARCHIVE_EXAMPLES)]
    Archive(ArchiveArgs),
    /// Check a package made by `archive` against its own SHA-256 manifests
    #[command(
        after_help = "Exit status:\n  0  every file is present and unchanged\n  1  files are missing, changed or unexpected (each is named)\n  2  the package cannot be read (not a bag, or a damaged zip)"
    )]
    Verify {
        /// A zip made by `archive`, or a bag folder
        package: PathBuf,
    },
    /// Print a shell completion script
    Completions {
        /// bash, zsh, fish, elvish or powershell
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one per command into a folder
    Man {
        /// Write unpress.1 and unpress-COMMAND.1 here instead of printing unpress.1
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

const CONVERT_EXAMPLES: &str = "\
Examples:
  unpress convert samples/post-2160.json --out out/
  unpress convert export/ --out site/ --to md,txt,json --jobs 2
  curl -s 'https://example.org/wp-json/wp/v2/posts?per_page=100' \\
    | unpress convert - --out site/
  unpress convert post.json --to md --out -        # Markdown on standard output

Each post becomes OUT/<slug>/index.md (and index.txt, …) with its images beside it
(a Hugo/Zola page bundle); --layout flat writes OUT/<slug>.md and OUT/images/.
OUT/unpress-report.json lists every post, its files, its images and its warnings.

Exit status:
  0    every post (and every image) was converted
  1    some posts or images failed; the rest were written (see unpress-report.json)
  2    usage error, or nothing could be done (e.g. the output folder is not writable)
  130  interrupted (Ctrl-C): posts under way were finished; the report lists what was done";

const FETCH_EXAMPLES: &str = "\
Examples:
  unpress fetch https://blog.example.org --out mirror/     # first run: everything
  unpress fetch https://blog.example.org --out mirror/     # later: what changed
  export UNPRESS_APP_PASSWORD='abcd efgh ijkl mnop'
  unpress fetch https://blog.example.org --out mirror/ --user editor
  unpress convert mirror/ --out site/                      # offline, any time

The mirror holds every item's JSON exactly as the server sent it (items/<type>/<id>.json), the
terms, users and media entries, the downloaded media (media/), unpress-mirror.json (the state
that makes re-runs incremental), the converted site (site/) and fetch-report.json.

The Application Password is read from UNPRESS_APP_PASSWORD or --password-file, never from the
command line; it is never logged or written anywhere.

Exit status:
  0  everything was fetched and converted
  1  some items, pages or media failed; the rest were written (see fetch-report.json)
  2  usage error, or nothing could be done (no REST API found, mirror not writable)";

#[derive(Args, Debug)]
pub struct FetchArgs {
    /// The site (its home page URL), or its REST API root (…/wp-json/ or …/?rest_route=/)
    pub site: String,
    /// The mirror folder
    #[arg(short, long, value_name = "DIR")]
    pub out: PathBuf,
    /// Log in as this user with an Application Password (from UNPRESS_APP_PASSWORD or
    /// --password-file): drafts, private and scheduled items come too
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// A file whose first line is the Application Password
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Only these post types (slugs or REST bases), comma-separated
    #[arg(long, value_delimiter = ',')]
    pub types: Option<Vec<String>>,
    /// Statuses to fetch with --user (publish, draft, private, future, pending; default any)
    #[arg(long)]
    pub status: Option<String>,
    /// Unlock password-protected posts with this post password (not an account password)
    #[arg(long, value_name = "PASSWORD")]
    pub post_password: Option<String>,
    /// Requests in flight at once
    #[arg(short, long, default_value = "4")]
    pub jobs: usize,
    /// Requests per second at most
    #[arg(long)]
    pub rate: Option<f64>,
    /// Do not download media
    #[arg(long)]
    pub no_images: bool,
    /// Do not convert; only mirror
    #[arg(long)]
    pub no_convert: bool,
    /// Formats to convert into, comma-separated
    #[arg(long, value_delimiter = ',', default_value = "md,txt")]
    pub to: Vec<Format>,
    /// Page bundles or flat files in mirror/site/
    #[arg(long, value_enum, default_value = "bundle")]
    pub layout: Layout,
    /// Front matter style of the Markdown
    #[arg(long, value_enum, default_value = "yaml")]
    pub front_matter: front_matter::Style,
    /// Seconds before one request is abandoned
    #[arg(long, default_value = "60", value_name = "SECS")]
    pub timeout: f64,
    /// Further attempts after a transient failure (5xx, 429, timeouts, resets)
    #[arg(long, default_value = "4")]
    pub retries: u32,
    /// Largest media file accepted, in bytes
    #[arg(long, default_value = "104857600", value_name = "BYTES")]
    pub max_image_size: u64,
    /// Print nothing but errors
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print every warning, and a summary even on success
    #[arg(short, long)]
    pub verbose: bool,
}

impl FetchArgs {
    pub fn options(&self) -> Result<(crate::fetch::crawl::CrawlOptions, ConvertOptions), String> {
        if !(self.timeout.is_finite() && self.timeout > 0.0) {
            return Err("--timeout takes a number of seconds above 0".into());
        }
        if self.rate.is_some_and(|r| !(r.is_finite() && r > 0.0)) {
            return Err("--rate takes a number of requests per second above 0".into());
        }
        let auth = match &self.user {
            None => None,
            Some(user) => {
                let password = match &self.password_file {
                    Some(f) => std::fs::read_to_string(f)
                        .map_err(|e| format!("--password-file {}: {e}", f.display()))?
                        .lines()
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_string(),
                    None => std::env::var("UNPRESS_APP_PASSWORD").map_err(|_| {
                        "--user needs an Application Password: set UNPRESS_APP_PASSWORD or use --password-file".to_string()
                    })?,
                };
                if password.is_empty() {
                    return Err("the Application Password is empty".into());
                }
                Some(crate::fetch::api::Credentials {
                    user: user.clone(),
                    password,
                })
            }
        };
        let timeout = Duration::from_secs_f64(self.timeout);
        let api = crate::fetch::api::ApiOptions {
            client: crate::fetch::client::ClientOptions {
                timeout,
                connect_timeout: timeout.min(Duration::from_secs(10)),
                retries: self.retries,
                backoff: Duration::from_millis(500),
                jobs: self.jobs,
                rate: self.rate,
                auth,
                auth_origin: crate::fetch::api::site_url(&self.site)
                    .ok()
                    .map(|u| crate::fetch::client::origin(&u)),
                reach: Default::default(),
            },
            max_body: 256 << 20,
        };
        let crawl = crate::fetch::crawl::CrawlOptions {
            site: self.site.clone(),
            mirror: self.out.clone(),
            types: self.types.clone(),
            status: self.status.clone(),
            post_password: self.post_password.clone(),
            images: !self.no_images,
            max_image: self.max_image_size,
            api,
            progress: !self.quiet,
        };
        let convert = ConvertOptions {
            inputs: Vec::new(),
            sink: Sink::Folder(self.out.join(crate::mirror::SITE)),
            formats: unique(&self.to),
            layout: self.layout,
            jobs: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            images: !self.no_images && !self.no_convert,
            fetch: FetchOptions {
                timeout,
                connect_timeout: timeout.min(Duration::from_secs(10)),
                retries: self.retries,
                max_bytes: self.max_image_size,
                ..FetchOptions::default()
            },
            write: WriteOptions {
                front_matter: self.front_matter,
                links_in_text: false,
            },
            progress: !self.quiet,
            messages: messages(self.quiet, self.verbose),
            assigned: Default::default(),
            record_names: true,
            interrupt: None,
        };
        Ok((crawl, convert))
    }
}

const ARCHIVE_EXAMPLES: &str = "\
Examples:
  unpress archive mirror/ -o blog-2026-11.zip       # one self-contained zip
  unpress archive mirror/ -o blog-2026-11/ --bag    # a BagIt bag (RFC 8493) folder
  unpress verify blog-2026-11.zip                   # fixity check

Exit status:
  0  the package was written
  2  it was not: the target exists (use --force), or the folder cannot be read

The package is a BagIt 1.0 bag: data/ holds the folder as it is (raw JSON as fetched, Markdown,
text, media, reports), manifest-sha256.txt the SHA-256 of every file, unpress-files.tsv their
sizes, bag-info.txt the site (Source-Organization, External-Identifier), Payload-Oxum and the
date of the newest item. The same folder gives a byte-identical zip.";

#[derive(Args, Debug)]
pub struct ArchiveArgs {
    /// The folder to package (a mirror made by `fetch`, or converted output)
    pub src: PathBuf,
    /// The zip file (or, with --bag, the bag folder) to write
    #[arg(short, long, value_name = "PATH")]
    pub out: PathBuf,
    /// Write a bag folder instead of a zip
    #[arg(long)]
    pub bag: bool,
    /// Replace the target if it exists
    #[arg(long)]
    pub force: bool,
    /// Also keep an EPUB of the posts in the package (data/book.epub)
    #[arg(long)]
    pub epub: bool,
}

const BOOK_EXAMPLES: &str = "\
Examples:
  unpress book mirror/ -o blog.epub
  unpress book mirror/ -o blog.epub --lang ja --writing-mode vertical-rl
  unpress book export/ -o book.epub --pages --group category --cover cover.jpg

Chapters are the posts in date order (--order), each listed in the navigation with its h2/h3
headings; images are inside the book (JPEG, PNG and GIF; others become their alt text, with a
warning). The same input gives a byte-identical book.

Exit status:
  0  the book was written with every image
  1  the book was written, but some images or inputs were left out (they are listed)
  2  no book: usage error, no posts, or the file could not be written";

#[derive(Args, Debug)]
pub struct BookArgs {
    /// Mirrors made by `fetch`, JSON files or folders; `-` reads standard input
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// The EPUB file to write (`-` for standard output)
    #[arg(short, long, value_name = "FILE")]
    pub out: PathBuf,
    /// Book title [default: the site's name]
    #[arg(long)]
    pub title: Option<String>,
    /// Language (BCP 47, such as ja or en) [default: guessed from the text]
    #[arg(long)]
    pub lang: Option<String>,
    /// Include pages as well as posts
    #[arg(long)]
    pub pages: bool,
    /// Chapter order
    #[arg(long, value_enum, default_value = "date")]
    pub order: crate::book::Order,
    /// Group chapters into parts
    #[arg(long, value_enum)]
    pub group: Option<crate::book::Group>,
    /// Cover image [default: the newest post's featured image]
    #[arg(long, value_name = "FILE")]
    pub cover: Option<PathBuf>,
    /// Horizontal, or vertical right-to-left (Japanese)
    #[arg(long, value_enum, default_value = "horizontal-tb")]
    pub writing_mode: crate::write::epub::WritingMode,
    /// Do not download images that are not already in a mirror
    #[arg(long)]
    pub no_images: bool,
    /// Statuses to include, comma-separated (publish, private, draft, future, pending, or any)
    #[arg(long, value_delimiter = ',', default_value = "publish")]
    pub status: Vec<String>,
    /// Include posts that are password-protected on the site
    #[arg(long)]
    pub protected: bool,
    /// Seconds before one image request is abandoned
    #[arg(long, default_value = "60", value_name = "SECS")]
    pub timeout: f64,
    /// Print nothing but errors
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// List every image left out
    #[arg(short, long)]
    pub verbose: bool,
}

impl BookArgs {
    pub fn options(&self) -> Result<crate::book::BookOptions, String> {
        if !(self.timeout.is_finite() && self.timeout > 0.0) {
            return Err("--timeout takes a number of seconds above 0".into());
        }
        let timeout = Duration::from_secs_f64(self.timeout);
        Ok(crate::book::BookOptions {
            inputs: self.inputs.clone(),
            out: self.out.clone(),
            title: self.title.clone(),
            lang: self.lang.clone(),
            pages: self.pages,
            order: self.order,
            group: self.group,
            cover: self.cover.clone(),
            writing_mode: self.writing_mode,
            images: !self.no_images,
            fetch: FetchOptions {
                timeout,
                connect_timeout: timeout.min(Duration::from_secs(10)),
                ..FetchOptions::default()
            },
            statuses: self.status.clone(),
            protected: self.protected,
        })
    }
}

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
        let formats = unique(&self.to);
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
            assigned: Default::default(),
            record_names: false,
            messages: messages(self.quiet, self.verbose || self.strict),
            interrupt: None,
        })
    }
}

/// Formats in the order given, each once.
fn unique(to: &[Format]) -> Vec<Format> {
    let mut formats = Vec::new();
    for f in to {
        if !formats.contains(f) {
            formats.push(*f);
        }
    }
    formats
}

fn messages(quiet: bool, verbose: bool) -> Messages {
    if quiet {
        Messages::Quiet
    } else if verbose {
        Messages::Verbose
    } else {
        Messages::Normal
    }
}
