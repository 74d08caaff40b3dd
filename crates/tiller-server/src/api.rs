//! The routes of `/api/v1` and their handlers. The access rule of each route is the one
//! in [`crate::openapi::ENDPOINTS`].

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Body;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tiller_app::bundle::{self, Bundle, BundleIndex, Layout, RecordKind};
use tiller_store::{Program, Revision, StoreError, WebhookSpec};

use crate::App;
use crate::auth::{self, Auth, Role, program_access};
use crate::error::{ApiError, json_body};
use crate::validate;
use crate::views::{self, Freshness, View};

type Res = Result<Response, ApiError>;

pub fn router(app: App) -> Router {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/status", get(status))
        .route("/api/v1/setup", post(setup))
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/auth/me", get(me))
        .route("/api/v1/tokens", get(list_tokens).post(create_token))
        .route("/api/v1/tokens/{id}", axum::routing::delete(revoke_token))
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/audit", get(audit_all))
        .route("/api/v1/programs", get(list_programs).post(create_program))
        .route(
            "/api/v1/programs/{p}",
            get(get_program).patch(patch_program),
        )
        .route("/api/v1/programs/{p}/members", get(list_members))
        .route(
            "/api/v1/programs/{p}/members/{user}",
            put(set_member).delete(remove_member),
        )
        .route(
            "/api/v1/programs/{p}/revisions",
            get(list_revisions).post(push_revision),
        )
        .route("/api/v1/programs/{p}/revisions/{n}", get(get_revision))
        .route(
            "/api/v1/programs/{p}/revisions/{n}/files",
            get(revision_files),
        )
        .route(
            "/api/v1/programs/{p}/revisions/{n}/schedule",
            get(revision_schedule),
        )
        .route("/api/v1/programs/{p}/revisions/{n}/evm", get(revision_evm))
        .route(
            "/api/v1/programs/{p}/revisions/{n}/health",
            get(revision_health),
        )
        .route(
            "/api/v1/programs/{p}/revisions/{n}/diff",
            get(revision_diff),
        )
        .route("/api/v1/programs/{p}/bundle", get(pull_bundle))
        .route(
            "/api/v1/programs/{p}/progress",
            get(list_progress).post(create_progress),
        )
        .route(
            "/api/v1/programs/{p}/progress/{id}",
            get(get_progress).put(update_progress),
        )
        .route(
            "/api/v1/programs/{p}/progress/{id}/history",
            get(progress_history),
        )
        .route(
            "/api/v1/programs/{p}/raid",
            get(list_raid).post(create_raid),
        )
        .route(
            "/api/v1/programs/{p}/raid/{id}",
            get(get_raid).put(update_raid),
        )
        .route("/api/v1/programs/{p}/raid/{id}/history", get(raid_history))
        .route(
            "/api/v1/programs/{p}/baselines",
            get(list_baselines).post(create_baseline),
        )
        .route(
            "/api/v1/programs/{p}/webhooks",
            get(list_webhooks).post(create_webhook),
        )
        .route(
            "/api/v1/programs/{p}/webhooks/{id}",
            get(get_webhook).put(update_webhook).delete(delete_webhook),
        )
        .route(
            "/api/v1/programs/{p}/webhooks/{id}/deliveries",
            get(webhook_deliveries),
        )
        .route("/api/v1/programs/{p}/audit", get(audit_program))
        .merge(crate::web::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            auth::middleware,
        ))
        .with_state(app)
}

/// API paths answer in JSON; anything else is a page a browser asked for.
async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        ApiError::NotFound.into_response()
    } else {
        crate::web::WebError::Api(ApiError::NotFound).into_response()
    }
}

async fn method_not_allowed() -> Response {
    let mut r = ApiError::bad("method not allowed on this path").into_response();
    *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    r
}

// ---------------------------------------------------------------------- helpers

fn respond(status: StatusCode, v: &Value) -> Response {
    (status, json_body(v)).into_response()
}

fn ok(v: Value) -> Res {
    Ok(respond(StatusCode::OK, &v))
}

/// `X-Tiller-State`: the program's record state a response reflects (a write's: the
/// state it made; give it as `min_state` to read an analysis that includes it).
fn with_state(mut r: Response, state: i64) -> Response {
    r.headers_mut()
        .insert(STATE_HEADER, HeaderValue::from(state));
    r
}

pub const STATE_HEADER: &str = "x-tiller-state";

fn with_etag(mut r: Response, version: i64) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
}

fn no_content() -> Res {
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The version named by `If-Match` (`"3"`, `3` or `W/"3"`).
fn if_match(headers: &HeaderMap) -> Result<i64, ApiError> {
    let v = headers
        .get(header::IF_MATCH)
        .ok_or(ApiError::PreconditionRequired)?;
    let s = v.to_str().unwrap_or_default().trim();
    let s = s.strip_prefix("W/").unwrap_or(s).trim_matches('"');
    s.parse()
        .map_err(|_| ApiError::bad("If-Match must be the version (ETag) you read, such as \"3\""))
}

async fn read_body(body: Body, limit: usize) -> Result<Vec<u8>, ApiError> {
    axum::body::to_bytes(body, limit)
        .await
        .map(|b| b.to_vec())
        .map_err(|_| ApiError::TooLarge)
}

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad(format!("invalid JSON body: {e}")))
}

async fn json_in<T: DeserializeOwned>(app: &App, body: Body) -> Result<T, ApiError> {
    parse(&read_body(body, app.config.max_record).await?)
}

fn parse_id(s: &str) -> Result<i64, ApiError> {
    s.parse().map_err(|_| ApiError::NotFound)
}

fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn check_slug(slug: &str) -> Result<(), ApiError> {
    let ok = !slug.is_empty()
        && slug.len() <= 63
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad(
            "program slugs are 1 to 63 lower-case letters, digits and `-`",
        ))
    }
}

fn check_text(what: &str, s: &str, max: usize) -> Result<(), ApiError> {
    if s.trim().is_empty() || s.len() > max {
        return Err(ApiError::bad(format!(
            "`{what}` must be non-empty text of at most {max} bytes"
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------------- public

async fn openapi() -> Res {
    ok(crate::openapi::document())
}

async fn status(State(app): State<App>) -> Res {
    let users = app.store.user_count().await?;
    ok(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "dialect": app.store.dialect(),
        "setup_needed": users == 0,
    }))
}

#[derive(Deserialize)]
struct SetupIn {
    token: String,
    username: String,
    password: String,
}

async fn setup(State(app): State<App>, body: Body) -> Res {
    let input: SetupIn = json_in(&app, body).await?;
    auth::check_username(&input.username)?;
    auth::check_password_rules(&input.password)?;
    let hash = auth::hash_password(&app, &input.password)?;
    let token_hash = crate::sha256_hex(input.token.trim().as_bytes());
    let user = app
        .store
        .complete_setup(&token_hash, &input.username, &hash, app.now())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::Forbidden(
                "unknown or spent setup token, or the server is set up already".to_string(),
            ),
            other => other.into(),
        })?;
    Ok(respond(StatusCode::CREATED, &to_value(&user)))
}

#[derive(Deserialize)]
struct LoginIn {
    username: String,
    password: String,
}

pub(crate) async fn login(State(app): State<App>, headers: HeaderMap, body: Body) -> Res {
    let bytes = read_body(body, app.config.max_record).await?;
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let input: LoginIn = if form {
        LoginIn {
            username: auth::form_field(&bytes, "username").unwrap_or_default(),
            password: auth::form_field(&bytes, "password").unwrap_or_default(),
        }
    } else {
        parse(&bytes)?
    };
    let found = app.store.user_for_login(&input.username).await?;
    let (hash, user) = match found {
        Some((user, hash)) => (hash, Some(user)),
        None => (auth::dummy_hash(&app), None),
    };
    let password = input.password.clone();
    let verified = tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    let Some(user) = user.filter(|_| verified) else {
        app.store
            .audit(
                None,
                app.now(),
                None,
                "login.failed",
                &format!(
                    "user:{}",
                    input.username.chars().take(64).collect::<String>()
                ),
                &json!({}),
            )
            .await?;
        return Err(ApiError::Unauthorized);
    };
    let session = crate::random_hex(32);
    let csrf = crate::random_hex(32);
    let now = app.now();
    let expires = now + app.config.session_ttl.as_millis() as i64;
    app.store
        .create_session(
            &crate::sha256_hex(session.as_bytes()),
            user.id,
            &csrf,
            now,
            expires,
        )
        .await?;
    let mut r = respond(
        StatusCode::OK,
        &json!({"user": user, "csrf_token": csrf, "expires_at": expires}),
    );
    if let Ok(v) = HeaderValue::from_str(&auth::session_cookie(&app, &session)) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}

pub(crate) async fn logout(State(app): State<App>, Extension(auth): Extension<Auth>) -> Res {
    let caller = auth.caller()?;
    if let Some(s) = &caller.session {
        app.store.delete_session(s).await?;
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&auth::clear_cookie(&app)) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}

async fn me(Extension(auth): Extension<Auth>) -> Res {
    ok(to_value(&auth.caller()?.user))
}

// ---------------------------------------------------------------------- tokens and users

async fn list_tokens(State(app): State<App>, Extension(auth): Extension<Auth>) -> Res {
    let c = auth.caller()?;
    ok(to_value(&app.store.list_tokens(c.user.id).await?))
}

#[derive(Deserialize)]
struct TokenIn {
    name: String,
}

async fn create_token(State(app): State<App>, Extension(auth): Extension<Auth>, body: Body) -> Res {
    let c = auth.caller()?;
    let input: TokenIn = json_in(&app, body).await?;
    check_text("name", &input.name, 200)?;
    let secret = format!("tl_{}", crate::random_hex(32));
    let t = app
        .store
        .create_token(
            c.actor(&app),
            &input.name,
            &crate::sha256_hex(secret.as_bytes()),
        )
        .await?;
    Ok(respond(
        StatusCode::CREATED,
        &json!({"id": t.id, "name": t.name, "created_at": t.created_at, "token": secret}),
    ))
}

async fn revoke_token(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<String>,
) -> Res {
    let c = auth.caller()?;
    app.store
        .revoke_token(c.actor(&app), parse_id(&id)?)
        .await?;
    no_content()
}

async fn list_users(State(app): State<App>, Extension(auth): Extension<Auth>) -> Res {
    auth.admin()?;
    ok(to_value(&app.store.list_users().await?))
}

#[derive(Deserialize)]
struct UserIn {
    username: String,
    password: String,
    #[serde(default)]
    admin: bool,
}

async fn create_user(State(app): State<App>, Extension(auth): Extension<Auth>, body: Body) -> Res {
    let c = auth.admin()?;
    let input: UserIn = json_in(&app, body).await?;
    auth::check_username(&input.username)?;
    auth::check_password_rules(&input.password)?;
    let hash = auth::hash_password(&app, &input.password)?;
    let user = app
        .store
        .create_user(c.actor(&app), &input.username, &hash, input.admin)
        .await?;
    Ok(respond(StatusCode::CREATED, &to_value(&user)))
}

#[derive(Deserialize)]
struct AuditQuery {
    before: Option<i64>,
    limit: Option<i64>,
}

async fn audit_all(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<AuditQuery>,
) -> Res {
    auth.admin()?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    ok(to_value(&app.store.audit_log(None, q.before, limit).await?))
}

async fn audit_program(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(p): Path<String>,
    Query(q): Query<AuditQuery>,
) -> Res {
    let (program, _, _) = program_access(&app, &auth, &p, Role::Owner).await?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    ok(to_value(
        &app.store
            .audit_log(Some(program.id), q.before, limit)
            .await?,
    ))
}

// ---------------------------------------------------------------------- programs

fn program_json(p: &Program, role: Option<&str>) -> Value {
    json!({
        "slug": p.slug, "name": p.name, "version": p.version, "state_seq": p.state_seq,
        "head_revision": p.head_revision, "created_at": p.created_at, "role": role,
    })
}

async fn list_programs(State(app): State<App>, Extension(auth): Extension<Auth>) -> Res {
    let c = auth.caller()?;
    let list = app.store.list_programs(c.user.id, c.user.is_admin).await?;
    ok(Value::Array(
        list.iter()
            .map(|(p, r)| program_json(p, r.as_deref()))
            .collect(),
    ))
}

#[derive(Deserialize)]
struct ProgramIn {
    slug: String,
    name: String,
}

async fn create_program(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    body: Body,
) -> Res {
    let c = auth.caller()?;
    let input: ProgramIn = json_in(&app, body).await?;
    check_slug(&input.slug)?;
    check_text("name", &input.name, 200)?;
    let p = app
        .store
        .create_program(c.actor(&app), &input.slug, &input.name)
        .await?;
    Ok(with_etag(
        respond(StatusCode::CREATED, &program_json(&p, Some("owner"))),
        p.version,
    ))
}

async fn get_program(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(p): Path<String>,
) -> Res {
    let (program, role, _) = program_access(&app, &auth, &p, Role::Viewer).await?;
    Ok(with_etag(
        respond(StatusCode::OK, &program_json(&program, Some(role.as_str()))),
        program.version,
    ))
}

#[derive(Deserialize)]
struct ProgramPatch {
    name: String,
}

async fn patch_program(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(p): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Res {
    let (program, role, c) = program_access(&app, &auth, &p, Role::Owner).await?;
    let version = if_match(&headers)?;
    let input: ProgramPatch = json_in(&app, body).await?;
    check_text("name", &input.name, 200)?;
    match app
        .store
        .rename_program(c.actor(&app), program.id, version, &input.name)
        .await
    {
        Ok(updated) => Ok(with_etag(
            respond(StatusCode::OK, &program_json(&updated, Some(role.as_str()))),
            updated.version,
        )),
        Err(StoreError::Stale) => {
            let current = app.store.program_by_id(program.id).await?;
            Err(conflict(program_json(&current, Some(role.as_str()))))
        }
        Err(e) => Err(e.into()),
    }
}

fn conflict(current: Value) -> ApiError {
    ApiError::Conflict {
        message: "stale version: someone changed this since you read it; the current state is in `current`".to_string(),
        current,
    }
}

async fn list_members(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(p): Path<String>,
) -> Res {
    let (program, _, _) = program_access(&app, &auth, &p, Role::Viewer).await?;
    ok(to_value(&app.store.members(program.id).await?))
}

#[derive(Deserialize)]
struct RoleIn {
    role: String,
}

async fn set_member(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path((p, user)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Res {
    let (program, _, c) = program_access(&app, &auth, &p, Role::Owner).await?;
    let input: RoleIn = json_in(&app, body).await?;
    let role = Role::parse(&input.role)
        .ok_or_else(|| ApiError::bad("`role` must be viewer, editor or owner"))?;
    let target = app.store.user_by_name(&user).await?;
    let version = match headers.get(header::IF_MATCH) {
        Some(_) => Some(if_match(&headers)?),
        None => None,
    };
    let current = |members: Vec<tiller_store::Member>| {
        members
            .into_iter()
            .find(|m| m.user_id == target.id)
            .map_or(Value::Null, |m| to_value(&m))
    };
    match app
        .store
        .set_member(c.actor(&app), program.id, target.id, role.as_str(), version)
        .await
    {
        Ok(m) => Ok(with_etag(respond(StatusCode::OK, &to_value(&m)), m.version)),
        Err(StoreError::Stale) => Err(conflict(current(app.store.members(program.id).await?))),
        Err(StoreError::Exists(what)) if what == "member" => {
            let cur = current(app.store.members(program.id).await?);
            Err(ApiError::Conflict {
                message:
                    "already a member: send If-Match with the member's version to change the role"
                        .to_string(),
                current: cur,
            })
        }
        Err(StoreError::Exists(what)) => Err(ApiError::Forbidden(what)),
        Err(e) => Err(e.into()),
    }
}

async fn remove_member(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path((p, user)): Path<(String, String)>,
    headers: HeaderMap,
) -> Res {
    let (program, _, c) = program_access(&app, &auth, &p, Role::Owner).await?;
    let version = if_match(&headers)?;
    let target = app.store.user_by_name(&user).await?;
    match app
        .store
        .remove_member(c.actor(&app), program.id, target.id, version)
        .await
    {
        Ok(()) => no_content(),
        Err(StoreError::Stale) => {
            let members = app.store.members(program.id).await?;
            match members.into_iter().find(|m| m.user_id == target.id) {
                Some(m) => Err(conflict(to_value(&m))),
                None => Err(ApiError::NotFound),
            }
        }
        Err(StoreError::Exists(what)) => Err(ApiError::Forbidden(what)),
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------- revisions

fn revision_json(r: &Revision, files: Option<Vec<String>>) -> Value {
    let summary: Value = serde_json::from_str(&r.summary_json).unwrap_or(Value::Null);
    let mut v = json!({
        "number": r.number, "root": r.root, "bundle_hash": r.bundle_hash, "message": r.message,
        "author": r.author, "created_at": r.created_at, "summary": summary,
    });
    if let Some(f) = files {
        v["files"] = json!(f);
    }
    v
}

async fn list_revisions(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(p): Path<String>,
) -> Res {
    let (program, _, _) = program_access(&app, &auth, &p, Role::Viewer).await?;
    let list = app.store.revisions(program.id).await?;
    ok(Value::Array(
        list.iter().map(|r| revision_json(r, None)).collect(),
    ))
}

async fn find_revision(app: &App, program: &Program, n: &str) -> Result<Revision, ApiError> {
    let number = if n == "head" || n == "latest" {
        program.head_revision.ok_or(ApiError::NotFound)?
    } else {
        parse_id(n)?
    };
    Ok(app.store.revision(program.id, number).await?)
}

async fn head_revision(app: &App, program: &Program) -> Result<Revision, ApiError> {
    let head = program.head_revision.ok_or_else(|| ApiError::Invalid {
        message: "the program has no plan yet: push a revision first".to_string(),
        diagnostics: json!([]),
    })?;
    Ok(app.store.revision(program.id, head).await?)
}

#[derive(Deserialize)]
struct PushIn {
    root: String,
    files: BTreeMap<String, String>,
    message: Option<String>,
}

async fn push_revision(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(p): Path<String>,
    body: Body,
) -> Res {
    let (program, _, c) = program_access(&app, &auth, &p, Role::Owner).await?;
    let input: PushIn = parse(&read_body(body, app.config.max_body).await?)?;
    if let Some(m) = &input.message {
        check_text("message", m, 10_000)?;
    }
    let bundle = Bundle {
        root: input.root,
        files: input.files,
    };
    bundle.check().map_err(|e| ApiError::bad(e.to_string()))?;
    if bundle.files.len() > 10_000 {
        return Err(ApiError::bad("a plan is limited to 10,000 files"));
    }
    let previous = match program.head_revision {
        Some(n) => Some(app.store.revision(program.id, n).await?),
        None => None,
    };
    let prev_bundle = match &previous {
        Some(r) => Some(views::revision_bundle(&app, r).await?),
        None => None,
    };
    let guard = app.lock_program(program.id).await?;
    let result: Res = async {
        for attempt in 0..8 {
            let program = if attempt == 0 {
                program.clone()
            } else {
                app.store.program_by_id(program.id).await?
            };
            let (overlay, seq) = views::overlay(&app, program.id).await?;
            let b = bundle.clone();
            let prev = prev_bundle.clone();
            let forecaster = app.forecaster.clone();
            let checked = tokio::task::spawn_blocking(move || {
                // The plan alone first: its own diagnostics are the clearest.
                let alone = tiller_app::analysis::analyze(b.load()).map_err(|r| ApiError::Invalid {
                    message: "the plan does not check".to_string(),
                    diagnostics: views::diagnostics(&r),
                })?;
                let index = BundleIndex::of(&alone.program, &alone.sources);
                let merged = views::analyze_merged(&b, &index, &overlay, None)?;
                let opened: Vec<(String, String)> = match prev {
                    Some(pb) => match tiller_app::analysis::analyze(pb.load()) {
                        Ok(old) => tiller_app::diff::diff(&old, &alone)
                            .risks_opened
                            .iter()
                            .filter_map(|id| {
                                alone
                                    .program
                                    .risks
                                    .iter()
                                    .find(|r| &r.id == id)
                                    .map(|r| (r.id.clone(), r.title.clone()))
                            })
                            .collect(),
                        Err(_) => Vec::new(),
                    },
                    None => Vec::new(),
                };
                let summary = json!({
                    "tasks": alone.program.tasks.iter().filter(|t| t.kind != tiller_core::TaskKind::Milestone).count(),
                    "milestones": alone.program.tasks.iter().filter(|t| t.kind == tiller_core::TaskKind::Milestone).count(),
                    "people": alone.program.people.len(),
                    "finish": alone.schedule.finish_date_of_program(),
                    "warnings": alone.warnings.len(),
                });
                let warnings = views::diagnostics(&tiller_app::analysis::Rejected {
                    sources: alone.sources,
                    diagnostics: alone.warnings,
                });
                let primed = views::prerender(&merged, forecaster.as_deref());
                Ok::<_, ApiError>((index, summary, warnings, opened, primed))
            })
            .await
            .map_err(|e| ApiError::internal(format!("check task: {e}")))??;
            let (index, summary, warnings, opened, primed) = checked;
            let hashes: Vec<(String, String)> = bundle
                .files
                .iter()
                .map(|(p, t)| (p.clone(), crate::sha256_hex(t.as_bytes())))
                .collect();
            let bundle_hash = views::bundle_hash(&bundle);
            let index_json = serde_json::to_string(&index).unwrap_or_default();
            let summary_json = summary.to_string();
            let files: Vec<(&str, String, &[u8])> = hashes
                .iter()
                .map(|(p, h)| (p.as_str(), h.clone(), bundle.files[p].as_bytes()))
                .collect();
            let new = tiller_store::NewRevision {
                root: &bundle.root,
                bundle_hash: &bundle_hash,
                index_json: &index_json,
                summary_json: &summary_json,
                message: input.message.as_deref(),
                files,
            };
            // A revision is checked against the records as they were: if they changed
            // meanwhile, check again.
            let current = app.store.program_by_id(program.id).await?;
            if current.state_seq != seq {
                continue;
            }
            let rev = app.store.add_revision(c.actor(&app), program.id, &new).await?;
            // The revision is stored: whatever fails from here on must not turn the
            // answer into an error (priming only saves the first reads some time).
            if let Err(e) = views::store_primed(&app, program.id, &rev, seq, primed).await {
                eprintln!("tiller-server: caching the analyses of a new revision: {e:?}");
            }
            let program = app
                .store
                .program_by_id(program.id)
                .await
                .unwrap_or(current);
            crate::webhooks::risks_raised(&app, &program, &opened).await;
            crate::webhooks::after_write(&app, program.id);
            let mut v = revision_json(&rev, Some(hashes.into_iter().map(|(p, _)| p).collect()));
            v["warnings"] = warnings;
            return Ok(respond(StatusCode::CREATED, &v));
        }
        Err(ApiError::Conflict {
            message: "the program kept changing while the revision was checked; push again".to_string(),
            current: Value::Null,
        })
    }
    .await;
    guard.release().await;
    result
}

async fn get_revision(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path((p, n)): Path<(String, String)>,
) -> Res {
    let (program, _, _) = program_access(&app, &auth, &p, Role::Viewer).await?;
    let rev = find_revision(&app, &program, &n).await?;
    let files = app
        .store
        .revision_files(rev.id)
        .await?
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    ok(revision_json(&rev, Some(files)))
}

async fn revision_files(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path((p, n)): Path<(String, String)>,
) -> Res {
    let (program, _, _) = program_access(&app, &auth, &p, Role::Viewer).await?;
    let rev = find_revision(&app, &program, &n).await?;
    let b = views::revision_bundle(&app, &rev).await?;
    ok(json!({"root": b.root, "files": b.files, "revision": rev.number}))
}

#[derive(Deserialize)]
struct ViewQuery {
    baseline: Option<String>,
    as_of: Option<String>,
    records: Option<bool>,
    against: Option<String>,
    /// Wait for an analysis of at least this record state (a write's `X-Tiller-State`).
    min_state: Option<i64>,
    /// Schedule only: `summary` for everything but the task list.
    view: Option<String>,
    /// Schedule only: a page of the task list, and the task fields to include.
    offset: Option<usize>,
    limit: Option<usize>,
    fields: Option<String>,
}

fn date_param(s: &Option<String>) -> Result<Option<chrono::NaiveDate>, ApiError> {
    s.as_deref()
        .map(|d| {
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                ApiError::bad(format!(
                    "`as_of` must be a date such as 2027-02-15, found `{d}`"
                ))
            })
        })
        .transpose()
}

/// A smaller form of the schedule document.
#[derive(Debug, Clone, PartialEq)]
enum Form {
    /// Everything but the task list (and the list of every critical path).
    Summary,
    /// A page of the task list, optionally with only some fields of each task.
    Page {
        offset: usize,
        limit: usize,
        fields: Option<Vec<String>>,
    },
}

const PAGE_DEFAULT: usize = 500;
const PAGE_MAX: usize = 5000;

fn form_of(q: &ViewQuery, view: &View) -> Result<Option<Form>, ApiError> {
    let fields = q.fields.as_ref().map(|f| {
        f.split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect::<Vec<_>>()
    });
    let form = match q.view.as_deref() {
        None | Some("full") if q.offset.is_none() && q.limit.is_none() && fields.is_none() => {
            return Ok(None);
        }
        None | Some("full") => Form::Page {
            offset: q.offset.unwrap_or(0),
            limit: q.limit.unwrap_or(PAGE_DEFAULT).clamp(1, PAGE_MAX),
            fields,
        },
        Some("summary") if q.offset.is_none() && q.limit.is_none() && fields.is_none() => {
            Form::Summary
        }
        Some("summary") => {
            return Err(ApiError::bad(
                "`view=summary` has no task list: leave out `offset`, `limit` and `fields`",
            ));
        }
        Some(other) => {
            return Err(ApiError::bad(format!(
                "`view` is `full` or `summary`, not `{other}`"
            )));
        }
    };
    if !matches!(view, View::Schedule { .. }) {
        return Err(ApiError::bad(
            "`view`, `offset`, `limit` and `fields` apply to the schedule only",
        ));
    }
    Ok(Some(form))
}

/// The smaller form of a schedule document (as `tiller schedule --json` writes it).
fn derive(doc: &Value, form: &Form) -> Value {
    let empty = Vec::new();
    let tasks = doc["tasks"].as_array().unwrap_or(&empty);
    match form {
        // Every part of the document but those that grow with the plan:
        // the task list and every critical path go, over-allocations
        // become a count, and the baseline comparison keeps the milestones'
        // rows, so the summary stays small for a 5,000-task plan without
        // losing a kind of information.
        Form::Summary => {
            let mut summary = doc.as_object().cloned().unwrap_or_default();
            summary.remove("tasks");
            summary.remove("critical_paths");
            summary.insert("task_count".into(), json!(tasks.len()));
            if let Some(over) = summary.remove("over_allocations") {
                let count = over.as_array().map_or(0, Vec::len);
                summary.insert("over_allocation_count".into(), json!(count));
            }
            let milestones: std::collections::HashSet<&Value> = doc["milestones"]
                .as_array()
                .unwrap_or(&empty)
                .iter()
                .map(|m| &m["id"])
                .collect();
            if let Some(Value::Array(rows)) = summary
                .get_mut("baseline")
                .and_then(|b| b.get_mut("variance"))
            {
                rows.retain(|row| milestones.contains(&row["id"]));
            }
            Value::Object(summary)
        }
        Form::Page {
            offset,
            limit,
            fields,
        } => {
            let page = tasks.iter().skip(*offset).take(*limit);
            let page: Vec<Value> = match fields {
                None => page.cloned().collect(),
                Some(fields) => page
                    .map(|t| {
                        let mut o = serde_json::Map::new();
                        for f in fields {
                            if let Some(v) = t.get(f) {
                                o.insert(f.clone(), v.clone());
                            }
                        }
                        Value::Object(o)
                    })
                    .collect(),
            };
            json!({
                "program": doc["program"],
                "finish": doc["finish"],
                "tasks_total": tasks.len(),
                "offset": offset,
                "limit": limit,
                "tasks": page,
            })
        }
    }
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|e| {
            let mut parts = e.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    == Some(0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

/// Bodies smaller than this are sent as they are.
const GZIP_MIN: usize = 1024;

async fn serve_view(
    app: &App,
    auth: &Auth,
    headers: &HeaderMap,
    p: &str,
    n: &str,
    q: &ViewQuery,
    make: impl FnOnce(&Revision) -> Result<View, ApiError>,
) -> Res {
    let (program, _, _) = program_access(app, auth, p, Role::Viewer).await?;
    let rev = find_revision(app, &program, n).await?;
    let view = make(&rev)?;
    let form = form_of(q, &view)?;
    let fresh = match q.min_state {
        // A write's state is committed before the write is answered, so every process
        // reading the program after that sees it: a later one was never made.
        Some(n) if n > program.state_seq => {
            return Err(ApiError::bad(format!(
                "`min_state` {n} is ahead of the program's record state ({})",
                program.state_seq
            )));
        }
        Some(n) => Freshness::AtLeast(n),
        None => Freshness::Latest,
    };
    let snap = views::view(app, &program, &rev, view, q.records.unwrap_or(true), fresh).await?;
    let status = StatusCode::from_u16(snap.status).unwrap_or(StatusCode::OK);
    let form = form.filter(|_| snap.status == 200);
    let tag = match &form {
        None => format!("\"{}\"", &snap.key[..32]),
        Some(f) => format!(
            "\"{}\"",
            &crate::sha256_hex(format!("{}|{f:?}", snap.key).as_bytes())[..32]
        ),
    };
    let mut extra: Vec<(header::HeaderName, HeaderValue)> =
        vec![(header::VARY, HeaderValue::from_static("accept-encoding"))];
    // Weak: the same tag names the plain and the gzipped bytes of one document.
    if let Ok(v) = HeaderValue::from_str(&format!("W/{tag}")) {
        extra.push((header::ETAG, v));
    }
    if let Some(st) = snap.state {
        extra.push((
            header::HeaderName::from_static(STATE_HEADER),
            HeaderValue::from(st),
        ));
    }
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',').any(|t| {
                let t = t.trim();
                t == "*" || t.trim_start_matches("W/") == tag
            })
        });
    if not_modified && status == StatusCode::OK {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        r.headers_mut().extend(extra);
        return Ok(r);
    }
    let gz = accepts_gzip(headers);
    let (body, gzipped) = match form {
        None if gz && snap.body.len() >= GZIP_MIN => {
            if snap.has_gzip() || snap.body.len() < 64 * 1024 {
                (snap.gzip(), true)
            } else {
                let s = snap.clone();
                let b = tokio::task::spawn_blocking(move || s.gzip())
                    .await
                    .map_err(|e| ApiError::internal(format!("gzip task: {e}")))?;
                (b, true)
            }
        }
        None => (snap.body.clone(), false),
        Some(form) => {
            let s = snap.clone();
            tokio::task::spawn_blocking(move || {
                let doc = s.parsed().cloned().unwrap_or(Value::Null);
                let bytes = serde_json::to_vec(&derive(&doc, &form)).unwrap_or_default();
                if gz && bytes.len() >= GZIP_MIN {
                    (views::gzip(&bytes), true)
                } else {
                    (axum::body::Bytes::from(bytes), false)
                }
            })
            .await
            .map_err(|e| ApiError::internal(format!("schedule form task: {e}")))?
        }
    };
    let mut r = (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response();
    r.headers_mut().extend(extra);
    if gzipped {
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    Ok(r)
}

async fn revision_schedule(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path((p, n)): Path<(String, String)>,
    headers: HeaderMap,
    Query(q): Query<ViewQuery>,
) -> Res {
    let as_of = date_param(&q.as_of)?;
    let baseline = q.baseline.clone();
    serve_view(&app, &auth, &headers, &p, &n, &q, |_| {
        Ok(View::Schedule { baseline, as_of })
    })
    .await
}

async fn revision_evm(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path((p, n)): Path<(String, String)>,
    headers: HeaderMap,
    Query(q): Query<ViewQuery>,
) -> Res {
    let as_of = date_param(&q.as_of)?;
    let baseline = q.baseline.clone();
    serve_view(&app, &auth, &headers, &p, &n, &q, |_| {
        Ok(View::Evm { baseline, as_of })
    })
    .await
}

async fn revision_health(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path((p, n)): Path<(String, String)>,
    headers: HeaderMap,
    Query(q): Query<ViewQuery>,
) -> Res {
    serve_view(&app, &auth, &headers, &p, &n, &q, |_| Ok(View::Health)).await
}

async fn revision_diff(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path((p, n)): Path<(String, String)>,
    headers: HeaderMap,
    Query(q): Query<ViewQuery>,
) -> Res {
    let against = q.against.clone();
    serve_view(&app, &auth, &headers, &p, &n, &q, |rev| {
        let against = match against.as_deref() {
            Some(a) => parse_id(a)?,
            None if rev.number > 1 => rev.number - 1,
            None => {
                return Err(ApiError::bad(
                    "revision 1 has no previous revision: give `against`",
                ));
            }
        };
        Ok(View::Diff { against })
    })
    .await
}

async fn pull_bundle(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(p): Path<String>,
) -> Res {
    let (program, _, _) = program_access(&app, &auth, &p, Role::Viewer).await?;
    let rev = head_revision(&app, &program).await?;
    let base = views::revision_bundle(&app, &rev).await?;
    let (overlay, state) = views::overlay(&app, program.id).await?;
    let merged = bundle::merge(
        &base,
        &views::index_of(&rev),
        &overlay.records,
        &overlay.baselines,
        Layout::Files { today: app.today() },
    )
    .map_err(|e| ApiError::internal(format!("merging records for a pull: {e}")))?;
    ok(json!({
        "root": merged.root, "files": merged.files, "revision": rev.number,
        "state": state, "records": overlay.records.len(),
    }))
}

// ---------------------------------------------------------------------- records

#[derive(Clone, Copy)]
pub(crate) enum Ns {
    Progress,
    Raid,
}

impl Ns {
    fn as_str(self) -> &'static str {
        match self {
            Ns::Progress => "progress",
            Ns::Raid => "raid",
        }
    }
}

/// A request body as a plan entry: progress objects as they are; RAID entries carry
/// their `kind` next to the plan format's keys.
fn record_in(ns: Ns, mut v: Value) -> Result<bundle::Record, ApiError> {
    let Some(obj) = v.as_object_mut() else {
        return Err(ApiError::bad("the body must be a JSON object"));
    };
    let kind = match ns {
        Ns::Progress => {
            obj.remove("kind");
            RecordKind::Progress
        }
        Ns::Raid => obj
            .remove("kind")
            .and_then(|k| k.as_str().and_then(RecordKind::parse))
            .filter(|k| k.is_raid())
            .ok_or_else(|| ApiError::bad("`kind` must be risk, issue, decision or assumption"))?,
    };
    let r = bundle::Record {
        kind,
        body: obj.clone(),
    };
    r.key().map_err(ApiError::BadRequest)?;
    Ok(r)
}

fn record_json(r: &tiller_store::Record) -> Value {
    to_value(r)
}

#[derive(Deserialize)]
struct PageQuery {
    after: Option<i64>,
    limit: Option<i64>,
}

async fn list_records(app: &App, auth: &Auth, p: &str, ns: Ns, q: PageQuery) -> Res {
    let (program, _, _) = program_access(app, auth, p, Role::Viewer).await?;
    let list = app
        .store
        .records_page(
            program.id,
            ns.as_str(),
            q.after.unwrap_or(0),
            q.limit.unwrap_or(1000).clamp(1, 5000),
        )
        .await?;
    ok(Value::Array(list.iter().map(record_json).collect()))
}

async fn get_record(app: &App, auth: &Auth, p: &str, id: &str, ns: Ns) -> Res {
    let (program, _, _) = program_access(app, auth, p, Role::Viewer).await?;
    let r = app
        .store
        .record(program.id, ns.as_str(), parse_id(id)?)
        .await?;
    Ok(with_etag(
        respond(StatusCode::OK, &record_json(&r)),
        r.version,
    ))
}

async fn record_history(app: &App, auth: &Auth, p: &str, id: &str, ns: Ns) -> Res {
    let (program, _, _) = program_access(app, auth, p, Role::Viewer).await?;
    let r = app
        .store
        .record(program.id, ns.as_str(), parse_id(id)?)
        .await?;
    ok(to_value(&app.store.record_history(r.id).await?))
}

/// Validates the program with `record` added (or replacing record `replace`) and
/// writes it; re-validates when the program changed meanwhile.
pub(crate) async fn write_record(
    app: &App,
    auth: &Auth,
    p: &str,
    ns: Ns,
    body: Body,
    replace: Option<(i64, i64)>,
) -> Res {
    let (program, _, c) = program_access(app, auth, p, Role::Editor).await?;
    let value: Value = parse(&read_body(body, app.config.max_record).await?)?;
    let record = record_in(ns, value)?;
    let key = record.key().map_err(ApiError::BadRequest)?;
    let body_value = Value::Object(record.body.clone());
    let guard = app.lock_program(program.id).await?;
    let result =
        write_record_locked(app, &program, &c, ns, &record, &key, &body_value, replace).await;
    guard.release().await;
    result
}

#[allow(clippy::too_many_arguments)]
async fn write_record_locked(
    app: &App,
    program: &Program,
    c: &auth::Caller,
    ns: Ns,
    record: &bundle::Record,
    key: &str,
    body_value: &Value,
    replace: Option<(i64, i64)>,
) -> Res {
    let key = key.to_string();
    for _attempt in 0..8 {
        // Under the write lock: the state now, not as the request found it.
        let program = app.store.program_by_id(program.id).await?;
        let rev = head_revision(app, &program).await?;
        // Identity first: a stale version or a taken key is a conflict, whatever the
        // record says.
        let replacing = match replace {
            Some((id, version)) => {
                let cur = app.store.record(program.id, ns.as_str(), id).await?;
                if cur.version != version {
                    return Err(conflict(record_json(&cur)));
                }
                Some(cur.key)
            }
            None => {
                if let Some(existing) = app
                    .store
                    .record_by_key(program.id, ns.as_str(), &key)
                    .await?
                {
                    return Err(ApiError::Conflict {
                        message: format!(
                            "a record for `{key}` exists already (id {}): update it instead",
                            existing.id
                        ),
                        current: record_json(&existing),
                    });
                }
                None
            }
        };
        // The quick check against this process's model of the program; the full one
        // when it cannot vouch for the record (see `validate`).
        let model = app.take_model(program.id, rev.id, program.state_seq);
        let (quick, unchanged) = match model {
            Some(mut m) => {
                let r = record.clone();
                let old = replacing.clone();
                let (m, ok) = tokio::task::spawn_blocking(move || {
                    let ok = m.admit(&r, old.as_deref());
                    (m, ok)
                })
                .await
                .map_err(|e| ApiError::internal(format!("check task: {e}")))?;
                if ok { (Some(m), None) } else { (None, Some(m)) }
            }
            None => (None, None),
        };
        let model = match quick {
            Some(m) => m,
            None => match full_check(app, &program, &rev, record, replace.map(|r| r.0)).await {
                Ok(m) => m,
                Err(e) => {
                    // Refused: the program is as it was, and so is its model.
                    if let Some(m) = unchanged {
                        app.put_model(program.id, m);
                    }
                    return Err(e);
                }
            },
        };
        let kind = record.kind.table();
        let result = match replace {
            None => {
                app.store
                    .create_record(
                        c.actor(app),
                        program.id,
                        program.state_seq,
                        ns.as_str(),
                        kind,
                        &key,
                        body_value,
                    )
                    .await
            }
            Some((id, version)) => {
                app.store
                    .update_record(
                        c.actor(app),
                        program.id,
                        program.state_seq,
                        ns.as_str(),
                        id,
                        version,
                        kind,
                        &key,
                        body_value,
                    )
                    .await
            }
        };
        match result {
            Ok(saved) => {
                let state = program.state_seq + 1;
                let mut model = model;
                model.state = state;
                app.put_model(program.id, model);
                if record.kind == RecordKind::Risk && replace.is_none() {
                    let title = record
                        .body
                        .get("title")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string();
                    crate::webhooks::risks_raised(app, &program, &[(key.clone(), title)]).await;
                }
                crate::webhooks::after_write(app, program.id);
                let status = if replace.is_some() {
                    StatusCode::OK
                } else {
                    StatusCode::CREATED
                };
                return Ok(with_state(
                    with_etag(respond(status, &record_json(&saved)), saved.version),
                    state,
                ));
            }
            Err(StoreError::Stale) => {
                if let Some((id, version)) = replace {
                    let cur = app.store.record(program.id, ns.as_str(), id).await?;
                    if cur.version != version {
                        return Err(conflict(record_json(&cur)));
                    }
                }
                // The program changed while this record was checked: check again.
                continue;
            }
            Err(StoreError::Exists(_)) => {
                let existing = app
                    .store
                    .record_by_key(program.id, ns.as_str(), &key)
                    .await?;
                return Err(ApiError::Conflict {
                    message: format!("a record for `{key}` exists already: update it instead"),
                    current: existing.as_ref().map_or(Value::Null, record_json),
                });
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::Conflict {
        message: "the program kept changing while the record was checked; try again".to_string(),
        current: Value::Null,
    })
}

/// The full check of a record: the head revision's files with every record (this one
/// in place of record `replace`) and baseline merged in, read and scheduled. Gives
/// the model of the program with the record for the next writes.
async fn full_check(
    app: &App,
    program: &Program,
    rev: &Revision,
    record: &bundle::Record,
    replace: Option<i64>,
) -> Result<validate::Model, ApiError> {
    // Should another process have written meanwhile, the store's compare-and-set
    // refuses this write and the caller checks again.
    let st = app.store.program_state(program.id).await?;
    let mut overlay = views::overlay_of(&tiller_store::ProgramState {
        records: st
            .records
            .into_iter()
            .filter(|r| replace != Some(r.id))
            .collect(),
        ..st
    });
    overlay.records.push(record.clone());
    let base = views::revision_bundle(app, rev).await?;
    let index = views::index_of(rev);
    let rev_id = rev.id;
    let state = program.state_seq;
    tokio::task::spawn_blocking(move || {
        let a = views::analyze_merged(&base, &index, &overlay, None)?;
        Ok::<_, ApiError>(validate::Model::new(rev_id, state, a.program))
    })
    .await
    .map_err(|e| ApiError::internal(format!("check task: {e}")))?
}

async fn list_progress(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(p): Path<String>,
    Query(q): Query<PageQuery>,
) -> Res {
    list_records(&app, &auth, &p, Ns::Progress, q).await
}

async fn create_progress(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(p): Path<String>,
    body: Body,
) -> Res {
    write_record(&app, &auth, &p, Ns::Progress, body, None).await
}

async fn get_progress(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path((p, id)): Path<(String, String)>,
) -> Res {
    get_record(&app, &auth, &p, &id, Ns::Progress).await
}

async fn update_progress(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path((p, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Res {
    program_access(&app, &auth, &p, Role::Editor).await?;
    let version = if_match(&headers)?;
    write_record(
        &app,
        &auth,
        &p,
        Ns::Progress,
        body,
        Some((parse_id(&id)?, version)),
    )
    .await
}

async fn progress_history(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path((p, id)): Path<(String, String)>,
) -> Res {
    record_history(&app, &auth, &p, &id, Ns::Progress).await
}

async fn list_raid(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(p): Path<String>,
    Query(q): Query<PageQuery>,
) -> Res {
    list_records(&app, &auth, &p, Ns::Raid, q).await
}

async fn create_raid(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(p): Path<String>,
    body: Body,
) -> Res {
    write_record(&app, &auth, &p, Ns::Raid, body, None).await
}

async fn get_raid(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path((p, id)): Path<(String, String)>,
) -> Res {
    get_record(&app, &auth, &p, &id, Ns::Raid).await
}

async fn update_raid(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path((p, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Res {
    program_access(&app, &auth, &p, Role::Editor).await?;
    let version = if_match(&headers)?;
    write_record(
        &app,
        &auth,
        &p,
        Ns::Raid,
        body,
        Some((parse_id(&id)?, version)),
    )
    .await
}

async fn raid_history(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path((p, id)): Path<(String, String)>,
) -> Res {
    record_history(&app, &auth, &p, &id, Ns::Raid).await
}

// ---------------------------------------------------------------------- baselines

async fn list_baselines(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(p): Path<String>,
) -> Res {
    let (program, _, _) = program_access(&app, &auth, &p, Role::Viewer).await?;
    ok(to_value(&app.store.baselines(program.id).await?))
}

#[derive(Deserialize)]
struct BaselineIn {
    name: String,
    as_of: Option<String>,
}

fn valid_baseline_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

async fn create_baseline(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(p): Path<String>,
    body: Body,
) -> Res {
    let (program, _, c) = program_access(&app, &auth, &p, Role::Owner).await?;
    let input: BaselineIn = json_in(&app, body).await?;
    if !valid_baseline_name(&input.name) {
        return Err(ApiError::bad(
            "baseline names are 1 to 64 letters, digits, `_`, `-` and `.`",
        ));
    }
    let as_of = date_param(&input.as_of)?;
    let guard = app.lock_program(program.id).await?;
    let result: Res = async {
        for attempt in 0..8 {
            let program = if attempt == 0 {
                program.clone()
            } else {
                app.store.program_by_id(program.id).await?
            };
            let rev = head_revision(&app, &program).await?;
            let index = views::index_of(&rev);
            if index.baselines.contains_key(&input.name) {
                return Err(ApiError::Exists(format!(
                    "baseline `{}` (in the plan files)",
                    input.name
                )));
            }
            let (overlay, seq) = views::overlay(&app, program.id).await?;
            if seq != program.state_seq {
                continue;
            }
            if overlay.baselines.iter().any(|b| b.name == input.name) {
                return Err(ApiError::Exists(format!("baseline `{}`", input.name)));
            }
            let base = views::revision_bundle(&app, &rev).await?;
            let name = input.name.clone();
            let (text, saved) = tokio::task::spawn_blocking(move || {
                let a = views::analyze_merged(&base, &index, &overlay, as_of)?;
                let saved = as_of.or(a.program.status_date).unwrap_or(a.program.start);
                let b = tiller_engine::baseline::capture(&a.program, &a.schedule, &name, saved);
                Ok::<_, ApiError>((tiller_plan::write::baseline_file(&b), saved))
            })
            .await
            .map_err(|e| ApiError::internal(format!("baseline task: {e}")))??;
            match app
                .store
                .add_baseline(
                    c.actor(&app),
                    program.id,
                    program.state_seq,
                    &input.name,
                    rev.number,
                    &saved.to_string(),
                    &text,
                )
                .await
            {
                Ok(b) => {
                    crate::webhooks::after_write(&app, program.id);
                    let mut v = to_value(&b);
                    v["created_by"] = json!(c.user.username);
                    // A baseline moves the record state like a record does.
                    return Ok(with_state(
                        respond(StatusCode::CREATED, &v),
                        program.state_seq + 1,
                    ));
                }
                Err(StoreError::Stale) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ApiError::Conflict {
            message: "the program kept changing while the baseline was recorded; try again"
                .to_string(),
            current: Value::Null,
        })
    }
    .await;
    guard.release().await;
    result
}

// ---------------------------------------------------------------------- webhooks

#[derive(Deserialize)]
struct WebhookIn {
    url: String,
    events: Vec<String>,
    threshold: Option<f64>,
    secret: Option<String>,
    active: Option<bool>,
}

fn check_webhook(w: &WebhookIn) -> Result<(), ApiError> {
    if !w.url.starts_with("http://") || w.url.len() > 2000 {
        return Err(ApiError::bad(
            "`url` must be an http:// URL (see docs/server.md about TLS)",
        ));
    }
    if w.events.is_empty()
        || w.events
            .iter()
            .any(|e| e != "*" && !crate::webhooks::EVENTS.contains(&e.as_str()))
    {
        return Err(ApiError::bad(format!(
            "`events` must list some of: {}, or `*`",
            crate::webhooks::EVENTS.join(", ")
        )));
    }
    if let Some(t) = w.threshold
        && !(0.0..=1.0).contains(&t)
    {
        return Err(ApiError::bad("`threshold` is a probability, 0 to 1"));
    }
    if let Some(s) = &w.secret
        && (s.len() < 16 || s.len() > 200)
    {
        return Err(ApiError::bad("`secret` must be 16 to 200 bytes"));
    }
    Ok(())
}

async fn list_webhooks(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(p): Path<String>,
) -> Res {
    let (program, _, _) = program_access(&app, &auth, &p, Role::Owner).await?;
    ok(to_value(&app.store.webhooks(program.id).await?))
}

async fn create_webhook(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(p): Path<String>,
    body: Body,
) -> Res {
    let (program, _, c) = program_access(&app, &auth, &p, Role::Owner).await?;
    let input: WebhookIn = json_in(&app, body).await?;
    check_webhook(&input)?;
    let secret = input
        .secret
        .clone()
        .unwrap_or_else(|| format!("whsec_{}", crate::random_hex(24)));
    let spec = WebhookSpec {
        url: &input.url,
        secret: &secret,
        events: &input.events,
        threshold: input.threshold,
        active: input.active.unwrap_or(true),
    };
    let w = app
        .store
        .create_webhook(c.actor(&app), program.id, &spec)
        .await?;
    let mut v = to_value(&w);
    v["secret"] = json!(secret);
    Ok(with_etag(respond(StatusCode::CREATED, &v), w.version))
}

async fn get_webhook(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path((p, id)): Path<(String, String)>,
) -> Res {
    let (program, _, _) = program_access(&app, &auth, &p, Role::Owner).await?;
    let w = app.store.webhook(program.id, parse_id(&id)?).await?;
    Ok(with_etag(respond(StatusCode::OK, &to_value(&w)), w.version))
}

async fn update_webhook(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path((p, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Res {
    let (program, _, c) = program_access(&app, &auth, &p, Role::Owner).await?;
    let version = if_match(&headers)?;
    let id = parse_id(&id)?;
    let input: WebhookIn = json_in(&app, body).await?;
    check_webhook(&input)?;
    let current = app.store.webhook(program.id, id).await?;
    let secret = input.secret.clone().unwrap_or(current.secret.clone());
    let spec = WebhookSpec {
        url: &input.url,
        secret: &secret,
        events: &input.events,
        threshold: input.threshold,
        active: input.active.unwrap_or(current.active),
    };
    match app
        .store
        .update_webhook(c.actor(&app), program.id, id, version, &spec)
        .await
    {
        Ok(w) => Ok(with_etag(respond(StatusCode::OK, &to_value(&w)), w.version)),
        Err(StoreError::Stale) => Err(conflict(to_value(
            &app.store.webhook(program.id, id).await?,
        ))),
        Err(e) => Err(e.into()),
    }
}

async fn delete_webhook(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path((p, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Res {
    let (program, _, c) = program_access(&app, &auth, &p, Role::Owner).await?;
    let version = if_match(&headers)?;
    let id = parse_id(&id)?;
    match app
        .store
        .delete_webhook(c.actor(&app), program.id, id, version)
        .await
    {
        Ok(()) => no_content(),
        Err(StoreError::Stale) => Err(conflict(to_value(
            &app.store.webhook(program.id, id).await?,
        ))),
        Err(e) => Err(e.into()),
    }
}

async fn webhook_deliveries(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path((p, id)): Path<(String, String)>,
) -> Res {
    let (program, _, _) = program_access(&app, &auth, &p, Role::Owner).await?;
    let w = app.store.webhook(program.id, parse_id(&id)?).await?;
    ok(to_value(&app.store.deliveries(w.id, 200).await?))
}
