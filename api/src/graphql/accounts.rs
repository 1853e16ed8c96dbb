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

/// The signed-in person's own account. Others only ever see the pseudonym.
#[Object]
impl Account {
    /// My user id, the one others see on `User.id`.
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
    /// When the account was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// How many of my notifications are unread (the app badge).
    async fn unread_notification_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(crate::notifications::service::unread_count(&ctx.app()?.db, &self.0.id).await?)
    }
    /// What is pushed to my devices, and when.
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

/// A phone or browser registered for pushes by one of my signed-in sessions.
#[derive(SimpleObject)]
pub struct Device {
    /// Names this device registration.
    id: ID,
    /// The kind of app install that registered it.
    platform: Platform,
    /// The app's version as registered, at most 32 characters; null when not given.
    app_version: Option<String>,
    /// Registered by the session making this request.
    current: bool,
    /// When it was first registered.
    created_at: DateTime<Utc>,
    /// When its token was last registered.
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

/// A signed-in session: the tokens to send, and the account they belong to.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Keep it on this install and send it with the next `login`: sign-ins that carry it are
    /// not held back by wrong passwords tried from elsewhere. Null only on a server without a
    /// secret.
    device_proof: Option<String>,
    /// Send it as `Authorization: Bearer <accessToken>` until `accessTokenExpiresAt`.
    access_token: String,
    /// Works once: trade it with `refreshSession` for a new pair, and keep the new one.
    refresh_token: String,
    /// When `accessToken` stops working; then call `refreshSession`.
    access_token_expires_at: DateTime<Utc>,
    /// The account signed in.
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

/// The answer to a request for a mailed code.
#[derive(SimpleObject)]
pub struct CodeRequest {
    /// Always `CODE_SENT`, so the answer tells nothing about the address.
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

/// A new account's details, kept until the mailed code comes back through `verifyEmail`.
#[derive(InputObject)]
pub struct RegisterInput {
    /// The address to mail the code to; at most 254 characters, compared in lower case.
    email: String,
    /// 10 to 256 characters.
    password: String,
    /// The pseudonym others see: 3 to 32 letters, digits, spaces, `_`, `-` and `.`, not one
    /// that reads like a name already in use.
    display_name: String,
}

/// A sign-in with address and password.
#[derive(InputObject)]
pub struct LoginInput {
    /// The account's address (case and surrounding spaces do not matter).
    email: String,
    /// The account's password.
    password: String,
    /// The `deviceProof` an earlier sign-in on this install returned, if any.
    device_proof: Option<String>,
}

/// A device to push to, tied to this session.
#[derive(InputObject)]
pub struct RegisterDeviceInput {
    /// The FCM registration token of this app install.
    token: String,
    /// The kind of app install.
    platform: Platform,
    /// The app's version, at most 32 characters.
    app_version: Option<String>,
}

/// Where a data export stands.
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

/// An export of everything Hearth keeps about me, asked for with `exportMyData`.
#[Object]
impl DataExport {
    /// Names this export: pass it to `dataExport(id)`.
    async fn id(&self) -> &ExportJobId {
        &self.row.id
    }
    /// Whether it is still being built or ready to download.
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

/// The file format `exportMoods` writes.
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
    async fn data_export(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `id` that `exportMyData` returned.")] id: ExportJobId,
    ) -> Result<DataExport> {
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
        #[graphql(desc = "The earliest time included.")] from: DateTime<Utc>,
        #[graphql(desc = "The time to stop before: after `from`, at most 1 098 days later.")]
        to: DateTime<Utc>,
        #[graphql(desc = "The file format; `CSV` if not given.")] format: Option<MoodExportFormat>,
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
    async fn register(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new account's address, password and pseudonym.")]
        input: RegisterInput,
    ) -> Result<CodeRequest> {
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
        #[graphql(desc = "The address given to `register`.")] email: String,
        #[graphql(desc = "The six-digit code mailed to it.")] code: String,
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
        #[graphql(desc = "My current password, to confirm.")] password: String,
        #[graphql(
            desc = "True removes my posts, replies, questions and answers; false keeps them, \
                    shown as by \"Deleted member\"."
        )]
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
        #[graphql(desc = "The account's address.")] email: String,
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
        #[graphql(desc = "The address the code was mailed to.")] email: String,
        #[graphql(desc = "The six-digit code from `requestPasswordReset`.")] code: String,
        #[graphql(desc = "10 to 256 characters.")] new_password: String,
    ) -> Result<AuthPayload> {
        Ok(
            recovery::reset_password(&ctx.app()?.credentials(), &email, &code, &new_password)
                .await?
                .into(),
        )
    }

    /// Signs in with address and password. A wrong address or password is refused alike.
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The address, password and any `deviceProof` of this install.")]
        input: LoginInput,
    ) -> Result<AuthPayload> {
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
        #[graphql(desc = "The `refreshToken` of the last `AuthPayload`.")] refresh_token: String,
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
        #[graphql(
            default = false,
            desc = "True signs out every session of the account, not only this one."
        )]
        all_devices: bool,
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
        #[graphql(desc = "The password now.")] current: String,
        #[graphql(desc = "The new password, 10 to 256 characters.")] new: String,
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

    /// Changes my profile; what is left out stays as it is.
    async fn update_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "A new pseudonym: 3 to 32 letters, digits, spaces, `_`, `-` and `.`, not one \
                    that reads like a name already in use."
        )]
        display_name: Option<String>,
        #[graphql(desc = "An IANA timezone, e.g. `Europe/Paris`.")] timezone: Option<String>,
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

    /// Ties this install's push token to this session. A token already registered moves here.
    async fn register_device(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The push token, platform and app version of this install.")]
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

    /// Removes one of my device tokens (when signing out of pushes on this phone). Answers the
    /// device's id, to evict from an app's cache; `NOT_FOUND` when I had no such token.
    async fn forget_device(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The FCM registration token to remove.")] token: String,
    ) -> Result<crate::graphql::Deletion> {
        let app = ctx.app()?;
        let viewer = ctx.auth()?.viewer()?;
        match devices::forget_device(&app.db, &app.vault, viewer, &token).await? {
            Some(id) => Ok(crate::graphql::Deletion::of(id)),
            None => Err(crate::error::AppError::NotFound.into()),
        }
    }

    /// Removes one of my device tokens; false when I had no such token.
    #[graphql(
        deprecation = "Use `forgetDevice`, which answers the device's id for an app's cache."
    )]
    async fn unregister_device(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The FCM registration token to remove.")] token: String,
    ) -> Result<bool> {
        let app = ctx.app()?;
        let viewer = ctx.auth()?.viewer()?;
        Ok(devices::unregister_device(&app.db, &app.vault, viewer, &token).await?)
    }
}
