//! Entity ids as types. Each id is stored as the same text as before (a UUID v7), but a
//! `UserId` cannot be passed where a `GroupId` is expected. To the apps every one of them is
//! the GraphQL `ID` scalar, so the schema does not change.
use async_graphql::{
    registry::Registry, ContextSelectionSet, InputType, InputValueError, InputValueResult,
    OutputType, Positioned, ServerResult, Value, ID,
};
use std::borrow::Cow;

/// One id type: a newtype over the stored text.
macro_rules! entity_id {
    ($($(#[$meta:meta])* $name:ident;)+) => {$(
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[derive(sea_orm::DeriveValueType, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A new id for a row about to be written: UUID v7, so ids sort by creation time.
            pub fn generate() -> Self {
                Self(uuid::Uuid::now_v7().to_string())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> Self {
                Self(text)
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                Self(text.to_owned())
            }
        }

        impl From<ID> for $name {
            fn from(id: ID) -> Self {
                Self(id.0)
            }
        }

        impl From<&$name> for sea_orm::Value {
            fn from(id: &$name) -> Self {
                id.0.as_str().into()
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        // Ids are text, never numbers: a row id from an insert is not one of them.
        impl sea_orm::TryFromU64 for $name {
            fn try_from_u64(_: u64) -> Result<Self, sea_orm::DbErr> {
                Err(sea_orm::DbErr::ConvertFromU64(stringify!($name)))
            }
        }

        impl InputType for $name {
            type RawValueType = String;

            fn type_name() -> Cow<'static, str> {
                <ID as InputType>::type_name()
            }

            fn create_type_info(registry: &mut Registry) -> String {
                <ID as InputType>::create_type_info(registry)
            }

            fn parse(value: Option<Value>) -> InputValueResult<Self> {
                <ID as InputType>::parse(value)
                    .map(Self::from)
                    .map_err(InputValueError::propagate)
            }

            fn to_value(&self) -> Value {
                Value::String(self.0.clone())
            }

            fn as_raw_value(&self) -> Option<&Self::RawValueType> {
                Some(&self.0)
            }
        }

        impl OutputType for $name {
            fn type_name() -> Cow<'static, str> {
                <ID as OutputType>::type_name()
            }

            fn create_type_info(registry: &mut Registry) -> String {
                <ID as OutputType>::create_type_info(registry)
            }

            async fn resolve(
                &self,
                _: &ContextSelectionSet<'_>,
                _: &Positioned<async_graphql::parser::types::Field>,
            ) -> ServerResult<Value> {
                Ok(Value::String(self.0.clone()))
            }
        }
    )+};
}

entity_id! {
    /// A person's account.
    UserId;
    /// A support group.
    GroupId;
    PostId;
    ReplyId;
    /// A signed-in device's session (the refresh token's family).
    SessionId;
    /// A phone registered for pushes.
    DeviceId;
    ReportId;
    NotificationId;
    PushJobId;
    /// A mood check-in.
    CheckinId;
    MoodShareId;
    ShareAccessId;
    ModLogId;
    /// A question asked of experts and the community.
    QuestionId;
    AnswerId;
    QuestionReportId;
    /// A mail waiting in the outbox.
    MailJobId;
    /// A data export, asked for and then built.
    ExportJobId;
    /// A group's meeting series: when it meets and how often.
    MeetingSeriesId;
    /// One meeting of a series (an occurrence).
    MeetingId;
}
