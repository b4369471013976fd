//! The checks of one `[[chains]]` entry: each family's required settings, and the other
//! family's settings refused rather than ignored (a `network` on an EVM chain is a mistake
//! to point out, not to drop silently).

use sluice_chain::bitcoin::BitcoinNetwork;
use sluice_domain::address::parse_evm;
use sluice_domain::chain::check_chain_id;

use super::ChainConfig;

impl ChainConfig {
    /// Checks the chain's own settings; `at` names it in errors (`chains[0]`).
    pub fn validate(&self, at: &str) -> Result<(), String> {
        let name = self.chain_name;
        if !self.is_solana() {
            self.refuse_settings_of(at, "Solana", &self.solana_settings())?;
        }
        if self.is_bitcoin() {
            self.refuse_settings_of(at, "TRON", &self.tron_settings())?;
            self.validate_bitcoin(at)?;
        } else if self.is_tron() {
            self.refuse_settings_of(at, "Bitcoin", &self.bitcoin_settings())?;
            self.validate_tron(at)?;
        } else if self.is_solana() {
            self.refuse_settings_of(at, "Bitcoin", &self.bitcoin_settings())?;
            self.refuse_settings_of(at, "TRON", &self.tron_settings())?;
            self.validate_solana(at)?;
        } else if name.is_evm_family() {
            self.refuse_settings_of(at, "Bitcoin", &self.bitcoin_settings())?;
            self.refuse_settings_of(at, "TRON", &self.tron_settings())?;
            self.validate_evm(at)?;
        } else {
            return Err(format!(
                "{at}.chain_name: {name} cannot be configured yet; EVM-family chains (EVM, ETH, TEMPO), BTC, TRON and SOL can"
            ));
        }
        if !matches!(self.rpc_url.scheme(), "http" | "https") {
            return Err(format!("{at}.rpc_url: must be an http(s) URL"));
        }
        if self.confirmations == Some(0) {
            return Err(format!("{at}.confirmations: must be at least 1"));
        }
        if let Some(name) = &self.display_name {
            sluice_domain::display_name::check(name)
                .map_err(|e| format!("{at}.display_name: {e}"))?;
        }
        Ok(())
    }

    fn bitcoin_settings(&self) -> [(&'static str, bool); 5] {
        [
            ("network", self.network.is_some()),
            ("rpc_user", self.rpc_user.is_some()),
            ("rpc_password", self.rpc_password.is_some()),
            ("rpc_cookie_file", self.rpc_cookie_file.is_some()),
            ("fee_rate_sat_vb", self.fee_rate_sat_vb.is_some()),
        ]
    }

    fn tron_settings(&self) -> [(&'static str, bool); 3] {
        [
            ("api_key", self.api_key.is_some()),
            ("fee_limit_sun", self.fee_limit_sun.is_some()),
            ("genesis_block_id", self.genesis_block_id.is_some()),
        ]
    }

    /// Another family's settings are a mistake to point out, not to ignore.
    pub(super) fn refuse_settings_of(
        &self,
        at: &str,
        family: &str,
        settings: &[(&str, bool)],
    ) -> Result<(), String> {
        match settings.iter().find(|(_, set)| *set) {
            Some((key, _)) => Err(format!(
                "{at}.{key}: is a {family} setting, and chain_name is {}",
                self.chain_name
            )),
            None => Ok(()),
        }
    }

    fn validate_tron(&self, at: &str) -> Result<(), String> {
        if !self.chain_id.bytes().all(|b| b.is_ascii_digit())
            || self.chain_id.parse::<u32>().is_err()
        {
            return Err(format!(
                "{at}.chain_id: a TRON chain ID is decimal: 728126428 (mainnet), 2494104990 (Shasta), 3448148188 (Nile)"
            ));
        }
        let known = sluice_chain::tron::chain::known_genesis(&self.chain_id);
        match (&self.genesis_block_id, known) {
            (None, None) => {
                return Err(format!(
                    "{at}.genesis_block_id: required for TRON chain {}, which is not mainnet, Shasta or Nile (block 0's blockID, 64 hex digits)",
                    self.chain_id
                ));
            }
            (Some(id), _) if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) => {
                return Err(format!("{at}.genesis_block_id: must be 64 hex digits"));
            }
            // A TRON chain ID is the last four bytes of its block 0's ID.
            (Some(id), _)
                if u32::from_str_radix(&id[56..], 16).map(|n| n.to_string())
                    != Ok(self.chain_id.clone()) =>
            {
                return Err(format!(
                    "{at}.genesis_block_id: ends in {}, which is chain ID {}, not {}",
                    &id[56..],
                    u32::from_str_radix(&id[56..], 16).unwrap_or_default(),
                    self.chain_id
                ));
            }
            _ => {}
        }
        if self.fee_limit_sun.is_some_and(|f| f <= 0) {
            return Err(format!("{at}.fee_limit_sun: must be positive"));
        }
        for (j, token) in self.tokens.iter().enumerate() {
            if sluice_chain::tron::TronAddress::parse(&token.address).is_none() {
                return Err(format!(
                    "{at}.tokens[{j}].address: must be a TRON contract address (T…, base58check)"
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

    fn validate_evm(&self, at: &str) -> Result<(), String> {
        check_chain_id(Some(self.chain_name), &self.chain_id)
            .map_err(|_| format!("{at}.chain_id: must be a decimal chain ID"))?;
        for (j, token) in self.tokens.iter().enumerate() {
            parse_evm(&token.address).map_err(|why| format!("{at}.tokens[{j}].address: {why}"))?;
        }
        Ok(())
    }

    fn validate_bitcoin(&self, at: &str) -> Result<(), String> {
        let Some(network) = self.network else {
            return Err(format!(
                "{at}.network: required for BTC: \"bitcoin\", \"testnet\", \"signet\" or \"regtest\""
            ));
        };
        let id_fits = self.chain_id == network.as_str()
            || (network == BitcoinNetwork::Bitcoin && self.chain_id == "1");
        if !id_fits {
            return Err(format!(
                "{at}.chain_id: a {} chain's ID is \"{}\"{}",
                network.as_str(),
                network.as_str(),
                if network == BitcoinNetwork::Bitcoin {
                    " or \"1\" (Dynamic's ID for Bitcoin mainnet)"
                } else {
                    ""
                }
            ));
        }
        match (&self.rpc_cookie_file, &self.rpc_user, &self.rpc_password) {
            (Some(_), None, None) | (None, Some(_), Some(_)) => {}
            (Some(_), _, _) => {
                return Err(format!(
                    "{at}.rpc_cookie_file: give either rpc_cookie_file or rpc_user and rpc_password, not both"
                ));
            }
            _ => {
                return Err(format!(
                    "{at}.rpc_user: a Bitcoin node needs rpc_user and rpc_password, or rpc_cookie_file"
                ));
            }
        }
        if !self.tokens.is_empty() {
            return Err(format!("{at}.tokens: Bitcoin has no tokens"));
        }
        if self.onramp_network.is_some() {
            return Err(format!(
                "{at}.onramp_network: Coinbase Onramp purchases are offered on EVM chains only"
            ));
        }
        if self.fee_rate_sat_vb == Some(0) {
            return Err(format!("{at}.fee_rate_sat_vb: must be at least 1"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    fn parsed(chain: &str) -> Result<crate::config::Config, String> {
        crate::config::Config::parse(&format!("[[chains]]\n{chain}"))
    }

    const BTC: &str = "chain_name = \"BTC\"\nrpc_url = \"http://127.0.0.1:8332\"\n";

    #[test]
    fn bitcoin_settings_are_checked() {
        let bad = |chain: String, expected: &str| {
            let err = parsed(&chain).unwrap_err();
            assert!(err.contains(expected), "{chain}: {err}");
        };
        let auth = "rpc_cookie_file = \"/c\"\n";
        bad(
            format!("{BTC}chain_id = \"1\"\n{auth}"),
            "chains[0].network: required",
        );
        bad(
            format!("{BTC}chain_id = \"1\"\nnetwork = \"regtest\"\n{auth}"),
            "chains[0].chain_id: a regtest chain's ID is \"regtest\"",
        );
        bad(
            format!("{BTC}chain_id = \"bitcoin\"\nnetwork = \"mainnet\"\n{auth}"),
            "unknown variant",
        );
        bad(
            format!("{BTC}chain_id = \"1\"\nnetwork = \"bitcoin\"\n"),
            "chains[0].rpc_user: a Bitcoin node needs rpc_user and rpc_password, or rpc_cookie_file",
        );
        bad(
            format!("{BTC}chain_id = \"1\"\nnetwork = \"bitcoin\"\nrpc_user = \"u\"\n"),
            "chains[0].rpc_user",
        );
        bad(
            format!(
                "{BTC}chain_id = \"1\"\nnetwork = \"bitcoin\"\nrpc_user = \"u\"\nrpc_password = \"p\"\n{auth}"
            ),
            "not both",
        );
        bad(
            format!("{BTC}chain_id = \"1\"\nnetwork = \"bitcoin\"\n{auth}fee_rate_sat_vb = 0\n"),
            "chains[0].fee_rate_sat_vb",
        );
        bad(
            "chain_name = \"EVM\"\nchain_id = \"1\"\nrpc_url = \"http://127.0.0.1:8545\"\nnetwork = \"bitcoin\"\n".into(),
            "chains[0].network: is a Bitcoin setting, and chain_name is EVM",
        );
        bad(
            "chain_name = \"SUI\"\nchain_id = \"1\"\nrpc_url = \"http://127.0.0.1:8899\"\n".into(),
            "chains[0].chain_name: SUI cannot be configured yet",
        );
        let tron = "chain_name = \"TRON\"\nrpc_url = \"http://127.0.0.1:8090\"\n";
        let keyed = parsed(&format!(
            "{tron}chain_id = \"728126428\"\napi_key = \"trongrid-key-1\""
        ))
        .unwrap();
        assert!(
            !format!("{keyed:?}").contains("trongrid-key-1"),
            "the API key never reaches a log line"
        );
        assert_eq!(keyed.chains[0].confirmations(), 19, "TRON's default");
        assert_eq!(
            keyed.chains[0].fee_limit_sun(),
            100_000_000,
            "100 TRX by default"
        );
        assert_eq!(keyed.chains[0].key(), "TRON:728126428");
        bad(
            format!("{tron}chain_id = \"1234\"\n"),
            "chains[0].genesis_block_id: required for TRON chain 1234",
        );
        let private = format!(
            "{tron}chain_id = \"1234\"\ngenesis_block_id = \"{}{:08x}\"\n",
            "0".repeat(56),
            1234
        );
        assert!(
            parsed(&private).is_ok(),
            "a private network's genesis ending in its chain ID"
        );
        bad(
            format!(
                "{tron}chain_id = \"1234\"\ngenesis_block_id = \"{}\"\n",
                "0".repeat(64)
            ),
            "chains[0].genesis_block_id: ends in 00000000, which is chain ID 0, not 1234",
        );
        bad(
            format!("{tron}chain_id = \"728126428\"\nnetwork = \"bitcoin\"\n"),
            "chains[0].network: is a Bitcoin setting, and chain_name is TRON",
        );
        bad(
            format!(
                "{tron}chain_id = \"728126428\"\n[[chains.tokens]]\naddress = \"0xdAC17F958D2ee523a2206206994597C13D831ec7\"\nsymbol = \"USDT\"\ndecimals = 6\n"
            ),
            "chains[0].tokens[0].address: must be a TRON contract address",
        );
        let twice = format!(
            "{BTC}chain_id = \"1\"\nnetwork = \"bitcoin\"\n{auth}[[chains]]\n{BTC}chain_id = \"1\"\nnetwork = \"bitcoin\"\n{auth}"
        );
        bad(twice, "chains[1].chain_id: BTC chain 1 is configured twice");
    }
}
