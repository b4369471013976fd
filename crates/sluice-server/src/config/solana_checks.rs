//! The checks of a `chain_name = "SOL"` entry (spec §10.3): a decimal chain ID (101
//! mainnet-beta, 102 testnet, 103 devnet, or any other with its `genesis_hash`), a commitment
//! instead of `confirmations`, and SPL mints as base58 keys, Token-2022 ones marked so.

use sluice_chain::solana::Pubkey;

use super::ChainConfig;

impl ChainConfig {
    pub(super) fn solana_settings(&self) -> [(&'static str, bool); 3] {
        [
            ("commitment", self.commitment.is_some()),
            ("genesis_hash", self.genesis_hash.is_some()),
            (
                "tokens.token_2022",
                self.tokens.iter().any(|t| t.token_2022),
            ),
        ]
    }

    pub(super) fn validate_solana(&self, at: &str) -> Result<(), String> {
        if self.chain_id.is_empty() || !self.chain_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "{at}.chain_id: a Solana chain ID is decimal: 101 (mainnet-beta), 102 (testnet), 103 (devnet)"
            ));
        }
        let known = sluice_chain::solana::chain::known_genesis(&self.chain_id);
        match (&self.genesis_hash, known) {
            (None, None) => {
                return Err(format!(
                    "{at}.genesis_hash: required for Solana chain {}, which is not mainnet-beta, testnet or devnet (the node's getGenesisHash, base58)",
                    self.chain_id
                ));
            }
            (Some(hash), _) if Pubkey::parse(hash).is_none() => {
                return Err(format!(
                    "{at}.genesis_hash: must be base58 of 32 bytes, as getGenesisHash returns it"
                ));
            }
            _ => {}
        }
        if self.confirmations.is_some() {
            return Err(format!(
                "{at}.confirmations: Solana counts by commitment; set commitment = \"finalized\" (the default) or \"confirmed\""
            ));
        }
        for (j, token) in self.tokens.iter().enumerate() {
            if Pubkey::parse(&token.address).is_none() {
                return Err(format!(
                    "{at}.tokens[{j}].address: must be an SPL mint (base58 of 32 bytes)"
                ));
            }
        }
        if self.onramp_network.is_some() {
            return Err(format!(
                "{at}.onramp_network: Coinbase Onramp purchases are offered on EVM chains only"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Commitment;

    fn parsed(chain: &str) -> Result<crate::config::Config, String> {
        crate::config::Config::parse(&format!("[[chains]]\n{chain}"))
    }

    const SOL: &str = "chain_name = \"SOL\"\nrpc_url = \"http://127.0.0.1:8899\"\n";
    const USDC: &str = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v";

    fn bad(chain: String, expected: &str) {
        let err = parsed(&chain).unwrap_err();
        assert!(err.contains(expected), "{chain}: {err}");
    }

    #[test]
    fn a_solana_chain_is_proven_by_its_genesis_hash_and_counts_by_commitment() {
        let config = parsed(&format!(
            "{SOL}chain_id = \"101\"\n[[chains.tokens]]\naddress = \"{USDC}\"\nsymbol = \"USDC\"\ndecimals = 6\n"
        ))
        .unwrap();
        let chain = &config.chains[0];
        assert_eq!(chain.key(), "SOL:101");
        assert_eq!(
            chain.expected_network(),
            "5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d"
        );
        assert_eq!(chain.commitment(), Commitment::Finalized, "the default");
        assert_eq!(chain.confirmations(), 1, "the commitment decides");
        assert_eq!(chain.native_symbol(), "SOL");
        assert_eq!(chain.display_name(), "Solana");
        let confirmed = parsed(&format!(
            "{SOL}chain_id = \"103\"\ncommitment = \"confirmed\"\n"
        ))
        .unwrap();
        assert_eq!(confirmed.chains[0].commitment(), Commitment::Confirmed);
        let local = parsed(&format!(
            "{SOL}chain_id = \"900\"\ngenesis_hash = \"{USDC}\"\n[[chains.tokens]]\naddress = \"{USDC}\"\nsymbol = \"T22\"\ndecimals = 2\ntoken_2022 = true\n"
        ))
        .unwrap();
        assert_eq!(local.chains[0].expected_network(), USDC);
        assert!(local.chains[0].tokens[0].token_2022);
    }

    #[test]
    fn solana_settings_are_checked() {
        bad(
            format!("{SOL}chain_id = \"900\"\n"),
            "chains[0].genesis_hash: required for Solana chain 900",
        );
        bad(
            format!("{SOL}chain_id = \"900\"\ngenesis_hash = \"0xabc\"\n"),
            "chains[0].genesis_hash: must be base58 of 32 bytes",
        );
        bad(
            format!("{SOL}chain_id = \"mainnet-beta\"\n"),
            "chains[0].chain_id",
        );
        bad(
            format!("{SOL}chain_id = \"101\"\ncommitment = \"processed\"\n"),
            "unknown variant",
        );
        bad(
            format!("{SOL}chain_id = \"101\"\nconfirmations = 3\n"),
            "chains[0].confirmations: Solana counts by commitment",
        );
        bad(
            format!(
                "{SOL}chain_id = \"101\"\n[[chains.tokens]]\naddress = \"0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48\"\nsymbol = \"USDC\"\ndecimals = 6\n"
            ),
            "chains[0].tokens[0].address: must be an SPL mint",
        );
        bad(
            format!("{SOL}chain_id = \"101\"\nnetwork = \"bitcoin\"\n"),
            "chains[0].network: is a Bitcoin setting, and chain_name is SOL",
        );
        bad(
            format!("{SOL}chain_id = \"101\"\nfee_limit_sun = 5\n"),
            "chains[0].fee_limit_sun: is a TRON setting, and chain_name is SOL",
        );
        bad(
            "chain_name = \"EVM\"\nchain_id = \"1\"\nrpc_url = \"http://127.0.0.1:8545\"\ncommitment = \"confirmed\"\n".into(),
            "chains[0].commitment: is a Solana setting, and chain_name is EVM",
        );
        bad(
            "chain_name = \"EVM\"\nchain_id = \"1\"\nrpc_url = \"http://127.0.0.1:8545\"\n[[chains.tokens]]\naddress = \"0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48\"\nsymbol = \"USDC\"\ndecimals = 6\ntoken_2022 = true\n".into(),
            "chains[0].tokens.token_2022: is a Solana setting",
        );
    }
}
