//! Text that others read as a name or a title. A name or title must show what it says: no code
//! point that shows nothing (Unicode's Default_Ignorable_Code_Point: zero-width spaces and
//! joiners, the Hangul fillers U+115F, U+1160, U+3164 and U+FFA0, variation selectors, tags)
//! and none that reorders the text after it (the bidi controls U+202A–U+202E, U+2066–U+2069,
//! U+200E, U+200F, U+061C, all default-ignorable too), nor the blank Braille pattern U+2800,
//! which draws as a space but is none. Unicode data: ICU4X `icu_properties` 2.4.0, Unicode
//! 18.0.0. Bodies are left alone: right-to-left writers need the marks there.
use crate::error::{text_between, AppError, AppResult};
use icu_properties::props::DefaultIgnorableCodePoint;
use icu_properties::CodePointSetData;

/// Draws nothing, or changes the order in which the rest is drawn.
pub fn is_invisible(c: char) -> bool {
    c == '\u{2800}' || CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c)
}

/// `BAD_USER_INPUT` on `field` when `text` holds an invisible character.
pub fn refuse_invisible(field: &'static str, text: &str) -> AppResult<()> {
    if text.chars().any(is_invisible) {
        return Err(AppError::bad_input(
            field,
            "must not contain invisible or direction-changing characters",
        ));
    }
    Ok(())
}

/// A title or a group's name: trimmed, `min` to `max` characters, nothing invisible.
pub fn title_between(field: &'static str, raw: &str, min: usize, max: usize) -> AppResult<String> {
    let title = text_between(field, raw, min, max)?;
    refuse_invisible(field, &title)?;
    Ok(title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fillers_and_direction_controls_are_invisible() {
        for c in [
            '\u{3164}',
            '\u{115F}',
            '\u{1160}',
            '\u{FFA0}',
            '\u{2800}',
            '\u{200B}',
            '\u{200D}',
            '\u{2060}',
            '\u{FEFF}',
            '\u{202E}',
            '\u{202A}',
            '\u{2066}',
            '\u{2069}',
            '\u{200E}',
            '\u{061C}',
            '\u{FE0F}',
            '\u{E0041}',
            '\u{00AD}',
            '\u{180E}',
        ] {
            assert!(is_invisible(c), "U+{:04X}", c as u32);
        }
        for c in ['a', 'Ж', 'ü', '1', ' ', '.', '-', 'ا', '中', '\u{00A0}'] {
            assert!(!is_invisible(c), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn titles_refuse_them_and_keep_the_rest() {
        assert_eq!(
            title_between("title", "  A quiet evening ", 1, 80).unwrap(),
            "A quiet evening"
        );
        for bad in [
            "Owner\u{202E}evilO",
            "Night\u{3164}Owls",
            "Zero\u{200B}width",
        ] {
            let err = title_between("name", bad, 1, 80).unwrap_err();
            assert!(
                err.message().contains("invisible"),
                "{bad:?}: {}",
                err.message()
            );
        }
    }
}
