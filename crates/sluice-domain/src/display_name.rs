//! Names shown to payers on the hosted page: the merchant's (`sluice env set-display`) and a
//! chain's (`[[chains]] display_name`). They are operator input that ends up in front of
//! people who decide whether to trust the page, so a blank, overlong or control-character name
//! (which could hide or fake text around it) is refused before it is stored.

/// The longest name accepted, in characters: enough for any trading name, short enough that a
/// heading stays one or two lines on a phone.
pub const MAX_CHARS: usize = 100;

/// Why a display name was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisplayNameError {
    Empty,
    TooLong { chars: usize },
    ControlCharacter { at: usize },
}

impl std::fmt::Display for DisplayNameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty => write!(f, "must not be empty or only spaces"),
            Self::TooLong { chars } => {
                write!(
                    f,
                    "must be at most {MAX_CHARS} characters (this one has {chars})"
                )
            }
            Self::ControlCharacter { at } => write!(
                f,
                "must not contain control or text-direction characters (found one at character {at})"
            ),
        }
    }
}

impl std::error::Error for DisplayNameError {}

/// The name as it will be shown (surrounding spaces removed), or why it cannot be.
pub fn check(name: &str) -> Result<String, DisplayNameError> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(DisplayNameError::Empty);
    }
    if let Some(at) = trimmed.chars().position(is_control) {
        return Err(DisplayNameError::ControlCharacter { at: at + 1 });
    }
    let chars = trimmed.chars().count();
    if chars > MAX_CHARS {
        return Err(DisplayNameError::TooLong { chars });
    }
    Ok(trimmed.to_owned())
}

/// C0/C1 controls, and the bidirectional overrides that can make a name read as other text.
fn is_control(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(check("  Acme Coffee  ").unwrap(), "Acme Coffee");
        assert_eq!(check("Café Müller & Söhne").unwrap(), "Café Müller & Söhne");
        assert_eq!(check(&"é".repeat(100)).unwrap().chars().count(), 100);
        assert_eq!(check(" \t "), Err(DisplayNameError::Empty));
        assert_eq!(
            check(&"a".repeat(101)),
            Err(DisplayNameError::TooLong { chars: 101 })
        );
        assert_eq!(
            check("Acme\nPay here instead"),
            Err(DisplayNameError::ControlCharacter { at: 5 })
        );
        assert_eq!(
            check("Acme\u{7f}"),
            Err(DisplayNameError::ControlCharacter { at: 5 })
        );
        assert_eq!(
            check("\u{202e}emcA"),
            Err(DisplayNameError::ControlCharacter { at: 1 })
        );
    }
}
