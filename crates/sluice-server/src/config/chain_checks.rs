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
        if self.is_bitcoin() {
            self.validate_bitcoin(at)?;
        } else if name.is_evm_family() {
            self.validate_evm(at)?;
        } else {
            return Err(format!(
                "{at}.chain_name: {name} cannot be configured yet; EVM-family chains (EVM, ETH, TEMPO) and BTC can"
            ));
        }
        if !matches!(self.rpc_url.scheme(), "http" | "https") {
            return Err(format!("{at}.rpc_url: must be an http(s) URL"));
        }
        if self.confirmations == 0 {
            return Err(format!("{at}.confirmations: must be at least 1"));
        }
        if let Some(name) = &self.display_name {
            sluice_domain::display_name::check(name)
                .map_err(|e| format!("{at}.display_name: {e}"))?;
        }
        Ok(())
    }

    fn validate_evm(&self, at: &str) -> Result<(), String> {
        check_chain_id(Some(self.chain_name), &self.chain_id)
            .map_err(|_| format!("{at}.chain_id: must be a decimal chain ID"))?;
        for (key, set) in [
            ("network", self.network.is_some()),
            ("rpc_user", self.rpc_user.is_some()),
            ("rpc_password", self.rpc_password.is_some()),
            ("rpc_cookie_file", self.rpc_cookie_file.is_some()),
            ("fee_rate_sat_vb", self.fee_rate_sat_vb.is_some()),
        ] {
            if set {
                return Err(format!(
                    "{at}.{key}: is a Bitcoin setting; an EVM chain's node is reached by rpc_url alone"
                ));
            }
        }
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
            "chains[0].network: is a Bitcoin setting",
        );
        bad(
            "chain_name = \"SOL\"\nchain_id = \"101\"\nrpc_url = \"http://127.0.0.1:8899\"\n"
                .into(),
            "chains[0].chain_name: SOL cannot be configured yet",
        );
        let twice = format!(
            "{BTC}chain_id = \"1\"\nnetwork = \"bitcoin\"\n{auth}[[chains]]\n{BTC}chain_id = \"1\"\nnetwork = \"bitcoin\"\n{auth}"
        );
        bad(twice, "chains[1].chain_id: BTC chain 1 is configured twice");
    }
}
