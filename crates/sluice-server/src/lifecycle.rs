//! The lifecycle: the only code that changes a flow. Each function runs one pure transition
//! from `sluice_domain::transitions` inside the store's state-guarded transaction, which
//! writes the new row, the session-token change and the outbox events together.

use sluice_domain::attach::AttachRequest;
use sluice_domain::deposit_transfer::ObservedTransfer;
use sluice_domain::flow::{Failure, SigningPayload};
use sluice_domain::transitions::{self, AttachInput, QuotePlan, Rejection};
use sluice_domain::{ChainName, EnvironmentId, Flow, FlowId, Timestamp, TokenHash};
use sluice_store::{Store, StoreResult};

pub type Outcome = StoreResult<Result<Flow, Rejection>>;

/// Runs `change` on the flow as stored (locked), which must exist: the shape of every
/// transition that needs no session token.
async fn on_existing(
    store: &dyn Store,
    env: EnvironmentId,
    id: FlowId,
    change: impl FnOnce(&Flow) -> Result<transitions::Transition, Rejection> + Send + 'static,
) -> Outcome {
    let op = move |current: Option<&Flow>| change(current.ok_or(Rejection::NotFound)?);
    store.transition(env, id, Box::new(op)).await
}

/// What P4 decided before the write: the validated request, the token the caller sent, the
/// keys of the addresses to screen and the hash of the newly minted token.
#[derive(Debug)]
pub struct Attach {
    pub request: AttachRequest,
    pub presented_token: Option<TokenHash>,
    pub screening_keys: Vec<String>,
    pub new_token: TokenHash,
}

/// P4: attach (or re-attach) a source and make `new_token` the flow's only live token.
pub async fn attach(
    store: &dyn Store,
    env: EnvironmentId,
    id: FlowId,
    mut attach: Attach,
    now: Timestamp,
) -> Outcome {
    let screening_keys = std::mem::take(&mut attach.screening_keys);
    let op = move |current: Option<&Flow>, screening_hit: bool| {
        let current = current.ok_or(Rejection::NotFound)?;
        let input = AttachInput {
            request: &attach.request,
            presented_token: attach.presented_token,
            screening_hit,
            new_token: attach.new_token,
        };
        transitions::attach(current, &input, now)
    };
    store
        .screened_transition(env, id, screening_keys, Box::new(op))
        .await
}

/// P8: the payer cancels with the live session token.
pub async fn payer_cancel(
    store: &dyn Store,
    env: EnvironmentId,
    id: FlowId,
    presented: TokenHash,
    now: Timestamp,
) -> Outcome {
    let op = move |current: Option<&Flow>| transitions::payer_cancel(current, &presented, now);
    store.transition(env, id, Box::new(op)).await
}

/// S3: the merchant cancels a flow that is still `initiated`.
pub async fn server_cancel(
    store: &dyn Store,
    env: EnvironmentId,
    id: FlowId,
    now: Timestamp,
) -> Outcome {
    on_existing(store, env, id, move |current| {
        transitions::server_cancel(current, now)
    })
    .await
}

/// The sweeper: an overdue pre-broadcast flow becomes `expired`, its token dead.
pub async fn expire(store: &dyn Store, env: EnvironmentId, id: FlowId, now: Timestamp) -> Outcome {
    on_existing(store, env, id, move |current| {
        transitions::expire(current, now)
    })
    .await
}

/// P5: store a new quote on the live session token.
pub async fn quote(
    store: &dyn Store,
    env: EnvironmentId,
    id: FlowId,
    presented: TokenHash,
    plan: QuotePlan,
    now: Timestamp,
) -> Outcome {
    let op = move |current: Option<&Flow>| transitions::quote(current, &presented, &plan, now);
    store.transition(env, id, Box::new(op)).await
}

/// P6: attach the signing payload built for `quote_version`.
pub async fn prepare(
    store: &dyn Store,
    env: EnvironmentId,
    id: FlowId,
    presented: TokenHash,
    quote_version: u64,
    payload: SigningPayload,
    now: Timestamp,
) -> Outcome {
    let op = move |current: Option<&Flow>| {
        transitions::prepare(current, &presented, quote_version, payload, now)
    };
    store.transition(env, id, Box::new(op)).await
}

/// P7: record the broadcast transaction.
pub async fn broadcast(
    store: &dyn Store,
    env: EnvironmentId,
    id: FlowId,
    presented: TokenHash,
    tx_hash: Option<String>,
    now: Timestamp,
) -> Outcome {
    let op = move |current: Option<&Flow>| {
        transitions::broadcast(current, &presented, tx_hash.as_deref(), now)
    };
    store.transition(env, id, Box::new(op)).await
}

/// The tracker verified the transfer.
pub async fn settle(
    store: &dyn Store,
    env: EnvironmentId,
    id: FlowId,
    confirmations: u64,
    now: Timestamp,
) -> Outcome {
    on_existing(store, env, id, move |current| {
        transitions::settle(current, confirmations, now)
    })
    .await
}

/// The tracker found the transfer wanting.
pub async fn fail(
    store: &dyn Store,
    env: EnvironmentId,
    id: FlowId,
    failure: Failure,
    now: Timestamp,
) -> Outcome {
    on_existing(store, env, id, move |current| {
        transitions::fail(current, failure, now)
    })
    .await
}

/// Deposit-address and exchange sources: the flow's own deposit address, allocated once from
/// the environment's deposit key for the family of `chain` (the chain the quote pays on) and
/// kept for the flow's life.
pub async fn assign_deposit_address(
    store: &dyn Store,
    env: EnvironmentId,
    id: FlowId,
    chain: ChainName,
    now: Timestamp,
) -> Outcome {
    store.assign_deposit_address(env, id, chain, now).await
}

/// The deposit watcher saw a countable transfer in a block: `source_detected`.
pub async fn deposit_seen(
    store: &dyn Store,
    env: EnvironmentId,
    id: FlowId,
    transfer: ObservedTransfer,
    now: Timestamp,
) -> Outcome {
    on_existing(store, env, id, move |current| {
        transitions::deposit_seen(current, &transfer, now)
    })
    .await
}

/// The deposit watcher confirmed a transfer: recorded once, counted or not, announced.
pub async fn record_deposit(
    store: &dyn Store,
    env: EnvironmentId,
    id: FlowId,
    transfer: ObservedTransfer,
    now: Timestamp,
) -> Outcome {
    on_existing(store, env, id, move |current| {
        transitions::record_deposit(current, &transfer, now)
    })
    .await
}

/// A deposit-paid flow still short at `expiresAt`.
pub async fn fail_underpaid(
    store: &dyn Store,
    env: EnvironmentId,
    id: FlowId,
    now: Timestamp,
) -> Outcome {
    on_existing(store, env, id, move |current| {
        transitions::fail_underpaid(current, now)
    })
    .await
}
