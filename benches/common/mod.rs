//! Shared by the benches: a server on 127.0.0.1:0 over a data directory, logged in as admin.

// Each bench target compiles this module and uses a different part of it.
#![allow(dead_code)]

use std::path::Path;

use serde_json::json;

/// The admin password the benches use.
pub const PASSWORD: &str = "Bench-Pass-123";

/// A running server and an admin bearer token.
pub struct Running {
    pub state: hanlin::AppState,
    pub addr: std::net::SocketAddr,
    pub base: String,
    pub http: reqwest::Client,
    pub token: String,
    /// Time to open the data directory (store, index, outbox replay): the server's start-up.
    pub opened_in: std::time::Duration,
}

impl Running {
    /// The id of the first space the admin sees (the welcome space on a fresh data directory).
    pub async fn first_space(&self) -> String {
        let spaces: serde_json::Value = self
            .http
            .get(format!("{}/api/v1/spaces", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        spaces[0]["id"].as_str().expect("a space").to_owned()
    }
}

/// Opens `dir` (first start creates `admin` with [`PASSWORD`]), serves it and logs in.
pub async fn serve(dir: &Path) -> Running {
    let mut cfg = hanlin::ServeConfig::for_data_dir(dir);
    cfg.admin_password = Some(PASSWORD.into());
    let started = std::time::Instant::now();
    let state = hanlin::open(cfg).unwrap();
    let opened_in = started.elapsed();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let st = state.clone();
    tokio::spawn(async move {
        hanlin::serve(st, listener, std::future::pending())
            .await
            .unwrap()
    });
    let base = format!("http://{addr}");
    let http = reqwest::Client::new();
    let token = login(&http, &base, "admin").await;
    Running {
        state,
        addr,
        base,
        http,
        token,
        opened_in,
    }
}

/// Logs `user` in with [`PASSWORD`] and returns the token.
pub async fn login(http: &reqwest::Client, base: &str, user: &str) -> String {
    let body: serde_json::Value = http
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"username": user, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["token"]
        .as_str()
        .expect("login answers a token")
        .to_owned()
}
