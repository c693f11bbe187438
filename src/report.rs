//! `unpress-report.json`: every input post, what became of it, its images and its warnings.

use crate::diag::Warning;
use serde::{Deserialize, Serialize};

/// The report's head; `posts` (one `PostReport` each, in input order) and `summary` follow it,
/// written as posts finish so that memory does not grow with the number of posts.
#[derive(Debug, Serialize)]
pub struct Report {
    pub unpress: &'static str,
    pub inputs: Vec<String>,
    pub layout: String,
    pub formats: Vec<String>,
}

#[derive(Debug, Serialize, Default, Clone, Copy)]
pub struct Summary {
    pub posts: usize,
    pub converted: usize,
    pub skipped: usize,
    pub failed: usize,
    pub images_downloaded: usize,
    pub images_failed: usize,
    pub warnings: usize,
    /// The run was stopped (Ctrl-C) before every input was read: the counts are of what was.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
}

#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Converted,
    /// Not a post (a term, user or media object), or a second copy of a post already converted.
    Skipped,
    Failed,
}

#[derive(Debug, Serialize, Deserialize, Clone)]
pub struct PostReport {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    /// The output's name: its folder (bundles) or file stem (flat).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub source: String,
    /// Position in an array or NDJSON file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub outputs: Vec<String>,
    pub images: Vec<ImageReport>,
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Serialize, Deserialize, Clone)]
pub struct ImageReport {
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Summary {
    /// Counts one post in.
    pub fn add(&mut self, p: &PostReport) {
        self.posts += 1;
        match p.status {
            Status::Converted => self.converted += 1,
            Status::Skipped => self.skipped += 1,
            Status::Failed => self.failed += 1,
        }
        self.images_downloaded += p.images.iter().filter(|i| i.file.is_some()).count();
        self.images_failed += p.images.iter().filter(|i| i.error.is_some()).count();
        self.warnings += p.warnings.len();
    }
}

impl PostReport {
    /// Where this post came from, as a person would name it: `file (item 3, post 42)`.
    pub fn origin(&self) -> String {
        let mut s = self.source.clone();
        let mut extra = Vec::new();
        if let Some(i) = self.index {
            extra.push(format!("item {}", i + 1));
        }
        if let Some(id) = self.id {
            extra.push(format!("id {id}"));
        }
        if !extra.is_empty() {
            s.push_str(&format!(" ({})", extra.join(", ")));
        }
        s
    }
}
