//! Money as text. Amounts are decimal strings in `currency` units, echoed exactly as sent;
//! nothing here ever goes through floating point.

/// Why an amount was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountError {
    /// More than 100 characters.
    TooLong,
    /// Not `^(0|[1-9][0-9]*)(\.[0-9]+)?$`.
    Pattern,
    /// Matches the pattern but is zero.
    NotPositive,
}

impl AmountError {
    pub fn code(self) -> &'static str {
        match self {
            Self::TooLong => "too_long",
            Self::Pattern => "pattern",
            Self::NotPositive => "out_of_range",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::TooLong => "must be at most 100 characters",
            Self::Pattern => {
                "must be a decimal string such as \"25.00\" (no sign, exponent or leading zeros)"
            }
            Self::NotPositive => "must be greater than 0",
        }
    }
}

/// Checks a positive decimal amount string.
pub fn check_amount(s: &str) -> Result<(), AmountError> {
    if s.len() > 100 {
        return Err(AmountError::TooLong);
    }
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let int_ok = int == "0"
        || (!int.is_empty() && !int.starts_with('0') && int.bytes().all(|b| b.is_ascii_digit()));
    let frac_ok = frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    if !int_ok || !frac_ok {
        return Err(AmountError::Pattern);
    }
    if s.bytes().all(|b| b == b'0' || b == b'.') {
        return Err(AmountError::NotPositive);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn amounts() {
        for ok in ["25.00", "0.01", "1", "10", "0.000001"] {
            assert_eq!(check_amount(ok), Ok(()), "{ok}");
        }
        for bad in [
            "", "01", "1.", ".5", "-1", "1e3", "1,00", " 1", "1.2.3", "+1",
        ] {
            assert_eq!(check_amount(bad), Err(AmountError::Pattern), "{bad}");
        }
        assert_eq!(check_amount("0"), Err(AmountError::NotPositive));
        assert_eq!(check_amount("0.000"), Err(AmountError::NotPositive));
    }

    proptest! {
        #[test]
        fn positive_integers_and_fractions_pass(i in 1u64.., f in "[0-9]{1,18}") {
            let with_fraction = format!("{i}.{f}");
            prop_assert_eq!(check_amount(&i.to_string()), Ok(()));
            prop_assert_eq!(check_amount(&with_fraction), Ok(()));
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = check_amount(&s);
        }
    }
}
