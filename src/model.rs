//! The records kept in the store, and the shapes the API returns for them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::permission::{AccountKind, Grant};
use crate::domain::review::{Policy, Review};
use crate::domain::versions::{ChainState, Content};

/// A new opaque id: a UUIDv7 in simple form (time ordered, 32 hex digits).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// Is `s` shaped like an id this server hands out? (Cheap rejection of junk before any lookup.)
pub fn valid_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// An account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    /// Opaque id.
    pub id: String,
    /// Login name (unique, case-insensitive).
    pub username: String,
    /// Name shown to others.
    pub display_name: String,
    /// Argon2id PHC string. Never leaves the server.
    pub password_hash: String,
    /// Employee, intern or external guest.
    pub kind: AccountKind,
    /// End date for interns and guests: after it the account stops working.
    pub expires_at: Option<DateTime<Utc>>,
    /// Administrator.
    pub is_admin: bool,
    /// Disabled accounts cannot log in; their sessions stop working.
    pub disabled: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Sessions issued before this time are invalid (password change, disable).
    #[serde(default)]
    pub sessions_valid_after: Option<DateTime<Utc>>,
}

/// A session or API token (the token is the key's preimage, never stored).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    /// Whose.
    pub user_id: String,
    /// Issued.
    pub created_at: DateTime<Utc>,
    /// Last request (for the idle timeout).
    pub last_seen: DateTime<Utc>,
    /// The CSRF token cookie-authenticated writes must echo in `X-CSRF-Token`.
    pub csrf_token: String,
}

/// A department.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Group {
    /// Opaque id.
    pub id: String,
    /// Name (unique).
    pub name: String,
    /// Member user ids.
    pub members: Vec<String>,
    /// Department heads (members who see their department's onboarding progress).
    #[serde(default)]
    pub heads: Vec<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// Knowledge library or project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SpaceKind {
    /// A department's or the company's library.
    Knowledge,
    /// A project with members, records and minutes.
    Project,
}

/// A space.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Space {
    /// Opaque id.
    pub id: String,
    /// Name (unique).
    pub name: String,
    /// Kind.
    pub kind: SpaceKind,
    /// Description.
    pub description: String,
    /// Who may do what in the whole space.
    pub grants: Vec<Grant>,
    /// Default review policy for categories without their own.
    #[serde(default)]
    pub review_policy: Option<Policy>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Readers may not comment on its documents (comments are on unless turned off).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub comments_off: bool,
}

/// A category (分类目录) inside a space.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Category {
    /// Opaque id.
    pub id: String,
    /// The space.
    pub space_id: String,
    /// Name (unique among its siblings).
    pub name: String,
    /// Parent category, or none at the space root.
    pub parent_id: Option<String>,
    /// Whether grants of the parent (or space) apply here too.
    pub inherit: bool,
    /// Grants of this category (and its children, unless they cut inheritance).
    pub grants: Vec<Grant>,
    /// Review policy for this category and children without their own.
    #[serde(default)]
    pub review_policy: Option<Policy>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// Where a document stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocStatus {
    /// Head version is what readers see.
    Published,
    /// Head version is a draft not yet submitted (readers see `published_version`, if any).
    Draft,
    /// Head version is under review.
    InReview,
}

/// Ordinary document or a structured record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    /// Markdown document.
    #[default]
    Doc,
    /// Record following a JSON Schema.
    Record,
}

impl DocKind {
    /// The name used in search (`type:`).
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Doc => "doc",
            DocKind::Record => "record",
        }
    }
}

/// Trash marker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deleted {
    /// When.
    pub at: DateTime<Utc>,
    /// By whom (user id).
    pub by: String,
}

/// A document's head state. The head text is kept whole for fast reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Doc {
    /// Opaque id.
    pub id: String,
    /// Document or record.
    #[serde(default)]
    pub kind: DocKind,
    /// A record's type (`meeting-minutes`…; the fields travel in each version's body, see
    /// [`crate::records::split`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_type: Option<String>,
    /// The space.
    pub space_id: String,
    /// The category, or none at the space root.
    pub category_id: Option<String>,
    /// Head title.
    pub title: String,
    /// Head tags.
    pub tags: Vec<String>,
    /// Head body (Markdown), whole. Kept in its own tree ([`crate::store::BODIES`]), not in the
    /// document record, so listings never decode bodies.
    #[serde(skip)]
    pub body: String,
    /// Head version number (1-based).
    pub version: u64,
    /// The version readers see, if any.
    pub published_version: Option<u64>,
    /// Status of the head version.
    pub status: DocStatus,
    /// Creator (user id).
    pub created_by: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Author of the head version (user id).
    pub updated_by: String,
    /// Time of the head version.
    pub updated_at: DateTime<Utc>,
    /// In the trash since.
    pub deleted: Option<Deleted>,
    /// Delta chain state after the head version.
    pub chain: ChainState,
    /// Date by which the document should be reviewed again.
    #[serde(default)]
    pub review_by: Option<NaiveDate>,
    /// Who approved the published version (user ids, in order of approval); empty when it was
    /// published without review.
    #[serde(default)]
    pub approved_by: Vec<String>,
    /// The newest published version that asked readers to acknowledge it again (需重新确认):
    /// an onboarding acknowledgement of an older version no longer counts.
    #[serde(default)]
    pub reconfirm_from: Option<u64>,
}

/// One stored version.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VersionRecord {
    /// Version number.
    pub version: u64,
    /// Author (user id).
    pub author: String,
    /// Saved at.
    pub created_at: DateTime<Utc>,
    /// Save message.
    pub message: String,
    /// Title at this version.
    pub title: String,
    /// Tags at this version.
    pub tags: Vec<String>,
    /// Category at this version.
    pub category_id: Option<String>,
    /// Body length in bytes.
    pub size: u64,
    /// SHA-256 over title, tags and body (see [`crate::domain::versions::content_hash`]).
    pub hash: String,
    /// The body: full snapshot or delta against the previous version.
    pub content: Content,
}

/// One audit event.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEvent {
    /// Sequence (time ordered).
    pub seq: u64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (user id), if known.
    pub actor: Option<String>,
    /// Login name of the actor, or the attempted one.
    pub actor_name: Option<String>,
    /// What, e.g. `document.update`, `session.login`.
    pub action: String,
    /// On what, e.g. `document:<id>`.
    pub target: String,
    /// `ok`, `denied` or `failed`.
    pub outcome: String,
    /// Client address.
    pub ip: Option<String>,
    /// Extra facts (never secrets).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub detail: Option<serde_json::Value>,
}

/// A browser where an account logged in successfully (its device cookie).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Device {
    /// The account.
    pub user_id: String,
    /// When the cookie was issued.
    pub created_at: DateTime<Utc>,
}

/// A review as stored in [`crate::store::REVIEWS`]: the domain record plus what the server keeps
/// around it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredReview {
    /// The state machine's record.
    pub review: Review,
    /// Title of the submitted version.
    pub title: String,
    /// The author's note to the reviewers.
    #[serde(default)]
    pub message: String,
    /// The published version when it was submitted (what the diff compares against).
    #[serde(default)]
    pub base_version: Option<u64>,
    /// `flag` words found in the submitted version, shown to the reviewers.
    #[serde(default)]
    pub flags: Vec<WordMatch>,
    /// Stages for which the `waiting_too_long` notification was sent.
    #[serde(default)]
    pub waiting_notified: Vec<usize>,
    /// An approval asked readers to acknowledge the version again (需重新确认): applied when the
    /// version is published.
    #[serde(default)]
    pub reconfirm: bool,
}

/// What a notification announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A submission reached a stage you review.
    ReviewRequested,
    /// Your submission passed a stage.
    StageAdvanced,
    /// Your submission passed every stage and is published.
    Approved,
    /// Your submission was rejected (the text carries the comment).
    Rejected,
    /// A review you are waited on has been pending more than [`crate::service::reviews::WAITING_TOO_LONG_DAYS`] days.
    WaitingTooLong,
    /// You were assigned an onboarding collection.
    CollectionAssigned,
    /// An onboarding collection of yours is due in three days.
    CollectionDueSoon,
    /// An onboarding collection of yours is overdue.
    CollectionOverdue,
    /// Someone mentioned you (`@login`) in a comment or a document.
    Mentioned,
    /// Someone commented on a document you watch.
    Commented,
    /// A document you watch has a newly published version.
    Published,
    /// An action item was assigned to you.
    ActionAssigned,
    /// An action item of yours is due in three days.
    ActionDueSoon,
    /// An action item of yours is overdue.
    ActionOverdue,
}

/// One in-app notification. key = user id ‖ 0x00 ‖ seq (u64 big-endian).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// The sequence number, as a decimal string (the id clients send back to mark it read).
    pub id: String,
    /// What it announces.
    pub kind: NotificationKind,
    /// The message (Chinese).
    pub text: String,
    /// Where the web app should go, e.g. `#/reviews/<id>` or `#/doc/<id>`.
    pub link: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Whether the recipient has read it.
    pub read: bool,
    /// The review concerned.
    #[serde(default)]
    pub review_id: Option<String>,
    /// The document concerned.
    #[serde(default)]
    pub doc_id: Option<String>,
    /// The onboarding collection concerned.
    #[serde(default)]
    pub collection_id: Option<String>,
    /// How many events it stands for, when quick ones were grouped into one (0 or 1: one).
    #[serde(default)]
    pub count: u32,
}

/// What a listed word does to a submission containing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WordAction {
    /// The submission is refused, with the positions shown.
    Block,
    /// The submission goes through; the reviewers see the word flagged.
    Flag,
}

/// Where a listed word occurs in a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WordMatch {
    /// The listed word (as listed, not as written in the text).
    pub word: String,
    /// `title` or `body`.
    pub field: String,
    /// 1-based line (always 1 in the title).
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The word's action.
    pub action: WordAction,
}

/// One document of an onboarding collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionItem {
    /// The document.
    pub doc_id: String,
    /// Whether it counts towards completion.
    pub required: bool,
}

/// An onboarding collection (入职学习): documents to read in order, for an audience.
/// key = collection id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Collection {
    /// Opaque id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// The documents, in reading order.
    pub items: Vec<CollectionItem>,
    /// Who it is for: `group:<id>`, `user:<id>`, `kind:<employee|intern|external>`, resolved
    /// whenever asked.
    pub audience: Vec<String>,
    /// Days after a person's assignment by which they should be done.
    pub due_days: u32,
    /// Who created it (user id).
    pub owner: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// One acknowledgement: which published version, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    /// The published version acknowledged.
    pub version: u64,
    /// When.
    pub at: DateTime<Utc>,
}

/// A person's assignment to a collection: when they joined its audience, what they have
/// acknowledged, which reminders they were sent. key = collection id ‖ 0x00 ‖ user id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    /// The collection.
    pub collection_id: String,
    /// The person.
    pub user_id: String,
    /// When they were first found in the audience.
    pub assigned_at: DateTime<Utc>,
    /// Acknowledgements by document id.
    #[serde(default)]
    pub acks: std::collections::BTreeMap<String, Ack>,
    /// Reminders sent: `assigned`, `due_soon`, `overdue` (each at most once).
    #[serde(default)]
    pub reminded: Vec<String>,
}

/// A comment on a document. key = comment id; listed per document through
/// [`crate::store::DOC_COMMENTS`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// Opaque id (time-ordered).
    pub id: String,
    /// The document.
    pub doc_id: String,
    /// The thread's first comment, for a reply (threads are one level deep).
    #[serde(default)]
    pub parent_id: Option<String>,
    /// Author (user id).
    pub author: String,
    /// Markdown (rendered through the document sanitiser).
    pub body: String,
    /// The passage of the document it refers to.
    #[serde(default)]
    pub quote: Option<String>,
    /// When written.
    pub created_at: DateTime<Utc>,
    /// When last edited.
    #[serde(default)]
    pub edited_at: Option<DateTime<Utc>>,
    /// A thread marked resolved (on the thread's first comment), by whom and when.
    #[serde(default)]
    pub resolved: Option<Stamp>,
    /// Deleted by its author (or a manager): shown as deleted while replies remain.
    #[serde(default)]
    pub deleted: Option<Stamp>,
    /// Accounts already notified of a mention here (user ids): an edit notifies only new ones.
    #[serde(default)]
    pub notified: Vec<String>,
}

/// Who did something, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    /// User id.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Someone's watch of a document or a space. key = target (`doc:<id>` or `space:<id>`) ‖ 0x00 ‖
/// user id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watch {
    /// Watching (true), or switched off (false: an automatic watch is not taken up again).
    pub on: bool,
    /// Taken up automatically (as author or commenter) rather than asked for.
    #[serde(default)]
    pub auto: bool,
    /// Since.
    pub at: DateTime<Utc>,
}

/// The kind of a group robot: which chat service its webhook belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RobotKind {
    /// 钉钉 (DingTalk) custom robot: markdown messages, optional signed webhook.
    Dingtalk,
    /// 企业微信 (WeCom) group robot: markdown messages.
    Wecom,
    /// 飞书 (Feishu / Lark) custom bot: text messages, optional signature.
    Feishu,
}

impl RobotKind {
    /// Every kind, in the order the API lists them.
    pub const ALL: [RobotKind; 3] = [RobotKind::Dingtalk, RobotKind::Wecom, RobotKind::Feishu];

    /// Its name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            RobotKind::Dingtalk => "dingtalk",
            RobotKind::Wecom => "wecom",
            RobotKind::Feishu => "feishu",
        }
    }
}

/// How the last delivery to a group robot went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeliveryResult {
    /// When the attempt ended.
    pub at: DateTime<Utc>,
    /// Whether the robot accepted the message.
    pub ok: bool,
    /// The HTTP status answered, if any answer came.
    pub status: Option<u16>,
    /// Why it failed (a transport error, or the robot's own `errcode`/`code` and message);
    /// never the URL.
    pub error: Option<String>,
    /// Attempts made for this message so far (1 on a first-time success).
    pub attempts: u32,
    /// Whether another attempt is scheduled.
    pub retrying: bool,
    /// The title of the document the message was about.
    pub title: String,
}

/// One group robot of a space. The secret is stored to sign requests and never answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    /// Opaque id.
    pub id: String,
    /// Which chat service.
    pub kind: RobotKind,
    /// The webhook address (holds the robot's access token: never logged whole).
    pub url: String,
    /// The signing secret (DingTalk 加签, Feishu 签名校验), if set.
    pub secret: Option<String>,
    /// Who added it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// The last delivery's result.
    pub last: Option<DeliveryResult>,
}

/// The group robots of one space. key = space id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpaceWebhooks {
    /// The robots, in the order the manager listed them.
    pub hooks: Vec<Webhook>,
}

/// What a robot message announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RobotEvent {
    /// A version published directly (no review).
    Published,
    /// A version published by the final approval of its review.
    Approved,
    /// An action item in the document is overdue.
    Overdue,
}

/// A message waiting to be delivered to one robot, in the webhook queue. key = sequence (u64 BE).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedDelivery {
    /// The space whose robot it goes to.
    pub space_id: String,
    /// The robot ([`Webhook::id`]); a robot removed meanwhile drops the message.
    pub hook_id: String,
    /// What happened.
    pub event: RobotEvent,
    /// The document.
    pub doc_id: String,
    /// Its title at that version.
    pub title: String,
    /// The version published.
    pub version: u64,
    /// The author's display name.
    pub author: String,
    /// Who gave the final approval (display name), for [`RobotEvent::Approved`].
    pub approver: Option<String>,
    /// The overdue action item (`事项（负责人，截止日期）`), for [`RobotEvent::Overdue`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// Attempts made so far.
    pub attempts: u32,
    /// Not before this time.
    pub next_at: DateTime<Utc>,
    /// When it was queued.
    pub queued_at: DateTime<Utc>,
}

/// A template a new document or record starts from. Built-in ones are in code
/// (`service::templates`); these are the ones space managers and administrators add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    /// Opaque id.
    pub id: String,
    /// Its name in the "New" menu.
    pub name: String,
    /// The space it belongs to; None: global (administrators).
    pub space_id: Option<String>,
    /// For a record template: the record type.
    pub record_type: Option<String>,
    /// The title a new document gets (document templates; variables allowed).
    #[serde(default)]
    pub title: String,
    /// Markdown body (document templates), with `{date}`-style variables.
    #[serde(default)]
    pub body: String,
    /// Record fields (record templates), variables in string values.
    #[serde(default)]
    pub fields: Option<serde_json::Value>,
    /// Who added it (user id).
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Where an action item comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemSource {
    /// A row of a record (minutes' action items, tracker tasks).
    Record,
    /// A Markdown task line.
    Task,
}

/// One action item of a document's published version, as stored for 我的待办 and reminders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredItem {
    /// `doc id-16 hex` (see `domain::actions::item_id`).
    pub id: String,
    /// Record row or task line.
    pub source: ItemSource,
    /// Where in the source: a JSON Pointer (`/action_items/1`) or the line number.
    pub at: String,
    /// The task.
    pub text: String,
    /// The owner's account (user id), when the owner names one.
    pub assignee: Option<String>,
    /// The owner as written.
    pub owner: String,
    /// Due date.
    pub due: Option<NaiveDate>,
    /// Done.
    pub done: bool,
    /// Reminders sent (`soon`, `overdue`).
    #[serde(default)]
    pub reminded: Vec<String>,
}

/// The action items of one document's published version. key = doc id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocActions {
    /// The document.
    pub doc_id: String,
    /// Its space.
    pub space_id: String,
    /// The version they were read from.
    pub version: u64,
    /// That version's title.
    pub title: String,
    /// The items.
    pub items: Vec<StoredItem>,
}

/// Where an attachment's text extraction stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TextStatus {
    /// Waiting for the extraction worker.
    Pending,
    /// Text extracted and searchable.
    Ok,
    /// No text in it (an image, a scanned PDF, a format without text).
    NoText,
    /// The file could not be read (`text_error` says why).
    Failed,
}

/// A file attached to a document. Its bytes are in the data directory's `attachments/` by
/// SHA-256 (the same file twice is stored once). key = attachment id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// Opaque id.
    pub id: String,
    /// The document it belongs to (read exactly when that document may be read).
    pub doc_id: String,
    /// The name it was uploaded under.
    pub filename: String,
    /// Bytes.
    pub size: u64,
    /// Its type, from the name (and checked against the bytes for the ones shown inline).
    pub content_type: String,
    /// SHA-256 of the bytes, hex: the blob's name.
    pub sha256: String,
    /// Whether browsers may show it inline (PDF and raster images whose bytes say so).
    #[serde(default)]
    pub inline: bool,
    /// Text extraction.
    pub text_status: TextStatus,
    /// Why extraction failed or found nothing (Chinese).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_error: Option<String>,
    /// Pages (PDF), slides or sheets, when the format has them.
    #[serde(default)]
    pub pages: u32,
    /// Uploaded at.
    pub created_at: DateTime<Utc>,
    /// Uploaded by (user id).
    pub uploaded_by: String,
}

/// An attachment's extracted text. key = attachment id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentText {
    /// Plain text (NFKC).
    pub text: String,
    /// Byte offsets in `text` where page (slide, sheet) 2, 3… start, after page 1 at 0.
    pub pages: Vec<usize>,
    /// A Word file's text as Markdown (headings, lists, tables), to read it in the browser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub markdown: Option<String>,
}
