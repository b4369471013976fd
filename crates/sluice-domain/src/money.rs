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
    /// More significant digits than a 128-bit amount can hold.
    TooPrecise,
}

/// Amounts are 128-bit integers of a token's smallest unit, so a token may have at most this
/// many decimals, and an amount at most this many significant digits.
pub const MAX_DIGITS: u32 = 38;

impl AmountError {
    pub fn code(self) -> &'static str {
        match self {
            Self::TooLong => "too_long",
            Self::Pattern => "pattern",
            Self::NotPositive | Self::TooPrecise => "out_of_range",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::TooLong => "must be at most 100 characters",
            Self::Pattern => {
                "must be a decimal string such as \"25.00\" (no sign, exponent or leading zeros)"
            }
            Self::NotPositive => "must be greater than 0",
            Self::TooPrecise => "must have at most 38 significant digits",
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
    let significant = s
        .bytes()
        .filter(u8::is_ascii_digit)
        .skip_while(|&b| b == b'0');
    if significant.count() > MAX_DIGITS as usize {
        return Err(AmountError::TooPrecise);
    }
    Ok(())
}

/// `digits` and `scale` of a decimal string: `"25.00"` is `(25, 0)`. `None` when it does
/// not fit in 128 bits.
pub fn parse_decimal(s: &str) -> Option<(u128, u32)> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Trailing fractional zeros change nothing but would count against the 128 bits.
    let frac = frac.trim_end_matches('0');
    let digits: u128 = format!("{int}{frac}").parse().ok()?;
    Some((digits, u32::try_from(frac.len()).ok()?))
}

fn pow10(exp: u32) -> Option<u128> {
    10u128.checked_pow(exp)
}

fn div_ceil(n: u128, d: u128) -> u128 {
    n / d + u128::from(!n.is_multiple_of(d))
}

/// `ceil(n / divisor)` where `divisor` may not fit in 128 bits (`None`): then it exceeds `n`,
/// and the quotient rounds up to 1 (or is 0 for `n = 0`).
fn div_ceil_wide(n: u128, divisor: Option<u128>) -> u128 {
    divisor.map_or(u128::from(n > 0), |d| div_ceil(n, d))
}

/// `amount` (a decimal in token units) in the token's smallest unit, rounded up so the payer
/// never pays less than asked.
pub fn to_base_units(amount: &str, decimals: u8) -> Option<u128> {
    let (digits, scale) = parse_decimal(amount)?;
    let decimals = u32::from(decimals);
    if scale <= decimals {
        digits.checked_mul(pow10(decimals - scale)?)
    } else {
        Some(div_ceil_wide(digits, pow10(scale - decimals)))
    }
}

/// `amount` (in a currency) converted at `price` (currency per whole token) into the token's
/// smallest unit, rounded up: `ceil(amount × 10^decimals / price)`.
pub fn convert_at_price(amount: &str, price: &str, decimals: u8) -> Option<u128> {
    let (a, a_scale) = parse_decimal(amount)?;
    let (p, p_scale) = parse_decimal(price)?;
    if p == 0 {
        return None;
    }
    // a / 10^a_scale / (p / 10^p_scale) × 10^decimals
    //   = a × 10^(p_scale + decimals) / (p × 10^a_scale), with common powers of ten
    //   cancelled first so that many fractional digits do not overflow.
    let (up, down) = (p_scale + u32::from(decimals), a_scale);
    let common = up.min(down);
    let numerator = a.checked_mul(pow10(up - common)?)?;
    let denominator = pow10(down - common).and_then(|d| p.checked_mul(d));
    Some(div_ceil_wide(numerator, denominator))
}

/// Smallest units as a decimal string with `decimals` places, trailing zeros trimmed.
pub fn format_units(value: u128, decimals: u8) -> String {
    let s = format!("{value:0>width$}", width = usize::from(decimals) + 1);
    let (int, frac) = s.split_at(s.len() - usize::from(decimals));
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        int.to_owned()
    } else {
        format!("{int}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_amount_that_passes_the_create_rules_converts() {
        let tiny = format!("0.{}1", "0".repeat(45));
        assert!(check_amount(&tiny).is_ok());
        assert_eq!(to_base_units(&tiny, 0), Some(1), "rounded up, never to 0");
        assert_eq!(convert_at_price(&tiny, "2500.123456", 18), Some(1));
        let wide = format!("1.{}", "0".repeat(60));
        assert_eq!(to_base_units(&wide, 6), Some(1_000_000));
        assert_eq!(convert_at_price(&wide, "1", 6), Some(1_000_000));
        let most = "9".repeat(38);
        assert!(check_amount(&most).is_ok());
        assert_eq!(to_base_units(&most, 0), Some(most.parse().unwrap()));
        assert_eq!(check_amount(&"9".repeat(39)), Err(AmountError::TooPrecise));
        assert_eq!(
            check_amount(&format!("0.000{}", "1".repeat(39))),
            Err(AmountError::TooPrecise)
        );
    }

    #[test]
    fn conversions() {
        assert_eq!(to_base_units("25.00", 6), Some(25_000_000));
        assert_eq!(to_base_units("0.5", 18), Some(500_000_000_000_000_000));
        assert_eq!(to_base_units("1.0000001", 6), Some(1_000_001), "rounded up");
        assert_eq!(
            convert_at_price("25.00", "2500", 18),
            Some(10_000_000_000_000_000)
        );
        assert_eq!(
            convert_at_price("10", "3", 6),
            Some(3_333_334),
            "rounded up"
        );
        assert_eq!(convert_at_price("1", "0", 6), None);
        assert_eq!(format_units(1_500_000, 6), "1.5");
        assert_eq!(format_units(7, 0), "7");
        assert_eq!(format_units(5, 3), "0.005");
    }

    proptest! {
        #[test]
        fn base_units_round_trip(v in 0u128..1_000_000_000_000_000_000_000_000, d in 0u8..30) {
            prop_assert_eq!(to_base_units(&format_units(v, d), d), Some(v));
        }
    }

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
