//! Chain settings as parsed: names, keys and each family's defaults.
use super::*;

fn chain(id: &str, display_name: Option<&str>) -> ChainConfig {
    ChainConfig {
        chain_name: ChainName::Evm,
        chain_id: id.into(),
        rpc_url: "http://127.0.0.1:8545".parse().unwrap(),
        confirmations: None,
        native_symbol: None,
        tokens: vec![],
        onramp_network: None,
        display_name: display_name.map(str::to_owned),
        network: None,
        rpc_user: None,
        rpc_password: None,
        rpc_cookie_file: None,
        fee_rate_sat_vb: None,
        api_key: None,
        fee_limit_sun: None,
        genesis_block_id: None,
        commitment: None,
        genesis_hash: None,
    }
}

#[test]
fn networks_are_named_for_payers() {
    assert_eq!(chain("8453", None).display_name(), "Base");
    assert_eq!(chain("1", None).display_name(), "Ethereum");
    assert_eq!(chain("42161", None).display_name(), "Arbitrum One");
    assert_eq!(chain("31337", None).display_name(), "Local chain (31337)");
    assert_eq!(chain("7777", None).display_name(), "Chain 7777");
    assert_eq!(
        chain("8453", Some(" Base (test) ")).display_name(),
        "Base (test)"
    );
}

fn parsed(chain: &str) -> Result<crate::config::Config, String> {
    crate::config::Config::parse(&format!("[[chains]]\n{chain}"))
}

const BTC: &str = "chain_name = \"BTC\"\nrpc_url = \"http://127.0.0.1:8332\"\n";

#[test]
fn a_bitcoin_chain_names_its_network_and_credentials() {
    let config = parsed(&format!(
        "{BTC}chain_id = \"1\"\nnetwork = \"bitcoin\"\nrpc_user = \"sluice\"\nrpc_password = \"hunter2\""
    ))
    .unwrap();
    let chain = &config.chains[0];
    assert_eq!(chain.key(), "BTC:1", "not Ethereum's chain 1");
    assert_eq!(chain.expected_network(), "bitcoin");
    assert_eq!(chain.native_symbol(), "BTC");
    assert_eq!(chain.display_name(), "Bitcoin");
    assert_eq!(chain.fee_rate_sat_vb(), DEFAULT_FEE_RATE_SAT_VB);
    assert!(
        !format!("{config:?}").contains("hunter2"),
        "the password never reaches a log line"
    );
    let cookie = parsed(&format!(
        "{BTC}chain_id = \"regtest\"\nnetwork = \"regtest\"\nrpc_cookie_file = \"/var/lib/bitcoind/.cookie\""
    ))
    .unwrap();
    assert!(matches!(
        cookie.chains[0].bitcoin_auth(),
        Some(BitcoinAuth::CookieFile(_))
    ));
    // Bitcoin's "1" and Ethereum's "1" are two chains.
    let both = format!(
        "{BTC}chain_id = \"1\"\nnetwork = \"bitcoin\"\nrpc_cookie_file = \"/c\"\n[[chains]]\nchain_name = \"ETH\"\nchain_id = \"1\"\nrpc_url = \"http://127.0.0.1:8545\""
    );
    assert_eq!(parsed(&both).unwrap().chains.len(), 2);
}
