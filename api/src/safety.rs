//! Crisis language and the resources shown when it appears. Detection never blocks anyone; it
//! adds a list of places to reach a person now. The default list is international; a JSON file
//! (`HEARTH_CRISIS_RESOURCES`) may set lists per country (two-letter code) and replace the default:
//! `{"default": [...], "GB": [{"name": "Samaritans", "phone": "116 123", "url": "https://www.samaritans.org"}]}`.
use async_graphql::SimpleObject;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;

/// A place to reach someone now: a line to call or text, or a site.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, SimpleObject)]
pub struct CrisisResource {
    /// Who they are and what they offer, to show as is.
    pub name: String,
    /// A number to call, if any.
    #[serde(default)]
    pub phone: Option<String>,
    /// A number or short code to text, if any.
    #[serde(default)]
    pub text: Option<String>,
    /// A website, if any.
    #[serde(default)]
    pub url: Option<String>,
}

/// Crisis resources by country, with the list for everyone else.
#[derive(Clone, Debug)]
pub struct CrisisDirectory {
    default: Vec<CrisisResource>,
    by_country: HashMap<String, Vec<CrisisResource>>,
}

fn international() -> Vec<CrisisResource> {
    let entry = |name: &str, url: &str| CrisisResource {
        name: name.to_owned(),
        phone: None,
        text: None,
        url: Some(url.to_owned()),
    };
    vec![
        CrisisResource {
            name: "Emergency services: if you are in danger now, call your local emergency number"
                .to_owned(),
            phone: Some("112".to_owned()),
            text: None,
            url: None,
        },
        entry(
            "Find A Helpline: free, confidential support lines in your country",
            "https://findahelpline.com",
        ),
        entry(
            "Befrienders Worldwide: emotional support centres around the world",
            "https://befrienders.org",
        ),
    ]
}

impl Default for CrisisDirectory {
    fn default() -> Self {
        CrisisDirectory {
            default: international(),
            by_country: HashMap::new(),
        }
    }
}

impl CrisisDirectory {
    /// The built-in list, or the file's lists over it.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        Self::from_json(&std::fs::read_to_string(path)?)
    }

    fn from_json(raw: &str) -> anyhow::Result<Self> {
        let mut lists: HashMap<String, Vec<CrisisResource>> = serde_json::from_str(raw)?;
        let default = lists.remove("default").unwrap_or_else(international);
        let by_country = lists
            .into_iter()
            .map(|(country, list)| (country.to_ascii_uppercase(), list))
            .collect();
        Ok(CrisisDirectory {
            default,
            by_country,
        })
    }

    /// The list for someone in `country` (the default when it has none of its own).
    pub fn for_country(&self, country: Option<&str>) -> Vec<CrisisResource> {
        country
            .and_then(|c| self.by_country.get(c))
            .unwrap_or(&self.default)
            .clone()
    }
}

/// Words that suggest someone may be in danger. Matching is on whole words of lower-cased text,
/// so it is forgiving of case and punctuation; it errs towards showing resources.
const PHRASES: &[&str] = &[
    "suicide",
    "suicidal",
    "kill myself",
    "killing myself",
    "end my life",
    "ending my life",
    "end it all",
    "want to die",
    "wanna die",
    "better off dead",
    "no reason to live",
    "hurt myself",
    "hurting myself",
    "self harm",
    "self-harm",
    "cut myself",
    "cutting myself",
    "overdose",
    "can't go on",
    "cant go on",
];

pub fn has_crisis_language(text: &str) -> bool {
    let words: String = text
        .to_lowercase()
        .chars()
        .map(|c| match c {
            // Phones type curly apostrophes: "can’t" is "can't".
            '\u{2019}' | '\u{2018}' | '\u{02BC}' => '\'',
            c if c.is_alphanumeric() || c == '\'' || c == '-' => c,
            _ => ' ',
        })
        .collect();
    let padded = format!(
        " {} ",
        words.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    PHRASES.iter().any(|p| padded.contains(&format!(" {p} ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crisis_language_is_found_in_ordinary_writing() {
        assert!(has_crisis_language("Honestly I want to die."));
        assert!(has_crisis_language("thinking about SUICIDE again"));
        assert!(has_crisis_language("I can't go on like this"));
        assert!(has_crisis_language("I can\u{2019}t go on like this"));
        assert!(!has_crisis_language("A calm day, walked the dog"));
        // Whole words only: "die" inside "diet" is not "want to die".
        assert!(!has_crisis_language("I want to diet"));
    }

    #[test]
    fn a_country_list_replaces_the_default_for_that_country() {
        let directory =
            CrisisDirectory::from_json(r#"{"gb": [{"name": "Samaritans", "phone": "116 123"}]}"#)
                .unwrap();
        assert_eq!(directory.for_country(Some("GB"))[0].name, "Samaritans");
        assert_eq!(directory.for_country(Some("FR")), international());
        assert_eq!(directory.for_country(None), international());
    }
}
