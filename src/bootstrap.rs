//! First start: the admin account, a welcome space and a getting-started document. Idempotent: a
//! marker in the meta tree records that it ran, so later starts change nothing.

use chrono::Utc;

use crate::{
    domain::permission::{AccountKind, Grant, Principal, Role},
    error::{Error, Result},
    model::{DocKind, Space, SpaceKind, new_id},
    service::accounts,
    service::documents::{self as docs, Actor, NewDoc},
    service::sessions,
    store::{Store, names},
};

const INITIALIZED: &[u8] = b"initialized";

/// The welcome document (Chinese, as the UI's default language).
pub const WELCOME_BODY: &str = "# 欢迎使用翰林知识库\n\n翰林是公司自己的知识库：在这里查找资料、撰写文档、审核发布、带新同事入门。\n\n## 快速开始\n\n1. **搜索**：在顶部搜索框直接输入问题，例如“怎么申请测试环境”。口语化的问题也能找到答案。\n2. **写文档**：进入一个空间，点击“新建文档”，用 Markdown 书写，保存即生成一个新版本。\n3. **历史版本**：每次保存都会留下版本，可以对比任意两个版本的差异并一键恢复。\n4. **审核**：设置了审核流程的分类，文档需审核通过后才对读者可见。\n\n## 常用搜索语法\n\n| 写法 | 含义 |\n|---|---|\n| `\"精确短语\"` | 必须完整出现 |\n| `-排除词` | 不包含该词 |\n| `#标签` | 按标签筛选 |\n| `space:空间名` | 只在某个空间里找 |\n\n祝使用愉快！\n";

/// Creates the admin account, the welcome space and document on the very first start.
pub fn first_start(store: &Store, admin_password: Option<&str>) -> Result<()> {
    if store.meta(INITIALIZED)?.is_some() {
        return Ok(());
    }
    let now = Utc::now();
    let (password, generated) = match admin_password {
        Some(p) if !p.is_empty() => (p.to_owned(), false),
        _ => (sessions::new_token()[..20].to_string(), true),
    };
    // The same account rules as every other account (a weak HANLIN_ADMIN_PASSWORD is refused).
    let checked = accounts::check(
        store,
        accounts::NewAccount {
            username: "admin".into(),
            display_name: Some("管理员".into()),
            password: password.clone(),
            kind: AccountKind::Employee,
            expires_at: None,
            is_admin: true,
            groups: vec![],
        },
    )
    .map_err(|e| match e {
        Error::InvalidInput { message, .. } => Error::bad(format!(
            "HANLIN_ADMIN_PASSWORD does not meet the password policy: {message}"
        )),
        e => e,
    })?;
    let hash = sessions::hash_password(checked.password())?;
    let space = Space {
        id: new_id(),
        name: "欢迎".into(),
        kind: SpaceKind::Knowledge,
        description: "翰林知识库的入门空间".into(),
        grants: vec![Grant {
            principal: Principal::Everyone,
            role: Role::Reader,
            record_types: Vec::new(),
        }],
        review_policy: None,
        created_at: now,
        comments_off: false,
    };
    let admin = accounts::insert(store, checked, hash, None)?;
    let name_key = names::space(&space.name);
    store.transact(|tx| {
        names::tx_claim(tx, &name_key, None, &space.id, || {
            crate::service::spaces::space_name_taken(&space.name)
        })?;
        tx.spaces.put(&space.id, &space)
    })?;
    let actor = Actor {
        id: admin.id.clone(),
        name: admin.username.clone(),
        ip: None,
    };
    let content = docs::validate(
        "快速入门：欢迎使用翰林",
        WELCOME_BODY,
        &["入门".into()],
        usize::MAX,
    )?;
    docs::create(
        store,
        &actor,
        NewDoc {
            space_id: space.id.clone(),
            category_id: None,
            content,
            kind: DocKind::Doc,
            record_type: None,
            needs_review: false,
            message: "初始化".into(),
            import_key: None,
        },
    )?;
    store.put_meta(INITIALIZED, now.to_rfc3339().as_bytes())?;
    store.flush_blocking()?;
    if generated {
        // Printed once, on the console only: the log never holds passwords.
        println!("Hanlin first start: created account `admin` with password: {password}");
        println!(
            "Change it after logging in (or set HANLIN_ADMIN_PASSWORD before the first start)."
        );
    } else {
        tracing::info!(
            "first start: created account `admin` with the password from HANLIN_ADMIN_PASSWORD"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_welcome_space_holds_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        first_start(&store, Some("Passw0rd-long")).unwrap();
        // The name index agrees with the spaces (hanlin check), so the name cannot be taken twice.
        assert!(names::verify(&store).unwrap().is_empty());
        let admin = store.users.all().unwrap().remove(0);
        let actor = Actor {
            id: admin.id,
            name: admin.username,
            ip: None,
        };
        let again = crate::service::spaces::create_space(
            &store,
            &actor,
            "欢迎",
            crate::model::SpaceKind::Knowledge,
            "",
        );
        assert!(
            matches!(
                again,
                Err(crate::error::Error::Rule {
                    code: crate::error::Code::NameTaken,
                    ..
                })
            ),
            "{again:?}"
        );
    }
}
