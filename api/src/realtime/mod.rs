//! Subscriptions: live posts, replies and notifications, checked when subscribing and again for
//! every event, so someone who left, was banned or blocked stops receiving at once. A client that
//! reconnects catches up with the ordinary paginated queries.
//!
//! A subscription runs through the schema twice, so its checks and its selection are the
//! ordinary GraphQL ones, but no socket keeps a GraphQL execution open:
//! - subscribing: the resolver checks the caller and names the [`Feed`](delivery::Feed) it follows;
//! - delivering: for each event the caller may see ([`live`]), the resolver hands out the item in
//!   [`Delivery`](delivery::Delivery) and the schema renders the selection ([`render`]). Who may see an event is worked
//!   out once per instance ([`audience`]), and a rendering that did not read who is asking is
//!   shared by every socket with the same selection.
mod audience;
mod delivery;
mod graphql;
mod live;
mod render;

pub use delivery::Caller;
pub use graphql::LiveSubscription;
pub use live::start;
