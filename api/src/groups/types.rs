//! The vocabularies of groups, stored as upper-case strings.
use async_graphql::Enum;

macro_rules! stored_enum {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        #[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }
        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            /// Reads a stored value; unknown text falls back to the first variant.
            pub fn from_stored(value: &str) -> Self {
                match value {
                    $($text => $name::$variant,)+
                    _ => stored_enum!(@first $($name::$variant),+),
                }
            }
        }
    };
    (@first $first:expr $(, $rest:expr)*) => { $first };
}

stored_enum!(Visibility { Public => "PUBLIC", Private => "PRIVATE", Hidden => "HIDDEN" });
stored_enum!(LedBy { Peer => "PEER", Professional => "PROFESSIONAL" });
stored_enum!(Role { Member => "MEMBER", Moderator => "MODERATOR", Owner => "OWNER" });
stored_enum!(MemberState { Active => "ACTIVE", Pending => "PENDING", Invited => "INVITED" });
stored_enum!(NotificationLevel { Replies => "REPLIES", All => "ALL", Muted => "MUTED" });
stored_enum!(Topic {
    Other => "OTHER",
    Depression => "DEPRESSION",
    Anxiety => "ANXIETY",
    Bipolar => "BIPOLAR",
    Grief => "GRIEF",
    Caregivers => "CAREGIVERS",
    Addiction => "ADDICTION",
    Trauma => "TRAUMA",
    EatingDisorders => "EATING_DISORDERS",
    ChronicIllness => "CHRONIC_ILLNESS",
    Parenting => "PARENTING",
    Loneliness => "LONELINESS",
});
