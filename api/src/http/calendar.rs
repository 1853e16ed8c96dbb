//! `GET /calendar/{secret}.ics`: a person's private calendar feed (`meetings::calendar`). An
//! unknown or revoked secret is 404, the same as a path that never existed.
use super::HttpState;
use crate::error::AppError;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

pub async fn feed(State(state): State<HttpState>, Path(file): Path<String>) -> Response {
    let Some(secret) = file.strip_suffix(".ics") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let app = &state.app;
    let credentials = app.credentials();
    let key = crate::accounts::code_key(&credentials);
    match crate::meetings::calendar::feed(&app.db, key, secret).await {
        Ok(calendar) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/calendar; charset=utf-8"),
                ),
                // Calendar apps poll; the feed is one person's and never for a shared cache.
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("private, max-age=300"),
                ),
                (
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("no-referrer"),
                ),
            ],
            calendar,
        )
            .into_response(),
        Err(AppError::NotFound) => StatusCode::NOT_FOUND.into_response(),
        Err(err) => {
            err.log_internal();
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
