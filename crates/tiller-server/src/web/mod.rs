//! The web dashboard: server-rendered pages (askama templates, checked at compile
//! time) over the same application layer as the JSON API. A thin shell: every figure
//! comes from `tiller_app` and `tiller_report` (the computations behind `tiller
//! report`), every write goes through the JSON API's record writer
//! ([`crate::api::write_record`]: same validation, same version checks, same audit),
//! and every page asks [`crate::auth::program_access`] for the caller's role.
//!
//! - [`digest`]: a program's analysed state (schedule, status report, forecast,
//!   load), computed once per record state and kept in memory.
//! - [`portfolio`]: the portfolio and the program overview.
//! - [`raid`]: the RAID log (filter, sort, create, edit with conflict handling) and
//!   the progress form.
//! - [`gantt`]: the Gantt page and the compact JSON rows it draws from.
//! - [`pages`]: forecast, resources, budget, the status report and history.
//!
//! Sessions are the API's: the login form posts to the same login code, pages read the
//! session's CSRF token and put it in every form, and the authentication middleware
//! refuses a cookie-authenticated form post without it.

pub mod digest;
pub mod gantt;
pub mod pages;
pub mod portfolio;
pub mod raid;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::body::Body;
use axum::extract::{Extension, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::App;
use crate::auth::{Auth, Caller, Role};
use crate::error::ApiError;

/// The dashboard's routes; the API router adds its authentication middleware.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/static/{file}", get(static_file))
        .route("/programs", get(portfolio::portfolio))
        .route("/programs/{p}", get(portfolio::overview))
        .route("/programs/{p}/raid", get(raid::log).post(raid::create))
        .route(
            "/programs/{p}/raid/{id}",
            get(raid::edit).post(raid::update),
        )
        .route(
            "/programs/{p}/progress",
            get(raid::progress_form).post(raid::progress_submit),
        )
        .route("/programs/{p}/gantt", get(gantt::page))
        .route("/programs/{p}/gantt.json", get(gantt::rows))
        .route("/programs/{p}/gantt/explain", get(gantt::explain))
        .route("/programs/{p}/forecast", get(pages::forecast))
        .route("/programs/{p}/resources", get(pages::resources))
        .route("/programs/{p}/budget", get(pages::budget))
        .route("/programs/{p}/report", get(pages::report))
        .route("/programs/{p}/report.md", get(pages::report_markdown))
        .route("/programs/{p}/report.html", get(pages::report_html))
        .route("/programs/{p}/history", get(pages::history))
        .layer(axum::middleware::map_response(page_headers))
}

/// Pages carry a session's CSRF token and private figures: never cached, never
/// framed by another site, never sniffed as another type.
async fn page_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

// ---------------------------------------------------------------------- errors

/// What goes wrong on a page, shown as a page: never internals.
#[derive(Debug)]
pub enum WebError {
    /// Not logged in: go to the login page, and come back.
    Login(String),
    Api(ApiError),
}

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> WebError {
        WebError::Api(e)
    }
}

impl From<tiller_store::StoreError> for WebError {
    fn from(e: tiller_store::StoreError) -> WebError {
        WebError::Api(e.into())
    }
}

pub type WebResult = Result<Response, WebError>;

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    ctx: Ctx,
    title: String,
    message: String,
    items: Vec<String>,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title, message, items) = match self {
            WebError::Login(next) => {
                return Redirect::to(&format!("/login?next={}", encode(&next))).into_response();
            }
            WebError::Api(e) => match e {
                ApiError::Unauthorized => {
                    return Redirect::to("/login").into_response();
                }
                ApiError::NotFound => (
                    StatusCode::NOT_FOUND,
                    "Not found",
                    "There is no such page, or you may not see it.".to_string(),
                    Vec::new(),
                ),
                ApiError::Forbidden(m) => (
                    StatusCode::FORBIDDEN,
                    "Not allowed",
                    sentence(&m),
                    Vec::new(),
                ),
                ApiError::BadRequest(m) => (
                    StatusCode::BAD_REQUEST,
                    "Cannot do that",
                    sentence(&m),
                    Vec::new(),
                ),
                ApiError::Invalid {
                    message,
                    diagnostics,
                } => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "The plan does not check",
                    sentence(&message),
                    diagnostic_lines(&diagnostics),
                ),
                ApiError::Conflict { message, .. } => (
                    StatusCode::CONFLICT,
                    "Changed meanwhile",
                    sentence(&message),
                    Vec::new(),
                ),
                ApiError::Exists(what) => (
                    StatusCode::CONFLICT,
                    "Already exists",
                    format!("Already exists: {what}."),
                    Vec::new(),
                ),
                ApiError::TooLarge => (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "Too large",
                    "The form is too large.".to_string(),
                    Vec::new(),
                ),
                ApiError::PreconditionRequired => (
                    StatusCode::PRECONDITION_REQUIRED,
                    "Reload the page",
                    "The form does not say which version it edits: reload the page.".to_string(),
                    Vec::new(),
                ),
                ApiError::Internal(detail) => {
                    // The detail goes to the server's log; the page shows only the
                    // reference to find it by.
                    let id = crate::random_hex(6);
                    eprintln!("tiller-server: internal error {id}: {detail}");
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "Something went wrong",
                        format!("The server could not show this page (reference {id})."),
                        Vec::new(),
                    )
                }
            },
        };
        let page = ErrorPage {
            ctx: Ctx::anonymous(),
            title: title.to_string(),
            message,
            items,
        };
        (status, page).into_response()
    }
}

/// An API message as a sentence for a page.
fn sentence(m: &str) -> String {
    let mut s = m.trim().to_string();
    if let Some(first) = s.get(..1) {
        let upper = first.to_uppercase();
        s.replace_range(..1, &upper);
    }
    if !s.ends_with('.') {
        s.push('.');
    }
    s
}

/// The plan reader's diagnostics as lines for a page.
pub fn diagnostic_lines(d: &serde_json::Value) -> Vec<String> {
    d.as_array()
        .map(|list| {
            list.iter()
                .map(|x| {
                    let code = x["code"].as_str().unwrap_or_default();
                    let msg = x["message"].as_str().unwrap_or_default();
                    match (x["file"].as_str(), x["line"].as_u64()) {
                        (Some(f), Some(l)) => format!("{code}: {msg} ({f}:{l})"),
                        _ => format!("{code}: {msg}"),
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Percent-encodes a string for a query parameter.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// ---------------------------------------------------------------------- page context

/// A link of the program navigation.
pub struct NavLink {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

/// What every page's layout needs: who is logged in, the CSRF token for its forms,
/// and the program navigation.
pub struct Ctx {
    pub user: Option<String>,
    pub csrf: String,
    /// The program's slug and name on program pages (empty elsewhere).
    pub slug: String,
    pub program_name: String,
    pub role: Option<&'static str>,
    pub can_edit: bool,
    pub nav: Vec<NavLink>,
}

impl Ctx {
    fn anonymous() -> Ctx {
        Ctx {
            user: None,
            csrf: String::new(),
            slug: String::new(),
            program_name: String::new(),
            role: None,
            can_edit: false,
            nav: Vec::new(),
        }
    }
}

/// The logged-in caller and the CSRF token of their session; `Login` otherwise.
pub async fn session(app: &App, auth: &Auth, here: &str) -> Result<(Caller, Ctx), WebError> {
    let Some(caller) = auth.0.clone() else {
        return Err(WebError::Login(here.to_string()));
    };
    let csrf = match &caller.session {
        Some(hash) => app
            .store
            .session(hash, app.now())
            .await?
            .map(|s| s.csrf)
            .unwrap_or_default(),
        None => String::new(),
    };
    let ctx = Ctx {
        user: Some(caller.user.username.clone()),
        csrf,
        slug: String::new(),
        program_name: String::new(),
        role: None,
        can_edit: false,
        nav: Vec::new(),
    };
    Ok((caller, ctx))
}

/// The program pages' navigation, in order.
const PROGRAM_PAGES: [(&str, &str); 9] = [
    ("", "Overview"),
    ("/gantt", "Gantt"),
    ("/forecast", "Forecast"),
    ("/raid", "RAID log"),
    ("/progress", "Progress"),
    ("/resources", "Resources"),
    ("/budget", "Budget"),
    ("/report", "Report"),
    ("/history", "History"),
];

/// A program page's caller, program and context: the caller needs `need` in it (the
/// same rule as the JSON API: no role is "not found", too small a role "not allowed").
pub async fn program_page(
    app: &App,
    auth: &Auth,
    slug: &str,
    need: Role,
    page: &str,
) -> Result<(tiller_store::Program, Role, Caller, Ctx), WebError> {
    let here = format!("/programs/{slug}{page}");
    let (_, mut ctx) = session(app, auth, &here).await?;
    let (program, role, caller) = crate::auth::program_access(app, auth, slug, need).await?;
    ctx.nav = PROGRAM_PAGES
        .iter()
        .map(|(suffix, label)| NavLink {
            href: format!("/programs/{}{suffix}", program.slug),
            label,
            current: *suffix == page,
        })
        .collect();
    ctx.slug = program.slug.clone();
    ctx.program_name = program.name.clone();
    ctx.role = Some(if caller.user.is_admin {
        "administrator"
    } else {
        role.as_str()
    });
    ctx.can_edit = role >= Role::Editor;
    Ok((program, role, caller, ctx))
}

// ---------------------------------------------------------------------- login

async fn home(Extension(auth): Extension<Auth>) -> Response {
    if auth.0.is_some() {
        Redirect::to("/programs").into_response()
    } else {
        Redirect::to("/login").into_response()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    ctx: Ctx,
    next: String,
    username: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Only paths on this server: an open redirect would let a link log someone in and
/// send them elsewhere.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/programs".to_string(),
    }
}

async fn login_page(Extension(auth): Extension<Auth>, Query(q): Query<NextQuery>) -> Response {
    let next = safe_next(q.next.as_deref());
    if auth.0.is_some() {
        return Redirect::to(&next).into_response();
    }
    LoginPage {
        ctx: Ctx::anonymous(),
        next,
        username: String::new(),
        error: None,
    }
    .into_response()
}

async fn login_submit(State(app): State<App>, body: Body) -> Response {
    let bytes = match axum::body::to_bytes(body, app.config.max_record).await {
        Ok(b) => b,
        Err(_) => return WebError::Api(ApiError::TooLarge).into_response(),
    };
    let next = safe_next(crate::auth::form_field(&bytes, "next").as_deref());
    let username = crate::auth::form_field(&bytes, "username").unwrap_or_default();
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    match crate::api::login(State(app), h, Body::from(bytes)).await {
        Ok(r) => {
            let mut redirect = Redirect::to(&next).into_response();
            if let Some(cookie) = r.headers().get(header::SET_COOKIE) {
                redirect
                    .headers_mut()
                    .insert(header::SET_COOKIE, cookie.clone());
            }
            redirect
        }
        Err(ApiError::Unauthorized) => (
            StatusCode::UNAUTHORIZED,
            LoginPage {
                ctx: Ctx::anonymous(),
                next,
                username,
                error: Some("Wrong user name or password.".to_string()),
            },
        )
            .into_response(),
        Err(e) => WebError::Api(e).into_response(),
    }
}

async fn logout(State(app): State<App>, Extension(auth): Extension<Auth>) -> Response {
    match crate::api::logout(State(app), Extension(auth)).await {
        Ok(r) => {
            let mut redirect = Redirect::to("/login").into_response();
            if let Some(cookie) = r.headers().get(header::SET_COOKIE) {
                redirect
                    .headers_mut()
                    .insert(header::SET_COOKIE, cookie.clone());
            }
            redirect
        }
        Err(_) => Redirect::to("/login").into_response(),
    }
}

// ---------------------------------------------------------------------- static files

const APP_CSS: &str = include_str!("../../static/app.css");
const APP_JS: &str = include_str!("../../static/app.js");
const GANTT_JS: &str = include_str!("../../static/gantt.js");

async fn static_file(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "app.css" => (APP_CSS, "text/css; charset=utf-8"),
        "app.js" => (APP_JS, "text/javascript; charset=utf-8"),
        "gantt.js" => (GANTT_JS, "text/javascript; charset=utf-8"),
        _ => return WebError::Api(ApiError::NotFound).into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            // Assets change with the binary only; an hour keeps reloads cheap.
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

// ---------------------------------------------------------------------- formatting

/// A RAG colour as the label every page shows next to its colour.
pub fn rag_label(key: Option<&str>) -> &'static str {
    match key {
        Some("green") => "GREEN",
        Some("amber") => "AMBER",
        Some("red") => "RED",
        _ => "NOT ASSESSED",
    }
}

/// The CSS class of a RAG colour.
pub fn rag_class(key: Option<&str>) -> &'static str {
    match key {
        Some("green") => "rag-green",
        Some("amber") => "rag-amber",
        Some("red") => "rag-red",
        _ => "rag-none",
    }
}

pub fn pct(p: Option<f64>) -> String {
    p.map_or_else(|| "–".to_string(), |p| format!("{:.0}%", p * 100.0))
}

pub fn date(d: Option<chrono::NaiveDate>) -> String {
    d.map_or_else(|| "–".to_string(), |d| d.to_string())
}

/// A server time (milliseconds) as a UTC date and time.
pub fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// Money in whole units with thousands separators.
pub fn money(x: f64) -> String {
    let neg = x < 0.0;
    let n = x.abs().round() as u64;
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if neg { format!("-{out}") } else { out }
}
