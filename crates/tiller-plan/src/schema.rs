//! The JSON Schema of the plan format (for editors' TOML language servers).

/// JSON Schema (draft 2020-12) describing a plan file.
pub const PLAN_SCHEMA: &str = include_str!("../schema/plan.schema.json");
