//! Permission decisions: one pure function answers every (user, action, resource) question.
//!
//! Everything here is plain data in, plain data out: no I/O, no storage, no HTTP. The server loads
//! the subject (the signed-in account), the space's grants and the chain of categories from the
//! space root down to the resource, then asks [`decide`]. Search asks [`readable_scopes`] once per
//! query and filters inside the index; the two agree exactly (a property test checks it).
//!
//! # The rules
//!
//! 1. A disabled account, or one whose `expires_at <= now`, may do nothing
//!    ([`DenyReason::Inactive`]). Interns and external guests must have an expiry date; a missing
//!    one counts as already expired (least privilege). Employees may have one (a leaver's last day).
//! 2. An active administrator may do everything. `is_admin` is ignored on external accounts (an
//!    external guest can only ever read; [`validate_account`] refuses the combination on writes).
//! 3. The effective role at a resource is computed down the chain: start with the space's grants;
//!    at each category, `inherit: false` drops everything inherited and only the category's own
//!    grants apply; `inherit: true` adds its own grants to the inherited ones. The role is the
//!    highest one over the grants that match the subject (`user:<their id>`, `group:<g>` for each
//!    of their groups, `everyone`). At the space root (an empty chain) only space grants apply.
//! 4. External guests: `everyone` and `group:` grants never apply to them, only `user:<their id>`
//!    grants, and their role is capped at [`Role::Reader`]. They can only [`Action::Read`].
//! 5. Each [`Action`] needs a minimum role ([`Action::required_role`]). No role at all at the
//!    resource is [`DenyReason::NoAccess`] (the server hides the resource so existence does not
//!    leak); a role that is too low is [`DenyReason::InsufficientRole`] (the server refuses). What
//!    each reason answers over HTTP is decided in one place, `crate::error::Error::denied`.
//!
//! # Managing categories and grants
//!
//! [`Action::ManageCategories`] and [`Action::ManageGrants`] need [`Role::Manager`], and are
//! allowed when the subject is a Manager **either** in the space grants **or** at the end of the
//! chain passed in. The server passes:
//!
//! - for the space itself (space grants, creating a root category): an empty chain;
//! - for a category (its grants, its name, creating a child, deleting it): the chain down to and
//!   including that category;
//! - for moving a category: check both the category itself and the new parent's chain (and use
//!   [`would_create_cycle`]).
//!
//! So a space Manager can always repair any category of the space, even one whose
//! `inherit: false` hides its documents from them (they still cannot read those documents until
//! they grant themselves access, which is an audited write), and a Manager granted on a category
//! administers that category's subtree, and only that.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The kind of an account, which bounds what it can ever be granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// A regular employee. May have an expiry date (e.g. a leaver's last day) but need not.
    Employee,
    /// An intern: must have an expiry date (the end of the internship).
    Intern,
    /// An external guest: must have an expiry date; can only read what is granted to them by name.
    External,
}

impl AccountKind {
    /// Whether accounts of this kind must carry an `expires_at` (a missing one counts as expired).
    pub fn requires_expiry(self) -> bool {
        !matches!(self, AccountKind::Employee)
    }
}

/// A role granted on a space or category, ordered by power:
/// `Reader < Editor < Reviewer < Manager`. Each role can do everything the lower ones can.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads documents, versions, diffs and attachments.
    Reader,
    /// Also creates, edits, deletes and submits documents and sees the trash.
    Editor,
    /// Also reviews other people's submissions.
    Reviewer,
    /// Also manages categories and grants in its scope.
    Manager,
}

impl Role {
    /// The stable wire name (`"reader"`, `"editor"`, `"reviewer"`, `"manager"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Editor => "editor",
            Role::Reviewer => "reviewer",
            Role::Manager => "manager",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who a grant (or a review stage) is for. Its string form, used on the wire and in storage, is
/// `"user:<id>"`, `"group:<id>"` or `"everyone"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Principal {
    /// One account, by user id.
    User(String),
    /// Every member of a group (department), by group id.
    Group(String),
    /// Every signed-in account (external guests excepted, see the module docs).
    Everyone,
}

impl Principal {
    /// Whether this principal names the given account, by plain membership: `User` matches the id,
    /// `Group` matches any of `groups`, `Everyone` matches everybody. (Permission decisions add
    /// the external-guest restriction on top of this; see [`decide`].)
    pub fn matches(&self, user_id: &str, groups: &[String]) -> bool {
        match self {
            Principal::User(id) => id == user_id,
            Principal::Group(g) => groups.iter().any(|mine| mine == g),
            Principal::Everyone => true,
        }
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Principal::User(id) => write!(f, "user:{id}"),
            Principal::Group(id) => write!(f, "group:{id}"),
            Principal::Everyone => f.write_str("everyone"),
        }
    }
}

/// The string was not `"user:<id>"`, `"group:<id>"` or `"everyone"` (ids must be non-empty and
/// contain no whitespace or control characters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid principal {input:?}: expected \"user:<id>\", \"group:<id>\" or \"everyone\"")]
pub struct PrincipalParseError {
    /// The rejected input.
    pub input: String,
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && !id.chars().any(|c| c.is_whitespace() || c.is_control())
}

impl FromStr for Principal {
    type Err = PrincipalParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parsed = if s == "everyone" {
            Some(Principal::Everyone)
        } else if let Some(id) = s.strip_prefix("user:") {
            valid_id(id).then(|| Principal::User(id.to_owned()))
        } else if let Some(id) = s.strip_prefix("group:") {
            valid_id(id).then(|| Principal::Group(id.to_owned()))
        } else {
            None
        };
        parsed.ok_or_else(|| PrincipalParseError {
            input: s.to_owned(),
        })
    }
}

impl Serialize for Principal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// In the API description: its string form.
impl utoipa::PartialSchema for Principal {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^(user:[^\s]+|group:[^\s]+|everyone)$"))
            .description(Some(
                "`user:<id>` (one account), `group:<id>` (a department's members) or `everyone`",
            ))
            .examples(["group:0190a1b2c3d4e5f60718293a4b5c6d7e"])
            .into()
    }
}

impl utoipa::ToSchema for Principal {}

impl<'de> Deserialize<'de> for Principal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One grant: a principal holds a role on a space or category.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Grant {
    /// Who.
    pub principal: Principal,
    /// What they may do there.
    pub role: Role,
    /// Record types (`requirement`…) they may also create here whatever their role: how an
    /// external guest files a 外部需求登记表 in a project space and does nothing more.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub record_types: Vec<String>,
}

/// The account a decision is about, as loaded by the server for the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// The account's user id.
    pub user_id: String,
    /// Employee, intern or external guest.
    pub kind: AccountKind,
    /// Administrator flag (ignored for external guests).
    pub is_admin: bool,
    /// A disabled account may do nothing.
    pub disabled: bool,
    /// The account may do nothing from this instant on. Required for interns and externals.
    pub expires_at: Option<DateTime<Utc>>,
    /// Ids of the groups (departments) the account belongs to.
    pub groups: Vec<String>,
}

impl Subject {
    /// Whether the account may do anything at all at `now`: not disabled, and `now` is before its
    /// expiry. Interns and externals without an expiry date are treated as expired.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        if self.disabled {
            return false;
        }
        match self.expires_at {
            Some(expires_at) => now < expires_at,
            None => !self.kind.requires_expiry(),
        }
    }

    /// Whether the account acts as an administrator at `now`: active, `is_admin`, and not external.
    pub fn is_effective_admin(&self, now: DateTime<Utc>) -> bool {
        self.is_admin && self.kind != AccountKind::External && self.is_active(now)
    }

    /// Whether a grant to `principal` applies to this account (externals: only `user:<their id>`).
    fn is_named_by(&self, principal: &Principal) -> bool {
        match self.kind {
            AccountKind::External => {
                matches!(principal, Principal::User(id) if *id == self.user_id)
            }
            AccountKind::Employee | AccountKind::Intern => {
                principal.matches(&self.user_id, &self.groups)
            }
        }
    }

    /// The highest role among `grants` that apply to this account, capped for externals.
    fn role_in(&self, grants: &[Grant]) -> Option<Role> {
        let role = grants
            .iter()
            .filter(|g| self.is_named_by(&g.principal))
            .map(|g| g.role)
            .max()?;
        Some(match self.kind {
            AccountKind::External => Role::Reader,
            AccountKind::Employee | AccountKind::Intern => role,
        })
    }
}

/// A space's own grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpaceAcl {
    /// The space id.
    pub space_id: String,
    /// Grants on the whole space (inherited by categories with `inherit: true`).
    pub grants: Vec<Grant>,
}

/// One category on the chain from the space root down to a resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryAcl {
    /// The category id.
    pub id: String,
    /// `true`: own grants are added to the inherited ones; `false`: only own grants apply here
    /// and below.
    pub inherit: bool,
    /// The category's own grants.
    pub grants: Vec<Grant>,
}

/// One node of a space's whole category tree, for [`readable_scopes`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryNode {
    /// The category id (unique across all spaces).
    pub id: String,
    /// The parent category, or `None` for a root category of the space.
    pub parent_id: Option<String>,
    /// As [`CategoryAcl::inherit`].
    pub inherit: bool,
    /// The category's own grants.
    pub grants: Vec<Grant>,
}

/// Something a subject wants to do at a resource (a space root or a category).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Read documents, versions, diffs, attachments, search hits, exports, feeds. Needs Reader.
    Read,
    /// Create a document here. Needs Editor.
    Create,
    /// Save a new version, restore a version, change tags or move the document. Needs Editor.
    Edit,
    /// Move a document to the trash or bring it back. Needs Editor.
    Delete,
    /// Submit a version for review. Needs Editor.
    Submit,
    /// Approve or reject a submission. Needs Reviewer; the review module also refuses the
    /// author's own submission and reviewers not listed in the current stage.
    Review,
    /// Create, rename, move or delete categories, and set review policies. Needs Manager (see the
    /// module docs for the scope).
    ManageCategories,
    /// Change grants and the `inherit` flag. Needs Manager (see the module docs for the scope).
    ManageGrants,
    /// List deleted documents. Needs Editor.
    ViewTrash,
    /// Server-wide administration (users, groups, audit log, backups, word lists). Needs an
    /// administrator; no grant confers it.
    Admin,
}

impl Action {
    /// The minimum role the action needs, or `None` for [`Action::Admin`] (administrators only).
    pub fn required_role(self) -> Option<Role> {
        match self {
            Action::Read => Some(Role::Reader),
            Action::Create | Action::Edit | Action::Delete | Action::Submit | Action::ViewTrash => {
                Some(Role::Editor)
            }
            Action::Review => Some(Role::Reviewer),
            Action::ManageCategories | Action::ManageGrants => Some(Role::Manager),
            Action::Admin => None,
        }
    }

    fn is_management(self) -> bool {
        matches!(self, Action::ManageCategories | Action::ManageGrants)
    }
}

/// Why an action was refused. The server's answer for each (status and code) is
/// `crate::error::Error::denied`, in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DenyReason {
    /// The account is disabled or expired (authentication ends such sessions first; a decision
    /// that still meets one hides the resource, as for [`DenyReason::NoAccess`]).
    Inactive,
    /// The subject has no role at all here: existence must not leak.
    NoAccess,
    /// The subject can see the resource but its role is too low.
    InsufficientRole,
    /// External guests may only read.
    ExternalReadOnly,
    /// Only administrators may do this.
    AdminOnly,
}

/// The answer to a permission question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Go ahead.
    Allow,
    /// Refused, and why.
    Deny(DenyReason),
}

impl Decision {
    /// Whether the action is allowed.
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

/// One step down the chain: `inherit: false` cuts what came from above.
fn step(inherited: Option<Role>, inherit: bool, own: Option<Role>) -> Option<Role> {
    if inherit { inherited.max(own) } else { own }
}

fn role_down_chain(subject: &Subject, space: &SpaceAcl, chain: &[CategoryAcl]) -> Option<Role> {
    chain
        .iter()
        .fold(subject.role_in(&space.grants), |inherited, category| {
            step(
                inherited,
                category.inherit,
                subject.role_in(&category.grants),
            )
        })
}

/// The record types `subject` may create at the end of `chain` through the `record_types` of
/// grants that apply to it there (inherited down the chain like roles: `inherit: false` drops
/// the ones above), external guests included. Empty for an inactive account.
pub fn record_types_granted(
    subject: &Subject,
    space: &SpaceAcl,
    chain: &[CategoryAcl],
    now: DateTime<Utc>,
) -> Vec<String> {
    if !subject.is_active(now) {
        return Vec::new();
    }
    let named = |grants: &[Grant]| -> Vec<String> {
        grants
            .iter()
            .filter(|g| subject.is_named_by(&g.principal))
            .flat_map(|g| g.record_types.iter().cloned())
            .collect()
    };
    let mut types = named(&space.grants);
    for c in chain {
        if !c.inherit {
            types.clear();
        }
        types.extend(named(&c.grants));
    }
    types.sort();
    types.dedup();
    types
}

/// The subject's role at the end of `chain` (the space root when `chain` is empty), from grants
/// alone: `None` when no grant applies or the account is inactive. Administrators get no implicit
/// role here; [`decide`] lets them through. `chain` runs from the space root down (root-most first).
pub fn effective_role(
    subject: &Subject,
    space: &SpaceAcl,
    chain: &[CategoryAcl],
    now: DateTime<Utc>,
) -> Option<Role> {
    if !subject.is_active(now) {
        return None;
    }
    role_down_chain(subject, space, chain)
}

/// May `subject` do `action` at the end of `chain` in `space` at `now`?
///
/// `chain` is the category path from the space root down to the resource, root-most first; empty
/// for the space root (documents without a category, space-level settings). Checks, in order:
/// inactive account, administrator, [`Action::Admin`], space Manager for management actions,
/// no role, external guest, role too low. See the module docs for the rules.
pub fn decide(
    subject: &Subject,
    action: Action,
    space: &SpaceAcl,
    chain: &[CategoryAcl],
    now: DateTime<Utc>,
) -> Decision {
    if !subject.is_active(now) {
        return Decision::Deny(DenyReason::Inactive);
    }
    if subject.is_effective_admin(now) {
        return Decision::Allow;
    }
    let Some(needed) = action.required_role() else {
        return Decision::Deny(DenyReason::AdminOnly);
    };
    // A space Manager manages every category of the space, even one it cannot read.
    // (Externals are capped at Reader, so this never lets one through.)
    if action.is_management() && subject.role_in(&space.grants) == Some(Role::Manager) {
        return Decision::Allow;
    }
    let Some(role) = role_down_chain(subject, space, chain) else {
        return Decision::Deny(DenyReason::NoAccess);
    };
    if subject.kind == AccountKind::External && action != Action::Read {
        return Decision::Deny(DenyReason::ExternalReadOnly);
    }
    if role >= needed {
        Decision::Allow
    } else {
        Decision::Deny(DenyReason::InsufficientRole)
    }
}

/// The scope key of a space root: `"space:<space_id>"`. Documents without a category carry it.
pub fn space_scope_key(space_id: &str) -> String {
    format!("space:{space_id}")
}

/// What a subject may read, as scope keys for the search engine's filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scopes {
    /// Everything (administrators): no filter needed.
    All,
    /// Exactly these scope keys: a category id for each readable category, and
    /// [`space_scope_key`] for each space whose root is readable. Shared, so the search filter
    /// takes it without a copy.
    Some(std::sync::Arc<HashSet<String>>),
}

impl Scopes {
    /// Whether the scope key (a category id or a [`space_scope_key`]) is readable.
    pub fn contains(&self, key: &str) -> bool {
        match self {
            Scopes::All => true,
            Scopes::Some(keys) => keys.contains(key),
        }
    }
}

/// Every scope `subject` may [`Action::Read`] at `now`, over whole spaces with their category
/// trees. Agrees exactly with `decide(subject, Action::Read, space, chain, now)` for the space
/// root and for every category reachable from a root of its tree.
///
/// One walk per tree, O(nodes + grants). Category ids are expected to be unique; a node whose
/// parent is missing from the tree, or that sits on a parent cycle, is unreachable and is never
/// readable (fail closed); a duplicated id is walked once.
pub fn readable_scopes(
    subject: &Subject,
    now: DateTime<Utc>,
    spaces: &[(SpaceAcl, Vec<CategoryNode>)],
) -> Scopes {
    if subject.is_effective_admin(now) {
        return Scopes::All;
    }
    let mut keys = HashSet::new();
    if !subject.is_active(now) {
        return Scopes::Some(keys.into());
    }
    for (space, nodes) in spaces {
        let root_role = subject.role_in(&space.grants);
        if root_role.is_some() {
            keys.insert(space_scope_key(&space.space_id));
        }
        let mut children: HashMap<&str, Vec<usize>> = HashMap::with_capacity(nodes.len());
        let mut stack: Vec<(usize, Option<Role>)> = Vec::new();
        for (index, node) in nodes.iter().enumerate() {
            match &node.parent_id {
                None => stack.push((index, root_role)),
                Some(parent) => children.entry(parent.as_str()).or_default().push(index),
            }
        }
        let mut visited: HashSet<&str> = HashSet::with_capacity(nodes.len());
        while let Some((index, inherited)) = stack.pop() {
            let node = &nodes[index];
            if !visited.insert(node.id.as_str()) {
                continue;
            }
            let role = step(inherited, node.inherit, subject.role_in(&node.grants));
            if role.is_some() {
                keys.insert(node.id.clone());
            }
            if let Some(kids) = children.get(node.id.as_str()) {
                stack.extend(kids.iter().map(|&kid| (kid, role)));
            }
        }
    }
    Scopes::Some(keys.into())
}

/// What a principal named in a grant turned out to be, as looked up by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// An existing account of this kind.
    User(AccountKind),
    /// An existing group.
    Group,
}

/// A grant list was refused; `index` is the position of the faulty grant in the list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    /// The user or group does not exist (or the lookup found the other kind).
    #[error("grant {index}: unknown principal {principal}")]
    UnknownPrincipal {
        /// Position in the list.
        index: usize,
        /// The principal named.
        principal: Principal,
    },
    /// External guests can be granted Reader at most.
    #[error(
        "grant {index}: {principal} is an external account and can only be a reader, not {role}"
    )]
    ExternalAboveReader {
        /// Position in the list.
        index: usize,
        /// The external user.
        principal: Principal,
        /// The role asked for.
        role: Role,
    },
    /// The same principal appears twice in one list.
    #[error("grant {index}: {principal} is granted more than once")]
    DuplicatePrincipal {
        /// Position of the second occurrence.
        index: usize,
        /// The repeated principal.
        principal: Principal,
    },
}

impl GrantError {
    /// The position of the faulty grant in the submitted list.
    pub fn index(&self) -> usize {
        match self {
            GrantError::UnknownPrincipal { index, .. }
            | GrantError::ExternalAboveReader { index, .. }
            | GrantError::DuplicatePrincipal { index, .. } => *index,
        }
    }
}

/// Checks a grant list before it is stored: every `user:` and `group:` principal must exist
/// (`lookup_kind` returns what it is, `None` when unknown; it is never called for `everyone`),
/// external users get at most Reader, and no principal appears twice. Reports the first fault.
pub fn validate_grants(
    grants: &[Grant],
    lookup_kind: impl Fn(&Principal) -> Option<PrincipalKind>,
) -> Result<(), GrantError> {
    let mut seen: HashSet<&Principal> = HashSet::with_capacity(grants.len());
    for (index, grant) in grants.iter().enumerate() {
        let principal = &grant.principal;
        if !seen.insert(principal) {
            return Err(GrantError::DuplicatePrincipal {
                index,
                principal: principal.clone(),
            });
        }
        let known = match principal {
            Principal::Everyone => true,
            Principal::User(_) => match lookup_kind(principal) {
                Some(PrincipalKind::User(AccountKind::External)) if grant.role > Role::Reader => {
                    return Err(GrantError::ExternalAboveReader {
                        index,
                        principal: principal.clone(),
                        role: grant.role,
                    });
                }
                Some(PrincipalKind::User(_)) => true,
                Some(PrincipalKind::Group) | None => false,
            },
            Principal::Group(_) => lookup_kind(principal) == Some(PrincipalKind::Group),
        };
        if !known {
            return Err(GrantError::UnknownPrincipal {
                index,
                principal: principal.clone(),
            });
        }
    }
    Ok(())
}

/// An account's settings were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// Interns and external guests need an `expires_at`.
    #[error("{0:?} accounts need an expiry date")]
    MissingExpiry(AccountKind),
    /// External guests cannot be administrators.
    #[error("external accounts cannot be administrators")]
    ExternalAdmin,
}

/// Checks an account's kind, admin flag and expiry before it is stored (creating or patching a
/// user), so that no account relies on the fail-closed fallbacks of [`Subject::is_active`] and
/// [`Subject::is_effective_admin`].
pub fn validate_account(
    kind: AccountKind,
    is_admin: bool,
    expires_at: Option<DateTime<Utc>>,
) -> Result<(), AccountError> {
    if kind.requires_expiry() && expires_at.is_none() {
        return Err(AccountError::MissingExpiry(kind));
    }
    if kind == AccountKind::External && is_admin {
        return Err(AccountError::ExternalAdmin);
    }
    Ok(())
}

/// Whether moving category `moving` under `new_parent` would make a cycle: true when `new_parent`
/// is `moving` itself or one of its descendants. `parent_of` gives a category's parent (`None` at a
/// root). If the existing parent links already loop, answers `true` (refuse the move).
pub fn would_create_cycle(
    moving: &str,
    new_parent: &str,
    parent_of: impl Fn(&str) -> Option<String>,
) -> bool {
    let mut seen: HashSet<String> = HashSet::new();
    let mut current = new_parent.to_owned();
    loop {
        if current == moving {
            return true;
        }
        let Some(parent) = parent_of(&current) else {
            return false;
        };
        if !seen.insert(current) {
            return true;
        }
        current = parent;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    use AccountKind::{Employee, External, Intern};
    use Action::*;
    use DenyReason::*;
    use Role::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap()
    }

    fn user(id: &str) -> Principal {
        Principal::User(id.into())
    }

    fn group(id: &str) -> Principal {
        Principal::Group(id.into())
    }

    fn g(principal: Principal, role: Role) -> Grant {
        Grant {
            principal,
            role,
            record_types: Vec::new(),
        }
    }

    fn subject(id: &str, kind: AccountKind, groups: &[&str]) -> Subject {
        Subject {
            user_id: id.into(),
            kind,
            is_admin: false,
            disabled: false,
            expires_at: match kind {
                Employee => None,
                Intern | External => Some(now() + Duration::days(30)),
            },
            groups: groups.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn alice() -> Subject {
        subject("alice", Employee, &["eng"])
    }
    fn ivan() -> Subject {
        subject("ivan", Intern, &["eng"])
    }
    fn eve() -> Subject {
        // An external guest who (wrongly) sits in a group: group grants must still not apply.
        subject("eve", External, &["eng"])
    }
    fn root() -> Subject {
        Subject {
            is_admin: true,
            ..subject("root", Employee, &[])
        }
    }

    fn space(grants: Vec<Grant>) -> SpaceAcl {
        SpaceAcl {
            space_id: "s1".into(),
            grants,
        }
    }

    fn cat(id: &str, inherit: bool, grants: Vec<Grant>) -> CategoryAcl {
        CategoryAcl {
            id: id.into(),
            inherit,
            grants,
        }
    }

    const ALLOW: Decision = Decision::Allow;
    fn deny(reason: DenyReason) -> Decision {
        Decision::Deny(reason)
    }

    /// Decides for one setup and a list of (action, expected).
    #[track_caller]
    fn check(
        label: &str,
        who: &Subject,
        space: &SpaceAcl,
        chain: &[CategoryAcl],
        expected: &[(Action, Decision)],
    ) {
        for &(action, want) in expected {
            let got = decide(who, action, space, chain, now());
            assert_eq!(got, want, "{label}: {} doing {action:?}", who.user_id);
        }
    }

    const ALL_ACTIONS: [Action; 10] = [
        Read,
        Create,
        Edit,
        Delete,
        Submit,
        Review,
        ManageCategories,
        ManageGrants,
        ViewTrash,
        Admin,
    ];

    /// Expected decisions for every action given a role (for a non-admin internal account).
    fn by_role(role: Option<Role>) -> Vec<(Action, Decision)> {
        ALL_ACTIONS
            .iter()
            .map(|&action| {
                let want = match (action.required_role(), role) {
                    (None, _) => deny(AdminOnly),
                    (Some(_), None) => deny(NoAccess),
                    (Some(needed), Some(have)) if have >= needed => ALLOW,
                    (Some(_), Some(_)) => deny(InsufficientRole),
                };
                (action, want)
            })
            .collect()
    }

    /// Expected decisions for an external guest: read if named, nothing else.
    fn external(readable: bool) -> Vec<(Action, Decision)> {
        ALL_ACTIONS
            .iter()
            .map(|&action| {
                let want = match (action, readable) {
                    (Admin, _) => deny(AdminOnly),
                    (_, false) => deny(NoAccess),
                    (Read, true) => ALLOW,
                    (_, true) => deny(ExternalReadOnly),
                };
                (action, want)
            })
            .collect()
    }

    #[test]
    fn table_of_kinds_grants_and_actions() {
        let everyone_reads = space(vec![g(Principal::Everyone, Reader)]);
        let eng_edits = space(vec![g(group("eng"), Editor)]);
        let named = space(vec![
            g(user("alice"), Reviewer),
            g(user("ivan"), Manager),
            g(user("eve"), Manager),
        ]);
        let nothing = space(vec![]);
        let mixed = space(vec![
            g(Principal::Everyone, Reader),
            g(group("eng"), Editor),
            g(user("alice"), Manager),
        ]);

        /// (label, who, space grants, expected decision per action)
        type Row<'a> = (&'a str, Subject, &'a SpaceAcl, Vec<(Action, Decision)>);
        let rows: Vec<Row> = vec![
            (
                "everyone reads",
                alice(),
                &everyone_reads,
                by_role(Some(Reader)),
            ),
            (
                "everyone reads",
                ivan(),
                &everyone_reads,
                by_role(Some(Reader)),
            ),
            ("everyone reads", eve(), &everyone_reads, external(false)),
            (
                "admin",
                root(),
                &nothing,
                ALL_ACTIONS.map(|a| (a, ALLOW)).to_vec(),
            ),
            ("eng edits", alice(), &eng_edits, by_role(Some(Editor))),
            ("eng edits", ivan(), &eng_edits, by_role(Some(Editor))),
            ("eng edits", eve(), &eng_edits, external(false)),
            ("named", alice(), &named, by_role(Some(Reviewer))),
            ("named", ivan(), &named, by_role(Some(Manager))),
            ("named", eve(), &named, external(true)),
            ("nothing", alice(), &nothing, by_role(None)),
            ("nothing", ivan(), &nothing, by_role(None)),
            ("nothing", eve(), &nothing, external(false)),
            ("mixed: max wins", alice(), &mixed, by_role(Some(Manager))),
            ("mixed: max wins", ivan(), &mixed, by_role(Some(Editor))),
            ("mixed", eve(), &mixed, external(false)),
            (
                "outsider",
                subject("bob", Employee, &["sales"]),
                &eng_edits,
                by_role(None),
            ),
        ];
        for (label, who, space, expected) in rows {
            check(label, &who, space, &[], &expected);
            // The same holds one level down through an inheriting category without grants.
            check(label, &who, space, &[cat("c", true, vec![])], &expected);
        }
    }

    #[test]
    fn admins_may_do_everything_even_without_grants() {
        for space in [space(vec![]), space(vec![g(user("x"), Reader)])] {
            let chain = [cat("c", false, vec![])];
            for action in ALL_ACTIONS {
                assert_eq!(decide(&root(), action, &space, &chain, now()), ALLOW);
                assert_eq!(decide(&root(), action, &space, &[], now()), ALLOW);
            }
        }
        assert_eq!(
            readable_scopes(&root(), now(), &[(space(vec![]), vec![])]),
            Scopes::All
        );
    }

    #[test]
    fn admin_flag_does_not_outlive_the_account() {
        let disabled_admin = Subject {
            disabled: true,
            ..root()
        };
        let expired_admin = Subject {
            expires_at: Some(now()),
            ..root()
        };
        let open = space(vec![g(Principal::Everyone, Manager)]);
        for who in [disabled_admin, expired_admin] {
            for action in ALL_ACTIONS {
                assert_eq!(decide(&who, action, &open, &[], now()), deny(Inactive));
            }
            assert_eq!(
                readable_scopes(&who, now(), &[(open.clone(), vec![])]),
                Scopes::Some(HashSet::new().into())
            );
        }
    }

    #[test]
    fn external_admin_flag_is_ignored() {
        let eve_admin = Subject {
            is_admin: true,
            ..eve()
        };
        let named = space(vec![g(user("eve"), Reader)]);
        check("external admin", &eve_admin, &named, &[], &external(true));
        assert!(!eve_admin.is_effective_admin(now()));
        assert_ne!(
            readable_scopes(&eve_admin, now(), &[(named, vec![])]),
            Scopes::All
        );
    }

    #[test]
    fn inactive_accounts_may_do_nothing() {
        let open = space(vec![
            g(Principal::Everyone, Manager),
            g(user("ivan"), Manager),
        ]);
        let disabled = Subject {
            disabled: true,
            ..alice()
        };
        let expired_intern = Subject {
            expires_at: Some(now() - Duration::seconds(1)),
            ..ivan()
        };
        let expiring_now = Subject {
            expires_at: Some(now()),
            ..ivan()
        };
        let intern_without_expiry = Subject {
            expires_at: None,
            ..ivan()
        };
        let external_without_expiry = Subject {
            expires_at: None,
            ..eve()
        };
        let leaver = Subject {
            expires_at: Some(now() - Duration::days(1)),
            ..alice()
        };
        for who in [
            disabled,
            expired_intern,
            expiring_now,
            intern_without_expiry,
            external_without_expiry,
            leaver,
        ] {
            for action in ALL_ACTIONS {
                assert_eq!(decide(&who, action, &open, &[], now()), deny(Inactive));
            }
            assert_eq!(effective_role(&who, &open, &[], now()), None);
        }
        // One second before expiry the intern is still active.
        let last_second = Subject {
            expires_at: Some(now() + Duration::seconds(1)),
            ..ivan()
        };
        assert_eq!(decide(&last_second, Edit, &open, &[], now()), ALLOW);
        // Employees need no expiry date.
        assert!(alice().is_active(now()));
    }

    #[test]
    fn inherit_false_cuts_the_inheritance() {
        let s = space(vec![
            g(Principal::Everyone, Reader),
            g(group("eng"), Editor),
        ]);
        let secret = cat("hr", false, vec![g(user("bob"), Editor)]);
        let bob = subject("bob", Employee, &["hr"]);
        // Above the cut everybody reads.
        check("root", &alice(), &s, &[], &by_role(Some(Editor)));
        check("root", &bob, &s, &[], &by_role(Some(Reader)));
        // At the cut only the category's own grants apply.
        check(
            "hr",
            &alice(),
            &s,
            std::slice::from_ref(&secret),
            &by_role(None),
        );
        check(
            "hr",
            &bob,
            &s,
            std::slice::from_ref(&secret),
            &by_role(Some(Editor)),
        );
        // Below the cut an inheriting child keeps the cut...
        let child = cat("hr-pay", true, vec![g(group("eng"), Reader)]);
        let chain = [secret.clone(), child];
        check("hr/pay", &alice(), &s, &chain, &by_role(Some(Reader)));
        check("hr/pay", &bob, &s, &chain, &by_role(Some(Editor)));
        // ...and a non-inheriting grandchild cuts again.
        let sealed = cat("hr-pay-exec", false, vec![]);
        let chain = [secret, cat("hr-pay", true, vec![]), sealed];
        check("hr/pay/exec", &bob, &s, &chain, &by_role(None));
    }

    #[test]
    fn inherit_true_adds_own_grants() {
        let s = space(vec![g(Principal::Everyone, Reader)]);
        let chain = [
            cat("a", true, vec![g(group("eng"), Editor)]),
            cat("b", true, vec![g(user("alice"), Reviewer)]),
        ];
        check("a", &alice(), &s, &chain[..1], &by_role(Some(Editor)));
        check("a/b", &alice(), &s, &chain, &by_role(Some(Reviewer)));
        check("a/b", &ivan(), &s, &chain, &by_role(Some(Editor)));
        check(
            "a/b",
            &subject("bob", Employee, &[]),
            &s,
            &chain,
            &by_role(Some(Reader)),
        );
        // A lower grant further down never lowers an inherited role.
        let chain = [cat("a", true, vec![g(group("eng"), Reader)])];
        let s = space(vec![g(user("alice"), Manager)]);
        check("lower below", &alice(), &s, &chain, &by_role(Some(Manager)));
    }

    #[test]
    fn externals_only_get_named_reader_grants() {
        let s = space(vec![
            g(Principal::Everyone, Editor),
            g(group("eng"), Manager),
        ]);
        check("group+everyone", &eve(), &s, &[], &external(false));
        let chain = [cat("shared", true, vec![g(user("eve"), Manager)])];
        check("named below", &eve(), &s, &chain, &external(true));
        assert_eq!(effective_role(&eve(), &s, &chain, now()), Some(Reader));
        // A cut drops the named grant from above as for everybody else.
        let s = space(vec![g(user("eve"), Reader)]);
        check("root", &eve(), &s, &[], &external(true));
        let chain = [cat("x", false, vec![g(Principal::Everyone, Reader)])];
        check("cut", &eve(), &s, &chain, &external(false));
    }

    #[test]
    fn space_managers_manage_categories_that_hide_from_them() {
        let s = space(vec![
            g(user("alice"), Manager),
            g(Principal::Everyone, Reader),
        ]);
        let hidden = [cat("hr", false, vec![g(user("bob"), Reader)])];
        for action in [ManageCategories, ManageGrants] {
            assert_eq!(decide(&alice(), action, &s, &hidden, now()), ALLOW);
        }
        assert_eq!(decide(&alice(), Read, &s, &hidden, now()), deny(NoAccess));
        assert_eq!(decide(&alice(), Edit, &s, &hidden, now()), deny(NoAccess));
    }

    #[test]
    fn category_managers_manage_their_subtree_only() {
        let s = space(vec![g(Principal::Everyone, Reader)]);
        let chain = [
            cat("a", true, vec![g(user("alice"), Manager)]),
            cat("b", true, vec![]),
        ];
        for action in [ManageCategories, ManageGrants] {
            assert_eq!(decide(&alice(), action, &s, &chain, now()), ALLOW);
            assert_eq!(decide(&alice(), action, &s, &chain[..1], now()), ALLOW);
            // Not the space, nor a sibling.
            assert_eq!(
                decide(&alice(), action, &s, &[], now()),
                deny(InsufficientRole)
            );
            let sibling = [cat("z", true, vec![])];
            assert_eq!(
                decide(&alice(), action, &s, &sibling, now()),
                deny(InsufficientRole)
            );
        }
    }

    #[test]
    fn principal_string_form() {
        for (text, principal) in [
            ("user:u-1", user("u-1")),
            ("group:研发部", group("研发部")),
            ("everyone", Principal::Everyone),
            ("user:a:b", user("a:b")),
        ] {
            assert_eq!(text.parse::<Principal>().unwrap(), principal);
            assert_eq!(principal.to_string(), text);
            let json = serde_json::to_string(&principal).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<Principal>(&json).unwrap(), principal);
        }
        for bad in [
            "",
            "user:",
            "group:",
            "Everyone",
            "everyone ",
            "user: x",
            "user:a b",
            "role:x",
            "users:x",
            "user",
            "user:a\n",
        ] {
            let err = bad.parse::<Principal>().unwrap_err();
            assert_eq!(err.input, bad);
            assert!(serde_json::from_str::<Principal>(&format!("{bad:?}")).is_err());
        }
    }

    #[test]
    fn grants_serialize_as_the_api_shows() {
        let grants: Vec<Grant> = serde_json::from_str(
            r#"[{"principal": "group:eng", "role": "editor"}, {"principal": "everyone", "role": "reader"}]"#,
        )
        .unwrap();
        assert_eq!(
            grants,
            vec![g(group("eng"), Editor), g(Principal::Everyone, Reader)]
        );
        assert_eq!(
            serde_json::to_string(&grants[0]).unwrap(),
            r#"{"principal":"group:eng","role":"editor"}"#
        );
        assert_eq!(serde_json::to_string(&Intern).unwrap(), r#""intern""#);
        assert!(
            serde_json::from_str::<Grant>(r#"{"principal":"everyone","role":"owner"}"#).is_err()
        );
    }

    #[test]
    fn roles_are_ordered_by_power() {
        assert!(Reader < Editor && Editor < Reviewer && Reviewer < Manager);
        assert_eq!(Manager.to_string(), "manager");
    }

    #[test]
    fn only_allow_is_allowed() {
        assert!(ALLOW.is_allowed() && !deny(NoAccess).is_allowed());
    }

    fn lookup(p: &Principal) -> Option<PrincipalKind> {
        match p {
            Principal::User(id) if id == "alice" => Some(PrincipalKind::User(Employee)),
            Principal::User(id) if id == "ivan" => Some(PrincipalKind::User(Intern)),
            Principal::User(id) if id == "eve" => Some(PrincipalKind::User(External)),
            Principal::Group(id) if id == "eng" => Some(PrincipalKind::Group),
            Principal::Everyone => panic!("everyone is never looked up"),
            _ => None,
        }
    }

    #[test]
    fn validate_grants_table() {
        let ok: &[&[Grant]] = &[
            &[],
            &[g(Principal::Everyone, Manager)],
            &[g(user("alice"), Manager), g(user("ivan"), Manager)],
            &[g(user("eve"), Reader), g(group("eng"), Editor)],
        ];
        for grants in ok {
            assert_eq!(validate_grants(grants, lookup), Ok(()), "{grants:?}");
        }
        let unknown = |index: usize, p: Principal| GrantError::UnknownPrincipal {
            index,
            principal: p,
        };
        let bad: Vec<(Vec<Grant>, GrantError)> = vec![
            (vec![g(user("nobody"), Reader)], unknown(0, user("nobody"))),
            (
                vec![g(group("eng"), Reader), g(group("nobody"), Reader)],
                unknown(1, group("nobody")),
            ),
            // A user id that is really a group id, and the other way round.
            (vec![g(user("eng"), Reader)], unknown(0, user("eng"))),
            (vec![g(group("alice"), Reader)], unknown(0, group("alice"))),
            (
                vec![g(user("alice"), Reader), g(user("eve"), Editor)],
                GrantError::ExternalAboveReader {
                    index: 1,
                    principal: user("eve"),
                    role: Editor,
                },
            ),
            (
                vec![g(user("eve"), Manager)],
                GrantError::ExternalAboveReader {
                    index: 0,
                    principal: user("eve"),
                    role: Manager,
                },
            ),
            (
                vec![
                    g(Principal::Everyone, Reader),
                    g(user("alice"), Reader),
                    g(Principal::Everyone, Editor),
                ],
                GrantError::DuplicatePrincipal {
                    index: 2,
                    principal: Principal::Everyone,
                },
            ),
        ];
        for (grants, want) in bad {
            let err = validate_grants(&grants, lookup).unwrap_err();
            assert_eq!(err.index(), want.index(), "{grants:?}");
            assert_eq!(err, want, "{grants:?}");
        }
    }

    #[test]
    fn validate_account_table() {
        let t = Some(now());
        assert_eq!(validate_account(Employee, true, None), Ok(()));
        assert_eq!(validate_account(Intern, false, t), Ok(()));
        assert_eq!(validate_account(External, false, t), Ok(()));
        assert_eq!(
            validate_account(Intern, false, None),
            Err(AccountError::MissingExpiry(Intern))
        );
        assert_eq!(
            validate_account(External, false, None),
            Err(AccountError::MissingExpiry(External))
        );
        assert_eq!(
            validate_account(External, true, t),
            Err(AccountError::ExternalAdmin)
        );
    }

    #[test]
    fn cycles_on_category_moves() {
        // a -> b -> c (c's parent is b, b's parent is a); d is another root.
        let parents: HashMap<&str, &str> = [("b", "a"), ("c", "b")].into_iter().collect();
        let parent_of = |id: &str| parents.get(id).map(|p| p.to_string());
        assert!(would_create_cycle("a", "a", parent_of));
        assert!(would_create_cycle("a", "c", parent_of));
        assert!(would_create_cycle("b", "c", parent_of));
        assert!(!would_create_cycle("c", "a", parent_of));
        assert!(!would_create_cycle("b", "d", parent_of));
        assert!(!would_create_cycle("d", "c", parent_of));
        // Existing corrupt loop x <-> y: refuse.
        let looped: HashMap<&str, &str> = [("x", "y"), ("y", "x")].into_iter().collect();
        assert!(would_create_cycle("d", "x", |id: &str| looped
            .get(id)
            .map(|p| p.to_string())));
    }

    fn node(id: &str, parent: Option<&str>, inherit: bool, grants: Vec<Grant>) -> CategoryNode {
        CategoryNode {
            id: id.into(),
            parent_id: parent.map(Into::into),
            inherit,
            grants,
        }
    }

    #[test]
    fn readable_scopes_examples() {
        let s = space(vec![g(group("eng"), Reader)]);
        let tree = vec![
            node("c2", Some("c1"), true, vec![]),
            node("c1", None, true, vec![]),
            node("hr", None, false, vec![g(user("bob"), Reader)]),
            node(
                "hr-pub",
                Some("hr"),
                true,
                vec![g(Principal::Everyone, Reader)],
            ),
            node(
                "orphan",
                Some("missing"),
                true,
                vec![g(Principal::Everyone, Reader)],
            ),
            node(
                "loop1",
                Some("loop2"),
                true,
                vec![g(Principal::Everyone, Reader)],
            ),
            node(
                "loop2",
                Some("loop1"),
                true,
                vec![g(Principal::Everyone, Reader)],
            ),
        ];
        let other = SpaceAcl {
            space_id: "s2".into(),
            grants: vec![],
        };
        let other_tree = vec![node("x", None, true, vec![g(user("alice"), Editor)])];
        let spaces = [(s, tree), (other, other_tree)];
        let keys = |who: &Subject| match readable_scopes(who, now(), &spaces) {
            Scopes::All => panic!("not an admin"),
            Scopes::Some(keys) => {
                let mut keys: Vec<String> = keys.iter().cloned().collect();
                keys.sort();
                keys
            }
        };
        assert_eq!(keys(&alice()), ["c1", "c2", "hr-pub", "space:s1", "x"]);
        assert_eq!(keys(&subject("bob", Employee, &[])), ["hr", "hr-pub"]);
        assert!(keys(&eve()).is_empty());
        assert!(readable_scopes(&root(), now(), &spaces).contains("anything"));
    }

    #[test]
    fn readable_scopes_handles_deep_and_wide_trees() {
        // A 20,000-deep chain and a 20,000-wide fan: no recursion, one walk.
        let s = space(vec![g(Principal::Everyone, Reader)]);
        let mut tree: Vec<CategoryNode> = (0..20_000)
            .map(|i| {
                let parent = (i > 0).then(|| format!("d{}", i - 1));
                node(&format!("d{i}"), parent.as_deref(), i != 10_000, vec![])
            })
            .collect();
        tree.extend((0..20_000).map(|i| node(&format!("w{i}"), Some("d0"), true, vec![])));
        let Scopes::Some(keys) = readable_scopes(&alice(), now(), &[(s, tree)]) else {
            panic!("not an admin")
        };
        // d0..d9999 and w* readable; the cut at d10000 hides it and everything below.
        assert_eq!(keys.len(), 1 + 10_000 + 20_000);
        assert!(keys.contains("d9999") && !keys.contains("d10000") && !keys.contains("d19999"));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        const USERS: [&str; 3] = ["u0", "u1", "u2"];
        const GROUPS: [&str; 2] = ["g0", "g1"];

        fn principal() -> impl Strategy<Value = Principal> {
            prop_oneof![
                (0..USERS.len()).prop_map(|i| user(USERS[i])),
                (0..GROUPS.len()).prop_map(|i| group(GROUPS[i])),
                Just(Principal::Everyone),
            ]
        }

        fn role() -> impl Strategy<Value = Role> {
            prop_oneof![Just(Reader), Just(Editor), Just(Reviewer), Just(Manager)]
        }

        fn grants() -> impl Strategy<Value = Vec<Grant>> {
            // Sparse: most nodes carry no grant of their own.
            prop_oneof![
                2 => Just(vec![]),
                1 => prop::collection::vec(
                    (principal(), role()).prop_map(|(principal, role)| Grant {
                        principal,
                        role,
                        record_types: Vec::new(),
                    }),
                    1..3,
                ),
            ]
        }

        /// A category tree as (parent choice, inherit, grants) per node, where the parent choice
        /// is `None` (a root), an earlier node, or a dangling id; then shuffled.
        fn tree(space: usize) -> impl Strategy<Value = Vec<CategoryNode>> {
            prop::collection::vec(
                (
                    prop::option::weighted(0.8, any::<prop::sample::Index>()),
                    0..20u8,
                    any::<bool>(),
                    grants(),
                ),
                0..25,
            )
            .prop_map(move |specs| {
                specs
                    .into_iter()
                    .enumerate()
                    .map(|(i, (parent, dangle, inherit, grants))| CategoryNode {
                        id: format!("s{space}c{i}"),
                        parent_id: match parent {
                            Some(_) if dangle == 0 => Some(format!("s{space}gone")),
                            Some(ix) if i > 0 => Some(format!("s{space}c{}", ix.index(i))),
                            _ => None,
                        },
                        inherit,
                        grants,
                    })
                    .collect::<Vec<_>>()
            })
            .prop_shuffle()
        }

        fn spaces() -> impl Strategy<Value = Vec<(SpaceAcl, Vec<CategoryNode>)>> {
            prop::collection::vec(grants(), 1..4).prop_flat_map(|space_grants| {
                let trees: Vec<_> = (0..space_grants.len()).map(tree).collect();
                (Just(space_grants), trees).prop_map(|(space_grants, trees)| {
                    space_grants
                        .into_iter()
                        .zip(trees)
                        .enumerate()
                        .map(|(k, (grants, tree))| {
                            (
                                SpaceAcl {
                                    space_id: format!("s{k}"),
                                    grants,
                                },
                                tree,
                            )
                        })
                        .collect()
                })
            })
        }

        fn subjects() -> impl Strategy<Value = Subject> {
            (
                0..USERS.len(),
                prop_oneof![Just(Employee), Just(Intern), Just(External)],
                prop::bool::weighted(0.1),
                prop::bool::weighted(0.1),
                prop_oneof![Just(None), Just(Some(-1i64)), Just(Some(0)), Just(Some(1))],
                prop::collection::vec(any::<bool>(), GROUPS.len()),
            )
                .prop_map(|(u, kind, is_admin, disabled, expiry, member)| Subject {
                    user_id: USERS[u].into(),
                    kind,
                    is_admin,
                    disabled,
                    expires_at: expiry.map(|days| now() + Duration::days(days)),
                    groups: GROUPS
                        .iter()
                        .zip(member)
                        .filter(|(_, m)| *m)
                        .map(|(g, _)| g.to_string())
                        .collect(),
                })
        }

        /// The chain from the root down to `id` by following parent links, or `None` when the
        /// node is not reachable from a root (dangling parent).
        fn chain_to(tree: &[CategoryNode], id: &str) -> Option<Vec<CategoryAcl>> {
            let by_id: HashMap<&str, &CategoryNode> =
                tree.iter().map(|n| (n.id.as_str(), n)).collect();
            let mut chain = Vec::new();
            let mut current = Some(id.to_owned());
            while let Some(id) = current {
                let node = by_id.get(id.as_str())?;
                chain.push(CategoryAcl {
                    id: node.id.clone(),
                    inherit: node.inherit,
                    grants: node.grants.clone(),
                });
                current = node.parent_id.clone();
            }
            chain.reverse();
            Some(chain)
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn readable_scopes_agree_with_decide(who in subjects(), spaces in spaces()) {
                let scopes = readable_scopes(&who, now(), &spaces);
                prop_assert_eq!(scopes == Scopes::All, who.is_effective_admin(now()));
                let mut expected_len = 0;
                for (space, tree) in &spaces {
                    let root_read = decide(&who, Read, space, &[], now()).is_allowed();
                    prop_assert_eq!(
                        scopes.contains(&space_scope_key(&space.space_id)),
                        root_read
                    );
                    expected_len += usize::from(root_read);
                    for node in tree {
                        let allowed = match chain_to(tree, &node.id) {
                            Some(chain) => {
                                let allowed = decide(&who, Read, space, &chain, now()).is_allowed();
                                prop_assert_eq!(
                                    allowed,
                                    effective_role(&who, space, &chain, now()).is_some()
                                        || who.is_effective_admin(now())
                                );
                                allowed
                            }
                            None => who.is_effective_admin(now()),
                        };
                        prop_assert_eq!(scopes.contains(&node.id), allowed, "node {}", node.id);
                        expected_len += usize::from(allowed);
                    }
                }
                if let Scopes::Some(keys) = &scopes {
                    // Nothing else slipped in.
                    prop_assert_eq!(keys.len(), expected_len);
                }
            }

            #[test]
            fn externals_never_do_more_than_read(
                who in subjects(),
                spaces in spaces(),
                action in prop::sample::select(ALL_ACTIONS.to_vec()),
            ) {
                let who = Subject { kind: External, ..who };
                for (space, tree) in &spaces {
                    for node in tree {
                        if let Some(chain) = chain_to(tree, &node.id) {
                            let decision = decide(&who, action, space, &chain, now());
                            if action != Read {
                                prop_assert!(!decision.is_allowed());
                            }
                        }
                    }
                }
            }

            #[test]
            fn principal_display_parse_round_trip(p in principal(), id in "[^\\s\\p{Cc}]{1,12}") {
                prop_assert_eq!(p.to_string().parse::<Principal>().unwrap(), p);
                let u = user(&id);
                prop_assert_eq!(u.to_string().parse::<Principal>().unwrap(), u);
            }
        }
    }
}
