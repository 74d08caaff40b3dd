//! Who is calling, and what they may do.
//!
//! - Passwords are hashed with Argon2id (PHC strings; the parameters travel with each
//!   hash, so they can be raised without invalidating old ones).
//! - API tokens (`Authorization: Bearer tl_...`) and session ids are random 32-byte
//!   secrets; only their SHA-256 is stored.
//! - Sessions live in the database, in a cookie that is `HttpOnly`, `SameSite=Strict`
//!   and `Secure`. A request authenticated by the cookie that changes anything must
//!   carry the session's CSRF token (header `X-CSRF-Token`, or field `csrf_token` of a
//!   form post).
//! - Roles per program: viewer < editor < owner; a server administrator may do
//!   everything. Someone with no role in a program gets 404 for it, as if it did not
//!   exist.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tiller_store::{Actor, Program, User};

use crate::App;
use crate::error::ApiError;

pub const SESSION_COOKIE: &str = "tiller_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A role in a program, in increasing power.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Viewer,
    Editor,
    Owner,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "editor" => Some(Role::Editor),
            "owner" => Some(Role::Owner),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Owner => "owner",
        }
    }
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    /// Set when authenticated by a session cookie.
    pub session: Option<String>,
}

impl Caller {
    pub fn actor(&self, app: &App) -> Actor {
        Actor {
            user_id: self.user.id,
            at: app.now(),
        }
    }
}

/// The result of authentication, put in every request's extensions.
#[derive(Debug, Clone)]
pub struct Auth(pub Option<Caller>);

impl Auth {
    pub fn caller(&self) -> Result<&Caller, ApiError> {
        self.0.as_ref().ok_or(ApiError::Unauthorized)
    }

    pub fn admin(&self) -> Result<&Caller, ApiError> {
        let c = self.caller()?;
        if c.user.is_admin {
            Ok(c)
        } else {
            Err(ApiError::Forbidden(
                "only a server administrator may do this".to_string(),
            ))
        }
    }
}

pub fn hash_password(app: &App, password: &str) -> Result<String, ApiError> {
    let (m, t, p) = app.config.argon2;
    let params = argon2::Params::new(m, t, p, None)
        .map_err(|e| ApiError::internal(format!("argon2 parameters: {e}")))?;
    let argon = argon2::Argon2::from(params);
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| ApiError::internal(format!("random: {e}")))?;
    argon
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(format!("argon2: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    argon2::Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// A hash that no password matches, verified when a user does not exist so that a
/// login takes as long for an unknown name as for a wrong password.
pub fn dummy_hash(app: &App) -> String {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY
        .get_or_init(|| hash_password(app, &crate::random_hex(16)).unwrap_or_default())
        .clone()
}

pub fn check_password_rules(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < 10 {
        return Err(ApiError::bad("passwords need at least 10 characters"));
    }
    if password.len() > 1024 {
        return Err(ApiError::bad("passwords are limited to 1024 bytes"));
    }
    Ok(())
}

pub fn check_username(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad(
            "user names are 1 to 64 letters, digits, `_`, `-`, `.` or `@`",
        ))
    }
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The `Set-Cookie` value for a new session.
pub fn session_cookie(app: &App, id: &str) -> String {
    format!(
        "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        app.config.session_ttl.as_secs(),
        if app.config.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    )
}

pub fn clear_cookie(app: &App) -> String {
    format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        if app.config.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    )
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// Authenticates every request (token, then session cookie) and enforces CSRF on
/// cookie-authenticated writes.
pub async fn middleware(State(app): State<App>, request: Request, next: Next) -> Response {
    match authenticate(&app, request).await {
        Ok(request) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

async fn authenticate(app: &App, request: Request) -> Result<Request, ApiError> {
    let headers = request.headers();
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or_default().to_string());
    let session_id = cookie(headers, SESSION_COOKIE).filter(|c| !c.is_empty());
    let sent_csrf = headers
        .get(CSRF_HEADER)
        .map(|v| v.to_str().unwrap_or_default().to_string());
    let form = is_form(headers);
    let writes = unsafe_method(request.method());
    let mut request = request;
    let auth = if let Some(value) = authorization {
        let token = value
            .strip_prefix("Bearer ")
            .map(str::trim)
            .ok_or(ApiError::Unauthorized)?;
        let user = app
            .store
            .user_by_token(&crate::sha256_hex(token.as_bytes()))
            .await?
            .ok_or(ApiError::Unauthorized)?;
        Some(Caller {
            user,
            session: None,
        })
    } else if let Some(id) = session_id {
        let hash = crate::sha256_hex(id.as_bytes());
        match app.store.session(&hash, app.now()).await? {
            // An expired or unknown session is no session.
            None => None,
            Some(s) => {
                if writes {
                    let sent = match sent_csrf {
                        Some(sent) => sent,
                        None if form => {
                            let (parts, body) = request.into_parts();
                            let bytes = axum::body::to_bytes(body, app.config.max_record)
                                .await
                                .map_err(|_| ApiError::TooLarge)?;
                            let field = form_field(&bytes, "csrf_token").unwrap_or_default();
                            request = Request::from_parts(parts, Body::from(bytes));
                            field
                        }
                        None => {
                            return Err(ApiError::Forbidden(
                                "missing CSRF token: send the `csrf_token` from the login as `X-CSRF-Token`"
                                    .to_string(),
                            ));
                        }
                    };
                    if !constant_time_eq(sent.as_bytes(), s.csrf.as_bytes()) {
                        return Err(ApiError::Forbidden("bad CSRF token".to_string()));
                    }
                }
                Some(Caller {
                    user: s.user,
                    session: Some(hash),
                })
            }
        }
    } else {
        None
    };
    request.extensions_mut().insert(Auth(auth));
    Ok(request)
}

fn unsafe_method(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A field of a URL-encoded form.
pub fn form_field(body: &[u8], name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded_pairs(body);
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn serde_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .filter_map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            Some((decode(k)?, decode(v)?))
        })
        .collect()
}

fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let h = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(h, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The program named by `slug` if the caller has at least `need` in it. Callers with
/// no role get `NotFound`, callers with too small a role `Forbidden`.
pub async fn program_access(
    app: &App,
    auth: &Auth,
    slug: &str,
    need: Role,
) -> Result<(Program, Role, Caller), ApiError> {
    let caller = auth.caller()?.clone();
    let (program, role) = app
        .store
        .program_with_role(slug, caller.user.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let role = match role.as_deref().and_then(Role::parse) {
        _ if caller.user.is_admin => Role::Owner,
        Some(r) => r,
        None => return Err(ApiError::NotFound),
    };
    if role < need {
        return Err(ApiError::Forbidden(format!(
            "this needs the {} role in program `{}`; you are {} {}",
            need.as_str(),
            program.slug,
            if role == Role::Owner { "an" } else { "a" },
            role.as_str()
        )));
    }
    Ok((program, role, caller))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_are_decoded() {
        let body = b"username=ann+lee&csrf_token=ab%2Fcd&x";
        assert_eq!(form_field(body, "username").as_deref(), Some("ann lee"));
        assert_eq!(form_field(body, "csrf_token").as_deref(), Some("ab/cd"));
        assert_eq!(form_field(body, "nope"), None);
    }
}
