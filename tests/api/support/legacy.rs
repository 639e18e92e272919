//! The request helpers the tests used before [`super::request`]; each file
//! moves onto the builder in turn, and this file goes with the last.

use rocket::http::{ContentType, Header, Method, Status};
use rocket::local::asynchronous::LocalResponse;
use rocket::serde::json::{json, Value};

use super::TestApp;

impl TestApp {
    pub async fn get(&self, path: &str) -> LocalResponse<'_> {
        self.client.get(path.to_string()).dispatch().await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> LocalResponse<'_> {
        self.client
            .post(path.to_string())
            .header(ContentType::JSON)
            .body(body.to_string())
            .dispatch()
            .await
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> LocalResponse<'_> {
        let mut req = self.client.req(method, path.to_string());
        if let Some(t) = token {
            req = req.header(Header::new("Authorization", format!("Bearer {t}")));
        }
        if let Some(b) = body {
            req = req.header(ContentType::JSON).body(b.to_string());
        }
        req.dispatch().await
    }

    /// Like `send` but with an `x-api-key`.
    pub async fn send_key(
        &self,
        method: Method,
        path: &str,
        key: &str,
        body: Option<&Value>,
    ) -> LocalResponse<'_> {
        let mut req = self
            .client
            .req(method, path.to_string())
            .header(Header::new("x-api-key", key.to_string()));
        if let Some(b) = body {
            req = req.header(ContentType::JSON).body(b.to_string());
        }
        req.dispatch().await
    }

    /// `send`, read as (status, JSON body).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (Status, Value) {
        json_of(self.send(method, path, token, body).await).await
    }

    /// `send_key`, read as (status, JSON body).
    pub async fn call_key(
        &self,
        method: Method,
        path: &str,
        key: &str,
        body: Option<&Value>,
    ) -> (Status, Value) {
        json_of(self.send_key(method, path, key, body).await).await
    }

    /// `post_json`, read as (status, JSON body).
    pub async fn post_for(&self, path: &str, body: &Value) -> (Status, Value) {
        json_of(self.post_json(path, body).await).await
    }

    /// GET `path` with an optional token; returns (status, body).
    pub async fn get_as(&self, path: &str, token: Option<&str>) -> (Status, Value) {
        json_of(self.send(Method::Get, path, token, None).await).await
    }

    /// POSTs a GraphQL request (with an optional bearer token).
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> (Status, Value) {
        let body = json!({"query": query, "variables": variables});
        json_of(
            self.send(Method::Post, "/graphql", token, Some(&body))
                .await,
        )
        .await
    }
}

/// Reads a response as (status, JSON body).
pub async fn json_of(res: LocalResponse<'_>) -> (Status, Value) {
    let status = res.status();
    let text = res.into_string().await.unwrap_or_default();
    let value = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, value)
}

pub fn header(name: &'static str, value: impl Into<String>) -> Header<'static> {
    Header::new(name, value.into())
}
