//! Subscriptions: live posts, replies and notifications, checked when subscribing and again for
//! every event, so someone who left, was banned or blocked stops receiving at once. A client that
//! reconnects catches up with the ordinary paginated queries.
//!
//! A subscription runs through the schema twice, so its checks and its selection are the
//! ordinary GraphQL ones, but no socket keeps a GraphQL execution open:
//! - subscribing: the resolver checks the caller and names the [`Feed`](crate::graphql::delivery::Feed) it follows;
//! - delivering: for each event the caller may see ([`live`]), the resolver hands out the item in
//!   [`Delivery`](crate::graphql::delivery::Delivery) and the schema renders the selection ([`render`]). Who may see an event is worked
//!   out once per instance ([`audience`](crate::community::audience)), and a rendering that did not read who is asking is
//!   shared by every socket with the same selection.
mod live;
mod render;

pub use crate::graphql::delivery::Caller;
pub use live::start;
