//! Backups while serving: consistent under concurrent writers, restorable into a working server,
//! verified, pruned, admins only.

use std::{
    collections::HashSet,
    process::Command,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use serde_json::{Value, json};

use crate::common::{Server, assert_error};

fn hanlin(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hanlin"))
        .args(args)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_under_four_writers_restores_every_acknowledged_write_whole() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.first_space().await;
    let (_, reader) = srv.user(&admin, "reader1", json!({})).await;
    // Not an admin's business: refused before anything is written.
    assert_error(
        &reader.post("/api/v1/admin/backups", json!({})).await,
        403,
        "forbidden",
    );
    assert_error(&reader.get("/api/v1/admin/backups").await, 403, "forbidden");

    // An old backup of 40 days ago (verified), and one of 35 days ago: the new backup prunes the
    // 35-day one and, once it is itself verified, the 40-day one too.
    let backups_dir = srv.dir.path().join("backups");
    std::fs::create_dir_all(&backups_dir).unwrap();
    let old = |days: i64| {
        let t = chrono::Utc::now() - chrono::Duration::days(days);
        format!("hanlin-backup-{}.zip", t.format("%Y%m%dT%H%M%S%.3fZ"))
    };
    std::fs::write(backups_dir.join(old(40)), b"old").unwrap();
    std::fs::write(backups_dir.join(format!("{}.verified", old(40))), b"").unwrap();
    std::fs::write(backups_dir.join(old(35)), b"old").unwrap();

    // Four writers, each saving documents as fast as they are answered (bounded: 300 each, 20 s).
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (c, acked, stop, space) = (admin.clone(), acked.clone(), stop.clone(), space.clone());
        writers.push(tokio::spawn(async move {
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            for i in 0..300 {
                if stop.load(Ordering::Relaxed) || std::time::Instant::now() > deadline {
                    break;
                }
                let title = format!("备份压测 {w}-{i}");
                let body = format!("# {title}\n\n写入者 {w} 的第 {i} 篇：季度预算与扩容计划。\n");
                let (st, d) = c
                    .post(
                        "/api/v1/documents",
                        json!({"space_id": space, "title": title, "body": body, "tags": ["备份"]}),
                    )
                    .await;
                assert_eq!(st, 200, "{d}");
                acked
                    .lock()
                    .unwrap()
                    .push(d["id"].as_str().unwrap().to_owned());
            }
        }));
    }
    // Let them get going, then note what is acknowledged and take the backup.
    while acked.lock().unwrap().len() < 40 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let before: HashSet<String> = acked.lock().unwrap().iter().cloned().collect();
    let (st, b) = admin.post("/api/v1/admin/backups", json!({})).await;
    assert_eq!(st, 200, "{b}");
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    assert_eq!(b["verified"], true, "{b}");
    assert!(b["size"].as_u64().unwrap() > 1000, "{b}");
    let file = b["file"].as_str().unwrap().to_owned();

    // Listed, newest first; the 35-day-old one is gone, and so is the 40-day-old one (a newer
    // verified backup exists now).
    let (st, list) = admin.get("/api/v1/admin/backups").await;
    assert_eq!(st, 200, "{list}");
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["file"].as_str().unwrap())
        .collect();
    assert_eq!(names, [file.as_str()], "{list}");
    // The run is audited.
    let (_, audit) = admin.get("/api/v1/audit?action=backup").await;
    assert_eq!(audit["items"][0]["outcome"], "ok", "{audit}");
    assert_eq!(
        audit["items"][0]["detail"]["file"],
        file.as_str(),
        "{audit}"
    );

    let path = backups_dir.join(&file);
    let verify = hanlin(&["backup", "verify", path.to_str().unwrap()]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );

    // Restore into an empty directory: the index is rebuilt and the full check passes.
    let target = tempfile::tempdir().unwrap();
    let out = hanlin(&[
        "restore",
        path.to_str().unwrap(),
        "--into",
        target.path().to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("ok:"), "{text}");
    // Not twice into the same place.
    let again = hanlin(&[
        "restore",
        path.to_str().unwrap(),
        "--into",
        target.path().to_str().unwrap(),
    ]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));

    // The restored server: every write acknowledged before the backup began is there, each whole
    // (head, body and version agree: the check above), and search finds them.
    let restored = Server::start_in(target, |_| {}).await;
    let radmin = restored.admin().await;
    let (_, listed) = radmin
        .get(&format!("/api/v1/documents?space_id={space}&limit=1000"))
        .await;
    let present: HashSet<String> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    let missing: Vec<&String> = before.difference(&present).collect();
    assert!(
        missing.is_empty(),
        "acknowledged before the backup, missing after restore: {missing:?}"
    );
    // Nothing the writers never had acknowledged appears (no invented or half documents).
    let all_acked: HashSet<String> = acked.lock().unwrap().iter().cloned().collect();
    for d in listed["items"].as_array().unwrap() {
        let id = d["id"].as_str().unwrap();
        let title = d["title"].as_str().unwrap();
        assert!(
            all_acked.contains(id) || !title.starts_with("备份压测"),
            "{d}"
        );
    }
    let some = before.iter().next().unwrap();
    let (st, doc) = radmin.get(&format!("/api/v1/documents/{some}")).await;
    assert_eq!(st, 200, "{doc}");
    let title = doc["title"].as_str().unwrap().to_owned();
    let hit: Value = radmin.search_until(&title, some, true).await;
    assert!(hit["total"].as_u64().unwrap() >= 1);

    // A damaged backup fails verification.
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0xff;
    let damaged = restored.dir.path().join("damaged.zip");
    std::fs::write(&damaged, &bytes).unwrap();
    let bad = hanlin(&["backup", "verify", damaged.to_str().unwrap()]);
    assert!(!bad.status.success(), "a damaged backup passed verify");
}

#[tokio::test]
async fn attachments_are_backed_up_and_restored_with_their_bytes() {
    let backups = tempfile::tempdir().unwrap();
    let dir = backups.path().to_owned();
    let srv = Server::start_with(|c| c.backup_dir = Some(dir.clone())).await;
    let admin = srv.admin().await;
    let space = admin.new_space("附件备份").await;
    let d = admin.new_doc(&space, None, "合同", "见附件\n").await;
    let id = d["id"].as_str().unwrap().to_owned();
    let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let r = crate::attachments::attach(&admin, &id, &[("合同扫描件.bin", &bytes)]).await;
    assert_eq!(r.0, 200, "{}", r.1);
    let aid = r.1["attachments"][0]["id"].as_str().unwrap().to_owned();
    let (st, b) = admin.post("/api/v1/admin/backups", json!({})).await;
    assert_eq!(st, 200, "{b}");
    let path = dir.join(b["file"].as_str().unwrap());
    let target = tempfile::tempdir().unwrap();
    let out = hanlin(&[
        "restore",
        path.to_str().unwrap(),
        "--into",
        target.path().to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("ok:"), "{text}");
    let restored = Server::start_in(target, |_| {}).await;
    let radmin = restored.admin().await;
    let (st, _, got) =
        crate::attachments::download(&radmin, &format!("/api/v1/attachments/{aid}/content")).await;
    assert_eq!(st, 200);
    assert_eq!(got, bytes, "the restored attachment has its bytes");
    drop(srv);
}
