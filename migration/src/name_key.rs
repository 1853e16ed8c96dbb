//! How display names and aliases are keyed in their unique indexes: two names that read the
//! same to a person get the same key. The key is stored data, so the migrations that compute
//! it and the server that checks it use this one function.
//!
//! Unicode data: Unicode 18.0.0 in both crates used here (`unicode-security` 0.1.3 for the
//! UTS #39 confusables and default-ignorable code points, ICU4X `icu_casemap` 2.4.0 for upper
//! case and full case folding); both are pinned, and a new version needs a migration that re-keys.
use icu_casemap::CaseMapper;
use icu_locale_core::LanguageIdentifier;

/// The key of a name. UTS #39 compares the skeletons of two names (NFD, default-ignorable code
/// points dropped, each character to its confusable prototype, NFD again), and its confusables
/// are case-sensitive: `I` (capital i) has the prototype `l`, `m` the prototype `rn`, while `i`
/// and `M` stand for themselves. Folding case *before* the skeleton (as this key once did) turns
/// `OIive` into `olive` and loses the `I`/`l` look-alike. So the skeleton is taken first, then
/// upper-cased and taken again (capitals that look alike meet: `I` and `l` and so `i`), then
/// case-folded and taken again (small letters that look alike meet: `m` and `rn`). Spaces,
/// `_`, `-` and `.` say nothing about who a name is, so they are left out: `Owner Olive.`,
/// `Owner  Olive` and `OwnerOlive` are one name. `Owner Olive`, `OWNER OLIVE`, `0wner 0live`,
/// `Оwner Оlive` (Cyrillic О) and `Owner OIive` (capital I) share one key.
pub fn name_key(name: &str) -> String {
    let skeleton = |text: &str| unicode_security::skeleton(text).collect::<String>();
    let case = CaseMapper::new();
    let upper = skeleton(&case.uppercase_to_string(&skeleton(name), &LanguageIdentifier::UNKNOWN));
    skeleton(&case.fold_string(&upper))
        .chars()
        .filter(|c| !is_separator(*c))
        .collect()
}

/// What separates the words of a name, once in its skeleton.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '_' | '-' | '.')
}

#[cfg(test)]
mod tests {
    use super::name_key;

    #[test]
    fn look_alikes_share_a_key() {
        let owner = name_key("Owner Olive");
        for alike in [
            "owner olive",
            "0wner 0live",
            "\u{41e}wner \u{41e}live",
            "OWNER OLIVE",
            // Capital I for l: folded after the skeleton, it stays an l.
            "Owner OIive",
            "0WNER 0IIVE",
            // A Hangul filler for the space (refused as input, but keyed as a gap anyway).
            "Owner\u{3164}Olive",
            // Punctuation and spacing do not make a name new.
            "Owner Olive.",
            "Owner Olive..",
            "Owner_Olive",
            "Owner - Olive",
            "Owner  Olive",
            "OwnerOlive",
            ".Owner Olive",
        ] {
            assert_eq!(name_key(alike), owner, "{alike:?}");
        }
        assert_eq!(name_key("Mod Mia."), name_key("Mod Mia"));
        assert_eq!(name_key("mary"), name_key("rnary"));
        assert_eq!(name_key("MARY"), name_key("rnary"));
        // Full case folding, not lower case: ß folds to ss.
        assert_eq!(name_key("Strauß"), name_key("STRAUSS"));
        assert_ne!(name_key("Owner Olive"), name_key("Owner Oliver"));
        assert_ne!(name_key("Ann Lee"), name_key("Ann Leo"));
    }
}
