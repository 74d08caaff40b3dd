//! A small HTTP/1.1 client over hyper for `http://` URLs: webhook deliveries and the
//! `tiller push`/`pull` commands. TLS is left to a proxy in front of the server (and,
//! for webhooks, to a relay on the receiving side); see `docs/server.md`.

use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

/// A response: status, headers (lower-case names) and body.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Result<serde_json::Value, String> {
        serde_json::from_slice(&self.body).map_err(|e| format!("the server sent bad JSON: {e}"))
    }
}

/// `http://host[:port]` and the path, split.
fn split_url(url: &str) -> Result<(String, String, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("`{url}`: only http:// URLs are supported (put TLS in a proxy)"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() {
        return Err(format!("`{url}` has no host"));
    }
    let addr = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        && !authority.ends_with(']')
    {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    Ok((addr, authority.to_string(), path.to_string()))
}

/// Sends one request and reads the whole response, within `timeout`.
pub async fn send(
    method: &str,
    url: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
    timeout: Duration,
) -> Result<Response, String> {
    tokio::time::timeout(timeout, send_inner(method, url, headers, body))
        .await
        .map_err(|_| format!("no response within {} s", timeout.as_secs_f64()))?
}

async fn send_inner(
    method: &str,
    url: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> Result<Response, String> {
    let (addr, host, path) = split_url(url)?;
    let stream = tokio::net::TcpStream::connect(&addr)
        .await
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    let _ = stream.set_nodelay(true);
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP handshake with {addr}: {e}"))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut req = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", host)
        .header("user-agent", concat!("tiller/", env!("CARGO_PKG_VERSION")));
    for (k, v) in headers {
        req = req.header(*k, v.as_str());
    }
    let req = req
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| format!("bad request: {e}"))?;
    let res = sender
        .send_request(req)
        .await
        .map_err(|e| format!("request to {addr} failed: {e}"))?;
    let status = res.status().as_u16();
    let headers = res
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                v.to_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let body = res
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("reading the response from {addr}: {e}"))?
        .to_bytes()
        .to_vec();
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// A blocking client for one server, for the command line.
pub struct Client {
    base: String,
    token: Option<String>,
    runtime: tokio::runtime::Runtime,
    pub timeout: Duration,
}

impl Client {
    pub fn new(base: &str, token: Option<String>) -> Result<Client, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?;
        Ok(Client {
            base: base.trim_end_matches('/').to_string(),
            token,
            runtime,
            timeout: Duration::from_secs(300),
        })
    }

    pub fn set_token(&mut self, token: String) {
        self.token = Some(token);
    }

    /// Sends a request to `base + path` with a JSON body (if any).
    pub fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Response, String> {
        let mut headers: Vec<(&str, String)> = vec![("accept", "application/json".to_string())];
        if let Some(t) = &self.token {
            headers.push(("authorization", format!("Bearer {t}")));
        }
        let bytes = match body {
            Some(b) => {
                headers.push(("content-type", "application/json".to_string()));
                b.to_string().into_bytes()
            }
            None => Vec::new(),
        };
        let url = format!("{}{path}", self.base);
        self.runtime
            .block_on(send(method, &url, &headers, bytes, self.timeout))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_address_and_path() {
        assert_eq!(
            split_url("http://127.0.0.1:8080/api/v1").expect("ok"),
            (
                "127.0.0.1:8080".to_string(),
                "127.0.0.1:8080".to_string(),
                "/api/v1".to_string()
            )
        );
        assert_eq!(
            split_url("http://example.com").expect("ok").0,
            "example.com:80"
        );
        assert!(split_url("https://example.com").is_err());
    }
}
