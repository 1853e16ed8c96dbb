//! Database migrations, one file per step. The same files run on SQLite and PostgreSQL.
pub use sea_orm_migration::prelude::*;

mod m20261126_000001_create_accounts;
mod m20261126_000002_create_groups;
mod m20261126_000003_create_notifications;
mod m20261126_000004_create_moods;
mod m20261126_000005_create_mood_sharing_and_reminders;
mod m20261126_000006_index_posts_by_activity;
mod m20261126_000007_index_reports_by_target;
mod m20261129_000008_confusable_name_keys;
mod m20261130_000009_push_jobs_delivered_to;
mod m20261130_000010_create_questions;
mod m20261130_000011_full_text_search;
mod m20261130_000012_question_notifications;
mod m20261130_000013_question_reports;
mod m20261130_000014_anonymous_posts;
mod m20261130_000015_mail_and_email_codes;
mod m20261130_000016_deleted_member;
mod m20261130_000017_export_jobs;
mod m20261130_000018_title_word_pairs;
mod m20261130_000019_unread_thread_notifications;
mod m20261130_000020_thread_follows;
mod m20261130_000021_question_title_pairs;
mod m20261130_000022_deferred_post_keys;
mod m20261201_000023_uncounted_replies;
mod m20261205_000024_name_keys_folded;
mod m20261205_000025_anonymous_in_own_thread;
mod m20261206_000026_view_changes;
mod m20261206_000027_one_report_queue;
mod m20261206_000028_sealed_fields;
mod m20261206_000029_meetings;
mod m20261206_000030_meeting_counts;
pub mod name_key;
mod postgres_only;
pub use m20261130_000016_deleted_member::DELETED_MEMBER_ID;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_create_accounts::Migration),
            Box::new(m20261126_000002_create_groups::Migration),
            Box::new(m20261126_000003_create_notifications::Migration),
            Box::new(m20261126_000004_create_moods::Migration),
            Box::new(m20261126_000005_create_mood_sharing_and_reminders::Migration),
            Box::new(m20261126_000006_index_posts_by_activity::Migration),
            Box::new(m20261126_000007_index_reports_by_target::Migration),
            Box::new(m20261129_000008_confusable_name_keys::Migration),
            Box::new(m20261130_000009_push_jobs_delivered_to::Migration),
            Box::new(m20261130_000010_create_questions::Migration),
            Box::new(m20261130_000011_full_text_search::Migration),
            Box::new(m20261130_000012_question_notifications::Migration),
            Box::new(m20261130_000013_question_reports::Migration),
            Box::new(m20261130_000014_anonymous_posts::Migration),
            Box::new(m20261130_000015_mail_and_email_codes::Migration),
            Box::new(m20261130_000016_deleted_member::Migration),
            Box::new(m20261130_000017_export_jobs::Migration),
            Box::new(m20261130_000018_title_word_pairs::Migration),
            Box::new(m20261130_000019_unread_thread_notifications::Migration),
            Box::new(m20261130_000020_thread_follows::Migration),
            Box::new(m20261130_000021_question_title_pairs::Migration),
            Box::new(m20261130_000022_deferred_post_keys::Migration),
            Box::new(m20261201_000023_uncounted_replies::Migration),
            Box::new(m20261205_000024_name_keys_folded::Migration),
            Box::new(m20261205_000025_anonymous_in_own_thread::Migration),
            Box::new(m20261206_000026_view_changes::Migration),
            Box::new(m20261206_000027_one_report_queue::Migration),
            Box::new(m20261206_000028_sealed_fields::Migration),
            Box::new(m20261206_000029_meetings::Migration),
            Box::new(m20261206_000030_meeting_counts::Migration),
        ]
    }
}
