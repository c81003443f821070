//! The liveness answer.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Liveness.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Health {
    /// Always `ok`.
    #[schema(example = "ok")]
    pub status: String,
}

impl Health {
    /// The answer of a process that serves requests.
    pub fn ok() -> Self {
        Self {
            status: "ok".into(),
        }
    }
}
