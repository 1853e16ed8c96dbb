//! The account pages outside GraphQL. `/account/delete`: the web page an app store links to
//! for deleting an account without the app. Email, then the mailed code and a choice about what
//! was written, then done. It works without JavaScript; the code is what proves the address, so
//! a forged form can do nothing. `/account/export`: the download of a built data export.
use super::{client_ip, HttpState};
use crate::accounts::deletion;
use crate::auth::RequestMeta;
use crate::error::AppError;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use serde::Deserialize;
use std::net::SocketAddr;

#[derive(Deserialize)]
pub struct AddressForm {
    email: String,
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    email: String,
    code: String,
    /// `remove` or `keep`.
    content: String,
}

#[derive(Deserialize)]
pub struct ExportQuery {
    token: String,
}

/// `GET /account/export?token=…`: a built export's document. A bad or expired link, or one whose
/// session was signed out, is 404.
pub async fn export(
    State(state): State<HttpState>,
    axum::extract::Query(query): axum::extract::Query<ExportQuery>,
) -> Response {
    let app = &state.app;
    let credentials = app.credentials();
    let key = crate::accounts::code_key(&credentials);
    match crate::accounts::export_jobs::open(&app.db, &app.vault, key, &query.token).await {
        Ok(document) => {
            let mut response = (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                document,
            )
                .into_response();
            response.headers_mut().insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"hearth-export.json\""),
            );
            response
        }
        Err(AppError::NotFound) => StatusCode::NOT_FOUND.into_response(),
        Err(err) => {
            err.log_internal();
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

pub async fn start() -> Response {
    page(StatusCode::OK, ADDRESS_FORM.to_owned())
}

pub async fn send_code(
    State(state): State<HttpState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<AddressForm>,
) -> Response {
    let meta = RequestMeta {
        client_ip: client_ip(&state, peer, &headers),
    };
    let app = &state.app;
    let sent = async {
        deletion::request_deletion_code(&app.credentials(), &meta, &form.email)
            .await?
            .publish(&app.broker)
            .await;
        Ok::<_, AppError>(())
    }
    .await;
    match sent {
        Ok(()) => page(StatusCode::OK, code_form(&form.email, None)),
        Err(err) => failed(&err, ADDRESS_FORM),
    }
}

pub async fn confirm(State(state): State<HttpState>, Form(form): Form<ConfirmForm>) -> Response {
    let remove_content = form.content == "remove";
    let credentials = state.app.credentials();
    let deleted = async {
        let user = deletion::redeem_deletion_code(&credentials, &form.email, &form.code).await?;
        // A write outside GraphQL: group pages kept anywhere may show the person. Checked
        // only once the code held, so that wrong codes, however many, cost no instance a check.
        let erased = deletion::erase(&credentials, user, remove_content).await;
        state.app.after_writes.written().await;
        erased
    }
    .await;
    match deleted {
        Ok(()) => page(
            StatusCode::OK,
            "<h1>Your account is deleted</h1><p>Everything about you is gone from Hearth. \
             You have been signed out on every device.</p>"
                .to_owned(),
        ),
        Err(err) => {
            let again = code_form(&form.email, Some(err.message()));
            failed(&err, &again)
        }
    }
}

fn failed(err: &AppError, form: &str) -> Response {
    err.log_internal();
    let status = match err {
        AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Internal(_) | AppError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    let message = escape(err.message());
    page(status, format!("<p class=\"error\">{message}</p>{form}"))
}

const ADDRESS_FORM: &str = "<h1>Delete your Hearth account</h1>\
<p>Enter the address you signed up with. We will mail you a code to confirm it is you.</p>\
<form method=\"post\" action=\"/account/delete\">\
<label>Email <input type=\"email\" name=\"email\" required autocomplete=\"email\"></label>\
<button type=\"submit\">Send me a code</button></form>";

fn code_form(email: &str, problem: Option<&str>) -> String {
    let email = escape(email);
    let intro = match problem {
        Some(_) => String::new(),
        None => format!(
            "<p>If {email} has a Hearth account, a six-digit code is on its way. It works for \
             15 minutes.</p>"
        ),
    };
    format!(
        "<h1>Confirm the deletion</h1>{intro}\
<form method=\"post\" action=\"/account/delete/confirm\">\
<input type=\"hidden\" name=\"email\" value=\"{email}\">\
<label>Code <input name=\"code\" inputmode=\"numeric\" pattern=\"[0-9]{{6}}\" maxlength=\"6\" required autocomplete=\"one-time-code\"></label>\
<fieldset><legend>What you wrote in groups and questions</legend>\
<label><input type=\"radio\" name=\"content\" value=\"remove\" checked> Remove it</label>\
<label><input type=\"radio\" name=\"content\" value=\"keep\"> Keep it, shown as by \"Deleted member\"</label>\
</fieldset>\
<p>This cannot be undone: your profile, check-ins, shares and messages are deleted at once.</p>\
<button type=\"submit\">Delete my account</button></form>"
    )
}

fn page(status: StatusCode, body: String) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Delete your Hearth account</title><style>\
body{{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;line-height:1.5}}\
label{{display:block;margin:.75rem 0}}input[type=email],input[name=code]{{font-size:1.1rem;padding:.4rem;width:100%;box-sizing:border-box}}\
fieldset{{border:1px solid #ccc;margin:1rem 0}}button{{font-size:1rem;padding:.5rem 1rem}}.error{{color:#a00}}\
</style></head><body>{body}</body></html>"
    );
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
