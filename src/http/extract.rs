//! Extractors whose rejections speak the API's error shape.

use axum::{
    extract::{FromRequest, FromRequestParts, Request, rejection::JsonRejection},
    http::{StatusCode, request::Parts},
};
use serde::de::DeserializeOwned;

use crate::error::{Code, Error, Reason};

/// `Json<T>` whose rejection is `invalid_input` (or `payload_too_large`) with a useful message.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rej) => Err(json_rejection(rej)),
        }
    }
}

fn json_rejection(rej: JsonRejection) -> Error {
    if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return Error::rule(Code::PayloadTooLarge, "the request body is too large");
    }
    match rej {
        JsonRejection::MissingJsonContentType(_) => {
            Error::bad("send the body as JSON with Content-Type: application/json")
                .because(Reason::Malformed)
        }
        JsonRejection::JsonSyntaxError(e) => {
            Error::bad(format!("malformed JSON: {}", e.body_text())).because(Reason::Malformed)
        }
        JsonRejection::JsonDataError(e) => {
            // serde's message names the field ("missing field `title`", "unknown field `x`").
            let text = e.body_text();
            let field = text
                .split('`')
                .nth(1)
                .filter(|_| text.contains("field"))
                .map(str::to_owned);
            let message = text
                .trim_start_matches("Failed to deserialize the JSON body into the target type: ");
            let why = if text.contains("missing field") {
                Reason::Required
            } else {
                Reason::BadValue
            };
            match field {
                Some(field) => Error::invalid(field, message),
                None => Error::bad(message),
            }
            .because(why)
        }
        other => Error::bad(other.body_text()).because(Reason::Malformed),
    }
}

/// Query string extractor answering `invalid_input` on bad parameters.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(e) => Err(
                Error::bad(format!("bad query parameters: {}", e.body_text()))
                    .because(Reason::BadValue),
            ),
        }
    }
}

/// Path extractor answering `not_found` on malformed path parameters (a junk id names nothing).
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(_) => Err(Error::NotFound("resource")),
        }
    }
}

/// Checks an id's shape; junk ids are simply not found.
pub fn check_id(id: &str, what: &'static str) -> Result<(), Error> {
    if crate::model::valid_id(id) {
        Ok(())
    } else {
        Err(Error::NotFound(what))
    }
}

/// `#[serde(default, with = "double_option")]`: tells a missing field (`None`: keep) from an
/// explicit `null` (`Some(None)`: clear).
pub mod double_option {
    use serde::{Deserialize, Deserializer};

    /// Deserialises a present field, `null` included, as `Some(..)`.
    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}
