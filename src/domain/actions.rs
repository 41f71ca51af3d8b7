//! Action items written as Markdown task lines (`- [ ] 提交测试报告 @alice 截止:2026-12-20`,
//! `due:` as well): finding them and ticking one. Pure text work, no I/O.

use sha2::{Digest, Sha256};

/// One task line of a Markdown body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskLine {
    /// 0-based line number in the body.
    pub line: usize,
    /// The task, without its checkbox, `@login` and due date.
    pub text: String,
    /// The first `@login` on the line, lower-cased.
    pub assignee: Option<String>,
    /// The due date (`YYYY-MM-DD`) after `截止:` / `截止：` / `due:`.
    pub due: Option<String>,
    /// Ticked (`[x]`).
    pub done: bool,
}

/// The checkbox of a list item: where `[ ]` / `[x]` starts, and whether it is ticked.
fn checkbox(line: &str) -> Option<(usize, bool)> {
    let lead = line.len() - line.trim_start().len();
    let rest = &line[lead..];
    let marker = if rest.starts_with(['-', '*', '+']) {
        1
    } else {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 9 || !rest[digits..].starts_with(['.', ')']) {
            return None;
        }
        digits + 1
    };
    let after = &rest[marker..];
    if !after.starts_with(' ') {
        return None;
    }
    let spaces = after.len() - after.trim_start_matches(' ').len();
    let b = &after[spaces..];
    let done = if b.starts_with("[ ]") {
        false
    } else if b.starts_with("[x]") || b.starts_with("[X]") {
        true
    } else {
        return None;
    };
    if !(b.len() == 3 || b[3..].starts_with([' ', '\t'])) {
        return None;
    }
    Some((lead + marker + spaces, done))
}

fn is_login_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-'
}

/// A date `YYYY-MM-DD` at the start of `s`.
fn date_at(s: &str) -> Option<&str> {
    let d = s.get(..10)?;
    let ok = d.bytes().enumerate().all(|(i, b)| match i {
        4 | 7 => b == b'-',
        _ => b.is_ascii_digit(),
    });
    (ok && chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok()).then_some(d)
}

/// Parses the rest of a task line (after the checkbox) into its text, assignee and due date.
fn parse_task(rest: &str) -> (String, Option<String>, Option<String>) {
    let mut assignee = None;
    let mut due = None;
    let mut words: Vec<&str> = Vec::new();
    let mut tokens = rest.split_whitespace().peekable();
    while let Some(tok) = tokens.next() {
        if let Some(login) = tok.strip_prefix('@') {
            let login = login
                .split(|c: char| !is_login_char(c))
                .next()
                .unwrap_or("")
                .trim_end_matches(['.', '-']);
            if !login.is_empty() {
                if assignee.is_none() {
                    assignee = Some(login.to_ascii_lowercase());
                }
                continue;
            }
        }
        let lower = tok.to_lowercase();
        let value = ["截止:", "截止：", "due:"]
            .iter()
            .find_map(|p| lower.strip_prefix(p).map(|_| &tok[p.len()..]));
        if let Some(v) = value {
            // `截止: 2026-12-20`, a space after the colon: the date is the next token.
            let (v, next) = if v.is_empty() {
                (tokens.peek().copied().unwrap_or(""), true)
            } else {
                (v, false)
            };
            if let Some(d) = date_at(v) {
                if due.is_none() {
                    due = Some(d.to_owned());
                }
                if next {
                    tokens.next();
                }
                continue;
            }
        }
        words.push(tok);
    }
    (words.join(" "), assignee, due)
}

/// The task lines of a Markdown body (outside fenced code), in order.
pub fn task_lines(md: &str) -> Vec<TaskLine> {
    let mut out = Vec::new();
    let mut fence: Option<&str> = None;
    for (n, line) in md.lines().enumerate() {
        let t = line.trim_start();
        if let Some(f) = fence {
            if t.starts_with(f) {
                fence = None;
            }
            continue;
        }
        if t.starts_with("```") {
            fence = Some("```");
            continue;
        }
        if t.starts_with("~~~") {
            fence = Some("~~~");
            continue;
        }
        let Some((at, done)) = checkbox(line) else {
            continue;
        };
        let (text, assignee, due) = parse_task(&line[at + 3..]);
        if text.is_empty() {
            continue;
        }
        out.push(TaskLine {
            line: n,
            text,
            assignee,
            due,
            done,
        });
    }
    out
}

/// The body with the task at 0-based `line` ticked or unticked; None when that line is not a
/// task line.
pub fn set_task_done(md: &str, line: usize, done: bool) -> Option<String> {
    let mut out = String::with_capacity(md.len());
    let mut found = false;
    for (n, l) in md.split_inclusive('\n').enumerate() {
        if n == line {
            let (at, _) = checkbox(l)?;
            out.push_str(&l[..at]);
            out.push_str(if done { "[x]" } else { "[ ]" });
            out.push_str(&l[at + 3..]);
            found = true;
        } else {
            out.push_str(l);
        }
    }
    found.then_some(out)
}

/// A stable id for an action item: the document id, a dash and 16 hex digits of a hash of
/// what identifies the item in it (its text and owner, and which occurrence of the same it is),
/// so that editing other lines keeps it.
pub fn item_id(doc_id: &str, identity: &str, occurrence: usize) -> String {
    let mut h = Sha256::new();
    h.update(identity.as_bytes());
    h.update([0]);
    h.update(occurrence.to_be_bytes());
    format!("{doc_id}-{}", &hex::encode(h.finalize())[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_lines_with_owner_and_due_date() {
        let md = "# 周会\n\n- [ ] 提交测试报告 @alice 截止:2026-12-20\n- [x] 整理纪要 @Bob due:2026-12-01\n\
                  * [ ] 没有负责人\n1. [ ] 截止： 2026-12-31 写周报 @carol.w\n- [] 不是任务\n```\n- [ ] 代码里 @x\n```\n- [ ]\n";
        let t = task_lines(md);
        assert_eq!(t.len(), 4, "{t:?}");
        assert_eq!(
            t[0],
            TaskLine {
                line: 2,
                text: "提交测试报告".into(),
                assignee: Some("alice".into()),
                due: Some("2026-12-20".into()),
                done: false,
            }
        );
        assert_eq!(t[1].assignee.as_deref(), Some("bob"));
        assert!(t[1].done);
        assert_eq!(t[2].assignee, None);
        assert_eq!(t[2].text, "没有负责人");
        assert_eq!(t[3].due.as_deref(), Some("2026-12-31"));
        assert_eq!(t[3].text, "写周报");
        assert_eq!(t[3].assignee.as_deref(), Some("carol.w"));
    }

    #[test]
    fn a_bad_date_stays_text() {
        let t = task_lines("- [ ] 交材料 截止:2026-02-30 @a");
        assert_eq!(t[0].due, None);
        assert_eq!(t[0].text, "交材料 截止:2026-02-30");
    }

    #[test]
    fn ticking_changes_only_that_checkbox() {
        let md = "a\n- [ ] one @a\n  - [ ] two @b\n";
        let done = set_task_done(md, 2, true).unwrap();
        assert_eq!(done, "a\n- [ ] one @a\n  - [x] two @b\n");
        assert_eq!(set_task_done(&done, 2, false).unwrap(), md);
        assert_eq!(set_task_done(md, 0, true), None);
        assert_eq!(set_task_done(md, 9, true), None);
    }

    #[test]
    fn ids_are_stable_and_distinct() {
        let d = "0".repeat(32);
        assert_eq!(item_id(&d, "x", 0), item_id(&d, "x", 0));
        assert_ne!(item_id(&d, "x", 0), item_id(&d, "x", 1));
        assert_eq!(item_id(&d, "x", 0).len(), 49);
    }
}
