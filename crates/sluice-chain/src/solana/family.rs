//! [`ChainFamily`] for Solana (spec §10.3). Payments are found by signature
//! (`getSignatureStatuses`, batched) and judged from `getTransaction` at the configured
//! commitment (`verify.rs`). Prepare builds the legacy transaction itself
//! (`transaction.rs`) on a recent blockhash; a transaction not landed when the chain's
//! settled block height passes what its blockhash allows never can, which the chain watch
//! learns from [`ChainFamily::landing_deadline`].

use async_trait::async_trait;
use sluice_domain::ChainName;
use sluice_domain::flow::SigningPayload;

use super::chain::{BLOCKHASH_LIFETIME, SolanaChain, slot_name};
use super::pubkey::Pubkey;
use super::transaction::{
    TokenTransfer, create_associated_account_idempotent, system_transfer, transfer_checked,
    unsigned_transaction,
};
use crate::RpcError;
use crate::family::*;
use crate::settlement::ExpectedTransfer;

/// The fee of a transaction with one signature, in lamports (Solana's base fee).
const SIGNATURE_FEE: u64 = 5_000;
/// Lamports an SPL token account (165 bytes) must hold to be rent-exempt: what the payer
/// funds when the destination has no account of the mint yet.
const TOKEN_ACCOUNT_RENT: u64 = 2_039_280;

fn key(text: &str) -> Result<Pubkey, RpcError> {
    Pubkey::parse(text).ok_or_else(|| RpcError::Malformed(format!("{text:?} is not a Solana key")))
}

fn lamports(amount: u128) -> Result<u64, RpcError> {
    u64::try_from(amount).map_err(|_| RpcError::Malformed("more than a u64 of base units".into()))
}

#[async_trait]
impl ChainFamily for SolanaChain {
    /// The genesis hash (spec §10.4), refused like another network's when a configured mint
    /// is missing or under another token program.
    async fn network_id(&self) -> ChainResult<String> {
        self.identity().await
    }

    fn canonical_tx_hash(&self, hash: &str) -> String {
        hash.trim().to_owned() // base58: its case is meaningful
    }

    async fn head(&self) -> ChainResult<u64> {
        self.rpc().slot().await
    }

    /// Blocks are named by slot (see `chain.rs`); one at or below the head is settled.
    async fn block_hash(&self, number: u64) -> ChainResult<Option<String>> {
        Ok(Some(slot_name(number)))
    }

    async fn scan(
        &self,
        _from: u64,
        to: u64,
        watch: &Watch<'_>,
    ) -> ChainResult<Option<ScannedRange>> {
        if watch.payments.is_empty() {
            return Ok(Some(ScannedRange::default()));
        }
        SolanaChain::scan(self, to, watch).await.map(Some)
    }

    fn scan_finds_every_payment(&self) -> bool {
        true
    }

    async fn locate(&self, tx_hash: &str) -> ChainResult<Option<Sighting>> {
        self.landed(tx_hash).await
    }

    async fn landing_deadline(&self) -> ChainResult<Option<u64>> {
        // Any blockhash a payer could have signed on is at most the node's newest.
        let newest = self.rpc().processed_block_height().await?;
        Ok(Some(newest + BLOCKHASH_LIFETIME))
    }

    async fn settled_height(&self) -> ChainResult<u64> {
        self.rpc().block_height().await
    }

    async fn check_payment(
        &self,
        tx_hash: &str,
        expected: &ExpectedTransfer<'_>,
    ) -> ChainResult<Option<Checked>> {
        let Some(tx) = self.rpc().transaction(tx_hash).await? else {
            return Ok(None);
        };
        Ok(Some(Checked {
            block_number: tx.slot,
            block_hash: slot_name(tx.slot),
            verdict: super::verify::judge(&tx, expected),
        }))
    }

    async fn transfer_fee(&self, _native: bool) -> ChainResult<u128> {
        Ok(u128::from(SIGNATURE_FEE))
    }

    fn native_decimals(&self) -> u8 {
        9
    }

    async fn signing_payload(
        &self,
        payment: &DirectPayment<'_>,
        chain: (ChainName, &str),
    ) -> Result<SigningPayload, PrepareError> {
        let (payer, to) = (key(payment.from)?, key(payment.to)?);
        let reference = Pubkey::reference_for(payment.flow_id);
        let amount = lamports(payment.amount)?;
        let instructions = match payment.token {
            None => {
                self.assert_lamports(payment, payer, SIGNATURE_FEE).await?;
                vec![system_transfer(payer, to, amount, reference)]
            }
            Some(mint) => {
                let token = self.token(mint)?;
                let transfer = TokenTransfer {
                    owner: payer,
                    recipient: to,
                    mint: token.mint,
                    token_program: token.program(),
                    amount,
                    decimals: token.decimals,
                };
                self.assert_tokens(payment, &transfer).await?;
                vec![
                    create_associated_account_idempotent(payer, to, token.mint, token.program()),
                    transfer_checked(&transfer, reference),
                ]
            }
        };
        let recent = self.rpc().latest_blockhash().await?;
        let unsigned = unsigned_transaction(payer, &instructions, recent.blockhash);
        Ok(SigningPayload {
            chain_name: chain.0,
            chain_id: chain.1.to_owned(),
            evm_transaction: None,
            psbt: None,
            tron_transaction: None,
            serialized_transaction: Some(data_encoding::BASE64.encode(&unsigned)),
        })
    }

    async fn balance(&self, owner: &str, token: Option<&str>) -> ChainResult<u128> {
        match token {
            None => Ok(u128::from(self.rpc().balance(owner).await?)),
            Some(mint) => {
                let token = self.token(mint)?;
                let account =
                    Pubkey::associated_token_account(&key(owner)?, &token.mint, &token.program());
                let held = self
                    .rpc()
                    .token_account_balance(&account.to_string())
                    .await?;
                Ok(held.unwrap_or(0))
            }
        }
    }
}

impl SolanaChain {
    /// The payer's lamports against the amount (SOL) and `fee` (the network fee, and the
    /// rent of an account the transaction creates), as asked.
    async fn assert_lamports(
        &self,
        payment: &DirectPayment<'_>,
        payer: Pubkey,
        fee: u64,
    ) -> Result<(), PrepareError> {
        let native = payment.token.is_none() && payment.assert_balance_for_transfer_amount;
        let required = if native { payment.amount } else { 0 }
            + if payment.assert_balance_for_gas_cost {
                u128::from(fee)
            } else {
                0
            };
        if required == 0 {
            return Ok(());
        }
        let held = u128::from(self.rpc().balance(&payer.to_string()).await?);
        if held < required {
            return Err(PrepareError::Insufficient {
                asset: "SOL".into(),
                required,
                available: held,
            });
        }
        Ok(())
    }

    /// The payer's tokens against the amount, and lamports for the fee and, when the
    /// destination has no account of the mint yet, its rent.
    async fn assert_tokens(
        &self,
        payment: &DirectPayment<'_>,
        t: &TokenTransfer,
    ) -> Result<(), PrepareError> {
        let account = |owner| Pubkey::associated_token_account(owner, &t.mint, &t.token_program);
        if payment.assert_balance_for_transfer_amount {
            let source = account(&t.owner).to_string();
            let held = self
                .rpc()
                .token_account_balance(&source)
                .await?
                .unwrap_or(0);
            if held < u128::from(t.amount) {
                return Err(PrepareError::Insufficient {
                    asset: payment.token_symbol.to_owned(),
                    required: u128::from(t.amount),
                    available: held,
                });
            }
        }
        if !payment.assert_balance_for_gas_cost {
            return Ok(());
        }
        let destination = account(&t.recipient).to_string();
        let exists = self.rpc().account_owner(&destination).await?.is_some();
        let rent = if exists { 0 } else { TOKEN_ACCOUNT_RENT };
        self.assert_lamports(payment, t.owner, SIGNATURE_FEE + rent)
            .await
    }
}
