//! Row <-> domain conversion shared by the backends. A flow is stored as a handful of real
//! columns (everything the database must query, guard or index: states, expiry, the token
//! hash, the revision) plus `doc`, the flow's wire JSON for everything else. The columns are
//! authoritative: after decoding `doc`, the column values are laid over it.

use sluice_domain::{ChainName, EnvironmentId, Flow, Timestamp, TokenHash};

use crate::StoreError;

/// The columns of a `flows` row that are kept outside `doc`.
#[derive(Debug, Clone)]
pub struct FlowColumns {
    pub environment_id: EnvironmentId,
    pub execution_state: String,
    pub settlement_state: String,
    pub risk_state: String,
    pub session_token_hash: Option<Vec<u8>>,
    pub expires_at: i64,
    pub updated_at: i64,
    pub revision: i64,
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what}: {value:?}"))
}

/// Rebuilds a flow from its `doc` and columns.
pub fn decode_flow(doc: &str, cols: FlowColumns) -> Result<Flow, StoreError> {
    let mut flow: Flow =
        serde_json::from_str(doc).map_err(|e| StoreError::Corrupt(format!("flow doc: {e}")))?;
    // Read through the flattened source, the memo's numbers were parsed; take its text.
    flow = sluice_domain::memo::with_exact_memo(flow, doc.as_bytes());
    flow.environment_id = cols.environment_id;
    flow.execution_state = cols
        .execution_state
        .parse()
        .map_err(|()| corrupt("execution_state", &cols.execution_state))?;
    flow.settlement_state = cols
        .settlement_state
        .parse()
        .map_err(|()| corrupt("settlement_state", &cols.settlement_state))?;
    flow.risk_state = cols
        .risk_state
        .parse()
        .map_err(|()| corrupt("risk_state", &cols.risk_state))?;
    flow.session_token_hash = match cols.session_token_hash {
        None => None,
        Some(bytes) => Some(
            TokenHash::from_slice(&bytes)
                .ok_or_else(|| corrupt("session_token_hash length", &bytes.len().to_string()))?,
        ),
    };
    flow.expires_at = Timestamp(cols.expires_at);
    flow.updated_at = Timestamp(cols.updated_at);
    flow.revision = cols.revision;
    Ok(flow)
}

/// The `doc` column of a flow.
pub fn encode_flow_doc(flow: &Flow) -> String {
    serde_json::to_string(flow).expect("a flow always serialises")
}

pub fn encode_origins(origins: &[String]) -> String {
    serde_json::to_string(origins).expect("strings serialise")
}

pub fn decode_origins(text: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(|_| corrupt("allowed_origins", text))
}

pub fn encode_chains(chains: Option<&[ChainName]>) -> Option<String> {
    chains.map(|c| serde_json::to_string(c).expect("chain names serialise"))
}

pub fn decode_chains(text: Option<&str>) -> Result<Option<Vec<ChainName>>, StoreError> {
    text.map(|t| serde_json::from_str(t).map_err(|_| corrupt("enabled_chains", t)))
        .transpose()
}

pub fn encode_scopes(scopes: &[String]) -> String {
    scopes.join(" ")
}

pub fn decode_scopes(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

pub fn decode_token_hash(bytes: &[u8]) -> Result<TokenHash, StoreError> {
    TokenHash::from_slice(bytes)
        .ok_or_else(|| corrupt("token hash length", &bytes.len().to_string()))
}
