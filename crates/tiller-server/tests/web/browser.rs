//! A headless Chromium driven over WebDriver (`/usr/bin/chromedriver`, Debian's
//! `chromium-driver`), and a real server on loopback to point it at. Shared by the
//! browser tests and the Gantt benchmark (`benches/gantt.rs`).
//!
//! Without a browser or driver the tests are skipped, unless TILLER_BROWSER_TESTS is
//! set (as `scripts/test` does), where that is a failure.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};

const CHROMIUM: [&str; 2] = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];
const DRIVER: [&str; 1] = ["/usr/bin/chromedriver"];

fn first(paths: &[&str]) -> Option<PathBuf> {
    paths.iter().map(PathBuf::from).find(|p| p.exists())
}

/// Whether a missing browser is a failure rather than a skip.
pub fn required() -> bool {
    std::env::var_os("TILLER_BROWSER_TESTS").is_some_and(|v| !v.is_empty() && v != "0")
}

/// A free loopback port (bound and released: the driver binds it right after).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: PathBuf,
}

impl Browser {
    /// A browser at `width`×`height`, or `None` (skip) when Chromium or its driver is
    /// missing and the tests do not require them.
    pub async fn start(width: u32, height: u32) -> Option<Browser> {
        let (Some(chromium), Some(driver)) = (first(&CHROMIUM), first(&DRIVER)) else {
            assert!(
                !required(),
                "TILLER_BROWSER_TESTS is set but Chromium or chromedriver is missing \
                 (apt-get install chromium chromium-driver)"
            );
            eprintln!(
                "skipped: no Chromium or chromedriver (apt-get install chromium chromium-driver)"
            );
            return None;
        };
        let port = free_port();
        let driver = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = std::env::temp_dir().join(format!(
            "tiller-web-chromium-{}-{}",
            std::process::id(),
            tiller_server::random_hex(4)
        ));
        std::fs::create_dir_all(&profile).expect("profile dir");
        let caps = json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.display()),
                ],
            }
        });
        let Value::Object(caps) = caps else {
            unreachable!("a JSON object")
        };
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let mut browser = None;
        let mut last = String::new();
        while started.elapsed() < Duration::from_secs(20) {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => {
                    browser = Some(c);
                    break;
                }
                Err(e) => {
                    last = e.to_string();
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
        let client = browser.unwrap_or_else(|| panic!("chromedriver session: {last}"));
        Some(Browser {
            client,
            driver,
            profile,
        })
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }

    /// Saves a screenshot as `artifacts/web/NAME.png` (the workspace's artifacts folder).
    pub async fn shot(&self, name: &str) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../artifacts/web");
        std::fs::create_dir_all(&dir).expect("artifacts dir");
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }

    /// Waits until `script` (an expression) is truthy; its value.
    pub async fn wait_for(&self, script: &str, timeout: Duration) -> Value {
        let started = Instant::now();
        loop {
            let v = self
                .client
                .execute(&format!("return ({script});"), vec![])
                .await
                .unwrap_or(Value::Null);
            let truthy =
                !matches!(v, Value::Null | Value::Bool(false)) && v != json!(0) && v != json!("");
            if truthy {
                return v;
            }
            assert!(
                started.elapsed() < timeout,
                "timed out waiting for {script}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // A failing test must not leave the driver (and its browser) running.
        let _ = self.driver.kill();
    }
}

/// Serves `app` on a loopback port; the base URL (by the name `localhost`, which
/// browsers treat as a secure origin, so `Secure` session cookies work over HTTP).
pub async fn serve(app: tiller_server::App) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = tiller_server::serve(app, listener, async move {
            let _ = stopped.await;
        })
        .await;
    });
    (format!("http://localhost:{port}"), stop)
}
