//! Chain names (`ChainEnum`) and chain IDs. EVM-family chains identify networks by a decimal
//! chain ID; every other family uses a free-form name matching the spec's name pattern.

use crate::state::wire_enum;

wire_enum!(
    /// The eighteen chain names of the wire contract.
    ChainName {
        Eth => "ETH",
        Evm => "EVM",
        Flow => "FLOW",
        Sol => "SOL",
        Algo => "ALGO",
        Stark => "STARK",
        Cosmos => "COSMOS",
        Btc => "BTC",
        Eclipse => "ECLIPSE",
        Sui => "SUI",
        Spark => "SPARK",
        Tron => "TRON",
        Aptos => "APTOS",
        Ton => "TON",
        Stellar => "STELLAR",
        Aleo => "ALEO",
        Tempo => "TEMPO",
        Midnight => "MIDNIGHT",
    }
);

impl ChainName {
    /// EVM-compatible families: `0x` addresses, EIP-55 checksums, decimal chain IDs.
    pub fn is_evm_family(self) -> bool {
        matches!(self, Self::Eth | Self::Evm | Self::Tempo)
    }
}

/// The seed's name pattern `^(?=\S)[\p{L}\p{N} _.,:!?&%@/+\-'|]+(?<=\S)$` with a length cap,
/// written out by hand because Rust's `regex` has no look-around. `\p{L}`/`\p{N}` are taken
/// as Rust's `char::is_alphabetic`/`char::is_numeric`.
pub fn is_name(s: &str, max_chars: usize) -> bool {
    let count = s.chars().count();
    if count == 0 || count > max_chars {
        return false;
    }
    let first = s.chars().next().is_some_and(|c| !c.is_whitespace());
    let last = s.chars().next_back().is_some_and(|c| !c.is_whitespace());
    first
        && last
        && s.chars()
            .all(|c| c.is_alphabetic() || c.is_numeric() || " _.,:!?&%@/+-'|".contains(c))
}

/// Why a chain ID was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainIdError {
    /// Not 1–50 characters of the name pattern.
    Pattern,
    /// An EVM-family chain ID that is not a canonical decimal `u64` above zero.
    NotDecimal,
}

/// Checks `fromChainId`/`chainId` for its chain family.
pub fn check_chain_id(chain: Option<ChainName>, id: &str) -> Result<(), ChainIdError> {
    if !is_name(id, 50) {
        return Err(ChainIdError::Pattern);
    }
    if chain.is_some_and(ChainName::is_evm_family) && !is_decimal_u64(id) {
        return Err(ChainIdError::NotDecimal);
    }
    Ok(())
}

fn is_decimal_u64(s: &str) -> bool {
    !s.starts_with('0') && s.bytes().all(|b| b.is_ascii_digit()) && s.parse::<u64>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn name_pattern() {
        assert!(is_name("Base Mainnet", 50));
        assert!(is_name("cosmoshub-4", 50));
        assert!(is_name("Ünïcode|ok", 50));
        assert!(!is_name(" leading", 50));
        assert!(!is_name("trailing ", 50));
        assert!(!is_name("", 50));
        assert!(!is_name("semi;colon", 50));
        assert!(!is_name(&"a".repeat(51), 50));
    }

    #[test]
    fn evm_chain_ids_are_decimal() {
        assert_eq!(check_chain_id(Some(ChainName::Evm), "8453"), Ok(()));
        assert_eq!(
            check_chain_id(Some(ChainName::Eth), "0x1"),
            Err(ChainIdError::NotDecimal)
        );
        assert_eq!(
            check_chain_id(Some(ChainName::Evm), "01"),
            Err(ChainIdError::NotDecimal)
        );
        assert_eq!(
            check_chain_id(Some(ChainName::Evm), "0"),
            Err(ChainIdError::NotDecimal)
        );
        assert_eq!(
            check_chain_id(Some(ChainName::Evm), "18446744073709551616"),
            Err(ChainIdError::NotDecimal)
        );
        assert_eq!(check_chain_id(Some(ChainName::Sol), "mainnet-beta"), Ok(()));
    }

    proptest! {
        #[test]
        fn any_u64_above_zero_is_an_evm_chain_id(n in 1u64..) {
            prop_assert_eq!(check_chain_id(Some(ChainName::Evm), &n.to_string()), Ok(()));
        }

        #[test]
        fn check_never_panics(s in "\\PC{0,60}") {
            let _ = check_chain_id(Some(ChainName::Tempo), &s);
        }
    }
}
