//! ERC-20 by hand: the two calls Sluice makes and the one event it reads. ABI words are 32
//! bytes, big-endian; addresses are right-aligned in them.

/// `transfer(address,uint256)`.
pub const TRANSFER_SELECTOR: &str = "a9059cbb";
/// `balanceOf(address)`.
pub const BALANCE_OF_SELECTOR: &str = "70a08231";
/// keccak-256 of `Transfer(address,address,uint256)`: the event's topic 0.
pub const TRANSFER_TOPIC: &str =
    "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";

/// An address as a 32-byte ABI word (64 hex digits, lower case, no `0x`).
pub fn address_word(address: &str) -> String {
    format!(
        "{:0>64}",
        address.trim_start_matches("0x").to_ascii_lowercase()
    )
}

fn amount_word(amount: u128) -> String {
    format!("{amount:064x}")
}

pub fn transfer_calldata(to: &str, amount: u128) -> String {
    format!(
        "0x{TRANSFER_SELECTOR}{}{}",
        address_word(to),
        amount_word(amount)
    )
}

pub fn balance_of_calldata(owner: &str) -> String {
    format!("0x{BALANCE_OF_SELECTOR}{}", address_word(owner))
}

/// A 32-byte word as a quantity string `0x…` without leading zeros, for `parse_quantity`.
pub fn trim_word(word: &str) -> String {
    let digits = word.trim_start_matches("0x").trim_start_matches('0');
    format!("0x{digits}")
}

/// The address held in a topic word, `0x` + 40 lower-case hex digits.
pub fn topic_address(topic: &str) -> Option<String> {
    let digits = topic.strip_prefix("0x")?;
    (digits.len() == 64 && digits[..24].bytes().all(|b| b == b'0'))
        .then(|| format!("0x{}", &digits[24..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calldata_layout() {
        let data = transfer_calldata("0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045", 1_000_000);
        assert_eq!(data.len(), 2 + 8 + 64 + 64);
        assert!(data.starts_with(
            "0xa9059cbb000000000000000000000000d8da6bf26964af9d7eed9e03e53415d37aa96045"
        ));
        assert!(data.ends_with("00000000000f4240"));
        let topic = format!(
            "0x{}",
            address_word("0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045")
        );
        assert_eq!(
            topic_address(&topic).unwrap(),
            "0xd8da6bf26964af9d7eed9e03e53415d37aa96045"
        );
        assert_eq!(
            trim_word("0x00000000000000000000000000000000000000000000000000000000000f4240"),
            "0xf4240"
        );
    }
}
