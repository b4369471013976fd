//! Deposit keys: the merchant's extended public key (BIP-32) from which every flow's deposit
//! address is derived, so that Sluice can give each flow its own address without ever holding
//! a private key. The flow numbered *i* gets child `0/i` (the receive branch, as wallets scan
//! it); on EVM chains its address is the last 20 bytes of keccak-256 of the uncompressed key
//! (EIP-55), on Bitcoin a P2WPKH (bech32) address on the key's network.
//!
//! Accepted: `xpub`/`tpub` and their SLIP-132 segwit forms `zpub`/`vpub`, normalised to
//! `xpub`/`tpub` (the key is the same; only the version bytes differ). Anything private — an
//! `xprv`-family key, a seed phrase, raw hex — is refused, and no error ever repeats the input.

use hmac::{Hmac, Mac};
use k256::elliptic_curve::sec1::ToEncodedPoint;
use k256::elliptic_curve::{PrimeField, group::Group};
use k256::{ProjectivePoint, PublicKey, Scalar};
use ripemd::Ripemd160;
use sha2::{Digest, Sha256, Sha512};
use sha3::Keccak256;

use crate::chain::ChainName;

/// Which chains a deposit key serves: all EVM chains share one address format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChainFamily {
    Evm,
    Btc,
    /// TRON: secp256k1 keys like Ethereum's, its account key at `m/44'/195'/0'`.
    Tron,
}

impl ChainFamily {
    pub const ALL: [ChainFamily; 3] = [ChainFamily::Evm, ChainFamily::Btc, ChainFamily::Tron];

    pub fn as_str(self) -> &'static str {
        match self {
            ChainFamily::Evm => "EVM",
            ChainFamily::Btc => "BTC",
            ChainFamily::Tron => "TRON",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// The family whose key serves `chain`; `None` for chains without deposit addresses.
    pub fn of(chain: ChainName) -> Option<Self> {
        if chain.is_evm_family() {
            Some(Self::Evm)
        } else if chain == ChainName::Btc {
            Some(Self::Btc)
        } else if chain == ChainName::Tron {
            Some(Self::Tron)
        } else {
            None
        }
    }
}

/// Bitcoin network a key belongs to, from its version bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    Main,
    Test,
}

const XPUB: [u8; 4] = [0x04, 0x88, 0xB2, 0x1E];
const TPUB: [u8; 4] = [0x04, 0x35, 0x87, 0xCF];
/// (version, network, name): the public forms accepted.
const PUBLIC: [([u8; 4], Network, &str); 4] = [
    (XPUB, Network::Main, "xpub"),
    ([0x04, 0xB2, 0x47, 0x46], Network::Main, "zpub"),
    (TPUB, Network::Test, "tpub"),
    ([0x04, 0x5F, 0x1C, 0xF6], Network::Test, "vpub"),
];
/// Private and unsupported public forms, refused by name.
const PRIVATE: [([u8; 4], &str); 6] = [
    ([0x04, 0x88, 0xAD, 0xE4], "xprv"),
    ([0x04, 0x35, 0x83, 0x94], "tprv"),
    ([0x04, 0x9D, 0x78, 0x78], "yprv"),
    ([0x04, 0xB2, 0x43, 0x0C], "zprv"),
    ([0x04, 0x4A, 0x4E, 0x28], "uprv"),
    ([0x04, 0x5F, 0x18, 0xBC], "vprv"),
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DepositKeyError {
    #[error(
        "this is a private key ({0}); Sluice never holds private keys: give the matching extended public key (xpub) instead"
    )]
    PrivateKey(&'static str),
    #[error(
        "this looks like a seed phrase; Sluice never holds secrets: export the account's extended public key (xpub) from your wallet instead"
    )]
    SeedPhrase,
    #[error("not an extended public key: expected a base58check xpub, tpub, zpub or vpub")]
    Malformed,
    #[error("unsupported extended key version; accepted: xpub, tpub, zpub, vpub")]
    UnsupportedVersion,
    #[error("the extended public key does not hold a valid secp256k1 point")]
    InvalidPoint,
}

/// A validated extended public key.
#[derive(Clone, PartialEq, Eq)]
pub struct ExtendedPublicKey {
    network: Network,
    depth: u8,
    parent_fingerprint: [u8; 4],
    child_number: [u8; 4],
    chain_code: [u8; 32],
    key: PublicKey,
}

// Public, yet not printed whole by accident: the key links every deposit address.
impl std::fmt::Debug for ExtendedPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ExtendedPublicKey({})", self.fingerprint())
    }
}

impl ExtendedPublicKey {
    pub fn parse(input: &str) -> Result<Self, DepositKeyError> {
        let input = input.trim();
        if input.split_whitespace().count() >= 12 {
            return Err(DepositKeyError::SeedPhrase);
        }
        let bytes = bs58::decode(input)
            .with_check(None)
            .into_vec()
            .map_err(|_| DepositKeyError::Malformed)?;
        if bytes.len() != 78 {
            return Err(DepositKeyError::Malformed);
        }
        let version: [u8; 4] = bytes[0..4].try_into().expect("4 bytes");
        if let Some((_, name)) = PRIVATE.iter().find(|(v, _)| *v == version) {
            return Err(DepositKeyError::PrivateKey(name));
        }
        let (_, network, _) = PUBLIC
            .iter()
            .find(|(v, _, _)| *v == version)
            .ok_or(DepositKeyError::UnsupportedVersion)?;
        let key = PublicKey::from_sec1_bytes(&bytes[45..78])
            .ok()
            .filter(|_| matches!(bytes[45], 0x02 | 0x03))
            .ok_or(DepositKeyError::InvalidPoint)?;
        Ok(Self {
            network: *network,
            depth: bytes[4],
            parent_fingerprint: bytes[5..9].try_into().expect("4 bytes"),
            child_number: bytes[9..13].try_into().expect("4 bytes"),
            chain_code: bytes[13..45].try_into().expect("32 bytes"),
            key,
        })
    }

    pub fn network(&self) -> Network {
        self.network
    }

    /// The normalised form (`xpub` on mainnet, `tpub` on testnet), as stored.
    pub fn to_base58(&self) -> String {
        let mut bytes = Vec::with_capacity(78);
        bytes.extend_from_slice(match self.network {
            Network::Main => &XPUB,
            Network::Test => &TPUB,
        });
        bytes.push(self.depth);
        bytes.extend_from_slice(&self.parent_fingerprint);
        bytes.extend_from_slice(&self.child_number);
        bytes.extend_from_slice(&self.chain_code);
        bytes.extend_from_slice(&self.compressed());
        bs58::encode(bytes).with_check().into_string()
    }

    /// The BIP-32 fingerprint of this key (first 4 bytes of its HASH160), in hex: what
    /// wallets show to identify a key, and safe to print.
    pub fn fingerprint(&self) -> String {
        data_encoding::HEXLOWER.encode(&hash160(&self.compressed())[..4])
    }

    fn compressed(&self) -> [u8; 33] {
        let point = self.key.to_encoded_point(true);
        point
            .as_bytes()
            .try_into()
            .expect("33-byte compressed point")
    }

    /// CKDpub: the non-hardened child `index` (BIP-32). `None` for a hardened index or the
    /// (astronomically rare) invalid child, which BIP-32 says to skip.
    pub fn child(&self, index: u32) -> Option<Self> {
        if index >= 1 << 31 {
            return None;
        }
        let mut mac = Hmac::<Sha512>::new_from_slice(&self.chain_code).expect("any key length");
        mac.update(&self.compressed());
        mac.update(&index.to_be_bytes());
        let i = mac.finalize().into_bytes();
        let mut repr = k256::FieldBytes::default();
        repr.copy_from_slice(&i[..32]);
        let tweak: Option<Scalar> = Scalar::from_repr(repr).into();
        let point = ProjectivePoint::GENERATOR * tweak? + self.key.to_projective();
        if bool::from(point.is_identity()) {
            return None;
        }
        Some(Self {
            network: self.network,
            depth: self.depth.checked_add(1)?,
            parent_fingerprint: hash160(&self.compressed())[..4].try_into().expect("4"),
            child_number: index.to_be_bytes(),
            chain_code: i[32..].try_into().expect("32 bytes"),
            key: PublicKey::from_affine(point.to_affine()).ok()?,
        })
    }

    /// The deposit address of the flow numbered `index`: child `0/index`.
    pub fn deposit_address(&self, family: ChainFamily, index: u32) -> Option<String> {
        let child = self.child(0)?.child(index)?;
        Some(match family {
            ChainFamily::Evm => child.evm_address(),
            ChainFamily::Btc => child.p2wpkh_address(),
            ChainFamily::Tron => child.tron_address(),
        })
    }

    /// This key's own TRON address: base58check of `0x41` and the 20 bytes of its EVM
    /// address (TRON's own rule, spec §10.2).
    pub fn tron_address(&self) -> String {
        let point = self.key.to_encoded_point(false);
        let hash = Keccak256::digest(&point.as_bytes()[1..]);
        let payload = [&[0x41][..], &hash[12..]].concat();
        bs58::encode(payload).with_check().into_string()
    }

    /// This key's own EVM address: keccak-256 of the uncompressed point, last 20 bytes.
    pub fn evm_address(&self) -> String {
        let point = self.key.to_encoded_point(false);
        let hash = Keccak256::digest(&point.as_bytes()[1..]);
        crate::address::eip55(&data_encoding::HEXLOWER.encode(&hash[12..]))
    }

    /// This key's own P2WPKH address on its network.
    pub fn p2wpkh_address(&self) -> String {
        let hrp = match self.network {
            Network::Main => bech32::hrp::BC,
            Network::Test => bech32::hrp::TB,
        };
        bech32::segwit::encode_v0(hrp, &hash160(&self.compressed()))
            .expect("a 20-byte program always encodes")
    }
}

fn hash160(data: &[u8]) -> [u8; 20] {
    Ripemd160::digest(Sha256::digest(data)).into()
}

#[cfg(test)]
mod tests;
