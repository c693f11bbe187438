//! Readers: input sources, WordPress REST objects, and the rendered HTML inside them.

pub mod dom;
pub mod html;
pub mod input;
pub mod wp_json;
