//! Published vectors, each computed by implementations other than this one: BIP-32 test
//! vector 1 (public derivation), BIP-84 (mainnet zpub and its first addresses), the BIP-84
//! testnet account of the same mnemonic (vpub), and the BIP-44 Ethereum addresses of that
//! mnemonic ("abandon" ×11 + "about").

use super::*;

const V1_M: &str = "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8";
const V1_M_0H: &str = "xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw";
const V1_M_0H_1: &str = "xpub6ASuArnXKPbfEwhqN6e3mwBcDTgzisQN1wXN9BJcM47sSikHjJf3UFHKkNAWbWMiGj7Wf5uMash7SyYq527Hqck2AxYysAA7xmALppuCkwQ";
const V1_M_0H_1_2H: &str = "xpub6D4BDPcP2GT577Vvch3R8wDkScZWzQzMMUm3PWbmWvVJrZwQY4VUNgqFJPMM3No2dFDFGTsxxpG5uJh7n7epu4trkrX7x7DogT5Uv6fcLW5";
const V1_M_0H_1_2H_2: &str = "xpub6FHa3pjLCk84BayeJxFW2SP4XRrFd1JYnxeLeU8EqN3vDfZmbqBqaGJAyiLjTAwm6ZLRQUMv1ZACTj37sR62cfN7fe5JnJ7dh8zL4fiyLHV";
const V1_M_0H_1_2H_2_1E9: &str = "xpub6H1LXWLaKsWFhvm6RVpEL9P4KfRZSW7abD2ttkWP3SSQvnyA8FSVqNTEcYFgJS2UaFcxupHiYkro49S8yGasTvXEYBVPamhGW6cFJodrTHy";
const V1_M_XPRV: &str = "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi";

const BIP84_ZPUB: &str = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs";
const BIP84_AS_XPUB: &str = "xpub6CatWdiZiodmUeTDp8LT5or8nmbKNcuyvz7WyksVFkKB4RHwCD3XyuvPEbvqAQY3rAPshWcMLoP2fMFMKHPJ4ZeZXYVUhLv1VMrjPC7PW6V";
const BIP84_TESTNET_VPUB: &str = "vpub5Y6cjg78GGuNLsaPhmYsiw4gYX3HoQiRBiSwDaBXKUafCt9bNwWQiitDk5VZ5BVxYnQdwoTyXSs2JHRPAgjAvtbBrf8ZhDYe2jWAqvZVnsc";
/// m/44'/60'/0'/0 of the same mnemonic: its children 0 and 1 are the well-known first two
/// Ethereum accounts.
const BIP44_ETH_RECEIVE: &str = "xpub6EF8jXqFeFEW5bwMU7RpQtHkzE4KJxcqJtvkCjJumzW8CPpacXkb92ek4WzLQXjL93HycJwTPUAcuNxCqFPKKU5m5Z2Vq4nCyh5CyPeBFFr";

/// m/44'/60'/0' of the same mnemonic, computed by an independent implementation (Python:
/// PBKDF2 seed, hardened HMAC-SHA512 derivation, pure-integer secp256k1): as a deposit key,
/// its flows 0 and 1 get the same two published accounts (`0/0` and `0/1`).
const BIP44_ETH_ACCOUNT: &str = "xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEshuqpK3mdhaWHPFsBngh5GFZaM6si3yZdUsT8ddYM3PwnATt";

fn key(s: &str) -> ExtendedPublicKey {
    ExtendedPublicKey::parse(s).unwrap()
}

#[test]
fn public_derivation_follows_bip32_test_vector_1() {
    assert_eq!(key(V1_M_0H).child(1).unwrap().to_base58(), V1_M_0H_1);
    let deep = key(V1_M_0H_1_2H).child(2).unwrap();
    assert_eq!(deep.to_base58(), V1_M_0H_1_2H_2);
    assert_eq!(
        deep.child(1_000_000_000).unwrap().to_base58(),
        V1_M_0H_1_2H_2_1E9
    );
    assert!(
        key(V1_M).child(1 << 31).is_none(),
        "hardened needs a private key"
    );
    assert_eq!(key(V1_M).fingerprint(), "3442193e");
}

#[test]
fn bitcoin_deposit_addresses_follow_bip84() {
    let zpub = key(BIP84_ZPUB);
    assert_eq!(zpub.to_base58(), BIP84_AS_XPUB, "normalised to xpub");
    assert_eq!(
        zpub.deposit_address(ChainFamily::Btc, 0).unwrap(),
        "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"
    );
    assert_eq!(
        zpub.deposit_address(ChainFamily::Btc, 1).unwrap(),
        "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g"
    );
    // The change branch is not used for deposits; it checks the same derivation elsewhere.
    let change = zpub.child(1).unwrap().child(0).unwrap();
    assert_eq!(
        change.p2wpkh_address(),
        "bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el"
    );
    assert_eq!(key(BIP84_AS_XPUB), zpub, "both forms are one key");
}

#[test]
fn testnet_keys_give_testnet_addresses() {
    let vpub = key(BIP84_TESTNET_VPUB);
    assert_eq!(vpub.network(), Network::Test);
    assert!(vpub.to_base58().starts_with("tpub"));
    assert_eq!(
        vpub.deposit_address(ChainFamily::Btc, 0).unwrap(),
        "tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl"
    );
    let change_1 = vpub.child(1).unwrap().child(1).unwrap();
    assert_eq!(
        change_1.p2wpkh_address(),
        "tb1qkwgskuzmmwwvqajnyr7yp9hgvh5y45kg8wvdmd"
    );
}

#[test]
fn evm_addresses_follow_bip44() {
    let receive = key(BIP44_ETH_RECEIVE);
    assert_eq!(
        receive.child(0).unwrap().evm_address(),
        "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
    );
    assert_eq!(
        receive.child(1).unwrap().evm_address(),
        "0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0"
    );
}

#[test]
fn an_account_key_gives_the_published_accounts_as_deposit_addresses() {
    let account = key(BIP44_ETH_ACCOUNT);
    assert_eq!(
        account.deposit_address(ChainFamily::Evm, 0).unwrap(),
        "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
    );
    assert_eq!(
        account.deposit_address(ChainFamily::Evm, 1).unwrap(),
        "0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0"
    );
}

/// m/44'/195'/0' of the same mnemonic, and its first two TRON accounts, as TRON's own SDK
/// derives them (`TronWeb.fromMnemonic`, tools/tron/oracle.mjs; the suite re-derives them live).
const TRON_ACCOUNT: &str = "xpub6D1AabNHCupeiLM65ZR9UStMhJ1vCpyV4XbZdyhMZBiJXALQtmn9p42VTQckoHVn8WNqS7dqnJokZHAHcHGoaQgmv8D45oNUKx6DZMNZBCd";

#[test]
fn a_tron_account_key_gives_tronwebs_accounts_as_deposit_addresses() {
    let account = key(TRON_ACCOUNT);
    assert_eq!(
        account.deposit_address(ChainFamily::Tron, 0).unwrap(),
        "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH"
    );
    assert_eq!(
        account.deposit_address(ChainFamily::Tron, 1).unwrap(),
        "TSeJkUh4Qv67VNFwY8LaAxERygNdy6NQZK"
    );
    for i in 0..4 {
        let tron = account.deposit_address(ChainFamily::Tron, i).unwrap();
        assert!(
            crate::address::parse(crate::ChainName::Tron, &tron).is_ok(),
            "{tron}"
        );
    }
}

#[test]
fn deposit_address_is_child_0_slash_index() {
    let k = key(V1_M_0H);
    for i in [0, 1, 7, 1000] {
        let direct = k.child(0).unwrap().child(i).unwrap();
        assert_eq!(
            k.deposit_address(ChainFamily::Evm, i).unwrap(),
            direct.evm_address()
        );
    }
    assert_ne!(
        k.deposit_address(ChainFamily::Evm, 0),
        k.deposit_address(ChainFamily::Evm, 1)
    );
}

#[test]
fn private_keys_and_seed_phrases_are_refused_without_echoing_them() {
    let seed = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
    for (input, expected) in [
        (V1_M_XPRV, DepositKeyError::PrivateKey("xprv")),
        (seed, DepositKeyError::SeedPhrase),
        (
            "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
            DepositKeyError::Malformed,
        ),
        ("", DepositKeyError::Malformed),
    ] {
        let err = ExtendedPublicKey::parse(input).unwrap_err();
        assert_eq!(err, expected);
        let text = err.to_string();
        assert!(input.is_empty() || !text.contains(input), "{text}");
        assert!(!text.contains("abandon"));
    }
    // One changed character breaks the base58 checksum.
    let mut broken = V1_M.to_string();
    broken.replace_range(20..21, "Z");
    assert_eq!(
        ExtendedPublicKey::parse(&broken),
        Err(DepositKeyError::Malformed)
    );
}

#[test]
fn debug_shows_only_the_fingerprint() {
    let shown = format!("{:?}", key(V1_M));
    assert_eq!(shown, "ExtendedPublicKey(3442193e)");
}
