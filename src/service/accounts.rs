//! Accounts: the one way to create one (first start, the CLI and the API all come here), and the
//! rules every account follows.

use chrono::{DateTime, Utc};

use crate::{
    domain::permission::{self, AccountKind},
    error::{Code, Error, Reason, Result},
    model::{AuditEvent, Group, User, new_id},
    service::documents::tx_audit,
    service::sessions,
    store::{Store, abort, to_json, tx_json},
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
        if !store.groups.contains_key(g.as_bytes())? {
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
    let bytes = to_json(&user);
    let username = user.username.clone();
    store.transact(|tx| {
        if tx.usernames.get(username.as_bytes())?.is_some() {
            return abort(
                Error::rule(
                    Code::UsernameTaken,
                    format!("the username {username} is taken"),
                )
                .with("name", &username),
            );
        }
        tx.users.insert(user.id.as_bytes(), bytes.clone())?;
        tx.usernames
            .insert(username.as_bytes(), user.id.as_bytes())?;
        for g in &checked.groups {
            let mut group: Group = match tx.groups.get(g.as_bytes())? {
                Some(b) => tx_json(&b)?,
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
            tx.groups.insert(g.as_bytes(), to_json(&group))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_set_of_rules_for_every_way_in() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let base = NewAccount {
            username: " Alice ".into(),
            display_name: None,
            password: "Passw0rd-long".into(),
            kind: AccountKind::Employee,
            expires_at: None,
            is_admin: false,
            groups: vec![],
        };
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
}
