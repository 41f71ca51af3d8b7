//! Accounts: the one way to create one (first start, the CLI and the API all come here), and the
//! rules every account follows.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::{
    domain::permission::{self, AccountKind},
    error::{Code, Error, Reason, Result},
    model::{AuditEvent, Group, Session, User, new_id},
    service::Caller,
    service::documents::{Actor, tx_audit},
    service::sessions,
    store::{Encoded, Store, abort, names},
};

/// Checks a login name: 2 to 32 of a-z, 0-9, '.', '_', '-', starting with a letter or digit.
pub fn check_username(name: &str) -> Result<()> {
    let ok = (2..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        && name.as_bytes()[0].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "username",
            "use 2 to 32 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit",
        )
        .because(Reason::BadUsername))
    }
}

/// Longest display or department name, in characters.
pub const MAX_SHORT_NAME_CHARS: usize = 64;

/// Trims a display or department name and checks it is 1 to [`MAX_SHORT_NAME_CHARS`] characters
/// without control characters; `field` and `message` name the refusal.
fn check_short_name<'a>(name: &'a str, field: &str, message: &str) -> Result<&'a str> {
    let n = name.trim();
    let why = if n.is_empty() {
        Some(Reason::Required)
    } else if n.chars().count() > MAX_SHORT_NAME_CHARS {
        Some(Reason::TooLong)
    } else if n.chars().any(char::is_control) {
        Some(Reason::BadCharacters)
    } else {
        None
    };
    match why {
        Some(why) => Err(Error::invalid(field, message)
            .because(why)
            .with("limit", MAX_SHORT_NAME_CHARS)),
        None => Ok(n),
    }
}

/// Checks and trims a department name (its uniqueness is claimed in the name index by the
/// transaction that writes the department).
pub fn check_group_name(name: &str) -> Result<String> {
    check_short_name(name, "name", "the name must be 1 to 64 characters").map(str::to_owned)
}

/// Checks and trims a display name: 1 to 64 characters, no control, invisible or
/// direction-changing characters (they let a name imitate another).
pub fn check_display_name(name: &str) -> Result<String> {
    let n = check_short_name(
        name,
        "display_name",
        "the display name must be 1 to 64 characters",
    )?;
    if let Some(c) = n.chars().find(|c| crate::text::is_invisible_format(*c)) {
        return Err(Error::invalid(
            "display_name",
            format!(
                "the display name must not contain invisible or direction-changing characters (U+{:04X})",
                c as u32
            ),
        )
        .because(Reason::BadCharacters));
    }
    Ok(n.to_owned())
}

/// Checks an account's kind, admin flag and end date together.
pub fn check_account(
    kind: AccountKind,
    is_admin: bool,
    expires_at: Option<DateTime<Utc>>,
    is_new: bool,
) -> Result<()> {
    permission::validate_account(kind, is_admin, expires_at)?;
    if is_new && expires_at.is_some_and(|t| t <= Utc::now()) {
        return Err(
            Error::invalid("expires_at", "the end date must be in the future")
                .because(Reason::InPast),
        );
    }
    Ok(())
}

/// Refuses department ids that do not exist, naming the first (`groups[i]`).
pub fn check_groups_exist(store: &Store, ids: &[String]) -> Result<()> {
    for (i, g) in ids.iter().enumerate() {
        if !store.groups.contains(g)? {
            return Err(
                Error::invalid(format!("groups[{i}]"), format!("no such group: {g}"))
                    .because(Reason::NoSuch)
                    .with("name", g),
            );
        }
    }
    Ok(())
}

/// What a new account is made of, before any check.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Login name (trimmed and lower-cased here).
    pub username: String,
    /// Display name; the login name when absent.
    pub display_name: Option<String>,
    /// Password, in clear, checked against the policy and then hashed.
    pub password: String,
    /// Account kind.
    pub kind: AccountKind,
    /// End date (interns and external guests need one).
    pub expires_at: Option<DateTime<Utc>>,
    /// Administrator.
    pub is_admin: bool,
    /// Departments to join.
    pub groups: Vec<String>,
}

/// A new account that passed every check; only the password hash is missing.
#[derive(Debug, Clone)]
pub struct Checked {
    user: User,
    password: String,
    groups: Vec<String>,
}

impl Checked {
    /// The password to hash (on the hashing pool, or inline in the CLI).
    pub fn password(&self) -> &str {
        &self.password
    }

    /// The account as it will be stored.
    pub fn user(&self) -> &User {
        &self.user
    }
}

/// Checks everything about a new account that can be checked before hashing its password.
pub fn check(store: &Store, new: NewAccount) -> Result<Checked> {
    let username = new.username.trim().to_lowercase();
    check_username(&username)?;
    let display_name = check_display_name(new.display_name.as_deref().unwrap_or(&username))?;
    check_account(new.kind, new.is_admin, new.expires_at, true)?;
    sessions::check_password_policy(&new.password, &username)?;
    check_groups_exist(store, &new.groups)?;
    Ok(Checked {
        user: User {
            id: new_id(),
            username,
            display_name,
            password_hash: String::new(),
            kind: new.kind,
            expires_at: new.expires_at,
            is_admin: new.is_admin,
            disabled: false,
            created_at: Utc::now(),
            sessions_valid_after: None,
        },
        password: new.password,
        groups: new.groups,
    })
}

/// Checks an account an administrator asks for through the API (others: 403); then hash its
/// password on the hashing pool and call [`insert_by`].
pub fn check_by(store: &Store, who: &Caller, new: NewAccount) -> Result<Checked> {
    who.require_admin()?;
    check(store, new)
}

/// Stores an account an administrator created ([`check_by`]), audited as theirs.
pub fn insert_by(
    store: &Store,
    who: &Caller,
    checked: Checked,
    password_hash: String,
) -> Result<User> {
    who.require_admin()?;
    let u = checked.user();
    let ev = Actor::of(who).event(
        store.next_seq()?,
        "user.create",
        format!("user:{}", u.id),
        "ok",
        Some(json!({"username": u.username, "kind": u.kind, "is_admin": u.is_admin})),
    );
    insert(store, checked, password_hash, Some(&ev))
}

/// Stores a checked account with its password hash, joins its departments and writes its audit
/// event, in one transaction; a login name taken meanwhile is 409 `username_taken`.
pub fn insert(
    store: &Store,
    checked: Checked,
    password_hash: String,
    event: Option<&AuditEvent>,
) -> Result<User> {
    let mut user = checked.user;
    user.password_hash = password_hash;
    let bytes = Encoded::new(&user);
    let username = user.username.clone();
    store.transact(|tx| {
        if tx.usernames.get(&username)?.is_some() {
            return abort(
                Error::rule(
                    Code::UsernameTaken,
                    format!("the username {username} is taken"),
                )
                .with("name", &username),
            );
        }
        tx.users.put_encoded(&user.id, &bytes)?;
        tx.usernames.put(&username, &user.id)?;
        for g in &checked.groups {
            let mut group: Group = match tx.groups.get(g)? {
                Some(g) => g,
                None => {
                    return abort(
                        Error::invalid("groups", format!("no such group: {g}"))
                            .because(Reason::NoSuch)
                            .with("name", g),
                    );
                }
            };
            if !group.members.contains(&user.id) {
                group.members.push(user.id.clone());
            }
            tx.groups.put(g, &group)?;
        }
        if let Some(ev) = event {
            tx_audit(tx, ev)?;
        }
        Ok(())
    })?;
    Ok(user)
}

/// [`check`], hash and [`insert`] on this thread (first start and the CLI; the API hashes on the
/// hashing pool instead).
pub fn create_blocking(
    store: &Store,
    new: NewAccount,
    event: impl FnOnce(&User) -> Result<Option<AuditEvent>>,
) -> Result<User> {
    let checked = check(store, new)?;
    let hash = sessions::hash_password(checked.password())?;
    let ev = event(checked.user())?;
    insert(store, checked, hash, ev.as_ref())
}

// ---- reading and changing accounts --------------------------------------------------------------

/// The account with this login name (case-insensitive).
pub fn by_login(store: &Store, login: &str) -> Result<Option<User>> {
    match store.usernames.get(&login.trim().to_lowercase())? {
        Some(id) => store.users.get(&id),
        None => Ok(None),
    }
}

/// Every account, by login name (admins).
pub fn list(store: &Store, who: &Caller) -> Result<Vec<User>> {
    who.require_admin()?;
    let mut users = store.users.all()?;
    users.sort_by(|a, b| a.username.cmp(&b.username));
    Ok(users)
}

/// One account: admins see any, others only themselves (everyone else's is `not_found`).
pub fn get(store: &Store, who: &Caller, id: &str) -> Result<User> {
    if !crate::model::valid_id(id) || (id != who.id() && !who.is_admin()) {
        return Err(Error::NotFound("user"));
    }
    store.users.get(id)?.ok_or(Error::NotFound("user"))
}

/// A change to an account; absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct AccountChange {
    /// New display name (the account itself or an admin).
    pub display_name: Option<String>,
    /// New password, in clear (admins: a reset).
    pub password: Option<String>,
    /// New kind (admins).
    pub kind: Option<AccountKind>,
    /// New end date, or `Some(None)` to clear it (admins).
    pub expires_at: Option<Option<DateTime<Utc>>>,
    /// Grant or revoke administrator rights (admins; never one's own).
    pub is_admin: Option<bool>,
    /// Disable or enable (admins; never one's own).
    pub disabled: Option<bool>,
    /// The departments the account belongs to, exactly (admins).
    pub groups: Option<Vec<String>>,
}

/// A checked change, waiting only for its password hash (when it sets a password).
#[derive(Debug)]
pub struct PendingChange {
    user: User,
    password: Option<String>,
    groups: Option<Vec<String>>,
    fields: Vec<&'static str>,
}

impl PendingChange {
    /// The new password to hash, if the change sets one.
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }
}

/// Checks a change to account `id` by `who`: who may change what, the account rules, the
/// password policy and the departments.
pub fn check_change(
    store: &Store,
    who: &Caller,
    id: &str,
    change: AccountChange,
) -> Result<PendingChange> {
    let admin = who.is_admin();
    let is_self = id == who.id();
    if !crate::model::valid_id(id) || (!admin && !is_self) {
        return Err(Error::NotFound("user"));
    }
    let admin_only = change.password.is_some()
        || change.kind.is_some()
        || change.expires_at.is_some()
        || change.is_admin.is_some()
        || change.disabled.is_some()
        || change.groups.is_some();
    if admin_only && !admin {
        return Err(Error::Forbidden(
            "only administrators may change this; use /api/v1/me/password for your password".into(),
        ));
    }
    let mut u = store.users.get(id)?.ok_or(Error::NotFound("user"))?;
    if let Some(n) = &change.display_name {
        u.display_name = check_display_name(n)?;
    }
    if let Some(k) = change.kind {
        u.kind = k;
    }
    if let Some(e) = change.expires_at {
        u.expires_at = e;
    }
    if let Some(a) = change.is_admin {
        if is_self && !a {
            return Err(Error::invalid(
                "is_admin",
                "you cannot remove your own administrator rights",
            )
            .because(Reason::OwnAccount));
        }
        u.is_admin = a;
    }
    if let Some(d) = change.disabled {
        if is_self && d {
            return Err(
                Error::invalid("disabled", "you cannot disable your own account")
                    .because(Reason::OwnAccount),
            );
        }
        u.disabled = d;
    }
    check_account(u.kind, u.is_admin, u.expires_at, false)?;
    if let Some(p) = &change.password {
        sessions::check_password_policy(p, &u.username)?;
    }
    if change.disabled == Some(true) || change.password.is_some() {
        u.sessions_valid_after = Some(Utc::now());
    }
    if let Some(gs) = &change.groups {
        check_groups_exist(store, gs)?;
        // As with PUT /groups/{id}/members: a disabled or expired account joins no department.
        if !sessions::account_active(&u) {
            let current = store.catalog()?.groups_of(id);
            if gs.iter().any(|g| !current.contains(g)) {
                return Err(Error::invalid(
                    "groups",
                    format!(
                        "the account {} is disabled or expired and cannot join a department",
                        u.username
                    ),
                )
                .because(Reason::InactiveAccount)
                .with("name", &u.username));
            }
        }
    }
    let fields = [
        change.display_name.as_ref().map(|_| "display_name"),
        change.password.as_ref().map(|_| "password"),
        change.kind.map(|_| "kind"),
        change.expires_at.map(|_| "expires_at"),
        change.is_admin.map(|_| "is_admin"),
        change.disabled.map(|_| "disabled"),
        change.groups.as_ref().map(|_| "groups"),
    ]
    .into_iter()
    .flatten()
    .collect();
    Ok(PendingChange {
        user: u,
        password: change.password,
        groups: change.groups,
        fields,
    })
}

/// Writes a checked change (with the new password's hash when it sets one) and its audit event.
pub fn apply_change(
    store: &Store,
    who: &Caller,
    mut pending: PendingChange,
    password_hash: Option<String>,
) -> Result<User> {
    if let Some(h) = password_hash {
        pending.user.password_hash = h;
    }
    let ev = Actor::of(who).event(
        store.next_seq()?,
        "user.update",
        format!("user:{}", pending.user.id),
        "ok",
        Some(json!({ "fields": pending.fields })),
    );
    replace(store, &pending.user, pending.groups.as_deref(), &ev)?;
    Ok(pending.user)
}

/// Replaces an account's record (its login name stays) and, when `groups` is given, makes it a
/// member of exactly those departments; with its audit event, in one transaction.
pub fn replace(
    store: &Store,
    user: &User,
    groups: Option<&[String]>,
    ev: &AuditEvent,
) -> Result<()> {
    let all_groups = store.catalog()?.groups.clone();
    let bytes = Encoded::new(user);
    let id = user.id.as_str();
    store.transact(|tx| {
        tx.users.put_encoded(id, &bytes)?;
        if let Some(gs) = groups {
            for g in &all_groups {
                let wanted = gs.contains(&g.id);
                if g.members.iter().any(|m| m == id) == wanted {
                    continue;
                }
                // Read inside the transaction: another change to the members may have landed.
                let Some(mut group) = tx.groups.get(&g.id)? else {
                    continue;
                };
                group.members.retain(|m| m != id);
                if wanted {
                    group.members.push(id.to_owned());
                }
                tx.groups.put(&g.id, &group)?;
            }
        }
        tx_audit(tx, ev)
    })
}

/// Checks a new password of one's own against the policy (the current one is verified by the
/// caller, on the hashing pool).
pub fn check_new_password(who: &Caller, new_password: &str) -> Result<()> {
    sessions::check_password_policy(new_password, &who.user.username)
}

/// Sets one's own password: other sessions end, this one (`session_key`, `session`) continues
/// with a fresh record.
pub fn set_own_password(
    store: &Store,
    who: &Caller,
    session_key: &[u8],
    mut session: Session,
    password_hash: String,
) -> Result<()> {
    let mut u = who.user.clone();
    u.password_hash = password_hash;
    let now = Utc::now();
    u.sessions_valid_after = Some(now);
    session.created_at = now;
    let ev = Actor::of(who).event(
        store.next_seq()?,
        "user.password_change",
        format!("user:{}", u.id),
        "ok",
        None,
    );
    store.transact(|tx| {
        tx.users.put(&u.id, &u)?;
        tx.sessions.put(session_key, &session)?;
        tx_audit(tx, &ev)
    })
}

/// Compares the login-name index with the accounts; one line per disagreement (`hanlin check`).
pub fn verify_login_index(store: &Store) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let mut wanted = std::collections::HashMap::new();
    for u in store.users.values() {
        let u = u?;
        match store.usernames.get(&u.username)? {
            Some(id) if id == u.id => {}
            Some(id) => problems.push(format!(
                "login index: {} points at {id}, the account is {}",
                u.username, u.id
            )),
            None => problems.push(format!(
                "login index: {} of {} is missing",
                u.username, u.id
            )),
        }
        wanted.insert(u.username, u.id);
    }
    for entry in store.usernames.entries() {
        let (name, id) = entry?;
        if !wanted.contains_key(&name) {
            problems.push(format!("login index: stale entry {name} -> {id}"));
        }
    }
    Ok(problems)
}

// ---- departments --------------------------------------------------------------------------------

fn group_name_taken(name: &str) -> Error {
    Error::rule(Code::NameTaken, format!("a department named {name} exists")).with("name", name)
}

/// Checks that every member exists and is active (an expired intern cannot join a department);
/// the ids without repeats.
pub fn check_members(store: &Store, members: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for (i, m) in members.iter().enumerate() {
        let u = store.users.get(m)?.ok_or_else(|| {
            Error::invalid(format!("members[{i}]"), format!("no such user: {m}"))
                .because(Reason::NoSuch)
                .with("name", m)
        })?;
        if !sessions::account_active(&u) {
            return Err(Error::invalid(
                format!("members[{i}]"),
                format!("the account {} is disabled or expired", u.username),
            )
            .because(Reason::InactiveAccount)
            .with("name", &u.username));
        }
        if !out.contains(m) {
            out.push(m.clone());
        }
    }
    Ok(out)
}

/// Every department, by name. External guests see none (least privilege).
pub fn groups(store: &Store, who: &Caller) -> Result<Departments> {
    if who.user.kind == AccountKind::External {
        return Ok(Departments {
            items: Vec::new(),
            with_members: false,
        });
    }
    let mut items = store.catalog()?.groups.clone();
    items.sort_by(|a, b| a.name.cmp(&b.name));
    // Employees may see department names (to pick them in grants); members only admins.
    let with_members = who.is_admin();
    if !with_members {
        for g in &mut items {
            g.members.clear();
        }
    }
    Ok(Departments {
        items,
        with_members,
    })
}

/// The departments a caller may see ([`groups`]).
pub struct Departments {
    /// By name; without members unless `with_members`.
    pub items: Vec<Group>,
    /// Whether members (and creation times) are the caller's to see: administrators only.
    pub with_members: bool,
}

/// One department (admins).
pub fn group(store: &Store, who: &Caller, id: &str) -> Result<Group> {
    who.require_admin()?;
    if !crate::model::valid_id(id) {
        return Err(Error::NotFound("group"));
    }
    store.groups.get(id)?.ok_or(Error::NotFound("group"))
}

/// Creates a department (admins); its name is unique (checked in the same transaction).
pub fn create_group(store: &Store, who: &Caller, name: &str, members: &[String]) -> Result<Group> {
    who.require_admin()?;
    let name = check_group_name(name)?;
    let members = check_members(store, members)?;
    let g = Group {
        id: new_id(),
        name,
        members,
        heads: Vec::new(),
        created_at: Utc::now(),
    };
    let ev = Actor::of(who).event(
        store.next_seq()?,
        "group.create",
        format!("group:{}", g.id),
        "ok",
        Some(json!({"name": g.name, "members": g.members})),
    );
    let key = names::group(&g.name);
    store.transact(|tx| {
        names::tx_claim(tx, &key, None, &g.id, || group_name_taken(&g.name))?;
        tx.groups.put(&g.id, &g)?;
        tx_audit(tx, &ev)
    })?;
    Ok(g)
}

/// Renames a department (admins).
pub fn rename_group(store: &Store, who: &Caller, id: &str, name: &str) -> Result<Group> {
    who.require_admin()?;
    if !crate::model::valid_id(id) {
        return Err(Error::NotFound("group"));
    }
    let name = check_group_name(name)?;
    let ev = Actor::of(who).event(
        store.next_seq()?,
        "group.rename",
        format!("group:{id}"),
        "ok",
        Some(json!({"name": name})),
    );
    let new_key = names::group(&name);
    store.transact(|tx| {
        let mut old_key = None;
        let g = tx.groups.modify(id, "group", |g| {
            old_key = Some(names::group(&g.name));
            g.name = name.clone();
        })?;
        names::tx_claim(tx, &new_key, old_key.as_deref(), id, || {
            group_name_taken(&name)
        })?;
        tx_audit(tx, &ev)?;
        Ok(g)
    })
}

/// Sets a department's members, exactly (admins), and with `heads` its heads (members who see
/// their department's onboarding progress); without it the heads still members stay heads.
pub fn set_members(
    store: &Store,
    who: &Caller,
    id: &str,
    members: &[String],
    heads: Option<&[String]>,
) -> Result<Group> {
    who.require_admin()?;
    if !crate::model::valid_id(id) {
        return Err(Error::NotFound("group"));
    }
    let members = check_members(store, members)?;
    let mut new_heads: Option<Vec<String>> = None;
    if let Some(heads) = heads {
        let mut out: Vec<String> = Vec::new();
        for (i, h) in heads.iter().enumerate() {
            if !members.contains(h) {
                return Err(Error::invalid(
                    format!("heads[{i}]"),
                    format!("the head {h} is not a member of the department"),
                )
                .because(Reason::NoSuch)
                .with("name", h));
            }
            if !out.contains(h) {
                out.push(h.clone());
            }
        }
        new_heads = Some(out);
    }
    let ev = Actor::of(who).event(
        store.next_seq()?,
        "group.members",
        format!("group:{id}"),
        "ok",
        Some(json!({"members": members, "heads": new_heads})),
    );
    store.transact(|tx| {
        let g = tx.groups.modify(id, "group", |g| {
            g.members = members.clone();
            match &new_heads {
                Some(h) => g.heads = h.clone(),
                None => g.heads.retain(|h| members.contains(h)),
            }
        })?;
        tx_audit(tx, &ev)?;
        Ok(g)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn employee(username: &str) -> NewAccount {
        NewAccount {
            username: username.into(),
            display_name: None,
            password: "Passw0rd-long".into(),
            kind: AccountKind::Employee,
            expires_at: None,
            is_admin: false,
            groups: vec![],
        }
    }

    #[test]
    fn one_set_of_rules_for_every_way_in() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let base = employee(" Alice ");
        let u = create_blocking(&store, base.clone(), |_| Ok(None)).unwrap();
        assert_eq!(u.username, "alice");
        assert!(sessions::verify_password("Passw0rd-long", &u.password_hash));
        let again = create_blocking(&store, base.clone(), |_| Ok(None)).unwrap_err();
        assert!(matches!(
            again,
            Error::Rule {
                code: Code::UsernameTaken,
                ..
            }
        ));
        let weak = NewAccount {
            username: "bob".into(),
            password: "short".into(),
            ..base.clone()
        };
        assert!(matches!(
            create_blocking(&store, weak, |_| Ok(None)),
            Err(Error::InvalidInput { .. })
        ));
        let intern_without_end = NewAccount {
            username: "carol".into(),
            kind: AccountKind::Intern,
            ..base
        };
        assert!(create_blocking(&store, intern_without_end, |_| Ok(None)).is_err());
    }

    #[test]
    fn check_finds_a_login_index_that_disagrees_with_the_accounts() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let u = create_blocking(&store, employee("dave"), |_| Ok(None)).unwrap();
        assert!(verify_login_index(&store).unwrap().is_empty());
        assert_eq!(by_login(&store, " DAVE ").unwrap().unwrap().id, u.id);
        store
            .transact(|tx| {
                tx.usernames.remove("dave")?;
                tx.usernames.put("ghost", "u0")
            })
            .unwrap();
        let problems = verify_login_index(&store).unwrap();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems
                .iter()
                .any(|p| p.contains("dave") && p.contains("missing"))
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("ghost") && p.contains("stale"))
        );
    }
}
