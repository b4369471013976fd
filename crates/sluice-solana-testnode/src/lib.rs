//! Solana's real runtime for tests. [`SolanaRuntime`] wraps litesvm, which executes
//! transactions as a validator does (signatures and the blockhash checked, the System, SPL
//! Token, Token-2022 and associated-token programs run), and speaks in the bytes Sluice itself
//! writes: a transaction is given as its wire bytes and read with Solana's own types, so a
//! test proves Sluice's encoding against Solana's, not against a copy of Sluice's idea of it.

use litesvm::LiteSVM;
use solana_account::Account;
use solana_address::Address;
use solana_transaction::versioned::VersionedTransaction;

/// SPL Token's program ID.
pub const TOKEN_PROGRAM: &str = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
/// The associated-token-account program's ID.
pub const ASSOCIATED_TOKEN_PROGRAM: &str = "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL";

/// What became of a transaction: its signature and account keys, or the runtime's error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Executed {
    pub signature: [u8; 64],
    pub account_keys: Vec<[u8; 32]>,
    pub fee: u64,
}

pub struct SolanaRuntime {
    svm: LiteSVM,
}

impl Default for SolanaRuntime {
    fn default() -> Self {
        Self::new()
    }
}

fn address(key: &[u8; 32]) -> Address {
    Address::new_from_array(*key)
}

fn program(id: &str) -> Address {
    id.parse().expect("a program ID")
}

impl SolanaRuntime {
    pub fn new() -> Self {
        Self {
            svm: LiteSVM::new(),
        }
    }

    pub fn airdrop(&mut self, to: &[u8; 32], lamports: u64) {
        self.svm
            .airdrop(&address(to), lamports)
            .expect("an airdrop of the runtime's own lamports");
    }

    pub fn latest_blockhash(&self) -> [u8; 32] {
        self.svm.latest_blockhash().to_bytes()
    }

    /// Moves to a new blockhash; transactions made on the old one no longer land.
    pub fn expire_blockhash(&mut self) {
        self.svm.expire_blockhash();
    }

    pub fn balance(&self, key: &[u8; 32]) -> u64 {
        self.svm.get_balance(&address(key)).unwrap_or(0)
    }

    /// The associated token account of `owner` for `mint` under SPL Token, by Solana's own
    /// program-address derivation.
    pub fn associated_account(owner: &[u8; 32], mint: &[u8; 32]) -> [u8; 32] {
        let token = program(TOKEN_PROGRAM);
        let seeds: [&[u8]; 3] = [owner, token.as_ref(), mint];
        Address::find_program_address(&seeds, &program(ASSOCIATED_TOKEN_PROGRAM))
            .0
            .to_bytes()
    }

    /// An SPL Token mint of `decimals` (no authority needed: balances are written directly).
    pub fn create_mint(&mut self, mint: &[u8; 32], decimals: u8) {
        let mut data = vec![0u8; 82];
        // mint_authority: None (4 zero bytes + 32); supply; decimals; is_initialized.
        data[36..44].copy_from_slice(&u64::MAX.to_le_bytes());
        data[44] = decimals;
        data[45] = 1;
        self.put(mint, data, TOKEN_PROGRAM);
    }

    /// Gives `owner` an associated token account of `mint` holding `amount`.
    pub fn give_tokens(&mut self, owner: &[u8; 32], mint: &[u8; 32], amount: u64) {
        let mut data = vec![0u8; 165];
        data[..32].copy_from_slice(mint);
        data[32..64].copy_from_slice(owner);
        data[64..72].copy_from_slice(&amount.to_le_bytes());
        data[108] = 1; // AccountState::Initialized
        self.put(&Self::associated_account(owner, mint), data, TOKEN_PROGRAM);
    }

    /// The token balance of `owner`'s associated account of `mint`; `None` if it has none.
    pub fn token_balance(&self, owner: &[u8; 32], mint: &[u8; 32]) -> Option<u64> {
        let account = self
            .svm
            .get_account(&address(&Self::associated_account(owner, mint)))?;
        let amount = account.data.get(64..72)?;
        Some(u64::from_le_bytes(amount.try_into().ok()?))
    }

    fn put(&mut self, key: &[u8; 32], data: Vec<u8>, owner: &str) {
        let account = Account {
            lamports: self.svm.minimum_balance_for_rent_exemption(data.len()),
            data,
            owner: program(owner),
            executable: false,
            rent_epoch: 0,
        };
        self.svm
            .set_account(address(key), account)
            .expect("a valid account");
    }

    /// Executes a signed transaction given in its wire format: `Err` with the runtime's
    /// error (as text) when it is malformed, badly signed, on an unknown blockhash or fails.
    pub fn send(&mut self, wire: &[u8]) -> Result<Executed, String> {
        let tx: VersionedTransaction =
            bincode::deserialize(wire).map_err(|e| format!("not a transaction: {e}"))?;
        let account_keys = tx
            .message
            .static_account_keys()
            .iter()
            .map(|k| k.to_bytes())
            .collect();
        match self.svm.send_transaction(tx) {
            Ok(meta) => Ok(Executed {
                signature: meta.signature.into(),
                account_keys,
                fee: meta.fee,
            }),
            Err(failed) => Err(format!("{:?}", failed.err)),
        }
    }
}
