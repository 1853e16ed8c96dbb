//! Free tags, beside the topic of a group or a question.
use crate::error::{AppError, AppResult};

/// Free tags: at most 5, each 1–24 of a–z, 0–9 and `-`; stored comma-separated.
pub fn parse_tags(tags: &[String]) -> AppResult<String> {
    if tags.len() > 5 {
        return Err(AppError::bad_input("tags", "at most 5 tags"));
    }
    let mut clean: Vec<String> = Vec::new();
    for tag in tags {
        let tag = tag.trim().to_lowercase();
        if tag.is_empty()
            || tag.len() > 24
            || !tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(AppError::bad_input(
                "tags",
                "tags are 1 to 24 of a-z, 0-9 and -",
            ));
        }
        if !clean.contains(&tag) {
            clean.push(tag);
        }
    }
    Ok(clean.join(","))
}
