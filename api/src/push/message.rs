//! The FCM v1 message for one device. Without previews it carries no health text: a generic
//! line, and ids only in `data`.
use crate::ids::{AnswerId, GroupId, MeetingId, PostId, QuestionId, ReplyId};
use crate::notifications::service::NotificationKind;
use entity::{notifications, push_jobs};
use serde_json::{json, Value};

/// How long FCM keeps an undelivered message.
const TTL_SECONDS: u64 = 24 * 3600;

/// What the preview may show, when the person opted in.
pub struct Preview {
    pub group_name: String,
    pub first_words: String,
}

fn generic_body(kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::Reply | NotificationKind::ThreadReply => {
            "New reply in one of your groups"
        }
        NotificationKind::Reaction => "Someone responded to what you wrote",
        NotificationKind::NewPost => "New post in one of your groups",
        NotificationKind::JoinRequest => "Someone asked to join your group",
        NotificationKind::JoinApproved => "Your request to join was approved",
        NotificationKind::Moderation => "A moderator acted on something of yours",
        NotificationKind::MoodReminder => "How are you feeling today?",
        NotificationKind::CrisisFlag => "Something in one of your groups may need a moderator",
        NotificationKind::Answer => "New answer to a question you follow",
        NotificationKind::ExpertAnswer => "An expert answered your question",
        NotificationKind::AnswerAccepted => "Your answer was accepted",
        NotificationKind::QuestionReminder => "Did an answer help? You can accept it",
        NotificationKind::MeetingReminder => "A meeting in one of your groups starts soon",
        NotificationKind::MeetingCancelled => "A meeting you were coming to was cancelled",
        NotificationKind::MeetingMoved => "A meeting you are coming to was moved",
        NotificationKind::MeetingPlace => "A place opened up: you are going to the meeting",
    }
}

/// The line a push shows without a preview: a meeting's reminder says when.
fn generic_line(
    kind: NotificationKind,
    notification: Option<&notifications::Model>,
) -> &'static str {
    let lead = notification.and_then(|n| n.detail.as_deref());
    match (kind, lead) {
        (NotificationKind::MeetingReminder, Some("HOUR_BEFORE")) => {
            "A meeting in one of your groups starts in 1 hour"
        }
        (NotificationKind::MeetingReminder, Some("DAY_BEFORE")) => {
            "A meeting in one of your groups is tomorrow"
        }
        _ => generic_body(kind),
    }
}

/// The first few words of a text, for a preview.
pub fn first_words(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for word in text.split_whitespace() {
        if out.chars().count() + word.chars().count() + 1 > max_chars {
            out.push('…');
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

pub fn build(
    device_token: &str,
    job: &push_jobs::Model,
    notification: Option<&notifications::Model>,
    unread: u64,
    preview: Option<&Preview>,
) -> Value {
    let kind = job.kind;
    let (title, body) = match preview {
        Some(p) => (p.group_name.clone(), p.first_words.clone()),
        None => (
            "Hearth".to_owned(),
            generic_line(kind, notification).to_owned(),
        ),
    };
    let mut data = serde_json::Map::new();
    data.insert("kind".into(), json!(job.kind.as_str()));
    if let Some(n) = notification {
        data.insert("notificationId".into(), json!(n.id));
        for (key, value) in [
            ("groupId", n.group_id.as_ref().map(GroupId::as_str)),
            ("postId", n.post_id.as_ref().map(PostId::as_str)),
            ("replyId", n.reply_id.as_ref().map(ReplyId::as_str)),
            ("questionId", n.question_id.as_ref().map(QuestionId::as_str)),
            ("answerId", n.answer_id.as_ref().map(AnswerId::as_str)),
            ("meetingId", n.meeting_id.as_ref().map(MeetingId::as_str)),
        ] {
            if let Some(value) = value {
                data.insert(key.into(), json!(value));
            }
        }
    }
    let urgent = matches!(
        kind,
        NotificationKind::Reply
            | NotificationKind::ThreadReply
            | NotificationKind::Answer
            | NotificationKind::ExpertAnswer
    );
    let collapse = job
        .collapse_key
        .clone()
        .unwrap_or_else(|| kind.as_str().to_owned());
    let expires = chrono::Utc::now().timestamp() + TTL_SECONDS as i64;
    json!({
        "message": {
            "token": device_token,
            "notification": {"title": title, "body": body},
            "data": data,
            "android": {
                "collapse_key": collapse,
                "priority": if urgent { "HIGH" } else { "NORMAL" },
                "ttl": format!("{TTL_SECONDS}s"),
            },
            "apns": {
                "headers": {
                    "apns-collapse-id": collapse,
                    "apns-priority": if urgent { "10" } else { "5" },
                    "apns-expiration": expires.to_string(),
                },
                "payload": {"aps": {"badge": unread}},
            },
        }
    })
}
