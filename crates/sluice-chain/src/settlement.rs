//! What a payment must do to settle a flow (spec §9): move at least `toAmount` of the quoted
//! token from `fromAddress` to the destination, in a transaction that succeeded. Each family
//! checks this its own way; the ways it can fail, and their `failure.code`s, are shared.

/// What the flow expects to see on chain. Addresses in any case.
#[derive(Debug, Clone)]
pub struct ExpectedTransfer<'a> {
    /// The flow to be paid; on Solana the transaction must list the reference key derived
    /// from it.
    pub flow_id: &'a str,
    /// `None` for the chain's native token.
    pub token: Option<&'a str>,
    pub from: &'a str,
    pub to: &'a str,
    pub min_amount: u128,
}

/// Why a transaction does not pay the flow; each maps to a `failure.code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    Reverted,
    WrongSender {
        actual: String,
    },
    WrongRecipient {
        actual: String,
    },
    WrongToken {
        actual: String,
    },
    TooLittle {
        actual: u128,
    },
    NoTransfer,
    /// Solana: the transaction does not list the flow's reference key, so it does not name
    /// this flow (it may be another flow's payment, reported twice).
    Unreferenced,
}

impl Mismatch {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Reverted => "tx_reverted",
            Self::WrongSender { .. } => "wrong_sender",
            Self::WrongRecipient { .. } => "wrong_recipient",
            Self::WrongToken { .. } => "wrong_token",
            Self::TooLittle { .. } => "underpaid",
            Self::NoTransfer => "no_transfer",
            Self::Unreferenced => "reference_missing",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::Reverted => "The transaction reverted on chain.".into(),
            Self::WrongSender { actual } => {
                format!("The transaction was sent by {actual}, not the attached wallet.")
            }
            Self::WrongRecipient { actual } => {
                format!("The transfer went to {actual}, not the flow's destination.")
            }
            Self::WrongToken { actual } => {
                format!("The transaction moved {actual}, not the quoted token.")
            }
            Self::TooLittle { actual } => {
                format!("The transfer moved {actual} base units, less than quoted.")
            }
            Self::NoTransfer => {
                "The transaction contains no transfer of the quoted token to the destination."
                    .into()
            }
            Self::Unreferenced => {
                "The transaction does not list this flow's reference key, so it does not pay this flow."
                    .into()
            }
        }
    }
}
