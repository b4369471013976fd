//! OpenAPI schemas for the domain's hand-serialised types (IDs, timestamps, wire enums).
//!
//! Their serde impls are written by hand, so utoipa cannot derive a schema from their
//! structure; each schema here is built from the same source the serde impl uses (the enum's
//! `ALL` list, the ID pattern), so the document cannot drift from what the server sends.
//! Compiled only with the `openapi` feature: the domain stays free of it otherwise.

use std::borrow::Cow;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::chain::ChainName;
use crate::ids::{EnvironmentId, FlowId};
use crate::state::{
    ExecutionState, FlowMode, RiskState, SettlementState, SettlementStrategy, SourceType,
};
use crate::time::Timestamp;

/// The spec's ID pattern: a lowercase hyphenated UUID.
const UUID_PATTERN: &str = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

fn string_schema(format: Option<SchemaFormat>, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(format)
        .description(Some(description))
}

macro_rules! id_schema {
    ($($name:ident => $description:literal),+ $(,)?) => {$(
        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                string_schema(Some(SchemaFormat::Custom("uuid".into())), $description)
                    .pattern(Some(UUID_PATTERN))
                    .into()
            }
        }
        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    )+};
}

id_schema!(
    FlowId => "A flow's ID: a lowercase hyphenated UUID.",
    EnvironmentId => "An environment's ID: a lowercase hyphenated UUID.",
);

impl PartialSchema for Timestamp {
    fn schema() -> RefOr<Schema> {
        string_schema(
            Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)),
            "RFC 3339 UTC with milliseconds, e.g. 2026-11-23T10:00:00.000Z.",
        )
        .into()
    }
}

impl ToSchema for Timestamp {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Timestamp")
    }
}

macro_rules! enum_schema {
    ($($name:ident => $description:literal),+ $(,)?) => {$(
        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                string_schema(None, $description)
                    .enum_values(Some($name::ALL.iter().map(|v| v.as_str())))
                    .into()
            }
        }
        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    )+};
}

enum_schema!(
    ChainName => "A chain family name (spec §8).",
    FlowMode => "What the flow is for.",
    SourceType => "Where the payer's funds come from.",
    ExecutionState => "What the payer has done (spec §3).",
    SettlementState => "Whether the merchant has been paid (spec §3).",
    RiskState => "What screening said (spec §3).",
    SettlementStrategy => "How a settlement is chosen among the configured ones.",
);

/// The source's fields as they appear flattened into a flow: all absent before P4, so none is
/// required here (the `Source` schema says which come together).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub(crate) struct SourceFields {
    source_type: Option<SourceType>,
    from_address: Option<String>,
    from_chain_id: Option<String>,
    from_chain_name: Option<ChainName>,
    refund_address: Option<String>,
}
