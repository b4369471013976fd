//! Solana's real runtime for tests. [`SolanaRuntime`] wraps litesvm, which executes
//! transactions as a validator does (signatures and the blockhash checked, the System, SPL
//! Token, Token-2022 and associated-token programs run), and speaks in the bytes Sluice itself
//! writes: a transaction is given as its wire bytes and read with Solana's own types, so a
//! test proves Sluice's encoding against Solana's, not against a copy of Sluice's idea of it.

use litesvm::LiteSVM;
use solana_account::Account;
use solana_address::Address;
use solana_transaction::versioned::VersionedTransaction;

pub mod node;
pub mod wallet;

pub use node::SolanaNode;
pub use wallet::Wallet;

/// SPL Token's program ID.
pub const TOKEN_PROGRAM: &str = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
/// Token-2022's program ID.
pub const TOKEN_2022_PROGRAM: &str = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb";
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
        self.create_mint_of(mint, decimals, TOKEN_PROGRAM);
    }

    /// A mint of `decimals` owned by `token_program` (SPL Token or Token-2022, whose base
    /// mint layout is the same).
    pub fn create_mint_of(&mut self, mint: &[u8; 32], decimals: u8, token_program: &str) {
        let mut data = vec![0u8; 82];
        // mint_authority: None (4 zero bytes + 32); supply; decimals; is_initialized.
        data[36..44].copy_from_slice(&u64::MAX.to_le_bytes());
        data[44] = decimals;
        data[45] = 1;
        self.put(mint, data, token_program);
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

    /// What a node's preflight says of a transaction: `Err` with the error as text if it
    /// would not execute. Nothing changes.
    pub fn simulate(&self, wire: &[u8]) -> Result<(), String> {
        let tx: VersionedTransaction =
            bincode::deserialize(wire).map_err(|e| format!("not a transaction: {e}"))?;
        self.svm
            .simulate_transaction(tx)
            .map(|_| ())
            .map_err(|failed| format!("{:?}", failed.err))
    }

    /// An account as `getAccountInfo` shows it: lamports, owner, data, executable.
    pub fn account(&self, key: &[u8; 32]) -> Option<(u64, [u8; 32], Vec<u8>, bool)> {
        let a = self.svm.get_account(&address(key))?;
        Some((a.lamports, a.owner.to_bytes(), a.data, a.executable))
    }

    /// Moves the runtime's clock to `slot`.
    pub fn warp_to_slot(&mut self, slot: u64) {
        self.svm.warp_to_slot(slot);
    }

    /// Executes a signed transaction given in its wire format: `Err` with the runtime's
    /// error (as text) when it is malformed, badly signed, on an unknown blockhash or fails.
    pub fn send(&mut self, wire: &[u8]) -> Result<Executed, String> {
        let outcome = self.execute(wire)?;
        match outcome.err {
            None => Ok(Executed {
                signature: outcome.signature,
                account_keys: outcome.account_keys,
                fee: outcome.fee,
            }),
            Some(err) => Err(err.to_string()),
        }
    }

    /// Executes a transaction and reports everything a node's `getTransaction` tells: the
    /// message, the error if it failed, and the balances before and after. `Err` only when
    /// the transaction never reaches a block (malformed, bad signature, unknown blockhash,
    /// a fee payer who cannot pay).
    pub fn execute(&mut self, wire: &[u8]) -> Result<Outcome, String> {
        let tx: VersionedTransaction =
            bincode::deserialize(wire).map_err(|e| format!("not a transaction: {e}"))?;
        let keys: Vec<Address> = tx.message.static_account_keys().to_vec();
        let (pre_balances, pre_tokens) = self.balances(&keys);
        let header = tx.message.header();
        let header = [
            header.num_required_signatures,
            header.num_readonly_signed_accounts,
            header.num_readonly_unsigned_accounts,
        ];
        let instructions = tx
            .message
            .instructions()
            .iter()
            .map(|ix| (ix.program_id_index, ix.accounts.clone(), ix.data.clone()))
            .collect();
        let recent_blockhash = tx.message.recent_blockhash().to_bytes();
        let signature: [u8; 64] = tx
            .signatures
            .first()
            .map(|s| (*s).into())
            .unwrap_or([0; 64]);
        let (err, fee) = match self.svm.send_transaction(tx) {
            Ok(meta) => (None, meta.fee),
            Err(failed) => {
                // A failed transaction is in a block (its fee charged) only if the runtime
                // recorded it; otherwise no validator would have taken it.
                let signature = failed.meta.signature;
                if self.svm.get_transaction(&signature).is_none() {
                    return Err(format!("{:?}", failed.err));
                }
                let err = serde_json::to_value(&failed.err).expect("errors serialise");
                (Some(err), failed.meta.fee)
            }
        };
        let (post_balances, post_tokens) = self.balances(&keys);
        Ok(Outcome {
            signature,
            account_keys: keys.iter().map(|k| k.to_bytes()).collect(),
            header,
            instructions,
            recent_blockhash,
            fee,
            err,
            pre_balances,
            post_balances,
            pre_tokens,
            post_tokens,
        })
    }

    /// Lamports of each key, and the SPL token accounts among them.
    fn balances(&self, keys: &[Address]) -> (Vec<u64>, Vec<TokenBalance>) {
        let token = program(TOKEN_PROGRAM);
        let mut lamports = Vec::with_capacity(keys.len());
        let mut tokens = Vec::new();
        for (index, key) in keys.iter().enumerate() {
            let account = self.svm.get_account(key);
            lamports.push(account.as_ref().map_or(0, |a| a.lamports));
            let Some(account) = account.filter(|a| a.owner == token && a.data.len() == 165) else {
                continue;
            };
            let mint: [u8; 32] = account.data[..32].try_into().expect("32 bytes");
            let decimals = self
                .svm
                .get_account(&address(&mint))
                .and_then(|m| m.data.get(44).copied())
                .unwrap_or(0);
            tokens.push(TokenBalance {
                account_index: index as u8,
                mint,
                owner: account.data[32..64].try_into().expect("32 bytes"),
                amount: u64::from_le_bytes(account.data[64..72].try_into().expect("8 bytes")),
                decimals,
            });
        }
        (lamports, tokens)
    }
}

/// An SPL token account's balance as `getTransaction`'s `pre/postTokenBalances` list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenBalance {
    pub account_index: u8,
    pub mint: [u8; 32],
    pub owner: [u8; 32],
    pub amount: u64,
    pub decimals: u8,
}

/// A transaction that reached a block, successful or not.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub signature: [u8; 64],
    pub account_keys: Vec<[u8; 32]>,
    /// `numRequiredSignatures`, `numReadonlySignedAccounts`, `numReadonlyUnsignedAccounts`.
    pub header: [u8; 3],
    /// Each instruction's program index, account indexes and data.
    pub instructions: Vec<(u8, Vec<u8>, Vec<u8>)>,
    pub recent_blockhash: [u8; 32],
    pub fee: u64,
    /// The runtime's error as a node's JSON shows it, for a transaction that failed in its
    /// block.
    pub err: Option<serde_json::Value>,
    pub pre_balances: Vec<u64>,
    pub post_balances: Vec<u64>,
    pub pre_tokens: Vec<TokenBalance>,
    pub post_tokens: Vec<TokenBalance>,
}
