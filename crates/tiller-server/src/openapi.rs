//! The endpoint table and the OpenAPI 3.1 document built from it, served at
//! `/api/v1/openapi.json`. The same table drives the authorization matrix test, so the
//! documented role of every endpoint is the enforced one.

use serde_json::{Map, Value, json};

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone.
    Public,
    /// Any signed-in user.
    User,
    /// A server administrator.
    Admin,
    /// At least this role in the program of the path (administrators always).
    Viewer,
    Editor,
    Owner,
}

impl Access {
    fn describe(self) -> &'static str {
        match self {
            Access::Public => "No authentication.",
            Access::User => "Any signed-in user.",
            Access::Admin => "Server administrators only.",
            Access::Viewer => "Viewer, editor or owner of the program (or an administrator).",
            Access::Editor => "Editor or owner of the program (or an administrator).",
            Access::Owner => "Owner of the program (or an administrator).",
        }
    }
}

pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    pub summary: &'static str,
    /// Schema name of the JSON request body.
    pub body: Option<&'static str>,
    /// Success status and schema name of its body (`None`: no body).
    pub ok: (u16, Option<&'static str>),
    /// Updates take the version they read as `If-Match`.
    pub if_match: bool,
}

const fn ep(
    method: &'static str,
    path: &'static str,
    access: Access,
    summary: &'static str,
    body: Option<&'static str>,
    ok: (u16, Option<&'static str>),
) -> Endpoint {
    Endpoint {
        method,
        path,
        access,
        summary,
        body,
        ok,
        if_match: false,
    }
}

const fn upd(
    method: &'static str,
    path: &'static str,
    access: Access,
    summary: &'static str,
    body: Option<&'static str>,
    ok: (u16, Option<&'static str>),
) -> Endpoint {
    Endpoint {
        method,
        path,
        access,
        summary,
        body,
        ok,
        if_match: true,
    }
}

use Access::*;

pub const ENDPOINTS: &[Endpoint] = &[
    ep(
        "GET",
        "/api/v1/openapi.json",
        Public,
        "This OpenAPI document",
        None,
        (200, None),
    ),
    ep(
        "GET",
        "/api/v1/status",
        Public,
        "Server version, database dialect and whether setup is needed",
        None,
        (200, Some("Status")),
    ),
    ep(
        "POST",
        "/api/v1/setup",
        Public,
        "Create the first administrator with the one-time setup token printed at first start",
        Some("Setup"),
        (201, Some("User")),
    ),
    ep(
        "POST",
        "/api/v1/auth/login",
        Public,
        "Log in (JSON or form post); sets the session cookie and returns the CSRF token",
        Some("Login"),
        (200, Some("LoginResult")),
    ),
    ep(
        "POST",
        "/api/v1/auth/logout",
        User,
        "End the session",
        None,
        (204, None),
    ),
    ep(
        "GET",
        "/api/v1/auth/me",
        User,
        "The signed-in user",
        None,
        (200, Some("User")),
    ),
    ep(
        "GET",
        "/api/v1/tokens",
        User,
        "Your API tokens",
        None,
        (200, Some("TokenList")),
    ),
    ep(
        "POST",
        "/api/v1/tokens",
        User,
        "Create an API token (shown once)",
        Some("NewToken"),
        (201, Some("CreatedToken")),
    ),
    ep(
        "DELETE",
        "/api/v1/tokens/{id}",
        User,
        "Revoke one of your API tokens",
        None,
        (204, None),
    ),
    ep(
        "GET",
        "/api/v1/users",
        Admin,
        "All users",
        None,
        (200, Some("UserList")),
    ),
    ep(
        "POST",
        "/api/v1/users",
        Admin,
        "Create a user",
        Some("NewUser"),
        (201, Some("User")),
    ),
    ep(
        "GET",
        "/api/v1/audit",
        Admin,
        "The whole audit trail, newest first (`before`, `limit`)",
        None,
        (200, Some("AuditList")),
    ),
    ep(
        "GET",
        "/api/v1/programs",
        User,
        "Programs you can see, with your role",
        None,
        (200, Some("ProgramList")),
    ),
    ep(
        "POST",
        "/api/v1/programs",
        User,
        "Create a program (you become its owner)",
        Some("NewProgram"),
        (201, Some("Program")),
    ),
    ep(
        "GET",
        "/api/v1/programs/{p}",
        Viewer,
        "A program",
        None,
        (200, Some("Program")),
    ),
    upd(
        "PATCH",
        "/api/v1/programs/{p}",
        Owner,
        "Rename a program",
        Some("ProgramPatch"),
        (200, Some("Program")),
    ),
    ep(
        "GET",
        "/api/v1/programs/{p}/members",
        Viewer,
        "Members and their roles",
        None,
        (200, Some("MemberList")),
    ),
    ep(
        "PUT",
        "/api/v1/programs/{p}/members/{user}",
        Owner,
        "Grant a role (If-Match needed to change an existing one)",
        Some("Role"),
        (200, Some("Member")),
    ),
    upd(
        "DELETE",
        "/api/v1/programs/{p}/members/{user}",
        Owner,
        "Remove a member",
        None,
        (204, None),
    ),
    ep(
        "GET",
        "/api/v1/programs/{p}/revisions",
        Viewer,
        "Plan revisions, newest first",
        None,
        (200, Some("RevisionList")),
    ),
    ep(
        "POST",
        "/api/v1/programs/{p}/revisions",
        Owner,
        "Push a plan revision (422 with the diagnostics if it does not check)",
        Some("Bundle"),
        (201, Some("Revision")),
    ),
    ep(
        "GET",
        "/api/v1/programs/{p}/revisions/{n}",
        Viewer,
        "A revision (`n`: number or `head`)",
        None,
        (200, Some("Revision")),
    ),
    ep(
        "GET",
        "/api/v1/programs/{p}/revisions/{n}/files",
        Viewer,
        "A revision's files as pushed",
        None,
        (200, Some("Bundle")),
    ),
    ep(
        "GET",
        "/api/v1/programs/{p}/revisions/{n}/schedule",
        Viewer,
        "Schedule (`tiller schedule --json`), with the server's records; `baseline`, `as_of`, `records=false`, `min_state`; smaller forms: `view=summary`, or a page of tasks with `offset`, `limit` (at most 5000) and `fields`. Gzipped on `Accept-Encoding: gzip`; `ETag`/`If-None-Match`; `X-Tiller-State` tells the record state shown",
        None,
        (200, Some("Schedule")),
    ),
    ep(
        "GET",
        "/api/v1/programs/{p}/revisions/{n}/evm",
        Viewer,
        "Earned value (`tiller evm --json`); `baseline`, `as_of`, `records=false`",
        None,
        (200, Some("Evm")),
    ),
    ep(
        "GET",
        "/api/v1/programs/{p}/revisions/{n}/health",
        Viewer,
        "Health colour (the worst of schedule, budget, scope, risk and resources) with the rule and figure behind each colour, workstreams, milestones (with odds when forecasting is on), RAID due dates",
        None,
        (200, Some("Health")),
    ),
    ep(
        "GET",
        "/api/v1/programs/{p}/revisions/{n}/diff",
        Viewer,
        "Changes from revision `against` (default: the previous one) (`tiller diff --json`)",
        None,
        (200, Some("Diff")),
    ),
    ep(
        "GET",
        "/api/v1/programs/{p}/bundle",
        Viewer,
        "The head revision with the server's records and baselines merged into files (what `tiller pull` writes)",
        None,
        (200, Some("Bundle")),
    ),
    ep(
        "GET",
        "/api/v1/programs/{p}/progress",
        Viewer,
        "Progress records entered on the server, in id order (`after`: an id, `limit`: at most 5000, default 1000)",
        None,
        (200, Some("RecordList")),
    ),
    ep(
        "POST",
        "/api/v1/programs/{p}/progress",
        Editor,
        "Record progress: a `[[progress]]` entry as JSON",
        Some("Progress"),
        (201, Some("Record")),
    ),
    ep(
        "GET",
        "/api/v1/programs/{p}/progress/{id}",
        Viewer,
        "A progress record (ETag: its version)",
        None,
        (200, Some("Record")),
    ),
    upd(
        "PUT",
        "/api/v1/programs/{p}/progress/{id}",
        Editor,
        "Replace a progress record (409 with the current record if stale)",
        Some("Progress"),
        (200, Some("Record")),
    ),
    ep(
        "GET",
        "/api/v1/programs/{p}/progress/{id}/history",
        Viewer,
        "Every version of a progress record",
        None,
        (200, Some("RecordHistory")),
    ),
    ep(
        "GET",
        "/api/v1/programs/{p}/raid",
        Viewer,
        "RAID entries entered on the server, in id order (`after`, `limit`)",
        None,
        (200, Some("RecordList")),
    ),
    ep(
        "POST",
        "/api/v1/programs/{p}/raid",
        Editor,
        "Enter a risk, issue, decision or assumption (`kind` plus the plan format's keys)",
        Some("RaidEntry"),
        (201, Some("Record")),
    ),
    ep(
        "GET",
        "/api/v1/programs/{p}/raid/{id}",
        Viewer,
        "A RAID record (ETag: its version)",
        None,
        (200, Some("Record")),
    ),
    upd(
        "PUT",
        "/api/v1/programs/{p}/raid/{id}",
        Editor,
        "Replace a RAID record (409 with the current record if stale)",
        Some("RaidEntry"),
        (200, Some("Record")),
    ),
    ep(
        "GET",
        "/api/v1/programs/{p}/raid/{id}/history",
        Viewer,
        "Every version of a RAID record",
        None,
        (200, Some("RecordHistory")),
    ),
    ep(
        "GET",
        "/api/v1/programs/{p}/baselines",
        Viewer,
        "Baselines saved on the server",
        None,
        (200, Some("BaselineList")),
    ),
    ep(
        "POST",
        "/api/v1/programs/{p}/baselines",
        Owner,
        "Save a baseline of the head revision",
        Some("NewBaseline"),
        (201, Some("Baseline")),
    ),
    ep(
        "GET",
        "/api/v1/programs/{p}/webhooks",
        Owner,
        "Webhooks",
        None,
        (200, Some("WebhookList")),
    ),
    ep(
        "POST",
        "/api/v1/programs/{p}/webhooks",
        Owner,
        "Create a webhook (its secret is shown once)",
        Some("WebhookSpec"),
        (201, Some("Webhook")),
    ),
    ep(
        "GET",
        "/api/v1/programs/{p}/webhooks/{id}",
        Owner,
        "A webhook",
        None,
        (200, Some("Webhook")),
    ),
    upd(
        "PUT",
        "/api/v1/programs/{p}/webhooks/{id}",
        Owner,
        "Change a webhook",
        Some("WebhookSpec"),
        (200, Some("Webhook")),
    ),
    upd(
        "DELETE",
        "/api/v1/programs/{p}/webhooks/{id}",
        Owner,
        "Delete a webhook",
        None,
        (204, None),
    ),
    ep(
        "GET",
        "/api/v1/programs/{p}/webhooks/{id}/deliveries",
        Owner,
        "The delivery log of a webhook, newest first",
        None,
        (200, Some("DeliveryList")),
    ),
    ep(
        "GET",
        "/api/v1/programs/{p}/audit",
        Owner,
        "The program's audit trail, newest first (`before`, `limit`)",
        None,
        (200, Some("AuditList")),
    ),
];

fn schemas() -> Value {
    let obj = |props: Value, required: &[&str]| json!({"type": "object", "properties": props, "required": required});
    let list = |item: &str| json!({"type": "array", "items": {"$ref": format!("#/components/schemas/{item}")}});
    let any = json!({"type": "object", "additionalProperties": true});
    json!({
        "Error": obj(json!({"error": obj(json!({
            "code": {"type": "string", "enum": ["bad_request", "unauthorized", "forbidden", "not_found", "conflict", "exists", "precondition_required", "too_large", "invalid_plan", "internal"]},
            "message": {"type": "string"},
            "current": {"description": "conflict: the record as it is now"},
            "diagnostics": {"type": "array", "items": {"$ref": "#/components/schemas/Diagnostic"}}
        }), &["code", "message"])}), &["error"]),
        "Diagnostic": obj(json!({"code": {"type": "string"}, "message": {"type": "string"}, "file": {"type": ["string", "null"]}, "line": {"type": ["integer", "null"]}, "column": {"type": ["integer", "null"]}}), &["code", "message"]),
        "Status": obj(json!({"version": {"type": "string"}, "dialect": {"type": "string", "enum": ["sqlite", "postgres"]}, "setup_needed": {"type": "boolean"}}), &["version", "dialect", "setup_needed"]),
        "Setup": obj(json!({"token": {"type": "string"}, "username": {"type": "string"}, "password": {"type": "string", "minLength": 10}}), &["token", "username", "password"]),
        "Login": obj(json!({"username": {"type": "string"}, "password": {"type": "string"}}), &["username", "password"]),
        "LoginResult": obj(json!({"user": {"$ref": "#/components/schemas/User"}, "csrf_token": {"type": "string"}, "expires_at": {"type": "integer"}}), &["user", "csrf_token"]),
        "User": obj(json!({"id": {"type": "integer"}, "username": {"type": "string"}, "is_admin": {"type": "boolean"}, "created_at": {"type": "integer", "description": "ms since the epoch"}, "version": {"type": "integer"}}), &["id", "username", "is_admin"]),
        "UserList": list("User"),
        "NewUser": obj(json!({"username": {"type": "string"}, "password": {"type": "string", "minLength": 10}, "admin": {"type": "boolean"}}), &["username", "password"]),
        "NewToken": obj(json!({"name": {"type": "string"}}), &["name"]),
        "Token": obj(json!({"id": {"type": "integer"}, "name": {"type": "string"}, "created_at": {"type": "integer"}, "revoked_at": {"type": ["integer", "null"]}}), &["id", "name"]),
        "TokenList": list("Token"),
        "CreatedToken": obj(json!({"id": {"type": "integer"}, "name": {"type": "string"}, "token": {"type": "string", "description": "shown once"}}), &["id", "token"]),
        "NewProgram": obj(json!({"slug": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,62}$"}, "name": {"type": "string"}}), &["slug", "name"]),
        "ProgramPatch": obj(json!({"name": {"type": "string"}}), &["name"]),
        "Program": obj(json!({"slug": {"type": "string"}, "name": {"type": "string"}, "version": {"type": "integer"}, "state_seq": {"type": "integer"}, "head_revision": {"type": ["integer", "null"]}, "role": {"type": ["string", "null"]}}), &["slug", "name", "version"]),
        "ProgramList": list("Program"),
        "Role": obj(json!({"role": {"type": "string", "enum": ["viewer", "editor", "owner"]}}), &["role"]),
        "Member": obj(json!({"username": {"type": "string"}, "role": {"type": "string"}, "version": {"type": "integer"}}), &["username", "role", "version"]),
        "MemberList": list("Member"),
        "Bundle": obj(json!({"root": {"type": "string"}, "files": {"type": "object", "additionalProperties": {"type": "string"}}, "message": {"type": "string"}}), &["root", "files"]),
        "Revision": obj(json!({"number": {"type": "integer"}, "root": {"type": "string"}, "bundle_hash": {"type": "string"}, "message": {"type": ["string", "null"]}, "author": {"type": "string"}, "created_at": {"type": "integer"}, "summary": any.clone(), "files": {"type": "array", "items": {"type": "string"}}, "warnings": {"type": "array", "items": {"$ref": "#/components/schemas/Diagnostic"}}}), &["number", "bundle_hash", "author"]),
        "RevisionList": list("Revision"),
        "Schedule": {"description": "as `tiller schedule --json` (docs/plan-format.md)", "type": "object"},
        "Evm": {"description": "as `tiller evm --json` (docs/evm.md)", "type": "object"},
        "Diff": {"description": "as `tiller diff --json`", "type": "object"},
        "Health": obj(json!({"colour": {"type": "string", "enum": ["green", "amber", "red"]}, "reasons": {"type": "array", "items": {"type": "string"}}, "dimensions": {"type": "array"}, "workstreams": {"type": "array"}, "thresholds": {"type": "object"}, "milestones": {"type": "array"}, "evm": {}, "raid_due": {"type": "array"}}), &["colour", "reasons"]),
        "Progress": {"description": "a `[[progress]]` entry of the plan format as JSON: task, date (YYYY-MM-DD), status, done, remaining, started, finished, cost, by, note", "type": "object", "required": ["task", "date"]},
        "RaidEntry": {"description": "`kind` (risk, issue, decision, assumption) plus the keys of that RAID table in the plan format", "type": "object", "required": ["kind", "id", "title"]},
        "Record": obj(json!({"id": {"type": "integer"}, "kind": {"type": "string"}, "key": {"type": "string"}, "body": any.clone(), "version": {"type": "integer"}, "created_by": {"type": "string"}, "created_at": {"type": "integer"}, "updated_by": {"type": "string"}, "updated_at": {"type": "integer"}}), &["id", "kind", "key", "body", "version"]),
        "RecordList": list("Record"),
        "RecordHistory": {"type": "array", "items": obj(json!({"version": {"type": "integer"}, "kind": {"type": "string"}, "body": any.clone(), "author": {"type": "string"}, "at": {"type": "integer"}}), &["version", "body"])},
        "NewBaseline": obj(json!({"name": {"type": "string"}, "as_of": {"type": "string", "format": "date"}}), &["name"]),
        "Baseline": obj(json!({"id": {"type": "integer"}, "name": {"type": "string"}, "revision": {"type": "integer"}, "saved": {"type": "string", "format": "date"}, "created_by": {"type": "string"}, "created_at": {"type": "integer"}}), &["name", "revision", "saved"]),
        "BaselineList": list("Baseline"),
        "WebhookSpec": obj(json!({"url": {"type": "string", "format": "uri"}, "events": {"type": "array", "items": {"type": "string", "enum": ["risk.raised", "raid.overdue", "colour.changed", "milestone.at_risk", "*"]}}, "threshold": {"type": ["number", "null"], "description": "milestone.at_risk: notify when a milestone's probability falls below this"}, "secret": {"type": "string"}, "active": {"type": "boolean"}}), &["url", "events"]),
        "Webhook": obj(json!({"id": {"type": "integer"}, "url": {"type": "string"}, "events": {"type": "array", "items": {"type": "string"}}, "threshold": {"type": ["number", "null"]}, "active": {"type": "boolean"}, "version": {"type": "integer"}, "secret": {"type": "string", "description": "only when created"}}), &["id", "url", "events", "version"]),
        "WebhookList": list("Webhook"),
        "Delivery": obj(json!({"id": {"type": "integer"}, "event": {"type": "string"}, "status": {"type": "string", "enum": ["pending", "delivered", "failed"]}, "attempts": {"type": "integer"}, "next_attempt_at": {"type": "integer"}, "last_code": {"type": ["integer", "null"]}, "last_error": {"type": ["string", "null"]}, "created_at": {"type": "integer"}, "delivered_at": {"type": ["integer", "null"]}}), &["id", "event", "status", "attempts"]),
        "DeliveryList": list("Delivery"),
        "AuditEntry": obj(json!({"id": {"type": "integer"}, "at": {"type": "integer"}, "user": {"type": ["string", "null"]}, "program": {"type": ["string", "null"]}, "action": {"type": "string"}, "target": {"type": "string"}, "detail": {}}), &["id", "at", "action", "target"]),
        "AuditList": list("AuditEntry"),
    })
}

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

/// The OpenAPI document.
pub fn document() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for e in ENDPOINTS {
        let mut params: Vec<Value> = Vec::new();
        for name in e
            .path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        {
            let (description, schema) = match name {
                "p" => ("program slug", json!({"type": "string"})),
                "n" => ("revision number, or `head`", json!({"type": "string"})),
                "id" => ("record id", json!({"type": "integer"})),
                "user" => ("user name", json!({"type": "string"})),
                _ => ("", json!({"type": "string"})),
            };
            params.push(json!({"name": name, "in": "path", "required": true, "description": description, "schema": schema}));
        }
        if e.if_match {
            params.push(json!({"name": "If-Match", "in": "header", "required": true, "description": "the version you read (the ETag of the GET)", "schema": {"type": "string"}}));
        }
        let mut responses = Map::new();
        let ok = match e.ok.1 {
            Some(schema) => {
                json!({"description": "success", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
            }
            None => json!({"description": "success"}),
        };
        responses.insert(e.ok.0.to_string(), ok);
        if e.access != Access::Public {
            responses.insert("401".into(), error_response("not signed in"));
            responses.insert(
                "403".into(),
                error_response("role too small, or bad CSRF token"),
            );
        }
        if matches!(e.access, Access::Viewer | Access::Editor | Access::Owner) {
            responses.insert(
                "404".into(),
                error_response("no such program, or no role in it"),
            );
        }
        if e.body.is_some() {
            responses.insert("400".into(), error_response("malformed request"));
            responses.insert("413".into(), error_response("request body too large"));
        }
        if e.if_match {
            responses.insert(
                "409".into(),
                error_response("stale version: `current` holds the record as it is now"),
            );
            responses.insert("428".into(), error_response("If-Match missing"));
        }
        if e.path.contains("revisions")
            || e.path.contains("progress")
            || e.path.contains("raid")
            || e.path.contains("baselines")
        {
            responses.insert(
                "422".into(),
                error_response(
                    "the plan (with the records) does not check: `diagnostics` says why",
                ),
            );
        }
        let mut op = json!({
            "summary": e.summary,
            "description": e.access.describe(),
            "parameters": params,
            "responses": responses,
        });
        if let Some(body) = e.body {
            op["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{body}")}}}});
        }
        if e.access == Access::Public {
            op["security"] = json!([]);
        }
        let item = paths.entry(e.path.to_string()).or_insert_with(|| json!({}));
        item[e.method.to_lowercase()] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Tiller server API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Plans, progress, RAID, baselines, analyses and webhooks of Tiller programs. See docs/server.md.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "an API token from POST /api/v1/tokens"},
                "session": {"type": "apiKey", "in": "cookie", "name": "tiller_session", "description": "from POST /api/v1/auth/login; writes also need the X-CSRF-Token header"}
            }
        }
    })
}
