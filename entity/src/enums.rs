//! The values kept as text in the tables, as types. Each reads and writes the same upper-case
//! text as before, and reading a text that is not one of its values is an error, never a guess.
//! Those the apps see are also the GraphQL enums of the same name.
use sea_orm::entity::prelude::*;

/// One stored enum: its variants and the text each is kept as.
macro_rules! stored_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:tt),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[derive(EnumIter, DeriveActiveEnum, async_graphql::Enum)]
        #[sea_orm(rs_type = "String", db_type = "Text")]
        pub enum $name {
            $(#[sea_orm(string_value = $text)] $variant),+
        }

        impl $name {
            /// The text it is stored as.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }
    };
}

stored_enum!(
    /// Who can find a group and read it: anyone signed in (`PUBLIC`); anyone may find it but
    /// only members read it (`PRIVATE`); only members and the invited know it exists (`HIDDEN`).
    Visibility { Public => "PUBLIC", Private => "PRIVATE", Hidden => "HIDDEN" }
);
stored_enum!(
    /// Who leads a group: its members themselves, or professionals.
    LedBy { Peer => "PEER", Professional => "PROFESSIONAL" }
);
stored_enum!(
    /// Someone's role in a group. One owner at a time; moderators and the owner moderate.
    Role { Member => "MEMBER", Moderator => "MODERATOR", Owner => "OWNER" }
);
stored_enum!(
    /// Where someone stands with a group: in it, asking to join, or invited.
    MemberState { Active => "ACTIVE", Pending => "PENDING", Invited => "INVITED" }
);
stored_enum!(
    /// How much a group notifies a member of its posts: replies and reactions to theirs and
    /// replies in threads they replied in (`REPLIES`), also every new post (`ALL`), or none
    /// of these (`MUTED`).
    NotificationLevel { Replies => "REPLIES", All => "ALL", Muted => "MUTED" }
);
stored_enum!(
    /// What a group or a question is about.
    Topic {
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
    }
);

stored_enum!(
    /// A reaction to a post or reply.
    ReactionKind { Support => "SUPPORT", Relate => "RELATE", Thanks => "THANKS" }
);
stored_enum!(
    /// What a reaction or report points at. Reactions are on posts and replies; reports are on
    /// all four.
    ContentType { Post => "POST", Reply => "REPLY", Question => "QUESTION", Answer => "ANSWER" }
);
stored_enum!(
    /// Where a report stands: waiting for those who handle it, or closed either way.
    ReportStatus { Open => "OPEN", Resolved => "RESOLVED", Dismissed => "DISMISSED" }
);

stored_enum!(
    /// What a notification is about.
    NotificationKind {
        Reply => "REPLY",
        ThreadReply => "THREAD_REPLY",
        Reaction => "REACTION",
        NewPost => "NEW_POST",
        JoinRequest => "JOIN_REQUEST",
        JoinApproved => "JOIN_APPROVED",
        Moderation => "MODERATION",
        // Words in a post or reply of my group read like a crisis (to its moderators).
        CrisisFlag => "CRISIS_FLAG",
        // The daily check-in prompt the person set up (pushed only, never in the inbox).
        MoodReminder => "MOOD_REMINDER",
        // A new answer to a question I follow.
        Answer => "ANSWER",
        // An expert answered my question.
        ExpertAnswer => "EXPERT_ANSWER",
        // The asker accepted my answer.
        AnswerAccepted => "ANSWER_ACCEPTED",
        // My question has had answers for a week and none accepted (once per question).
        QuestionReminder => "QUESTION_REMINDER",
        // A meeting I said I am coming to (or might) starts soon.
        MeetingReminder => "MEETING_REMINDER",
        // A meeting I was coming to was cancelled.
        MeetingCancelled => "MEETING_CANCELLED",
        // A meeting I was coming to was moved to another time.
        MeetingMoved => "MEETING_MOVED",
        // A place was freed and I moved from the waitlist to going.
        MeetingPlace => "MEETING_PLACE",
    }
);

stored_enum!(
    /// How often a meeting series meets (RFC 5545: once; `FREQ=WEEKLY`; `FREQ=WEEKLY;INTERVAL=2`;
    /// `FREQ=MONTHLY;BYDAY=` the n-th weekday of the first date).
    MeetingFrequency { Once => "ONCE", Weekly => "WEEKLY", Biweekly => "BIWEEKLY", Monthly => "MONTHLY" }
);
stored_enum!(
    /// Whether a meeting takes place.
    MeetingStatus { Scheduled => "SCHEDULED", Cancelled => "CANCELLED" }
);
stored_enum!(
    /// Where a person stands for one meeting. `WAITLISTED` is never answered: it is what
    /// `GOING` becomes when the meeting is full.
    RsvpStatus { Going => "GOING", Maybe => "MAYBE", NotGoing => "NOT_GOING", Waitlisted => "WAITLISTED" }
);
stored_enum!(
    /// An answer a member gives for one meeting.
    RsvpAnswer { Going => "GOING", Maybe => "MAYBE", NotGoing => "NOT_GOING" }
);
stored_enum!(
    /// When a meeting's reminder goes: an hour before it starts, or the evening before (18:00
    /// on the day before, in the person's own time zone).
    MeetingReminderLead { HourBefore => "HOUR_BEFORE", DayBefore => "DAY_BEFORE" }
);

stored_enum!(
    /// The kind of app install a push device is.
    Platform { Android => "ANDROID", Ios => "IOS", Web => "WEB" }
);

/// What a mailed one-time code is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum EmailCodePurpose {
    /// Finishes a registration: the account is made when the code comes back.
    #[sea_orm(string_value = "VERIFY_EMAIL")]
    VerifyEmail,
    #[sea_orm(string_value = "RESET_PASSWORD")]
    ResetPassword,
    /// Deleting an account from the web page, where there is no signed-in app.
    #[sea_orm(string_value = "DELETE_ACCOUNT")]
    DeleteAccount,
}

/// Where a data export stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ExportState {
    /// Asked for; a worker builds it.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "READY")]
    Ready,
}

/// Where a push job stands. The worker's claim query names these texts in SQL too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum PushJobState {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "CLAIMED")]
    Claimed,
    #[sea_orm(string_value = "SENT")]
    Sent,
    #[sea_orm(string_value = "DROPPED")]
    Dropped,
    #[sea_orm(string_value = "FAILED")]
    Failed,
    /// A newer job for the same thread and person replaced it.
    #[sea_orm(string_value = "COLLAPSED")]
    Collapsed,
}

/// What became of one day's mood reminder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ReminderOutcome {
    #[sea_orm(string_value = "SENT")]
    Sent,
    /// The person had already checked in that day.
    #[sea_orm(string_value = "SKIPPED")]
    Skipped,
}

stored_enum!(
    /// What a moderator did, as the group's mod log records it.
    ModAction {
        UpdateGroup => "UPDATE_GROUP",
        ApproveJoin => "APPROVE_JOIN",
        DeclineJoin => "DECLINE_JOIN",
        Invite => "INVITE",
        CreateInviteCode => "CREATE_INVITE_CODE",
        SetRoleMember => "SET_ROLE_MEMBER",
        SetRoleModerator => "SET_ROLE_MODERATOR",
        SetRoleOwner => "SET_ROLE_OWNER",
        ReportOpen => "REPORT_OPEN",
        ReportResolved => "REPORT_RESOLVED",
        ReportDismissed => "REPORT_DISMISSED",
        RemovePost => "REMOVE_POST",
        RemoveReply => "REMOVE_REPLY",
        LockPost => "LOCK_POST",
        UnlockPost => "UNLOCK_POST",
        PinPost => "PIN_POST",
        UnpinPost => "UNPIN_POST",
        Ban => "BAN",
        Unban => "UNBAN",
        RemoveQuestion => "REMOVE_QUESTION",
        RemoveAnswer => "REMOVE_ANSWER",
        LockQuestion => "LOCK_QUESTION",
        UnlockQuestion => "UNLOCK_QUESTION",
        // A moderator read who wrote an anonymous question or post, acting on a report.
        RevealAuthor => "REVEAL_AUTHOR",
    }
);

/// What a mod log entry is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ModTarget {
    #[sea_orm(string_value = "USER")]
    User,
    #[sea_orm(string_value = "POST")]
    Post,
    #[sea_orm(string_value = "REPLY")]
    Reply,
    #[sea_orm(string_value = "REPORT")]
    Report,
    #[sea_orm(string_value = "QUESTION")]
    Question,
    #[sea_orm(string_value = "ANSWER")]
    Answer,
}

impl ModAction {
    /// The log entry of giving someone a role.
    pub fn set_role(role: Role) -> Self {
        match role {
            Role::Member => ModAction::SetRoleMember,
            Role::Moderator => ModAction::SetRoleModerator,
            Role::Owner => ModAction::SetRoleOwner,
        }
    }

    /// The log entry of moving a report to a status.
    pub fn report(status: ReportStatus) -> Self {
        match status {
            ReportStatus::Open => ModAction::ReportOpen,
            ReportStatus::Resolved => ModAction::ReportResolved,
            ReportStatus::Dismissed => ModAction::ReportDismissed,
        }
    }
}
