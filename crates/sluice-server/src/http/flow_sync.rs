//! S4's incremental sync, an extension beyond Dynamic's API: `updatedSince=<RFC 3339>` pages
//! through the flows changed since then, oldest change first, ordered by (`updatedAt`, ID) on
//! an index (`flows_by_update`). A reconciliation job keeps the last `nextCursor` and asks
//! again from it later: it sees every change, a flow changed again reappears, and a page
//! costs the same at any table size.
//!
//! A write carries its `updatedAt` from before it commits, so a page reads only changes older
//! than [`SETTLE_MS`]: a write still in flight (or stamped by an instance whose clock runs a
//! little behind) cannot land behind a cursor already handed out.

use std::collections::HashMap;

use data_encoding::BASE64URL_NOPAD;
use sluice_domain::{Flow, FlowId, Timestamp};
use sluice_store::UpdatedQuery;

use crate::AppState;
use crate::error::ApiError;

/// How old a change must be to be listed, in milliseconds: far longer than a write takes to
/// commit, and than instance clocks may differ under NTP.
pub const SETTLE_MS: i64 = 5_000;

/// The filters a sync page cannot be combined with (each would need its own index order).
const EXCLUSIVE: [&str; 4] = ["executionState", "settlementState", "mode", "userId"];

/// The (`updatedAt`, ID) a sync page starts after: the cursor's, else `updatedSince` itself.
fn position(
    params: &HashMap<String, String>,
    since: &str,
) -> Result<(Timestamp, FlowId), ApiError> {
    if let Some(cursor) = params.get("cursor") {
        return decode(cursor);
    }
    let since = Timestamp::parse_rfc3339(since).ok_or_else(|| {
        ApiError::invalid_request(
            "updatedSince must be an RFC 3339 time, such as 2026-12-01T00:00:00Z",
        )
    })?;
    // (since, the nil ID): every flow changed at `since` or later, since the nil ID sorts
    // before every flow's.
    Ok((since, FlowId::default()))
}

/// One sync page: the flows and where the next one starts (never null: an empty page means
/// the sync has caught up, and the same cursor asks again later).
pub async fn page(
    app: &AppState,
    environment: sluice_domain::EnvironmentId,
    params: &HashMap<String, String>,
    since: &str,
    limit: u32,
) -> Result<(Vec<Flow>, String), ApiError> {
    if let Some(other) = EXCLUSIVE.iter().find(|k| params.contains_key(**k)) {
        return Err(ApiError::invalid_request(format!(
            "updatedSince cannot be combined with {other}"
        )));
    }
    let after = position(params, since)?;
    let now = app.clock.now();
    let query = UpdatedQuery {
        after,
        before: Timestamp(now.millis() - SETTLE_MS),
        limit,
    };
    let flows = app.store.flows_updated(environment, &query).await?;
    let next = flows.last().map_or(after, |f| (f.updated_at, f.id));
    let flows = flows.into_iter().map(|f| f.observed(now)).collect();
    Ok((flows, encode(next)))
}

/// Sync cursors are opaque: base64url of `u<updatedAt-millis>.<flowId>` (the `u` keeps them
/// apart from S4's creation-order cursors).
fn encode((at, id): (Timestamp, FlowId)) -> String {
    BASE64URL_NOPAD.encode(format!("u{}.{id}", at.millis()).as_bytes())
}

fn decode(cursor: &str) -> Result<(Timestamp, FlowId), ApiError> {
    let bad =
        || ApiError::invalid_request("cursor is not an updatedSince cursor this server issued");
    let bytes = BASE64URL_NOPAD
        .decode(cursor.as_bytes())
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (millis, id) = text
        .strip_prefix('u')
        .and_then(|t| t.split_once('.'))
        .ok_or_else(bad)?;
    Ok((
        Timestamp(millis.parse().map_err(|_| bad())?),
        id.parse().map_err(|_| bad())?,
    ))
}
