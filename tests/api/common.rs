//! Test harness: a real server on 127.0.0.1:0 with a fresh data directory, and a small client.

#![allow(dead_code)]

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub const ADMIN_PASSWORD: &str = "Admin-Pass-123";

/// A running server.
pub struct Server {
    pub base: String,
    pub dir: tempfile::TempDir,
    pub state: hanlin::AppState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

impl Server {
    pub async fn start() -> Server {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut hanlin::ServeConfig)) -> Server {
        let dir = tempfile::tempdir().unwrap();
        Self::start_in(dir, tweak).await
    }

    pub async fn start_in(
        dir: tempfile::TempDir,
        tweak: impl FnOnce(&mut hanlin::ServeConfig),
    ) -> Server {
        let mut cfg = hanlin::ServeConfig::for_data_dir(dir.path());
        cfg.admin_password = Some(ADMIN_PASSWORD.into());
        // The server runs inside this test binary: attachments' text is extracted by `hanlin`.
        cfg.extract_worker = Some(env!("CARGO_BIN_EXE_hanlin").into());
        tweak(&mut cfg);
        let state = hanlin::open(cfg).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let st = state.clone();
        let handle = tokio::spawn(async move {
            hanlin::serve(st, listener, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        Server {
            base,
            dir,
            state,
            shutdown: Some(tx),
            handle: Some(handle),
        }
    }

    /// Stops the server gracefully and hands back its data directory.
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            let _ = h.await;
        }
        let dir = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.dir, dir)
    }

    pub fn client(&self) -> Client {
        Client {
            base: self.base.clone(),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .build()
                .unwrap(),
            token: None,
        }
    }

    pub async fn admin(&self) -> Client {
        self.login("admin", ADMIN_PASSWORD).await
    }

    pub async fn login(&self, user: &str, password: &str) -> Client {
        let mut c = self.client();
        let (st, body) = c
            .send(
                Method::POST,
                "/api/v1/session",
                Some(json!({"username": user, "password": password})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "login {user}: {body}");
        c.token = Some(body["token"].as_str().unwrap().to_owned());
        c
    }

    /// Creates an account (as admin) and logs it in.
    pub async fn user(&self, admin: &Client, name: &str, extra: Value) -> (String, Client) {
        let mut body = json!({"username": name, "password": "Passw0rd-long", "display_name": name});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        let (st, u) = admin.post("/api/v1/users", body).await;
        assert_eq!(st, StatusCode::OK, "create user {name}: {u}");
        let id = u["id"].as_str().unwrap().to_owned();
        (id, self.login(name, "Passw0rd-long").await)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A client using a bearer token.
#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    pub token: Option<String>,
}

impl Client {
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut rb = self
            .http
            .request(method.clone(), format!("{}{}", self.base, path));
        if let Some(t) = &self.token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb.send().await.unwrap();
        let st = resp.status();
        let text = resp.text().await.unwrap();
        let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
        // Every answer must be as the generated API description says.
        crate::openapi::check_answer(&method, path, st, &v);
        (st, v)
    }
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::POST, path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::PUT, path, Some(body)).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::PATCH, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::DELETE, path, None).await
    }
    /// Sends a raw body with a content type.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let mut rb = self
            .http
            .request(method.clone(), format!("{}{}", self.base, path))
            .header("content-type", content_type)
            .body(body);
        if let Some(t) = &self.token {
            rb = rb.bearer_auth(t);
        }
        let resp = rb.send().await.unwrap();
        let st = resp.status();
        let text = resp.text().await.unwrap();
        let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
        crate::openapi::check_answer(&method, path, st, &v);
        (st, v)
    }

    pub async fn first_space(&self) -> String {
        let (_, spaces) = self.get("/api/v1/spaces").await;
        spaces[0]["id"].as_str().unwrap().to_owned()
    }

    pub async fn new_space(&self, name: &str) -> String {
        let (st, s) = self.post("/api/v1/spaces", json!({"name": name})).await;
        assert_eq!(st, StatusCode::OK, "{s}");
        s["id"].as_str().unwrap().to_owned()
    }

    pub async fn new_category(&self, space: &str, name: &str, parent: Option<&str>) -> String {
        let (st, c) = self
            .post(
                &format!("/api/v1/spaces/{space}/categories"),
                json!({"name": name, "parent_id": parent}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{c}");
        c["id"].as_str().unwrap().to_owned()
    }

    pub async fn new_doc(
        &self,
        space: &str,
        category: Option<&str>,
        title: &str,
        body: &str,
    ) -> Value {
        let (st, d) = self.post("/api/v1/documents", json!({"space_id": space, "category_id": category, "title": title, "body": body, "tags": []})).await;
        assert_eq!(st, StatusCode::OK, "{d}");
        d
    }

    /// Waits until a search finds (or no longer finds) a document id; returns the last response.
    pub async fn search_until(&self, q: &str, id: &str, present: bool) -> Value {
        let url = format!("/api/v1/search?q={}&limit=100", urlencode(q));
        for _ in 0..100 {
            let (st, r) = self.get(&url).await;
            assert_eq!(st, StatusCode::OK, "{r}");
            let found = r["hits"].as_array().unwrap().iter().any(|h| h["id"] == id);
            if found == present {
                return r;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!(
            "search for {q} never {} {id}",
            if present { "found" } else { "dropped" }
        );
    }
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Asserts an error response's status and code.
#[track_caller]
pub fn assert_error(resp: &(StatusCode, Value), status: u16, code: &str) {
    assert_eq!(
        resp.0.as_u16(),
        status,
        "expected {status} {code}, got {}",
        resp.1
    );
    assert_eq!(resp.1["error"]["code"], code, "body: {}", resp.1);
    assert!(
        resp.1["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "message missing: {}",
        resp.1
    );
}

/// The body of a 200 answer (fails the test otherwise).
#[track_caller]
pub fn ok(resp: (StatusCode, Value)) -> Value {
    assert_eq!(resp.0, StatusCode::OK, "{}", resp.1);
    resp.1
}

/// A JSON string, owned (fails the test when it is not one).
#[track_caller]
pub fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}
