//! The one error type of the services, mapped once to GraphQL `extensions.code`.
use async_graphql::ErrorExtensions as _;
use std::time::Duration;

/// Deliberately not `Display`: async-graphql converts any `Display` type into an error without
/// a code, so the only way out of a resolver is the `From` below, which sets `extensions.code`.
#[derive(Debug)]
pub enum AppError {
    Unauthenticated,
    InvalidCredentials,
    SessionExpired,
    Forbidden,
    NotFound,
    BadInput {
        field: &'static str,
        message: String,
    },
    Conflict {
        field: &'static str,
        message: String,
    },
    RateLimited {
        retry_after: Duration,
    },
    /// A mailed code that does not open what it was sent for: wrong, or expired. Either is
    /// `BAD_USER_INPUT` on the field `code`, with a `reason` the app can act on.
    CodeRejected {
        expired: bool,
    },
    /// Something this needs is out of reach for a moment (the database's connections are all
    /// taken or it cannot be reached); nothing was written. Try again after `retry_after`.
    Unavailable {
        retry_after: Duration,
    },
    /// A sealed value whose key is gone: its owner's account was erased.
    Unreadable,
    Internal(anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

/// Reading what the caller may not see as absent: for the fields that answer null where the
/// typed query says `NOT_FOUND` (`node`, a reply's post, a live event asked again).
pub trait Optional<T> {
    /// `NOT_FOUND` as `None`; every other error stays an error.
    fn optional(self) -> AppResult<Option<T>>;
}

impl<T> Optional<T> for AppResult<T> {
    fn optional(self) -> AppResult<Option<T>> {
        match self {
            Ok(found) => Ok(Some(found)),
            Err(AppError::NotFound) => Ok(None),
            Err(other) => Err(other),
        }
    }
}

impl AppError {
    pub fn bad_input(field: &'static str, message: impl Into<String>) -> Self {
        AppError::BadInput {
            field,
            message: message.into(),
        }
    }

    pub fn conflict(field: &'static str, message: impl Into<String>) -> Self {
        AppError::Conflict {
            field,
            message: message.into(),
        }
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(cause.into())
    }

    /// What the client is told.
    pub fn message(&self) -> &str {
        match self {
            AppError::Unauthenticated => "sign in required",
            AppError::InvalidCredentials => "email or password is incorrect",
            AppError::SessionExpired => "session expired, sign in again",
            AppError::Forbidden => "not allowed",
            AppError::NotFound => "not found",
            AppError::BadInput { message, .. } | AppError::Conflict { message, .. } => message,
            AppError::RateLimited { .. } => "too many attempts, try again later",
            AppError::CodeRejected { expired: false } => "this code is not right",
            AppError::CodeRejected { expired: true } => "this code has expired; ask for a new one",
            AppError::Unavailable { .. } => "temporarily unavailable, try again shortly",
            AppError::Unreadable => {
                "this was sealed under a data key that no longer exists: the account it belonged \
                 to was erased"
            }
            AppError::Internal(_) => "internal error",
        }
    }

    /// Logs the cause of an internal error; clients never see it.
    pub fn log_internal(&self) {
        if let AppError::Internal(cause) = self {
            tracing::error!(error = %format!("{cause:#}"), "internal error");
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated | AppError::InvalidCredentials | AppError::SessionExpired => {
                "UNAUTHENTICATED"
            }
            AppError::Forbidden => "FORBIDDEN",
            AppError::NotFound => "NOT_FOUND",
            AppError::BadInput { .. } | AppError::CodeRejected { .. } => "BAD_USER_INPUT",
            AppError::Conflict { .. } => "CONFLICT",
            AppError::RateLimited { .. } => "RATE_LIMITED",
            AppError::Unavailable { .. } => "UNAVAILABLE",
            AppError::Unreadable => "UNREADABLE",
            AppError::Internal(_) => "INTERNAL",
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        match err {
            // The pool had no connection to give in time, or the server cannot be reached.
            sea_orm::DbErr::ConnectionAcquire(_) | sea_orm::DbErr::Conn(_) => {
                tracing::warn!(error = %err, "the database is out of reach; answered UNAVAILABLE");
                AppError::Unavailable {
                    retry_after: Duration::from_secs(2),
                }
            }
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.log_internal();
        async_graphql::Error::new(err.message()).extend_with(|_, ext| {
            ext.set("code", err.code());
            match &err {
                AppError::BadInput { field, .. } | AppError::Conflict { field, .. } => {
                    ext.set("field", *field)
                }
                AppError::CodeRejected { expired } => {
                    ext.set("field", "code");
                    ext.set(
                        "reason",
                        if *expired {
                            "EXPIRED_CODE"
                        } else {
                            "WRONG_CODE"
                        },
                    );
                }
                AppError::RateLimited { retry_after } | AppError::Unavailable { retry_after } => {
                    ext.set("retryAfter", retry_after.as_secs().max(1))
                }
                _ => {}
            }
        })
    }
}

/// Trimmed text of `min` to `max` characters, or `BAD_USER_INPUT` naming the field.
pub fn text_between(field: &'static str, raw: &str, min: usize, max: usize) -> AppResult<String> {
    let text = raw.trim().to_owned();
    let len = text.chars().count();
    if len < min || len > max {
        return Err(AppError::bad_input(
            field,
            format!("must be {min} to {max} characters"),
        ));
    }
    Ok(text)
}
