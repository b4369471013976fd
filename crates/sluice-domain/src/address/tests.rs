//! Address parser tests: real published addresses per family (each with its source), near
//! misses, round trips and no-panic properties.

use super::*;
use proptest::prelude::*;

// Vitalik's address, the standard EIP-55 example.
const VITALIK: &str = "0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045";

#[test]
fn evm_checksum_rules() {
    assert_eq!(parse(ChainName::Evm, VITALIK).unwrap(), VITALIK);
    let lower = VITALIK.to_ascii_lowercase();
    assert_eq!(parse(ChainName::Eth, &lower).unwrap(), VITALIK);
    let upper = format!("0x{}", VITALIK[2..].to_ascii_uppercase());
    assert_eq!(parse(ChainName::Tempo, &upper).unwrap(), VITALIK);
    let flipped = VITALIK.replacen("dA6", "Da6", 1);
    assert_eq!(
        parse(ChainName::Evm, &flipped).unwrap_err().code(),
        "invalid_address"
    );
    assert_eq!(
        parse(ChainName::Evm, &VITALIK[..41]).unwrap_err().code(),
        "invalid_address"
    );
    assert_eq!(
        parse(ChainName::Evm, &VITALIK[2..]).unwrap_err().code(),
        "invalid_address"
    );
}

#[test]
fn eip55_reference_vectors() {
    // From the EIP-55 specification's test cases.
    for v in [
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ] {
        assert_eq!(parse_evm(v).unwrap(), v);
    }
}

#[test]
fn generic_pattern() {
    assert_eq!(check_generic("short"), Err(AddressError::Pattern));
    assert_eq!(check_generic(&"a".repeat(101)), Err(AddressError::Pattern));
    assert_eq!(check_generic(&"a".repeat(256)), Err(AddressError::TooLong));
    assert_eq!(
        check_generic("0:abcdefabcdefabcdefabcdef"),
        Err(AddressError::Pattern)
    );
    assert_eq!(check_generic("abcdefghij_klmnop-q"), Ok(()));
}

proptest! {
    #[test]
    fn checksummed_form_round_trips(bytes in any::<[u8; 20]>()) {
        let lower: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let canonical = parse_evm(&format!("0x{lower}")).unwrap();
        prop_assert_eq!(parse_evm(&canonical).unwrap(), canonical.clone());
    }

    #[test]
    fn parse_never_panics(s in "\\PC{0,120}") {
        for chain in ChainName::ALL {
            let _ = parse(*chain, &s);
        }
    }
}

/// Every published vector below is valid for its chain; `near` derives near misses from it.
fn ok(chain: ChainName, s: &str) {
    assert!(
        parse(chain, s).is_ok(),
        "{chain} {s}: {:?}",
        parse(chain, s)
    );
}

fn bad(chain: ChainName, s: &str, code: &str) {
    match parse(chain, s) {
        Err(e) => assert_eq!(e.code(), code, "{chain} {s}: {e:?}"),
        Ok(c) => panic!("{chain} {s} was accepted as {c}"),
    }
}

/// `s` with the character at `i` replaced by `c`.
fn with_char(s: &str, i: usize, c: char) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    chars[i] = c;
    chars.into_iter().collect()
}

fn last_changed(s: &str) -> String {
    let last = s.chars().last().unwrap();
    with_char(
        s,
        s.chars().count() - 1,
        if last == 'q' || last == 'A' || last == '2' {
            'p'
        } else {
            'q'
        },
    )
}

#[test]
fn solana_and_eclipse() {
    // USDC mint on Solana (Circle's published address); the System Program (32 zero bytes).
    for chain in [ChainName::Sol, ChainName::Eclipse] {
        ok(chain, "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v");
        ok(chain, "11111111111111111111111111111111");
        bad(chain, "1111111111111111111111111111111", "invalid_address"); // 31 zero bytes
        bad(
            chain,
            "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGG",
            "invalid_address",
        ); // too few bytes
        bad(
            chain,
            "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt10",
            "invalid_address",
        ); // '0' is not base58
        bad(
            chain,
            "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDtIv",
            "invalid_address",
        ); // 'I' neither
    }
}

#[test]
fn tron() {
    // USDT (TRC-20) contract address, from Tether's published list.
    ok(ChainName::Tron, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t");
    bad(
        ChainName::Tron,
        &last_changed("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
        "invalid_address",
    );
    // A valid Bitcoin base58check address has the wrong version byte for Tron.
    bad(
        ChainName::Tron,
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
        "invalid_address",
    );
}

#[test]
fn bitcoin() {
    // The genesis coinbase address; BIP-13's P2SH example; BIP-173 and BIP-350 vectors.
    for valid in [
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
        "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
        "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080",
        "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn",
        "2MzQwSSnBHWHqSAqtTVQ6v47XtaisrJa1Vc",
    ] {
        ok(ChainName::Btc, valid);
    }
    assert_eq!(
        parse(ChainName::Btc, "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4").unwrap(),
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
    );
    // BIP-173/350 invalid vectors and near misses.
    bad(
        ChainName::Btc,
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",
        "invalid_address",
    ); // checksum
    bad(
        ChainName::Btc,
        "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx",
        "invalid_address",
    ); // v1 with bech32
    bad(
        ChainName::Btc,
        "bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du",
        "invalid_address",
    ); // v16 with bech32, not bech32m
    bad(
        ChainName::Btc,
        "Bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        "invalid_address",
    ); // mixed case
    bad(
        ChainName::Btc,
        "ltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kgmn4n9",
        "invalid_address",
    ); // Litecoin prefix
    bad(
        ChainName::Btc,
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb",
        "invalid_address",
    ); // base58 checksum
    bad(
        ChainName::Btc,
        "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
        "invalid_address",
    ); // Tron version byte
}

#[test]
fn cosmos() {
    // cosmjs/BIP-173 style test vector; a 32-byte (module account) address made with bech32.
    ok(
        ChainName::Cosmos,
        "cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu",
    );
    let long =
        bech32::encode::<bech32::Bech32>(bech32::Hrp::parse("osmo").unwrap(), &[7u8; 32]).unwrap();
    ok(ChainName::Cosmos, &long);
    bad(
        ChainName::Cosmos,
        &last_changed("cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu"),
        "invalid_address",
    );
    let bech32m =
        bech32::encode::<bech32::Bech32m>(bech32::Hrp::parse("cosmos").unwrap(), &[7u8; 20])
            .unwrap();
    bad(ChainName::Cosmos, &bech32m, "invalid_address");
    let short = bech32::encode::<bech32::Bech32>(bech32::Hrp::parse("cosmos").unwrap(), &[7u8; 19])
        .unwrap();
    bad(ChainName::Cosmos, &short, "invalid_address");
}

#[test]
fn aleo() {
    // From the Aleo SDK's documentation examples.
    let valid = "aleo1rhgdu77hgyqd3xjj8ucu3jj9r2krwz6mnzyd80gncr5fxcwlh5rsvzp9px";
    ok(ChainName::Aleo, valid);
    bad(ChainName::Aleo, &last_changed(valid), "invalid_address");
    let other_hrp =
        bech32::encode::<bech32::Bech32m>(bech32::Hrp::parse("aleox").unwrap(), &[1u8; 32])
            .unwrap();
    bad(ChainName::Aleo, &other_hrp, "invalid_address");
    let bech32 =
        bech32::encode::<bech32::Bech32>(bech32::Hrp::parse("aleo").unwrap(), &[1u8; 32]).unwrap();
    bad(ChainName::Aleo, &bech32, "invalid_address");
}

fn spark_address(hrp: &str, key: &[u8]) -> String {
    let mut data = vec![0x0a, 0x21];
    data.extend_from_slice(key);
    bech32::encode::<bech32::Bech32m>(bech32::Hrp::parse(hrp).unwrap(), &data).unwrap()
}

/// The compressed public key of a small secret scalar.
fn public_key(secret: u8) -> Vec<u8> {
    let mut bytes = [0u8; 32];
    bytes[31] = secret;
    let sk = k256::SecretKey::from_slice(&bytes).unwrap();
    let point =
        k256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&sk.public_key(), true);
    point.as_bytes().to_vec()
}

#[test]
fn spark() {
    // Generated with @buildonspark/spark-sdk's encoding (dependency notes §3.3).
    ok(
        ChainName::Spark,
        "spark1pgssy7d7vel0nh9m4326qc54e6rskpczn07dktww9rv4nu5ptvt0s9uc489gg2",
    );
    for hrp in super::bech::SPARK_PREFIXES {
        ok(ChainName::Spark, &spark_address(hrp, &public_key(3)));
    }
    bad(
        ChainName::Spark,
        &spark_address("sparkx", &public_key(3)),
        "invalid_address",
    );
    let mut off_curve = public_key(3);
    off_curve[1..].fill(0xff); // x = 2^256 - 1 is not a field element
    bad(
        ChainName::Spark,
        &spark_address("spark", &off_curve),
        "invalid_address",
    );
    bad(
        ChainName::Spark,
        &last_changed("spark1pgssy7d7vel0nh9m4326qc54e6rskpczn07dktww9rv4nu5ptvt0s9uc489gg2"),
        "invalid_address",
    );
}

#[test]
fn midnight() {
    // Unshielded payment addresses as @midnight-ntwrk/wallet-sdk-address-format encodes them.
    for hrp in [
        "mn_addr",
        "mn_addr_preprod",
        "mn_addr_testnet",
        "mn_addr_undeployed",
    ] {
        let a = bech32::encode::<bech32::Bech32m>(bech32::Hrp::parse(hrp).unwrap(), &[9u8; 32])
            .unwrap();
        ok(ChainName::Midnight, &a);
    }
    let shield = bech32::encode::<bech32::Bech32m>(
        bech32::Hrp::parse("mn_shield-addr_preprod").unwrap(),
        &[9u8; 64],
    )
    .unwrap();
    bad(ChainName::Midnight, &shield, "pattern"); // 130+ characters: the generic pattern wins
    let dust =
        bech32::encode::<bech32::Bech32m>(bech32::Hrp::parse("mn_dust").unwrap(), &[9u8; 32])
            .unwrap();
    bad(ChainName::Midnight, &dust, "invalid_address");
    let short =
        bech32::encode::<bech32::Bech32m>(bech32::Hrp::parse("mn_addr").unwrap(), &[9u8; 31])
            .unwrap();
    bad(ChainName::Midnight, &short, "invalid_address");
}

#[test]
fn sui_aptos_and_starknet() {
    // Native USDC's package on Sui; aptos_framework (0x1) in long form; ETH on Starknet.
    let sui = "0xdba34672e30cb065b1f93e3ab55318768fd6fef66c15942c9f7cb846e2f900e7";
    assert_eq!(parse(ChainName::Sui, sui).unwrap(), sui);
    ok(
        ChainName::Aptos,
        "0x0000000000000000000000000000000000000000000000000000000000000001",
    );
    assert_eq!(
        parse(ChainName::Aptos, "0x00000000000000AB").unwrap(),
        "0x00000000000000000000000000000000000000000000000000000000000000ab"
    );
    bad(ChainName::Sui, "0x2", "pattern");
    bad(ChainName::Sui, &format!("{sui}0"), "invalid_address"); // 65 digits
    bad(ChainName::Aptos, "0x00000000000000zz", "invalid_address");
    let eth = "0x049d36570d4e46f48e99674bd3fcc84644ddd6b96f7c741b1562b82f9e004dc7";
    assert_eq!(parse(ChainName::Stark, eth).unwrap(), eth);
    ok(
        ChainName::Stark,
        "0x07fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeff",
    );
    bad(
        ChainName::Stark,
        "0x07ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff00",
        "invalid_address",
    );
    bad(
        ChainName::Stark,
        "0x0800000000000000000000000000000000000000000000000000000000000000",
        "invalid_address",
    );
}

#[test]
fn flow() {
    // FlowToken and FungibleToken contract accounts on mainnet, testnet and the emulator.
    for valid in [
        "0x1654653399040a61",
        "0xf233dcee88fe0abe",
        "0x7e60df042a9c0868",
        "0x9a0766d93b6608b7",
        "0xf8d6e0586b0a20c7",
        "0x0ae53cb6e3f42a79",
    ] {
        ok(ChainName::Flow, valid);
    }
    bad(ChainName::Flow, "0x1654653399040a60", "invalid_address"); // one bit flipped
    bad(ChainName::Flow, "0x0000000000000000", "invalid_address"); // the zero address
    bad(ChainName::Flow, "0x1654653399040a6100", "invalid_address"); // 18 digits
    assert!(super::hex::flow_is_valid_on(0x1654653399040a61, 0));
    assert!(!super::hex::flow_is_valid_on(
        0x1654653399040a61,
        0x6834_ba37_b398_0209
    ));
}

#[test]
fn algorand() {
    // An address from Algorand's developer documentation, and the zero address.
    let valid = "VCMJKWOY5P5P7SKMZFFOCEROPJCZOTIJMNIYNUCKH7LRO45JMJP6UYBIJA";
    ok(ChainName::Algo, valid);
    ok(ChainName::Algo, &format!("{}Y5HFKQ", "A".repeat(52)));
    bad(
        ChainName::Algo,
        &with_char(valid, 57, 'B'),
        "invalid_address",
    ); // only padding bits differ
    bad(
        ChainName::Algo,
        &with_char(valid, 0, 'W'),
        "invalid_address",
    ); // checksum
    bad(ChainName::Algo, &valid.to_lowercase(), "invalid_address");
}

#[test]
fn stellar() {
    // From Stellar's strkey test vectors.
    let valid = "GAAZI4TCR3TY5OJHCTJC2A4QSY6CJWJH5IAJTGKIN2ER7LBNVKOCCWN7";
    ok(ChainName::Stellar, valid);
    bad(ChainName::Stellar, &last_changed(valid), "invalid_address");
    let secret_seed_shape = with_char(valid, 0, 'S');
    bad(ChainName::Stellar, &secret_seed_shape, "invalid_address");
}

#[test]
fn ton() {
    // The TON Foundation's wallet, bounceable mainnet form.
    let valid = "EQCD39VS5jcptHL8vMjEXrzGaRcCVYto7HUn4bpAOg8xqB2N";
    ok(ChainName::Ton, valid);
    bad(ChainName::Ton, &last_changed(valid), "invalid_address");
    bad(
        ChainName::Ton,
        "0:83dfd552e63729b472fcbcc8c45ebcc6691702558b68ec7527e1ba403a0f31a8",
        "pattern",
    ); // raw form
    bad(
        ChainName::Ton,
        "EQCD39VS5jcptHL8vMjEXrzGaRcCVYto7HUn4bpAOg8xqB2N+",
        "pattern",
    ); // standard base64
    let mut bytes = data_encoding::BASE64URL_NOPAD
        .decode(valid.as_bytes())
        .unwrap();
    bytes[1] = 0x05; // unknown workchain, checksum fixed up
    let crc = super::crc16_xmodem(&bytes[..34]).to_be_bytes();
    bytes[34..].copy_from_slice(&crc);
    bad(
        ChainName::Ton,
        &data_encoding::BASE64URL_NOPAD.encode(&bytes),
        "invalid_address",
    );
}

#[test]
fn crc16_xmodem_check_value() {
    // The CRC catalogue's check value for CRC-16/XMODEM over "123456789".
    assert_eq!(super::crc16_xmodem(b"123456789"), 0x31c3);
}

fn ton_address(tag: u8, workchain: u8, account: [u8; 32]) -> String {
    let mut bytes = vec![tag, workchain];
    bytes.extend_from_slice(&account);
    let crc = super::crc16_xmodem(&bytes).to_be_bytes();
    bytes.extend_from_slice(&crc);
    data_encoding::BASE64URL_NOPAD.encode(&bytes)
}

proptest! {
    #[test]
    fn encodings_round_trip(bytes in any::<[u8; 32]>(), tag in prop::sample::select(vec![0x11u8, 0x51, 0x91, 0xd1]), wc in prop::sample::select(vec![0u8, 0xff])) {
        let sol = bs58::encode(bytes).into_string();
        prop_assert_eq!(parse(ChainName::Sol, &sol).unwrap(), sol);
        let tron = bs58::encode(&[&[0x41u8][..], &bytes[..20]].concat()).with_check().into_string();
        prop_assert_eq!(parse(ChainName::Tron, &tron).unwrap(), tron);
        let p2pkh = bs58::encode(&[&[0x00u8][..], &bytes[..20]].concat()).with_check().into_string();
        prop_assert_eq!(parse(ChainName::Btc, &p2pkh).unwrap(), p2pkh);
        let segwit = bech32::segwit::encode_v1(bech32::hrp::BC, &bytes).unwrap();
        prop_assert_eq!(parse(ChainName::Btc, &segwit.to_uppercase()).unwrap(), segwit);
        let aleo = bech32::encode::<bech32::Bech32m>(bech32::Hrp::parse("aleo").unwrap(), &bytes).unwrap();
        prop_assert_eq!(parse(ChainName::Aleo, &aleo).unwrap(), aleo);
        let cosmos = bech32::encode::<bech32::Bech32>(bech32::Hrp::parse("cosmos").unwrap(), &bytes[..20]).unwrap();
        prop_assert_eq!(parse(ChainName::Cosmos, &cosmos).unwrap(), cosmos);
        let sui = format!("0x{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>());
        prop_assert_eq!(parse(ChainName::Sui, &sui.to_uppercase().replacen("0X", "0x", 1)).unwrap(), sui);
        let checksum = &sha2::Sha512_256::digest(bytes)[28..];
        let algo = data_encoding::BASE32_NOPAD.encode(&[&bytes[..], checksum].concat());
        prop_assert_eq!(parse(ChainName::Algo, &algo).unwrap(), algo);
        let mut stellar = vec![0x30u8];
        stellar.extend_from_slice(&bytes);
        let crc = super::crc16_xmodem(&stellar).to_le_bytes();
        stellar.extend_from_slice(&crc);
        let stellar = data_encoding::BASE32_NOPAD.encode(&stellar);
        prop_assert_eq!(parse(ChainName::Stellar, &stellar).unwrap(), stellar);
        let ton = ton_address(tag, wc, bytes);
        prop_assert_eq!(parse(ChainName::Ton, &ton).unwrap(), ton);
    }

    #[test]
    fn parsers_never_panic_on_alphabet_soup(s in "[0-9A-Za-z_-]{18,100}") {
        for chain in ChainName::ALL {
            let _ = parse(*chain, &s);
            let _ = parse(*chain, &format!("0x{}", &s[2..]));
        }
    }

    #[test]
    fn parsers_never_panic_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..120)) {
        let s = String::from_utf8_lossy(&bytes);
        for chain in ChainName::ALL {
            let _ = parse(*chain, &s);
        }
    }
}
