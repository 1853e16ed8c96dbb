//! GraphQL types and resolvers of accounts: thin calls into the services.
use crate::accounts::devices::{self, Platform};
use crate::accounts::service::{self, SignedIn};
use crate::accounts::{addresses, codes, deletion, export, export_jobs, recovery, registration};
use crate::graphql::context::ContextExt;
use crate::ids::{ExportJobId, SessionId};
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::enums::ExportState;
use entity::{devices as device_rows, export_jobs as export_rows, users};

/// The signed-in person's own account. Others only ever see the pseudonym.
pub struct Account(pub users::Model);

#[Object]
impl Account {
    async fn id(&self) -> ID {
        ID::from(self.0.id.clone())
    }
    /// The address, opened from its sealed form; `UNREADABLE` if the account's key is gone.
    async fn email(&self, ctx: &Context<'_>) -> Result<String> {
        let app = ctx.app()?;
        Ok(addresses::address_of(&app.db, &app.vault, &self.0).await?)
    }
    /// The pseudonym shown to others.
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    /// IANA timezone deciding which local day things belong to.
    async fn timezone(&self) -> &str {
        &self.0.timezone
    }

    /// Two-letter country code, if set; picks the crisis resources shown.
    async fn country(&self) -> Option<&str> {
        self.0.country.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// How many of my notifications are unread (the app badge).
    async fn unread_notification_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(crate::notifications::service::unread_count(&ctx.app()?.db, &self.0.id).await?)
    }
    async fn push_preferences(
        &self,
        ctx: &Context<'_>,
    ) -> Result<crate::graphql::PushPreferencesObject> {
        let prefs = crate::push::preferences::get(&ctx.app()?.db, &self.0.id).await?;
        Ok(crate::graphql::PushPreferencesObject(prefs))
    }
    /// People I blocked.
    async fn blocked_users(&self, ctx: &Context<'_>) -> Result<Vec<crate::graphql::UserObject>> {
        let app = ctx.app()?;
        let users =
            crate::moderation::service::blocked_users(&app.db, ctx.auth()?.viewer()?).await?;
        Ok(users
            .iter()
            .map(|u| crate::graphql::UserObject::new(u, None))
            .collect())
    }
    /// The push devices registered by my signed-in sessions.
    async fn devices(&self, ctx: &Context<'_>) -> Result<Vec<Device>> {
        let app = ctx.app()?;
        let current = ctx.auth()?.viewer()?.session_id.clone();
        Ok(devices::list_devices(&app.db, &app.vault, &self.0.id)
            .await?
            .into_iter()
            .map(|d| Device::from_row(d, &current))
            .collect())
    }
}

#[derive(SimpleObject)]
pub struct Device {
    id: ID,
    platform: Platform,
    app_version: Option<String>,
    /// Registered by the session making this request.
    current: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl Device {
    fn from_row(row: device_rows::Model, current_session: &SessionId) -> Self {
        Device {
            id: ID::from(row.id),
            platform: row.platform,
            app_version: row.app_version,
            current: row.session_id == *current_session,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Keep it on this install and send it with the next `login`: sign-ins that carry it are
    /// not held back by wrong passwords tried from elsewhere. Null only on a server without a
    /// secret.
    device_proof: Option<String>,
    access_token: String,
    refresh_token: String,
    access_token_expires_at: DateTime<Utc>,
    user: Account,
}

impl From<SignedIn> for AuthPayload {
    fn from(s: SignedIn) -> Self {
        AuthPayload {
            device_proof: s.device_proof,
            access_token: s.access_token,
            refresh_token: s.refresh_token,
            access_token_expires_at: s.access_token_expires_at,
            user: Account(s.user),
        }
    }
}

/// What a request for a mailed code answers, the same whether or not the address has an
/// account.
#[derive(Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum CodeRequestStatus {
    /// A code is on its way if the address can use one: check the inbox.
    CodeSent,
}

#[derive(SimpleObject)]
pub struct CodeRequest {
    status: CodeRequestStatus,
    /// How long a code works, in seconds.
    code_lifetime_seconds: u32,
}

impl CodeRequest {
    fn sent() -> Self {
        CodeRequest {
            status: CodeRequestStatus::CodeSent,
            code_lifetime_seconds: codes::CODE_LIFETIME.as_secs() as u32,
        }
    }
}

#[derive(InputObject)]
pub struct RegisterInput {
    email: String,
    password: String,
    display_name: String,
}

#[derive(InputObject)]
pub struct LoginInput {
    email: String,
    password: String,
    /// The `deviceProof` an earlier sign-in on this install returned, if any.
    device_proof: Option<String>,
}

#[derive(InputObject)]
pub struct RegisterDeviceInput {
    /// The FCM registration token of this app install.
    token: String,
    platform: Platform,
    app_version: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum DataExportStatus {
    /// Being built: ask again with `dataExport(id)` in a moment.
    Preparing,
    /// Built: download it from `url` before `expiresAt`.
    Ready,
}

/// An export of everything Hearth keeps about me, asked for with `exportMyData`.
pub struct DataExport {
    row: export_rows::Model,
    token: Option<String>,
}

impl DataExport {
    fn new(key: &str, row: export_rows::Model) -> Self {
        let token = export_jobs::token(key, &row);
        DataExport { row, token }
    }
}

#[Object]
impl DataExport {
    async fn id(&self) -> &ExportJobId {
        &self.row.id
    }
    async fn status(&self) -> DataExportStatus {
        match self.row.state {
            ExportState::Pending => DataExportStatus::Preparing,
            ExportState::Ready => DataExportStatus::Ready,
        }
    }
    /// Once ready: where to download the JSON document, relative to the API's origin
    /// (`/account/export?token=…`). It works until `expiresAt`, while the session that asked
    /// stays signed in.
    async fn url(&self) -> Option<String> {
        self.token
            .as_ref()
            .map(|token| format!("/account/export?token={token}"))
    }
    /// When the export is deleted: an hour after it is ready.
    async fn expires_at(&self) -> DateTime<Utc> {
        self.row.expires_at
    }
    /// The document's size once ready.
    async fn bytes(&self) -> Option<i64> {
        self.row.bytes
    }
    /// The document's `version` (see the README).
    async fn version(&self) -> u32 {
        export::EXPORT_VERSION
    }
}

#[derive(Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum MoodExportFormat {
    /// Comma-separated, a header row, `\r\n` line ends (RFC 4180).
    Csv,
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// One of my data exports (see `exportMyData`), to see whether it is ready.
    async fn data_export(&self, ctx: &Context<'_>, id: ExportJobId) -> Result<DataExport> {
        let app = ctx.app()?;
        let row = export_jobs::mine(&app.db, ctx.auth()?.viewer()?, &id).await?;
        Ok(DataExport::new(
            crate::accounts::code_key(&app.credentials()),
            row,
        ))
    }

    /// My check-ins logged in `[from, to)` (at most about three years) as a spreadsheet.
    async fn export_moods(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        format: Option<MoodExportFormat>,
    ) -> Result<String> {
        let MoodExportFormat::Csv = format.unwrap_or(MoodExportFormat::Csv);
        let app = ctx.app()?;
        Ok(export::moods_csv(&app.db, &app.vault, ctx.auth()?.viewer()?, from, to).await?)
    }

    /// The signed-in account, or null when signed out.
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<Account>> {
        let Some(viewer) = ctx.auth()?.optional_viewer()? else {
            return Ok(None);
        };
        Ok(Some(Account(
            service::find_user(&ctx.app()?.db, &viewer.user_id).await?,
        )))
    }
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Starts an account: answers `CODE_SENT` whether or not the address has an account, so
    /// it tells nobody who uses Hearth. A new address gets a six-digit code to pass to
    /// `verifyEmail`; an address with an account gets a mail saying someone tried.
    async fn register(&self, ctx: &Context<'_>, input: RegisterInput) -> Result<CodeRequest> {
        let app = ctx.app()?;
        registration::register(
            &app.credentials(),
            ctx.meta()?,
            &input.email,
            &input.password,
            &input.display_name,
        )
        .await?
        .publish(&app.broker)
        .await;
        Ok(CodeRequest::sent())
    }

    /// Finishes a registration with the mailed code: makes the account and signs it in.
    /// A wrong or expired code is `BAD_USER_INPUT` (`reason` `WRONG_CODE` or `EXPIRED_CODE`);
    /// after five wrong tries the code is spent (`RATE_LIMITED`): register again for a new one.
    async fn verify_email(
        &self,
        ctx: &Context<'_>,
        email: String,
        code: String,
    ) -> Result<AuthPayload> {
        Ok(
            registration::verify_email(&ctx.app()?.credentials(), &email, &code)
                .await?
                .into(),
        )
    }

    /// Deletes my account at once and for good: profile, email, moods, shares, devices,
    /// sessions (signed out everywhere), notifications, memberships and everything else about
    /// me. `removeContent: true` removes my posts, replies, questions and answers; `false` keeps
    /// them, shown as by "Deleted member" with no link to me. A group I own passes to its
    /// longest-serving moderator (or member); a group with nobody else in it is deleted.
    async fn delete_account(
        &self,
        ctx: &Context<'_>,
        password: String,
        remove_content: bool,
    ) -> Result<bool> {
        deletion::delete_account(
            &ctx.app()?.credentials(),
            ctx.meta()?,
            ctx.auth()?.viewer()?,
            &password,
            remove_content,
        )
        .await?;
        Ok(true)
    }

    /// Asks for an export of everything Hearth keeps about me, as one JSON document: profile,
    /// memberships, posts, replies, reactions, questions, answers, check-ins with notes, shares,
    /// notifications, devices and sessions (no secrets). It is built in the background, usually
    /// within a second: poll `dataExport(id)` until `READY`, then download `url`. An export
    /// still being built is returned again; at most 5 an hour.
    async fn export_my_data(&self, ctx: &Context<'_>) -> Result<DataExport> {
        let app = ctx.app()?;
        let row = export_jobs::request(&app.db, &app.limiter, ctx.auth()?.viewer()?)
            .await?
            .publish(&app.broker)
            .await;
        Ok(DataExport::new(
            crate::accounts::code_key(&app.credentials()),
            row,
        ))
    }

    /// Mails a code to reset the password. Answers `CODE_SENT` whatever the address; only an
    /// address with an account is mailed.
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        email: String,
    ) -> Result<CodeRequest> {
        let app = ctx.app()?;
        recovery::request_password_reset(&app.credentials(), ctx.meta()?, &email)
            .await?
            .publish(&app.broker)
            .await;
        Ok(CodeRequest::sent())
    }

    /// Sets a new password with the mailed code. Every session of the account is signed out
    /// (their sockets close) and this one is signed in.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        email: String,
        code: String,
        new_password: String,
    ) -> Result<AuthPayload> {
        Ok(
            recovery::reset_password(&ctx.app()?.credentials(), &email, &code, &new_password)
                .await?
                .into(),
        )
    }

    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> Result<AuthPayload> {
        Ok(service::login(
            &ctx.app()?.credentials(),
            ctx.meta()?,
            &input.email,
            &input.password,
            input.device_proof.as_deref(),
        )
        .await?
        .into())
    }

    /// Exchanges a refresh token (single use) for a new access and refresh token.
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> Result<AuthPayload> {
        Ok(
            service::refresh_session(&ctx.app()?.credentials(), &refresh_token)
                .await?
                .into(),
        )
    }

    /// Signs this session out (or every session of the account) and drops its push devices.
    async fn logout(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] all_devices: bool,
    ) -> Result<bool> {
        service::logout(
            &ctx.app()?.credentials(),
            ctx.auth()?.viewer()?,
            all_devices,
        )
        .await?;
        Ok(true)
    }

    /// Changes the password; every other session of the account is signed out.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current: String,
        new: String,
    ) -> Result<bool> {
        service::change_password(
            &ctx.app()?.credentials(),
            ctx.meta()?,
            ctx.auth()?.viewer()?,
            &current,
            &new,
        )
        .await?;
        Ok(true)
    }

    async fn update_profile(
        &self,
        ctx: &Context<'_>,
        display_name: Option<String>,
        timezone: Option<String>,
        #[graphql(
            desc = "Two-letter country code (empty clears); picks the crisis resources shown."
        )]
        country: Option<String>,
    ) -> Result<Account> {
        let user = service::update_profile(
            &ctx.app()?.credentials(),
            ctx.auth()?.viewer()?,
            display_name.as_deref(),
            timezone.as_deref(),
            country.as_deref(),
        )
        .await?;
        Ok(Account(user))
    }

    async fn register_device(
        &self,
        ctx: &Context<'_>,
        input: RegisterDeviceInput,
    ) -> Result<Device> {
        let viewer = ctx.auth()?.viewer()?;
        let app = ctx.app()?;
        let row = devices::register_device(
            &app.db,
            &app.vault,
            viewer,
            &input.token,
            input.platform,
            input.app_version.as_deref(),
        )
        .await?;
        Ok(Device::from_row(row, &viewer.session_id))
    }

    /// Removes one of my device tokens; false when I had no such token.
    async fn unregister_device(&self, ctx: &Context<'_>, token: String) -> Result<bool> {
        let app = ctx.app()?;
        let viewer = ctx.auth()?.viewer()?;
        Ok(devices::unregister_device(&app.db, &app.vault, viewer, &token).await?)
    }
}
