//! Webhook records. An endpoint stores no secret: its signing secret is derived from the
//! server's webhook key and the endpoint's `secret_version` (see the server's `webhooks`
//! module), so a database dump reveals nothing that can forge a signature.

use sluice_domain::{EnvironmentId, FlowEvent, Timestamp};

pub const EVENT_TYPES: [&str; 5] = [
    "flow.execution.updated",
    "flow.settlement.updated",
    "flow.risk.updated",
    "flow.deposit.received",
    "ping",
];

#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEndpoint {
    pub id: String,
    pub environment_id: EnvironmentId,
    pub url: String,
    /// `None`: every event type.
    pub event_types: Option<Vec<String>>,
    pub enabled: bool,
    pub secret_version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl WebhookEndpoint {
    pub fn wants(&self, event_type: &str) -> bool {
        self.enabled
            && self
                .event_types
                .as_ref()
                .is_none_or(|types| types.iter().any(|t| t == event_type))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Pending,
    Succeeded,
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "succeeded" => Some(Self::Succeeded),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// One event for one endpoint: the unit of delivery, retried until it succeeds or the retry
/// schedule is exhausted.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: String,
    pub environment_id: EnvironmentId,
    pub endpoint_id: String,
    /// The event's ID: the `webhook-id` header, the same on every attempt (receivers dedupe on it).
    pub event_id: String,
    pub event_type: String,
    pub payload: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

impl Delivery {
    pub fn new(
        endpoint: &WebhookEndpoint,
        event_id: String,
        event_type: &str,
        payload: String,
        now: Timestamp,
    ) -> Self {
        Self {
            id: uuid_like(),
            environment_id: endpoint.environment_id,
            endpoint_id: endpoint.id.clone(),
            event_id,
            event_type: event_type.to_owned(),
            payload,
            status: DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at: Some(now),
            created_at: now,
        }
    }

    /// The deliveries an event fans out to, one per endpoint that wants it.
    pub fn fan_out(endpoints: &[WebhookEndpoint], event: &FlowEvent) -> Vec<Self> {
        endpoints
            .iter()
            .filter(|e| e.wants(event.event_type))
            .map(|e| {
                Self::new(
                    e,
                    event.id.to_string(),
                    event.event_type,
                    event.payload.to_string(),
                    event.created_at,
                )
            })
            .collect()
    }
}

fn uuid_like() -> String {
    sluice_domain::FlowId::new_random().to_string()
}

/// One HTTP attempt at a delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub attempted_at: Timestamp,
    pub status_code: Option<i32>,
    pub duration_ms: i64,
    pub error: Option<String>,
}

/// How much one delivery claim may lease. The per-endpoint cap is what keeps one slow or
/// hanging endpoint from taking every sending slot: it holds across instances because the
/// backends count live leases in the database, not in process memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimLimits {
    /// Deliveries this claim may lease in all.
    pub total: u32,
    /// Live leases an endpoint may hold at once, this claim's included.
    pub per_endpoint: u32,
}

/// What an attempt decided about its delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptOutcome {
    pub status: DeliveryStatus,
    pub next_attempt_at: Option<Timestamp>,
}

pub fn encode_event_types(types: Option<&[String]>) -> Option<String> {
    types.map(|t| serde_json::to_string(t).expect("strings serialise"))
}

pub fn decode_event_types(text: Option<&str>) -> Result<Option<Vec<String>>, crate::StoreError> {
    text.map(|t| {
        serde_json::from_str(t)
            .map_err(|_| crate::StoreError::Corrupt(format!("event_types {t:?}")))
    })
    .transpose()
}
