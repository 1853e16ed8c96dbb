//! Account input, validated once at the edge into domain types.
use crate::error::{AppError, AppResult};

/// A normalised (trimmed, lower-cased) and validated email address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> AppResult<Self> {
        let normalised = raw.trim().to_lowercase();
        if normalised.len() > 254 || !email_address::EmailAddress::is_valid(&normalised) {
            return Err(AppError::bad_input("email", "enter a valid email address"));
        }
        let domain = normalised.rsplit('@').next().unwrap_or_default();
        if !domain.contains('.') {
            return Err(AppError::bad_input("email", "enter a valid email address"));
        }
        Ok(Self(normalised))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A pseudonym: 3–32 characters of letters, digits, spaces, `_`, `-` and `.`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> AppResult<Self> {
        // The Hangul fillers count as letters: refused before the letter check lets them by.
        crate::text::refuse_invisible("displayName", raw)?;
        let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        let len = name.chars().count();
        if !(3..=32).contains(&len) {
            return Err(AppError::bad_input(
                "displayName",
                "must be 3 to 32 characters",
            ));
        }
        if !name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '_' | '-' | '.'))
        {
            return Err(AppError::bad_input(
                "displayName",
                "may use letters, digits, spaces, _ - and .",
            ));
        }
        Ok(Self(name))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The uniqueness key: names that read the same to a person (case, look-alike letters from
    /// other scripts or digits by UTS #39, spacing and punctuation) share it.
    pub fn key(&self) -> String {
        migration::name_key::name_key(&self.0)
    }
}

/// A password of 10–256 characters (never stored, never logged).
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str, field: &'static str) -> AppResult<Self> {
        let len = raw.chars().count();
        if !(10..=256).contains(&len) {
            return Err(AppError::bad_input(field, "must be 10 to 256 characters"));
        }
        Ok(Self(raw.to_owned()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// An IANA timezone name such as `Europe/Paris`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timezone(String);

impl Timezone {
    pub fn parse(raw: &str) -> AppResult<Self> {
        let tz: chrono_tz::Tz = raw.trim().parse().map_err(|_| {
            AppError::bad_input("timezone", "must be an IANA timezone like Europe/Paris")
        })?;
        Ok(Self(tz.name().to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An ISO 3166-1 alpha-2 country code, or nothing (an empty string clears it).
pub struct Country(Option<String>);

impl Country {
    pub fn parse(raw: &str) -> AppResult<Self> {
        let code = raw.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Ok(Self(None));
        }
        if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(AppError::bad_input(
                "country",
                "must be a two-letter country code like GB, or empty",
            ));
        }
        Ok(Self(Some(code)))
    }
    pub fn into_code(self) -> Option<String> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            Email::parse("  Ana@Example.ORG ").unwrap().as_str(),
            "ana@example.org"
        );
        assert!(Email::parse("ana").is_err());
        assert!(Email::parse("ana@localhost").is_err());
        assert!(Email::parse(&format!("{}@example.org", "a".repeat(250))).is_err());
    }

    #[test]
    fn display_names_are_pseudonyms() {
        assert_eq!(
            DisplayName::parse("  Quiet   Fox ").unwrap().as_str(),
            "Quiet Fox"
        );
        assert_eq!(DisplayName::parse("Quiet Fox").unwrap().key(), "quletfox");
        assert!(DisplayName::parse("Quiet\u{3164}Fox").is_err());
        assert!(DisplayName::parse("Quiet Fox\u{202E}").is_err());
        assert!(DisplayName::parse("ab").is_err());
        assert!(DisplayName::parse(&"a".repeat(33)).is_err());
        assert!(DisplayName::parse("<script>").is_err());
    }

    #[test]
    fn passwords_and_timezones() {
        assert!(Password::parse("short", "password").is_err());
        assert!(Password::parse(&"x".repeat(257), "password").is_err());
        assert!(Password::parse("long enough", "password").is_ok());
        assert_eq!(
            Timezone::parse("Europe/Paris").unwrap().as_str(),
            "Europe/Paris"
        );
        assert!(Timezone::parse("Mars/Olympus").is_err());
    }
}
