//! The JSON Schema of the plan format (for editors' TOML language servers).

/// JSON Schema (draft 2020-12) describing a plan file.
pub const PLAN_SCHEMA: &str = include_str!("../schema/plan.schema.json");

#[cfg(test)]
mod tests {
    use super::PLAN_SCHEMA;
    use crate::raw;
    use serde_json::Value;

    fn keys(table: &Value) -> Vec<String> {
        let props = table["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("no properties in {table}"));
        assert_eq!(
            table["additionalProperties"],
            Value::Bool(false),
            "tables must reject unknown keys"
        );
        props.keys().cloned().collect()
    }

    fn assert_same(what: &str, schema: Vec<String>, reader: &[&str]) {
        let mut a = schema;
        let mut b: Vec<String> = reader.iter().map(|s| s.to_string()).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b, "schema and reader disagree on the keys of {what}");
    }

    /// The schema must accept exactly the keys the reader accepts, table by table, so
    /// editors never flag a valid plan nor complete a key Tiller would reject.
    #[test]
    fn schema_keys_match_the_reader_table_by_table() {
        let schema: Value = serde_json::from_str(PLAN_SCHEMA).expect("schema is JSON");
        let p = &schema["properties"];
        assert_same("the top level", keys(&schema), raw::TOP_KEYS);
        assert_same("program", keys(&p["program"]), raw::PROGRAM_KEYS);
        assert_same("defaults", keys(&p["defaults"]), raw::DEFAULTS_KEYS);
        for (name, expected) in [
            ("calendar", raw::CALENDAR_KEYS),
            ("team", raw::TEAM_KEYS),
            ("person", raw::PERSON_KEYS),
            ("resource", raw::RESOURCE_KEYS),
        ] {
            assert_same(name, keys(&p[name]["additionalProperties"]), expected);
        }
        for (name, expected) in [
            ("task", raw::TASK_KEYS),
            ("milestone", raw::MILESTONE_KEYS),
            ("goal", raw::GOAL_KEYS),
            ("deliverable", raw::DELIVERABLE_KEYS),
            ("risk", raw::RISK_KEYS),
            ("issue", raw::ISSUE_KEYS),
            ("decision", raw::DECISION_KEYS),
            ("assumption", raw::ASSUMPTION_KEYS),
        ] {
            assert_same(name, keys(&p[name]["items"]), expected);
        }
        assert_same(
            "risk mitigated",
            keys(&p["risk"]["items"]["properties"]["mitigated"]),
            raw::MITIGATED_KEYS,
        );
        assert_same(
            "progress",
            keys(&p["progress"]["items"]),
            raw::PROGRESS_KEYS,
        );
        let baseline = &p["baseline"]["additionalProperties"];
        assert_same("baseline", keys(baseline), raw::BASELINE_KEYS);
        assert_same(
            "baseline tasks",
            keys(&baseline["properties"]["tasks"]["items"]),
            raw::BASELINE_TASK_KEYS,
        );
        assert_same("health", keys(&p["health"]), raw::HEALTH_KEYS);
        assert_same("lint", keys(&p["lint"]), &raw::lint_keys());
        assert_same(
            "stakeholder",
            keys(&p["stakeholder"]["additionalProperties"]),
            raw::STAKEHOLDER_KEYS,
        );
        assert_same("lesson", keys(&p["lesson"]["items"]), raw::LESSON_KEYS);
        assert_same("report", keys(&p["report"]["items"]), raw::REPORT_KEYS);
        assert_same(
            "report forecasts",
            keys(&p["report"]["items"]["properties"]["forecast"]["items"]),
            raw::REPORT_FORECAST_KEYS,
        );
        assert_same(
            "dependency tables",
            keys(&schema["$defs"]["dependencyTable"]),
            raw::DEP_KEYS,
        );
    }
}
