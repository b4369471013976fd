//! Solana public keys: 32 bytes spelled in base58. Besides parsing, this holds the two
//! derivations a payment needs and that no node is asked for: the associated token account of
//! an owner for a mint (a program-derived address, so the merchant names only their wallet),
//! and the flow's reference key that makes its payment findable (spec §10.3).

use std::fmt;

use curve25519_dalek::edwards::CompressedEdwardsY;
use sha2::{Digest, Sha256};

/// The System program: also `tokenAddress` of SOL itself (spec §10).
pub const SYSTEM_PROGRAM: &str = "11111111111111111111111111111111";
/// The SPL Token program.
pub const TOKEN_PROGRAM: &str = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
/// The SPL Token-2022 program (accepted only for mints configured as such).
pub const TOKEN_2022_PROGRAM: &str = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb";
/// The associated-token-account program.
pub const ASSOCIATED_TOKEN_PROGRAM: &str = "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL";

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pubkey(pub [u8; 32]);

impl Pubkey {
    /// A base58 key of exactly 32 bytes.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = bs58::decode(text).into_vec().ok()?;
        Some(Self(bytes.try_into().ok()?))
    }

    /// One of the program IDs above (known to be valid).
    pub fn program(id: &'static str) -> Self {
        Self::parse(id).expect("a program ID is a valid key")
    }

    /// Whether the bytes are a point of ed25519: keys of wallets are, program-derived
    /// addresses never are (so that no private key can sign for them).
    pub fn is_on_curve(&self) -> bool {
        CompressedEdwardsY(self.0).decompress().is_some()
    }

    /// The program-derived address of `seeds` under `program` and its bump: the first
    /// sha256(seeds ‖ bump ‖ program ‖ "ProgramDerivedAddress"), bump from 255 down, that is
    /// off the curve (Solana's `find_program_address`).
    pub fn find_program_address(seeds: &[&[u8]], program: &Pubkey) -> Option<(Self, u8)> {
        (0..=255u8).rev().find_map(|bump| {
            let mut hash = Sha256::new();
            for seed in seeds {
                hash.update(seed);
            }
            hash.update([bump]);
            hash.update(program.0);
            hash.update(b"ProgramDerivedAddress");
            let candidate = Self(hash.finalize().into());
            (!candidate.is_on_curve()).then_some((candidate, bump))
        })
    }

    /// The associated token account of `owner` for `mint` under `token_program`.
    pub fn associated_token_account(owner: &Pubkey, mint: &Pubkey, token_program: &Pubkey) -> Self {
        let seeds: [&[u8]; 3] = [&owner.0, &token_program.0, &mint.0];
        Self::find_program_address(&seeds, &Self::program(ASSOCIATED_TOKEN_PROGRAM))
            .expect("some bump of 256 is off the curve")
            .0
    }

    /// The reference key of a flow: listed read-only on its transfer instruction so that the
    /// payment names its flow on chain, as Solana Pay does. Derived from the flow's ID, so it
    /// needs no storage and is the same on every instance.
    pub fn reference_for(flow_id: &str) -> Self {
        let mut hash = Sha256::new();
        hash.update(b"sluice/solana-reference/v1/");
        hash.update(flow_id.as_bytes());
        Self(hash.finalize().into())
    }
}

impl fmt::Display for Pubkey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bs58::encode(self.0).into_string())
    }
}

impl fmt::Debug for Pubkey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pubkey({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_32_bytes_of_base58() {
        assert_eq!(Pubkey::parse(SYSTEM_PROGRAM), Some(Pubkey([0; 32])));
        let usdc = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v";
        assert_eq!(Pubkey::parse(usdc).unwrap().to_string(), usdc);
        assert_eq!(Pubkey::parse("1111"), None, "too short");
        assert_eq!(Pubkey::parse("0OIl"), None, "not base58");
    }

    #[test]
    fn program_derived_addresses_are_off_the_curve() {
        let owner = Pubkey::parse("9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM").unwrap();
        let mint = Pubkey::parse("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v").unwrap();
        let ata = Pubkey::associated_token_account(&owner, &mint, &Pubkey::program(TOKEN_PROGRAM));
        assert!(!ata.is_on_curve());
        assert_ne!(
            ata,
            Pubkey::associated_token_account(&owner, &mint, &Pubkey::program(TOKEN_2022_PROGRAM)),
            "another token program, another account"
        );
    }

    #[test]
    fn each_flow_has_its_own_reference() {
        assert_eq!(
            Pubkey::reference_for("flow_a"),
            Pubkey::reference_for("flow_a")
        );
        assert_ne!(
            Pubkey::reference_for("flow_a"),
            Pubkey::reference_for("flow_b")
        );
    }
}
