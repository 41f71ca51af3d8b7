//! The use cases, one module per aggregate. Every permission decision happens here, on a plain
//! [`Caller`] (never an HTTP type); services call `domain/` for rules and `store/` for data.

pub mod access;
pub mod accounts;
pub mod actions;
pub mod attachments;
pub mod audit;
pub mod backups;
pub mod collab;
pub mod documents;
pub mod export;
pub mod gauges;
pub mod import;
pub mod onboarding;
pub mod presence;
pub mod records;
pub mod reviews;
pub mod search;
pub mod sessions;
pub mod settings;
pub mod spaces;
pub mod stats;
pub mod templates;
pub mod uploads;
pub mod webhooks;

use chrono::Utc;

use crate::{
    domain::permission::Subject,
    error::{Error, Result},
    model::User,
};

/// Who is asking: the account, its departments and its address. Built by the HTTP layer from a
/// session, by the CLI for the operator, by jobs for themselves.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The account.
    pub user: User,
    /// Its department ids.
    pub groups: Vec<String>,
    /// Client address (for the audit log).
    pub ip: String,
}

impl Caller {
    /// The caller's user id.
    pub fn id(&self) -> &str {
        &self.user.id
    }

    /// This caller as a permission subject.
    pub fn subject(&self) -> Subject {
        crate::service::access::subject(&self.user, &self.groups)
    }

    /// Is the caller an active administrator?
    pub fn is_admin(&self) -> bool {
        self.subject().is_effective_admin(Utc::now())
    }

    /// Refuses non-admins (403).
    pub fn require_admin(&self) -> Result<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(Error::Forbidden("only administrators may do this".into()))
        }
    }
}
