//! How display names and aliases are keyed in their unique indexes: two names that read the
//! same to a person get the same key. The key is stored data, so the migration that computes
//! it and the server that checks it use this one function.

/// The UTS #39 confusable skeleton of the lower-cased name, lower-cased: `Owner Olive`,
/// `0wner 0live` and `Оwner Оlive` (Cyrillic О) share one key.
pub fn name_key(name: &str) -> String {
    let lowered = name.to_lowercase();
    unicode_security::skeleton(&lowered)
        .collect::<String>()
        .to_lowercase()
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
        ] {
            assert_eq!(name_key(alike), owner, "{alike}");
        }
        assert_eq!(name_key("mary"), name_key("rnary"));
        assert_ne!(name_key("Owner Olive"), name_key("Owner Oliver"));
    }
}
