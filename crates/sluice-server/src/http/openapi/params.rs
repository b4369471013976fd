//! Path parameters shared by many routes, described once. Handlers read them as plain strings
//! (the path IDs are validated by the payer gate and `server_auth`, so that a malformed ID is
//! the spec's `400 invalid_request`); these types only document them.
#![allow(dead_code)]

use sluice_domain::{EnvironmentId, FlowId};
use utoipa::IntoParams;

/// `{environmentId}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct EnvironmentPath {
    /// The environment's ID (lowercase UUID).
    #[param(rename = "environmentId", inline)]
    environment_id: EnvironmentId,
}

/// `{environmentId}` and `{flowId}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct FlowPath {
    /// The environment's ID (lowercase UUID).
    #[param(rename = "environmentId", inline)]
    environment_id: EnvironmentId,
    /// The flow's ID (lowercase UUID).
    #[param(rename = "flowId", inline)]
    flow_id: FlowId,
}

/// `{environmentId}` and a webhook endpoint's `{id}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct WebhookPath {
    /// The environment's ID (lowercase UUID).
    #[param(rename = "environmentId", inline)]
    environment_id: EnvironmentId,
    /// The webhook endpoint's ID.
    id: String,
}

/// `{environmentId}` and a delivery's `{id}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct DeliveryPath {
    /// The environment's ID (lowercase UUID).
    #[param(rename = "environmentId", inline)]
    environment_id: EnvironmentId,
    /// The delivery's ID.
    id: String,
}
