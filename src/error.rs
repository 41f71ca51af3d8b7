//! One API error type and one table of codes. Every error leaves the server as
//! `{"error": {"code": "snake_case", "message": "…", …parameters}}` with a stable [`Code`]; the
//! English `message` is for scripts and logs, the parameters (`field`, `limit`, `name`, `line`…)
//! let a client say the same in its own language (the web UI does, in `web/i18n.js`).
//! Internal causes are logged, never sent.
//!
//! HTTP statuses live here and only here: [`Code::status`]. Domain refusals ([`DenyReason`],
//! [`ReviewError`], [`PolicyError`], [`GrantError`], [`AccountError`], bad search queries) keep
//! pure reasons and become errors through the conversions at the end of this file.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::{Map, Value, json};

use crate::domain::{
    permission::{AccountError, DenyReason, GrantError},
    review::{PolicyError, ReviewError},
};

/// The crate-wide result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Parameters of an error, merged into its JSON object beside `code` and `message`.
pub type Params = Map<String, Value>;

/// Declares a table of stable snake_case names: the enum, `ALL`, `as_str`, `from_name`, `Display`
/// and `Serialize`. One row per entry, so `ALL` cannot miss one.
macro_rules! names {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[doc = $doc:literal])* $variant:ident = $text:literal; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl $name {
            /// Every entry, in table order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The stable snake_case name sent to clients.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The entry named `name`, if any.
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|c| c.as_str() == name)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl $name {
            /// What the entry means: its doc comment, for the API description.
            pub fn doc(self) -> String {
                let lines: &[&str] = match self {
                    $($name::$variant => &[$($doc),*],)*
                };
                lines.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ")
            }
        }

        /// In the OpenAPI description: a string, one of [`Self::ALL`], each explained.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let explained: Vec<String> = Self::ALL
                    .iter()
                    .map(|e| format!("- `{}`: {}", e.as_str(), e.doc()))
                    .collect();
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some(Self::ALL.iter().map(|e| e.as_str())))
                    .description(Some(explained.join("\n")))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

/// [`names!`] with an HTTP status per row: `Variant = "name" => STATUS;`.
macro_rules! codes {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[doc = $doc:literal])* $variant:ident = $text:literal => $status:ident; )*
        }
    ) => {
        names! {
            $(#[$meta])*
            $name {
                $( $(#[doc = $doc])* $variant = $text; )*
            }
        }

        impl $name {
            /// The HTTP status answered with this code.
            pub const fn status(self) -> StatusCode {
                match self {
                    $($name::$variant => StatusCode::$status,)*
                }
            }
        }
    };
}

codes! {
    /// Every error code the API answers with, its string (stable: clients and tests match on it)
    /// and its HTTP status. Parameters sent beside `code` and `message` are listed per code;
    /// docs/API-NOTES.md has the same table for clients, and every code has a zh-CN and an English
    /// message in `web/i18n.js` (`err.<code>`; a test checks).
    Code {
        /// No valid session or token.
        Unauthenticated = "unauthenticated" => UNAUTHORIZED;
        /// Wrong username or password at login (the same for unknown users).
        InvalidCredentials = "invalid_credentials" => UNAUTHORIZED;
        /// Login to a disabled or expired account.
        AccountInactive = "account_inactive" => FORBIDDEN;
        /// A cookie-authenticated write without the right `X-CSRF-Token`.
        CsrfFailed = "csrf_failed" => FORBIDDEN;
        /// Logged in but not allowed. Parameter: `reason` (`external_read_only`, `admin_only`,
        /// `role_too_low`) when a permission rule refused.
        Forbidden = "forbidden" => FORBIDDEN;
        /// Missing, or hidden from the caller (existence must not leak).
        NotFound = "not_found" => NOT_FOUND;
        /// The path exists but not with this method.
        MethodNotAllowed = "method_not_allowed" => METHOD_NOT_ALLOWED;
        /// A stale `base_version`. Parameter: `current_version`; after a failed merge also
        /// `conflicts` (how many), `parts` (the merged text with the conflicting parts), `current`
        /// (who saved the version now stored, and when).
        EditConflict = "edit_conflict" => CONFLICT;
        /// Input failed validation: 400 (422 for a well-formed body refused for what it holds, see
        /// [`Error::unprocessable`]). Parameters: `field` (when one is at fault), `reason` (a
        /// [`Reason`]) and that reason's parameters.
        InvalidInput = "invalid_input" => BAD_REQUEST;
        /// A search query with a bad filter value. Parameters: `filter` (`before`, `after`,
        /// `type`), `value`, `expected`.
        InvalidQuery = "invalid_query" => BAD_REQUEST;
        /// A space, category or department name already in use. Parameter: `name`.
        NameTaken = "name_taken" => CONFLICT;
        /// A username already in use. Parameter: `name`.
        UsernameTaken = "username_taken" => CONFLICT;
        /// Undeleting a document that is not in the trash.
        NotInTrash = "not_in_trash" => CONFLICT;
        /// The documents of a space kept changing during an import.
        ImportConflict = "import_conflict" => CONFLICT;
        /// Submitting where no review policy applies.
        NoReviewPolicy = "no_review_policy" => BAD_REQUEST;
        /// Submitting an older version saved in another category. Parameter: `version`.
        VersionElsewhere = "version_elsewhere" => CONFLICT;
        /// Submitting a version already published (or older). Parameter: `version`.
        AlreadyPublished = "already_published" => CONFLICT;
        /// The text holds blocked sensitive words. Parameters: `matches`
        /// (`[{word, field, line, column, action}]`), `words` (the blocked words), and `word`,
        /// `field`, `line`, `column` of the first blocked match.
        SensitiveWords = "sensitive_words" => UNPROCESSABLE_ENTITY;
        /// Approving a review of a document in the trash.
        DocDeleted = "doc_deleted" => CONFLICT;
        /// A review kept changing under a decision.
        ReviewBusy = "review_busy" => CONFLICT;
        /// Approving or rejecting one's own submission.
        SelfApproval = "self_approval" => FORBIDDEN;
        /// Deciding without being a reviewer of the current stage.
        NotAReviewer = "not_a_reviewer" => FORBIDDEN;
        /// Withdrawing someone else's submission.
        NotAuthor = "not_author" => FORBIDDEN;
        /// Deciding twice at one stage.
        AlreadyDecided = "already_decided" => CONFLICT;
        /// Acting on a review that is no longer in review.
        NotPending = "not_pending" => CONFLICT;
        /// Rejecting without a comment.
        CommentRequired = "comment_required" => UNPROCESSABLE_ENTITY;
        /// The review policy snapshotted at submission is invalid. Parameters: `reason` and
        /// `stage` (1-based) as for the policy's `invalid_input`.
        InvalidPolicy = "invalid_policy" => UNPROCESSABLE_ENTITY;
        /// A stage lists nobody but the author. Parameter: `stage` (1-based).
        NoEligibleReviewer = "no_eligible_reviewer" => UNPROCESSABLE_ENTITY;
        /// An onboarding collection names a document some of its audience cannot read.
        /// Parameters: `index` (0-based), `doc_id`, `title`, `names` (up to ten people,
        /// "姓名（登录名）"), `count` (how many cannot read it).
        ItemNotReadable = "item_not_readable" => UNPROCESSABLE_ENTITY;
        /// A record's fields do not follow its type's schema. Parameter: `errors`
        /// (`[{path, message}]`: a JSON Pointer into the fields and a Chinese message each).
        InvalidRecord = "invalid_record" => UNPROCESSABLE_ENTITY;
        /// The body is over a limit. Parameter: `limit` (bytes) when known.
        PayloadTooLarge = "payload_too_large" => PAYLOAD_TOO_LARGE;
        /// The request target is too long. Parameter: `limit` (bytes).
        UriTooLong = "uri_too_long" => URI_TOO_LONG;
        /// The request headers are too large. Parameter: `limit` (bytes).
        HeadersTooLarge = "headers_too_large" => REQUEST_HEADER_FIELDS_TOO_LARGE;
        /// Throttled. Parameter: `retry_after_secs` (also the `Retry-After` header).
        TooManyRequests = "too_many_requests" => TOO_MANY_REQUESTS;
        /// The CPU pool's queue is full: try again shortly.
        ServerBusy = "server_busy" => SERVICE_UNAVAILABLE;
        /// Anything else: logged with its cause, answered without details.
        Internal = "internal" => INTERNAL_SERVER_ERROR;
    }
}

names! {
    /// Why an input was refused: the `reason` of an `invalid_input` answer, with the parameters
    /// the reason names (besides `field`). Every reason has a zh-CN and an English message in
    /// `web/i18n.js` (`reason.<reason>`; a test checks).
    Reason {
        /// Empty, blank or missing.
        Required = "required";
        /// Too short. Parameter: `limit` (characters).
        TooShort = "too_short";
        /// Too long. Parameter: `limit` (characters).
        TooLong = "too_long";
        /// Too many items. Parameter: `limit`.
        TooMany = "too_many";
        /// Too few items. Parameter: `limit`.
        TooFew = "too_few";
        /// Nested too deep. Parameter: `limit` (levels).
        TooDeep = "too_deep";
        /// A number outside its range. Parameters: `min`, `max`.
        OutOfRange = "out_of_range";
        /// Not one of the values allowed. Parameter: `allowed` (a list).
        NotOneOf = "not_one_of";
        /// Holds characters not allowed there (control characters, `/`, commas, NUL…).
        BadCharacters = "bad_characters";
        /// A value of the wrong type or shape.
        BadValue = "bad_value";
        /// The body is not valid JSON, or not JSON at all.
        Malformed = "malformed";
        /// Not a readable zip archive.
        NotZip = "not_zip";
        /// The archive holds no Markdown file.
        NoMarkdown = "no_markdown";
        /// Some entries of an archive cannot be imported. Parameter: `problems`
        /// (`[{entry, code, message}]`).
        BadEntries = "bad_entries";
        /// Names something that does not exist. Parameter: `name` when the value is a name.
        NoSuch = "no_such";
        /// Listed more than once. Parameter: `name`.
        Duplicate = "duplicate";
        /// Belongs to another space.
        OtherSpace = "other_space";
        /// Would put a category under itself or its own children.
        Cycle = "cycle";
        /// Administrators cannot disable themselves or drop their own rights.
        OwnAccount = "own_account";
        /// A username not of 2 to 32 lower-case letters, digits, `.`, `_`, `-`.
        BadUsername = "bad_username";
        /// A password mixing fewer than two of lower case, upper case, digits, symbols.
        WeakPassword = "weak_password";
        /// A password equal to the username.
        PasswordIsUsername = "password_is_username";
        /// The current password given is wrong.
        WrongPassword = "wrong_password";
        /// An end date that is not in the future.
        InPast = "in_past";
        /// Interns and external guests need an end date.
        ExpiryRequired = "expiry_required";
        /// External guests cannot be administrators.
        ExternalAdmin = "external_admin";
        /// A grant or reviewer names no existing user or group. Parameter: `name` (and `stage`,
        /// `stage_name` for a reviewer).
        UnknownPrincipal = "unknown_principal";
        /// External guests can be readers at most. Parameters: `name`, `role`.
        ExternalRoleTooHigh = "external_role_too_high";
        /// External guests never review. Parameters: `name`, `stage` (1-based), `stage_name`.
        ExternalReviewer = "external_reviewer";
        /// A disabled or expired account cannot join a department or review. Parameter: `name`
        /// (and `stage`, `stage_name` for a reviewer).
        InactiveAccount = "inactive_account";
        /// A review stage names someone who cannot read the place. Parameters: `stage`
        /// (1-based), `stage_name`, `name`.
        CannotReview = "cannot_review";
        /// Not an `http://` or `https://` address with a host (a robot's webhook).
        BadUrl = "bad_url";
        /// A robot address on this machine or a link-local network (see
        /// `--webhook-allow-loopback`).
        LocalAddress = "local_address";
    }
}

/// Every way a request can fail. The code and status come from [`Error::code`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No valid session or token.
    #[error("please log in")]
    Unauthenticated,
    /// Logged in but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// Missing, or hidden from the caller (existence must not leak).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A stale `base_version`.
    #[error("the document was changed by someone else (current version {current_version})")]
    EditConflict {
        /// The version now stored.
        current_version: u64,
        /// On a merge that failed: the conflicting parts and who saved the version now stored
        /// (fields added to the answer).
        detail: Option<Box<Map<String, Value>>>,
    },
    /// Input failed validation: `invalid_input`.
    #[error("{message}")]
    InvalidInput {
        /// The field at fault, when there is one.
        field: Option<String>,
        /// Human-readable explanation.
        message: String,
        /// Why, for clients that say it in their own words.
        reason: Option<Reason>,
        /// The reason's parameters (`limit`, `name`…).
        params: Params,
        /// Answer 422 rather than 400: well-formed, but refused for what it holds.
        unprocessable: bool,
    },
    /// Any other refusal with its own code (duplicate name, a review rule, a protocol limit…);
    /// the status is the code's.
    #[error("{message}")]
    Rule {
        /// Stable code.
        code: Code,
        /// Human-readable explanation.
        message: String,
        /// Parameters merged into the error object.
        params: Params,
    },
    /// Body over the configured limit.
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// Throttled.
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    TooManyRequests {
        /// Seconds until the next attempt may succeed.
        retry_after_secs: u64,
    },
    /// Anything else: logged with its cause, answered as a bare 500.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// `invalid_input` naming a field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidInput {
            field: Some(field.into()),
            message: message.into(),
            reason: None,
            params: Params::new(),
            unprocessable: false,
        }
    }

    /// `invalid_input` without a field.
    pub fn bad(message: impl Into<String>) -> Self {
        Error::InvalidInput {
            field: None,
            message: message.into(),
            reason: None,
            params: Params::new(),
            unprocessable: false,
        }
    }

    /// A refusal with its own code.
    pub fn rule(code: Code, message: impl Into<String>) -> Self {
        Error::Rule {
            code,
            message: message.into(),
            params: Params::new(),
        }
    }

    /// An internal error with a cause to log.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Error::Internal(cause.to_string())
    }

    /// Sets the [`Reason`] of an `invalid_input` (other errors are returned unchanged).
    #[must_use]
    pub fn because(mut self, why: Reason) -> Self {
        if let Error::InvalidInput { reason, .. } = &mut self {
            *reason = Some(why);
        }
        self
    }

    /// Adds a parameter to an `invalid_input` or a [`Error::Rule`]; other errors carry theirs
    /// already and are returned unchanged. `code` and `message` are not parameters.
    #[must_use]
    pub fn with(mut self, key: &str, value: impl serde::Serialize) -> Self {
        debug_assert!(
            key != "code" && key != "message",
            "{key} is not a parameter"
        );
        if let Error::InvalidInput { params, .. } | Error::Rule { params, .. } = &mut self
            && let Ok(v) = serde_json::to_value(value)
        {
            params.insert(key.to_owned(), v);
        }
        self
    }

    /// Moves an `invalid_input` to another field (other errors are returned unchanged).
    #[must_use]
    pub fn on_field(mut self, name: impl Into<String>) -> Self {
        if let Error::InvalidInput { field, .. } = &mut self {
            *field = Some(name.into());
        }
        self
    }

    /// Makes an `invalid_input` answer 422: the body is well-formed but refused for what it
    /// holds (API.md: `invalid_input` is 400/422).
    #[must_use]
    pub fn unprocessable(mut self) -> Self {
        if let Error::InvalidInput { unprocessable, .. } = &mut self {
            *unprocessable = true;
        }
        self
    }

    /// The stable code.
    pub fn code(&self) -> Code {
        match self {
            Error::Unauthenticated => Code::Unauthenticated,
            Error::Forbidden(_) => Code::Forbidden,
            Error::NotFound(_) => Code::NotFound,
            Error::EditConflict { .. } => Code::EditConflict,
            Error::InvalidInput { .. } => Code::InvalidInput,
            Error::Rule { code, .. } => *code,
            Error::PayloadTooLarge { .. } => Code::PayloadTooLarge,
            Error::TooManyRequests { .. } => Code::TooManyRequests,
            Error::Internal(_) => Code::Internal,
        }
    }

    /// The HTTP status: the code's, except a 422 `invalid_input` ([`Error::unprocessable`]).
    pub fn status(&self) -> StatusCode {
        match self {
            Error::InvalidInput {
                unprocessable: true,
                ..
            } => StatusCode::UNPROCESSABLE_ENTITY,
            other => other.code().status(),
        }
    }

    /// The error object sent as `{"error": …}`: parameters, then `code` and `message`.
    pub fn body(&self) -> Value {
        let mut obj = Map::new();
        match self {
            Error::EditConflict {
                current_version,
                detail,
            } => {
                obj.insert("current_version".into(), json!(current_version));
                if let Some(detail) = detail {
                    obj.extend((**detail).clone());
                }
            }
            Error::InvalidInput {
                field,
                reason,
                params,
                ..
            } => {
                obj.extend(params.clone());
                if let Some(field) = field {
                    obj.insert("field".into(), json!(field));
                }
                if let Some(reason) = reason {
                    obj.insert("reason".into(), json!(reason));
                }
            }
            Error::Rule { params, .. } => obj.extend(params.clone()),
            Error::PayloadTooLarge { limit } => {
                obj.insert("limit".into(), json!(limit));
            }
            Error::TooManyRequests { retry_after_secs } => {
                obj.insert("retry_after_secs".into(), json!(retry_after_secs));
            }
            Error::Forbidden(_) | Error::Unauthenticated | Error::NotFound(_) => {}
            Error::Internal(_) => {}
        }
        obj.insert("code".into(), json!(self.code()));
        let message = match self {
            Error::Internal(_) => "internal error".to_owned(),
            other => other.to_string(),
        };
        obj.insert("message".into(), json!(message));
        Value::Object(obj)
    }

    /// The refusal of a permission decision: hidden (no access, or an inactive account) answers
    /// 404 `what` not found, so existence does not leak; visible but not allowed answers 403.
    pub fn denied(reason: DenyReason, what: &'static str) -> Self {
        let (why, message) = match reason {
            DenyReason::NoAccess | DenyReason::Inactive => return Error::NotFound(what),
            DenyReason::ExternalReadOnly => ("external_read_only", "external guests can only read"),
            DenyReason::AdminOnly => ("admin_only", "only administrators may do this"),
            DenyReason::InsufficientRole => ("role_too_low", "your role here does not allow this"),
        };
        Error::rule(Code::Forbidden, message).with("reason", why)
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        if let Error::Internal(cause) = &self {
            tracing::error!(%cause, "internal error");
        }
        let status = self.status();
        let mut resp = (status, Json(json!({ "error": self.body() }))).into_response();
        if let Error::TooManyRequests { retry_after_secs } = self
            && let Ok(v) = retry_after_secs.to_string().parse()
        {
            resp.headers_mut().insert("retry-after", v);
        }
        resp
    }
}

// ---- domain refusals ---------------------------------------------------------------------------

impl From<hanlin_index::Error> for Error {
    fn from(e: hanlin_index::Error) -> Self {
        match e {
            hanlin_index::Error::Query(q) => Error::rule(Code::InvalidQuery, q.to_string())
                .with("filter", &q.filter)
                .with("value", &q.value)
                .with("expected", &q.expected),
            other => Error::Internal(format!("index: {other}")),
        }
    }
}

impl From<ReviewError> for Error {
    fn from(e: ReviewError) -> Self {
        let message = e.to_string();
        match e {
            ReviewError::SelfApproval => Error::rule(Code::SelfApproval, message),
            ReviewError::NotAReviewer => Error::rule(Code::NotAReviewer, message),
            ReviewError::AlreadyDecided => Error::rule(Code::AlreadyDecided, message),
            ReviewError::NotPending => Error::rule(Code::NotPending, message),
            ReviewError::CommentRequired => Error::rule(Code::CommentRequired, message),
            ReviewError::NotAuthor => Error::rule(Code::NotAuthor, message),
            ReviewError::InvalidPolicy(p) => {
                let (reason, stage) = policy_reason(&p);
                let e = Error::rule(Code::InvalidPolicy, message).with("reason", reason);
                match stage {
                    Some(s) => e.with("stage", s + 1),
                    None => e,
                }
            }
            ReviewError::NoEligibleReviewer { stage } => {
                Error::rule(Code::NoEligibleReviewer, message).with("stage", stage + 1)
            }
        }
    }
}

/// The reason of a policy fault and its stage index, if it has one.
fn policy_reason(e: &PolicyError) -> (Reason, Option<usize>) {
    match e {
        PolicyError::NoStages => (Reason::Required, None),
        PolicyError::TooManyStages { .. } => (Reason::TooMany, None),
        PolicyError::EmptyStageName { stage } | PolicyError::NoReviewers { stage } => {
            (Reason::Required, Some(*stage))
        }
        PolicyError::StageNameTooLong { stage } => (Reason::TooLong, Some(*stage)),
        PolicyError::DuplicateReviewer { stage, .. } => (Reason::Duplicate, Some(*stage)),
    }
}

/// A review policy refused on `PUT …/review-policy`: `invalid_input` on `stages`,
/// `stages[<i>].name` or `stages[<i>].reviewers`, with the reason, the 1-based `stage` and its
/// limit or repeated `name`.
impl From<PolicyError> for Error {
    fn from(e: PolicyError) -> Self {
        use crate::domain::review::{MAX_STAGE_NAME_CHARS, MAX_STAGES};
        let (reason, stage) = policy_reason(&e);
        let field = match &e {
            PolicyError::NoStages | PolicyError::TooManyStages { .. } => "stages".to_owned(),
            PolicyError::EmptyStageName { stage } | PolicyError::StageNameTooLong { stage } => {
                format!("stages[{stage}].name")
            }
            PolicyError::NoReviewers { stage } | PolicyError::DuplicateReviewer { stage, .. } => {
                format!("stages[{stage}].reviewers")
            }
        };
        let mut err = Error::invalid(field, e.to_string()).because(reason);
        if let Some(s) = stage {
            err = err.with("stage", s + 1);
        }
        match e {
            PolicyError::TooManyStages { .. } => err.with("limit", MAX_STAGES),
            PolicyError::StageNameTooLong { .. } => err.with("limit", MAX_STAGE_NAME_CHARS),
            PolicyError::DuplicateReviewer { principal, .. } => {
                err.with("name", principal.to_string())
            }
            _ => err,
        }
    }
}

/// A grant list refused: `invalid_input` on `grants[<index>]`, naming the principal.
impl From<GrantError> for Error {
    fn from(e: GrantError) -> Self {
        let err = Error::invalid(format!("grants[{}]", e.index()), e.to_string());
        match e {
            GrantError::UnknownPrincipal { principal, .. } => err
                .because(Reason::UnknownPrincipal)
                .with("name", principal.to_string()),
            GrantError::ExternalAboveReader {
                principal, role, ..
            } => err
                .because(Reason::ExternalRoleTooHigh)
                .with("name", principal.to_string())
                .with("role", role),
            GrantError::DuplicatePrincipal { principal, .. } => err
                .because(Reason::Duplicate)
                .with("name", principal.to_string()),
        }
    }
}

/// An account's settings refused: `invalid_input` on `expires_at` or `is_admin`.
impl From<AccountError> for Error {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::MissingExpiry(_) => {
                Error::invalid("expires_at", e.to_string()).because(Reason::ExpiryRequired)
            }
            AccountError::ExternalAdmin => {
                Error::invalid("is_admin", e.to_string()).because(Reason::ExternalAdmin)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn codes_are_distinct_snake_case_and_stable() {
        let mut seen = HashSet::new();
        for c in Code::ALL {
            let s = c.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(
                !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{s} is not snake_case"
            );
            assert_eq!(Code::from_name(s), Some(*c));
            assert_eq!(serde_json::to_value(c).unwrap(), json!(s));
            assert!(c.status().is_client_error() || c.status().is_server_error());
        }
        let mut reasons = HashSet::new();
        for r in Reason::ALL {
            let s = r.as_str();
            assert!(reasons.insert(s), "reason {s} twice");
            assert!(
                !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{s} is not snake_case"
            );
            assert_eq!(Reason::from_name(s), Some(*r));
        }
        // Pinned: clients match on these, so a change here is a breaking change of the API.
        let pinned = [
            ("unauthenticated", 401),
            ("invalid_credentials", 401),
            ("account_inactive", 403),
            ("csrf_failed", 403),
            ("forbidden", 403),
            ("not_found", 404),
            ("method_not_allowed", 405),
            ("edit_conflict", 409),
            ("invalid_input", 400),
            ("invalid_query", 400),
            ("name_taken", 409),
            ("username_taken", 409),
            ("not_in_trash", 409),
            ("import_conflict", 409),
            ("no_review_policy", 400),
            ("version_elsewhere", 409),
            ("already_published", 409),
            ("sensitive_words", 422),
            ("doc_deleted", 409),
            ("review_busy", 409),
            ("self_approval", 403),
            ("not_a_reviewer", 403),
            ("not_author", 403),
            ("already_decided", 409),
            ("not_pending", 409),
            ("comment_required", 422),
            ("invalid_policy", 422),
            ("no_eligible_reviewer", 422),
            ("item_not_readable", 422),
            ("invalid_record", 422),
            ("payload_too_large", 413),
            ("uri_too_long", 414),
            ("headers_too_large", 431),
            ("too_many_requests", 429),
            ("server_busy", 503),
            ("internal", 500),
        ];
        let table: Vec<(&str, u16)> = Code::ALL
            .iter()
            .map(|c| (c.as_str(), c.status().as_u16()))
            .collect();
        assert_eq!(table, pinned);
    }

    #[test]
    fn statuses_follow_the_code_except_unprocessable_input() {
        assert_eq!(Error::bad("x").status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            Error::bad("x").unprocessable().status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(Error::bad("x").unprocessable().code(), Code::InvalidInput);
        for c in Code::ALL {
            assert_eq!(Error::rule(*c, "m").status(), c.status());
        }
    }

    #[test]
    fn the_body_carries_code_message_and_parameters() {
        let e = Error::invalid("title", "the title is longer than 200 characters")
            .because(Reason::TooLong)
            .with("limit", 200);
        assert_eq!(
            e.body(),
            json!({"code": "invalid_input", "message": "the title is longer than 200 characters",
                   "field": "title", "reason": "too_long", "limit": 200})
        );
        // Parameters cannot hide the code or the message.
        let e = Error::rule(Code::NameTaken, "taken").with("name", "产品");
        assert_eq!(
            e.body(),
            json!({"code": "name_taken", "message": "taken", "name": "产品"})
        );
        assert_eq!(
            Error::internal("disk on fire").body(),
            json!({"code": "internal", "message": "internal error"})
        );
        assert_eq!(
            Error::TooManyRequests {
                retry_after_secs: 7
            }
            .body()["retry_after_secs"],
            7
        );
    }

    #[test]
    fn permission_refusals_answer_what_the_api_answers() {
        // An inactive account is hidden like no access: 404, never 401 (sessions are ended by
        // authentication, before any decision).
        for (reason, status, code) in [
            (DenyReason::Inactive, 404, "not_found"),
            (DenyReason::NoAccess, 404, "not_found"),
            (DenyReason::InsufficientRole, 403, "forbidden"),
            (DenyReason::ExternalReadOnly, 403, "forbidden"),
            (DenyReason::AdminOnly, 403, "forbidden"),
        ] {
            let e = Error::denied(reason, "document");
            assert_eq!(
                (e.status().as_u16(), e.code().as_str()),
                (status, code),
                "{reason:?}"
            );
        }
    }

    #[test]
    fn review_refusals_keep_their_codes_and_statuses() {
        use crate::domain::review::PolicyError;
        let table = [
            (ReviewError::SelfApproval, "self_approval", 403),
            (ReviewError::NotAReviewer, "not_a_reviewer", 403),
            (ReviewError::AlreadyDecided, "already_decided", 409),
            (ReviewError::NotPending, "not_pending", 409),
            (ReviewError::CommentRequired, "comment_required", 422),
            (ReviewError::NotAuthor, "not_author", 403),
            (
                ReviewError::InvalidPolicy(PolicyError::NoStages),
                "invalid_policy",
                422,
            ),
            (
                ReviewError::NoEligibleReviewer { stage: 1 },
                "no_eligible_reviewer",
                422,
            ),
        ];
        for (err, code, status) in table {
            let e = Error::from(err);
            assert_eq!((e.code().as_str(), e.status().as_u16()), (code, status));
        }
        let e = Error::from(ReviewError::NoEligibleReviewer { stage: 1 });
        assert_eq!(e.body()["stage"], 2, "stages are counted from 1");
        let e = Error::from(PolicyError::StageNameTooLong { stage: 0 });
        assert_eq!(
            (e.body()["field"].clone(), e.body()["reason"].clone()),
            (json!("stages[0].name"), json!("too_long"))
        );
        assert_eq!(
            (e.body()["stage"].clone(), e.body()["limit"].clone()),
            (json!(1), json!(crate::domain::review::MAX_STAGE_NAME_CHARS))
        );
    }
}
