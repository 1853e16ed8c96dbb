//! Hostile requests, as issue 10 lists them: each answered with a clear code, none taking the
//! server down. Run on both backends like the rest of the suite.
mod documents;
mod hardening;
mod impersonation;
mod inputs;
mod outages;
mod revocation;
