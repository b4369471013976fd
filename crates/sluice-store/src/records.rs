//! Plain records the store reads and writes besides flows.

use sluice_domain::{
    ChainName, EnvironmentId, ExecutionState, FlowId, FlowMode, SettlementState, Timestamp,
    TokenHash,
};

#[derive(Debug, Clone, PartialEq)]
pub struct Environment {
    pub id: EnvironmentId,
    pub name: String,
    /// Serialised origins (`scheme://host[:port]`); an entry may end in `:*` for any port.
    pub allowed_origins: Vec<String>,
    /// `None`: every chain name is accepted.
    pub enabled_chains: Option<Vec<ChainName>>,
    /// The merchant's name as payers see it on the hosted page ("Pay Acme"); `None` gives a
    /// neutral heading. `name` stays the operator's label and is never shown to payers.
    pub display_name: Option<String>,
    pub created_at: Timestamp,
}

pub const SCOPES: [&str; 3] = ["flow.read", "flow.write", "webhook.write"];

#[derive(Debug, Clone, PartialEq)]
pub struct ApiTokenRecord {
    pub environment_id: EnvironmentId,
    /// The 8 characters after `slc_`, stored in clear to name the token.
    pub prefix: String,
    pub hash: TokenHash,
    pub scopes: Vec<String>,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

impl ApiTokenRecord {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// An API token as `sluice token list` shows it: never its hash.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiTokenSummary {
    pub prefix: String,
    pub scopes: Vec<String>,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    /// When it last authenticated a request, to within a minute; `None`: never.
    pub last_used_at: Option<Timestamp>,
}

/// S4's filters and page position. `cursor` is the last row of the previous page.
#[derive(Debug, Clone, Default)]
pub struct FlowQuery {
    pub execution_state: Option<ExecutionState>,
    pub settlement_state: Option<SettlementState>,
    pub mode: Option<FlowMode>,
    /// Only the flows created with this `userId` (an extension beyond Dynamic's API).
    pub user_id: Option<String>,
    pub after: Option<(Timestamp, FlowId)>,
    pub limit: u32,
}

/// An incremental sync's page (S4 with `updatedSince`, an extension): the flows whose
/// (`updatedAt`, ID) is after `after`, oldest change first, changed before `before` (so that
/// a write still committing cannot land behind a cursor already handed out).
#[derive(Debug, Clone)]
pub struct UpdatedQuery {
    pub after: (Timestamp, FlowId),
    pub before: Timestamp,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub id: String,
    pub event_type: String,
    pub payload: serde_json::Value,
    pub created_at: Timestamp,
}

/// Identifies an idempotency key: scoped to the environment and the exact path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKeyRef {
    pub environment_id: EnvironmentId,
    pub path: String,
    pub key: String,
}

#[derive(Debug, Clone)]
pub struct IdempotencyClaim {
    pub key: IdempotencyKeyRef,
    /// SHA-256 of the canonical JSON of the request body.
    pub request_hash: [u8; 32],
    pub now: Timestamp,
    /// A running claim older than this is taken to belong to a crashed request.
    pub lease_until: Timestamp,
    /// A stored answer older than this has expired (24 h).
    pub answers_valid_after: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ClaimOutcome {
    /// This request owns the key and must run.
    Claimed,
    /// A finished request with the same body: replay its answer.
    Replay { status: u16, body: String },
    /// A finished request with another body.
    Mismatch,
    /// Another request with this key is still running.
    InUse,
}

#[derive(Debug, Clone)]
pub struct IdempotentAnswer {
    pub key: IdempotencyKeyRef,
    pub status: u16,
    pub body: String,
    pub now: Timestamp,
}

/// A key's row as found when a claim collides with it; [`ExistingKey::outcome`] is the one
/// decision both backends make about it.
#[derive(Debug, Clone)]
pub struct ExistingKey {
    pub request_hash: Vec<u8>,
    pub state: String,
    pub status: Option<i32>,
    pub body: Option<String>,
    pub created_at: i64,
    pub lease_until: i64,
}

impl ExistingKey {
    pub fn outcome(&self, claim: &IdempotencyClaim) -> ClaimOutcome {
        let answered = self.state == "done" && self.created_at >= claim.answers_valid_after.0;
        if answered {
            return match (
                self.request_hash == claim.request_hash,
                self.status,
                &self.body,
            ) {
                (true, Some(status), Some(body)) => ClaimOutcome::Replay {
                    status: u16::try_from(status).unwrap_or(500),
                    body: body.clone(),
                },
                (true, _, _) => ClaimOutcome::InUse,
                (false, _, _) => ClaimOutcome::Mismatch,
            };
        }
        if self.state == "running" && self.lease_until > claim.now.0 {
            return ClaimOutcome::InUse;
        }
        // An expired answer, or a claim whose request died without answering: take it over.
        ClaimOutcome::Claimed
    }
}
