//! The review state machine: a submitted version moves through the ordered stages of its
//! category's review policy. Pure: [`apply`] takes a review and returns the next one.
//!
//! ```text
//!   submit ─▶ InReview{0} ─approve (quorum)─▶ InReview{1} ─ … ─approve (quorum, last stage)─▶ Approved
//!                 │                              │
//!                 ├─ reject (comment) ───────────┴──────────────────────────────────────────▶ Rejected
//!                 ├─ withdraw (author) ─────────────────────────────────────────────────────▶ Withdrawn
//!                 └─ supersede (a newer submission of the same document) ───────────────────▶ Superseded
//! ```
//!
//! # Who may act
//!
//! - Only the **current** stage can be acted on, so approving out of order is impossible.
//! - A reviewer is anyone matched by one of the current stage's principals: `user:<id>` by id,
//!   `group:<g>` by membership (the actor's groups at the time of the decision), `everyone` by all.
//!   **Administrators are not reviewers by virtue of being administrators**: they must be listed
//!   like anybody else (an admin who must unblock a review edits the category's policy, withdraws
//!   nothing, and the author resubmits).
//! - The author can never approve or reject their own submission, whatever they are listed as and
//!   even as an administrator.
//! - Each reviewer decides at most once per stage (the same person may decide again in a later
//!   stage if listed there).
//! - This module does not look at grants: the server also checks that an entry of the stage
//!   designates the actor before calling [`apply`] (`crate::service::reviews::designated`: a `user:` or
//!   `group:` entry naming them while they may read the document, `everyone` while they hold the
//!   reviewer role there; a listed reviewer who lost access cannot act; externals never can).
//!
//! # Quorum
//!
//! - [`Quorum::Any`]: the first approval completes the stage.
//! - [`Quorum::All`]: every entry of the stage's reviewer list must be covered by an approval:
//!   a `user:<id>` entry by that user's approval; a `group:<g>` entry by the approval of **any one
//!   member** of the group; `everyone` by any one approval. One approval covers every entry that
//!   matched its reviewer when it was made (recorded in [`Decision::counts_for`], so later group
//!   membership changes do not rewrite history). The author's own `user:` entry is not required
//!   (they cannot approve), but a stage always needs at least one approval, so a stage listing only
//!   the author can never pass: [`Review::submit`] refuses such policies.
//!
//! Any listed reviewer may reject at any stage (a comment is required); a rejection ends the review.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::permission::Principal;

/// Most stages a policy may have.
pub const MAX_STAGES: usize = 10;
/// Longest stage name, in characters (not bytes: names are usually Chinese).
pub const MAX_STAGE_NAME_CHARS: usize = 50;

/// How many of a stage's reviewers must approve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Quorum {
    /// One approval by any listed reviewer.
    Any,
    /// Every listed entry must be covered by an approval (see the module docs for groups).
    All,
}

/// One stage of a review policy (e.g. 部门负责人, then 知识管理员).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Stage {
    /// Display name, 1 to [`MAX_STAGE_NAME_CHARS`] characters.
    pub name: String,
    /// Who reviews at this stage; at least one, no duplicates.
    pub reviewers: Vec<Principal>,
    /// How many of them must approve.
    pub quorum: Quorum,
}

/// A category's review policy: the ordered stages a submission goes through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Policy {
    /// 1 to [`MAX_STAGES`] stages, in order.
    pub stages: Vec<Stage>,
}

/// A review policy was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// A policy needs at least one stage.
    #[error("a review policy needs at least one stage")]
    NoStages,
    /// More than [`MAX_STAGES`] stages.
    #[error("a review policy has at most {MAX_STAGES} stages, not {count}")]
    TooManyStages {
        /// How many were given.
        count: usize,
    },
    /// A stage name is empty or blank.
    #[error("stage {stage}: the name is empty")]
    EmptyStageName {
        /// Index of the stage.
        stage: usize,
    },
    /// A stage name is longer than [`MAX_STAGE_NAME_CHARS`] characters.
    #[error("stage {stage}: the name is longer than {MAX_STAGE_NAME_CHARS} characters")]
    StageNameTooLong {
        /// Index of the stage.
        stage: usize,
    },
    /// A stage lists no reviewer.
    #[error("stage {stage}: no reviewers")]
    NoReviewers {
        /// Index of the stage.
        stage: usize,
    },
    /// A stage lists the same principal twice.
    #[error("stage {stage}: {principal} is listed twice")]
    DuplicateReviewer {
        /// Index of the stage.
        stage: usize,
        /// The repeated principal.
        principal: Principal,
    },
}

impl Policy {
    /// Checks the policy before it is stored: 1..=[`MAX_STAGES`] stages, each with a non-blank
    /// name of at most [`MAX_STAGE_NAME_CHARS`] characters and at least one reviewer, none twice.
    /// Reports the first fault. (Whether the principals exist is the server's lookup, as for
    /// grants.)
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.stages.is_empty() {
            return Err(PolicyError::NoStages);
        }
        if self.stages.len() > MAX_STAGES {
            return Err(PolicyError::TooManyStages {
                count: self.stages.len(),
            });
        }
        for (index, stage) in self.stages.iter().enumerate() {
            if stage.name.trim().is_empty() {
                return Err(PolicyError::EmptyStageName { stage: index });
            }
            if stage.name.chars().count() > MAX_STAGE_NAME_CHARS {
                return Err(PolicyError::StageNameTooLong { stage: index });
            }
            if stage.reviewers.is_empty() {
                return Err(PolicyError::NoReviewers { stage: index });
            }
            let mut seen = HashSet::with_capacity(stage.reviewers.len());
            for principal in &stage.reviewers {
                if !seen.insert(principal) {
                    return Err(PolicyError::DuplicateReviewer {
                        stage: index,
                        principal: principal.clone(),
                    });
                }
            }
        }
        Ok(())
    }
}

/// Where a review stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ReviewState {
    /// Waiting for decisions at stage `stage` (0-based index into the policy's stages).
    InReview {
        /// The current stage.
        stage: usize,
    },
    /// Every stage approved: the version may be published.
    Approved,
    /// A reviewer rejected it (with a comment).
    Rejected,
    /// The author took it back.
    Withdrawn,
    /// A newer submission of the same document replaced it.
    Superseded,
}

impl ReviewState {
    /// Whether the review still waits for decisions.
    pub fn is_open(self) -> bool {
        matches!(self, ReviewState::InReview { .. })
    }
}

/// One reviewer's decision at one stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The stage it was made at.
    pub stage: usize,
    /// The reviewer's user id.
    pub reviewer: String,
    /// Approve (`true`) or reject (`false`).
    pub approve: bool,
    /// The reviewer's comment (always present on a rejection).
    pub comment: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
    /// The stage's reviewer entries that matched the reviewer when deciding (what this approval
    /// covers under [`Quorum::All`]; also "approved as group:…" in the UI).
    pub counts_for: Vec<Principal>,
}

/// A submitted version of a document and its way through review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    /// The review id.
    pub id: String,
    /// The document under review.
    pub doc_id: String,
    /// The submitted version of the document.
    pub version: u64,
    /// Who submitted it.
    pub author: String,
    /// When it was submitted.
    pub submitted_at: DateTime<Utc>,
    /// The category's policy as it was at submission (later policy edits do not apply).
    pub policy: Policy,
    /// Where it stands.
    pub state: ReviewState,
    /// Every decision so far, in order.
    pub decisions: Vec<Decision>,
}

/// Who is acting on a review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The actor's user id.
    pub user_id: String,
    /// Ids of the groups the actor belongs to now.
    pub groups: Vec<String>,
    /// Administrator flag: grants nothing here (see the module docs); kept so callers can pass
    /// the signed-in account whole.
    pub is_admin: bool,
}

impl Actor {
    fn is(&self, principal: &Principal) -> bool {
        principal.matches(&self.user_id, &self.groups)
    }
}

/// Something an actor does to a review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ReviewAction {
    /// Approve at the current stage, optionally with a comment (a blank one is dropped).
    Approve {
        /// Optional comment.
        comment: Option<String>,
    },
    /// Reject at the current stage; the comment must not be blank.
    Reject {
        /// Why.
        comment: String,
    },
    /// The author takes the submission back.
    Withdraw,
    /// A newer submission of the same document replaces this one. Not authorised here: the
    /// server applies it when it accepts that newer submission (having checked `Submit`).
    Supersede,
}

/// A review action was refused. The server's code and status for each are in `crate::error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    /// The author tried to approve or reject their own submission.
    #[error("nobody may approve or reject their own submission")]
    SelfApproval,
    /// The actor is not listed among the current stage's reviewers.
    #[error("you are not a reviewer of the current stage")]
    NotAReviewer,
    /// The actor already decided at the current stage.
    #[error("you have already decided at this stage")]
    AlreadyDecided,
    /// The review is approved, rejected, withdrawn or superseded.
    #[error("the review is no longer in review")]
    NotPending,
    /// A rejection needs a comment.
    #[error("a rejection needs a comment")]
    CommentRequired,
    /// Only the author may withdraw a submission.
    #[error("only the author may withdraw a submission")]
    NotAuthor,
    /// The policy is invalid (at submission).
    #[error("invalid review policy: {0}")]
    InvalidPolicy(#[from] PolicyError),
    /// A stage lists nobody but the author, so it could never pass (at submission).
    #[error("stage {stage} has no reviewer other than the author")]
    NoEligibleReviewer {
        /// Index of the stage.
        stage: usize,
    },
}

impl Review {
    /// A new review of `doc_id` at `version`, submitted by `author` at `now`, in its first stage.
    /// Validates `policy` (snapshotted into the review) and refuses a policy with a stage whose
    /// only reviewer is the author. The server supersedes any open review of the same document.
    pub fn submit(
        id: impl Into<String>,
        doc_id: impl Into<String>,
        version: u64,
        author: impl Into<String>,
        policy: Policy,
        now: DateTime<Utc>,
    ) -> Result<Review, ReviewError> {
        policy.validate()?;
        let author = author.into();
        let only_author = |p: &Principal| matches!(p, Principal::User(u) if *u == author);
        if let Some(stage) = policy
            .stages
            .iter()
            .position(|s| s.reviewers.iter().all(only_author))
        {
            return Err(ReviewError::NoEligibleReviewer { stage });
        }
        Ok(Review {
            id: id.into(),
            doc_id: doc_id.into(),
            version,
            author,
            submitted_at: now,
            policy,
            state: ReviewState::InReview { stage: 0 },
            decisions: Vec::new(),
        })
    }

    /// The current stage and its index, while in review (and the stage exists in the snapshot).
    pub fn current_stage(&self) -> Option<(usize, &Stage)> {
        match self.state {
            ReviewState::InReview { stage } => self.policy.stages.get(stage).map(|s| (stage, s)),
            _ => None,
        }
    }

    /// The decisions made at `stage`, in order.
    pub fn decisions_at(&self, stage: usize) -> impl Iterator<Item = &Decision> {
        self.decisions.iter().filter(move |d| d.stage == stage)
    }

    /// Whether `user_id` has decided at `stage`.
    pub fn has_decided(&self, stage: usize, user_id: &str) -> bool {
        self.decisions_at(stage).any(|d| d.reviewer == user_id)
    }

    /// The current stage's reviewer entries still waited on: under [`Quorum::Any`] all of them
    /// (any one may approve), under [`Quorum::All`] those not yet covered; never the author's own
    /// `user:` entry. Empty when the review is not in review.
    pub fn waiting_on(&self) -> Vec<&Principal> {
        let Some((index, stage)) = self.current_stage() else {
            return Vec::new();
        };
        stage
            .reviewers
            .iter()
            .filter(|p| !self.is_author_entry(p))
            .filter(|p| match stage.quorum {
                Quorum::Any => true,
                Quorum::All => !self
                    .decisions_at(index)
                    .any(|d| d.approve && d.counts_for.contains(p)),
            })
            .collect()
    }

    fn is_author_entry(&self, principal: &Principal) -> bool {
        matches!(principal, Principal::User(u) if *u == self.author)
    }

    /// Whether the approvals recorded at `index` meet that stage's quorum.
    fn stage_passed(&self, index: usize, stage: &Stage) -> bool {
        let mut approvals = self.decisions_at(index).filter(|d| d.approve).peekable();
        if approvals.peek().is_none() {
            return false;
        }
        match stage.quorum {
            Quorum::Any => true,
            Quorum::All => {
                let covered: HashSet<&Principal> =
                    approvals.flat_map(|d| d.counts_for.iter()).collect();
                stage
                    .reviewers
                    .iter()
                    .filter(|p| !self.is_author_entry(p))
                    .all(|p| covered.contains(p))
            }
        }
    }
}

/// Whether `actor` may approve or reject `review` now as far as the review goes: it is in review,
/// the actor is not the author, and is listed in the current stage (whether they already decided
/// is [`pending_for`]'s concern).
pub fn can_act(review: &Review, actor: &Actor) -> bool {
    match review.current_stage() {
        Some((_, stage)) => {
            actor.user_id != review.author && stage.reviewers.iter().any(|p| actor.is(p))
        }
        None => false,
    }
}

/// Whether `review` belongs in `actor`'s queue: [`can_act`] and no decision yet at this stage.
pub fn pending_for(review: &Review, actor: &Actor) -> bool {
    match review.current_stage() {
        Some((index, _)) => can_act(review, actor) && !review.has_decided(index, &actor.user_id),
        None => false,
    }
}

/// Applies `action` by `actor` at `now` and returns the new review; `review` is not changed.
///
/// Checks, in order: `not_pending` (not in review, or a corrupt stage index), then for
/// withdraw `not_author`; for approve/reject `self_approval`, `not_a_reviewer`, `already_decided`,
/// `comment_required`. Supersede is always accepted while in review.
pub fn apply(
    review: &Review,
    actor: &Actor,
    action: ReviewAction,
    now: DateTime<Utc>,
) -> Result<Review, ReviewError> {
    let Some((index, stage)) = review.current_stage() else {
        return Err(ReviewError::NotPending);
    };
    let (approve, comment) = match action {
        ReviewAction::Withdraw => {
            if actor.user_id != review.author {
                return Err(ReviewError::NotAuthor);
            }
            return Ok(Review {
                state: ReviewState::Withdrawn,
                ..review.clone()
            });
        }
        ReviewAction::Supersede => {
            return Ok(Review {
                state: ReviewState::Superseded,
                ..review.clone()
            });
        }
        ReviewAction::Approve { comment } => (true, comment),
        ReviewAction::Reject { comment } => (false, Some(comment)),
    };
    if actor.user_id == review.author {
        return Err(ReviewError::SelfApproval);
    }
    let counts_for: Vec<Principal> = stage
        .reviewers
        .iter()
        .filter(|p| actor.is(p))
        .cloned()
        .collect();
    if counts_for.is_empty() {
        return Err(ReviewError::NotAReviewer);
    }
    if review.has_decided(index, &actor.user_id) {
        return Err(ReviewError::AlreadyDecided);
    }
    let comment = comment.filter(|c| !c.trim().is_empty());
    if !approve && comment.is_none() {
        return Err(ReviewError::CommentRequired);
    }
    let mut next = review.clone();
    next.decisions.push(Decision {
        stage: index,
        reviewer: actor.user_id.clone(),
        approve,
        comment,
        at: now,
        counts_for,
    });
    next.state = if !approve {
        ReviewState::Rejected
    } else if !next.stage_passed(index, stage) {
        ReviewState::InReview { stage: index }
    } else if index + 1 == next.policy.stages.len() {
        ReviewState::Approved
    } else {
        ReviewState::InReview { stage: index + 1 }
    };
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 6, 1, 9, 0, 0).unwrap()
    }

    fn user(id: &str) -> Principal {
        Principal::User(id.into())
    }

    fn group(id: &str) -> Principal {
        Principal::Group(id.into())
    }

    fn stage(name: &str, reviewers: Vec<Principal>, quorum: Quorum) -> Stage {
        Stage {
            name: name.into(),
            reviewers,
            quorum,
        }
    }

    fn actor(id: &str, groups: &[&str]) -> Actor {
        Actor {
            user_id: id.into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            is_admin: false,
        }
    }

    fn admin(id: &str) -> Actor {
        Actor {
            is_admin: true,
            ..actor(id, &[])
        }
    }

    fn approve() -> ReviewAction {
        ReviewAction::Approve { comment: None }
    }

    fn reject(comment: &str) -> ReviewAction {
        ReviewAction::Reject {
            comment: comment.into(),
        }
    }

    /// 部门负责人 (any of the heads group) then 知识管理员 (kim and kai, all).
    fn two_stage() -> Policy {
        Policy {
            stages: vec![
                stage("部门负责人", vec![group("heads")], Quorum::Any),
                stage("知识管理员", vec![user("kim"), user("kai")], Quorum::All),
            ],
        }
    }

    fn submitted(policy: Policy) -> Review {
        Review::submit("r1", "d1", 3, "alice", policy, t0()).unwrap()
    }

    fn refused(result: Result<Review, ReviewError>) -> ReviewError {
        result.unwrap_err()
    }

    #[test]
    fn full_two_stage_path() {
        let r = submitted(two_stage());
        assert_eq!(r.state, ReviewState::InReview { stage: 0 });
        let hana = actor("hana", &["heads"]);
        let kim = actor("kim", &[]);
        let kai = actor("kai", &[]);
        assert!(pending_for(&r, &hana) && !pending_for(&r, &kim));

        let at = t0() + Duration::hours(1);
        let r = apply(
            &r,
            &hana,
            ReviewAction::Approve {
                comment: Some("好".into()),
            },
            at,
        )
        .unwrap();
        assert_eq!(r.state, ReviewState::InReview { stage: 1 });
        assert_eq!(
            r.decisions,
            vec![Decision {
                stage: 0,
                reviewer: "hana".into(),
                approve: true,
                comment: Some("好".into()),
                at,
                counts_for: vec![group("heads")],
            }]
        );
        assert!(!pending_for(&r, &hana) && pending_for(&r, &kim) && pending_for(&r, &kai));

        let r = apply(&r, &kim, approve(), at).unwrap();
        assert_eq!(r.state, ReviewState::InReview { stage: 1 });
        assert_eq!(r.waiting_on(), vec![&user("kai")]);
        assert!(!pending_for(&r, &kim) && pending_for(&r, &kai));

        let r = apply(&r, &kai, approve(), at).unwrap();
        assert_eq!(r.state, ReviewState::Approved);
        assert_eq!(r.decisions.len(), 3);
        assert!(r.waiting_on().is_empty());
        for who in [&hana, &kim, &kai] {
            assert!(!can_act(&r, who) && !pending_for(&r, who));
            assert_eq!(
                refused(apply(&r, who, approve(), at)),
                ReviewError::NotPending
            );
        }
    }

    #[test]
    fn apply_is_pure() {
        let r = submitted(two_stage());
        let before = r.clone();
        let _ = apply(&r, &actor("hana", &["heads"]), approve(), t0()).unwrap();
        assert_eq!(r, before);
    }

    #[test]
    fn rejection_ends_the_review_and_a_new_submission_starts_over() {
        let r = submitted(two_stage());
        let hana = actor("hana", &["heads"]);
        let r = apply(&r, &hana, approve(), t0()).unwrap();
        let kim = actor("kim", &[]);
        assert_eq!(
            refused(apply(&r, &kim, reject("  \n"), t0())),
            ReviewError::CommentRequired
        );
        let rejected = apply(&r, &kim, reject("缺少截图"), t0()).unwrap();
        assert_eq!(rejected.state, ReviewState::Rejected);
        assert_eq!(rejected.decisions[1].comment.as_deref(), Some("缺少截图"));
        assert!(!rejected.decisions[1].approve);
        // Nothing moves a rejected review any more.
        for action in [
            approve(),
            reject("x"),
            ReviewAction::Withdraw,
            ReviewAction::Supersede,
        ] {
            assert_eq!(
                refused(apply(&rejected, &kim, action.clone(), t0())),
                ReviewError::NotPending
            );
            let author = actor("alice", &[]);
            assert_eq!(
                refused(apply(&rejected, &author, action, t0())),
                ReviewError::NotPending
            );
        }
        // Resubmission is a new review of a new version, from the first stage, with no decisions.
        let again = Review::submit("r2", "d1", 4, "alice", two_stage(), t0()).unwrap();
        assert_eq!(again.state, ReviewState::InReview { stage: 0 });
        assert!(again.decisions.is_empty());
        assert!(pending_for(&again, &hana));
        let again = apply(&again, &hana, approve(), t0()).unwrap();
        let again = apply(&again, &kim, approve(), t0()).unwrap();
        let again = apply(&again, &actor("kai", &[]), approve(), t0()).unwrap();
        assert_eq!(again.state, ReviewState::Approved);
    }

    #[test]
    fn reject_at_first_stage() {
        let r = submitted(two_stage());
        let r = apply(&r, &actor("hana", &["heads"]), reject("重写"), t0()).unwrap();
        assert_eq!(r.state, ReviewState::Rejected);
    }

    #[test]
    fn self_approval_is_refused_even_for_listed_admins() {
        let policy = Policy {
            stages: vec![stage(
                "s",
                vec![user("alice"), group("heads"), Principal::Everyone],
                Quorum::Any,
            )],
        };
        let r = submitted(policy);
        let author_admin = Actor {
            groups: vec!["heads".into()],
            ..admin("alice")
        };
        assert!(!can_act(&r, &author_admin) && !pending_for(&r, &author_admin));
        assert_eq!(
            refused(apply(&r, &author_admin, approve(), t0())),
            ReviewError::SelfApproval
        );
        assert_eq!(
            refused(apply(&r, &author_admin, reject("no"), t0())),
            ReviewError::SelfApproval
        );
        // Somebody else may.
        let r = apply(&r, &actor("bob", &[]), approve(), t0()).unwrap();
        assert_eq!(r.state, ReviewState::Approved);
    }

    #[test]
    fn admins_are_not_reviewers_unless_listed() {
        let r = submitted(two_stage());
        let root = admin("root");
        assert!(!can_act(&r, &root));
        assert_eq!(
            refused(apply(&r, &root, approve(), t0())),
            ReviewError::NotAReviewer
        );
        assert_eq!(
            refused(apply(&r, &root, reject("x"), t0())),
            ReviewError::NotAReviewer
        );
        let listed = Actor {
            groups: vec!["heads".into()],
            ..admin("root")
        };
        assert_eq!(
            apply(&r, &listed, approve(), t0()).unwrap().state,
            ReviewState::InReview { stage: 1 }
        );
    }

    #[test]
    fn only_the_current_stage_can_be_acted_on() {
        let r = submitted(two_stage());
        // kim is a stage-1 reviewer: nothing to do while stage 0 is open.
        let kim = actor("kim", &[]);
        assert!(!can_act(&r, &kim));
        assert_eq!(
            refused(apply(&r, &kim, approve(), t0())),
            ReviewError::NotAReviewer
        );
        // And a stage-0 reviewer cannot act once stage 1 is reached.
        let hana = actor("hana", &["heads"]);
        let heidi = actor("heidi", &["heads"]);
        let r = apply(&r, &hana, approve(), t0()).unwrap();
        assert_eq!(
            refused(apply(&r, &heidi, approve(), t0())),
            ReviewError::NotAReviewer
        );
    }

    #[test]
    fn quorum_all_needs_every_user_entry() {
        let policy = Policy {
            stages: vec![stage(
                "s",
                vec![user("a"), user("b"), user("c")],
                Quorum::All,
            )],
        };
        let mut r = submitted(policy);
        for (who, expected) in [
            ("b", ReviewState::InReview { stage: 0 }),
            ("a", ReviewState::InReview { stage: 0 }),
            ("c", ReviewState::Approved),
        ] {
            r = apply(&r, &actor(who, &[]), approve(), t0()).unwrap();
            assert_eq!(r.state, expected, "after {who}");
        }
    }

    #[test]
    fn quorum_all_with_groups_and_everyone() {
        let policy = Policy {
            stages: vec![stage(
                "s",
                vec![group("legal"), group("hr"), user("kim")],
                Quorum::All,
            )],
        };
        let r = submitted(policy.clone());
        // One member of legal covers the legal entry; a second legal member adds nothing.
        let r = apply(&r, &actor("lea", &["legal"]), approve(), t0()).unwrap();
        assert_eq!(r.waiting_on(), vec![&group("hr"), &user("kim")]);
        let r = apply(&r, &actor("leo", &["legal"]), approve(), t0()).unwrap();
        assert_eq!(r.state, ReviewState::InReview { stage: 0 });
        // kim, also in hr, covers both her entry and hr's at once.
        let r = apply(&r, &actor("kim", &["hr"]), approve(), t0()).unwrap();
        assert_eq!(r.state, ReviewState::Approved);
        assert_eq!(r.decisions[2].counts_for, vec![group("hr"), user("kim")]);

        // `everyone` in an All stage is covered by any one approval.
        let policy = Policy {
            stages: vec![stage(
                "s",
                vec![Principal::Everyone, user("kim")],
                Quorum::All,
            )],
        };
        let r = submitted(policy);
        let r = apply(&r, &actor("zed", &[]), approve(), t0()).unwrap();
        assert_eq!(r.waiting_on(), vec![&user("kim")]);
        let r = apply(&r, &actor("kim", &[]), approve(), t0()).unwrap();
        assert_eq!(r.state, ReviewState::Approved);
    }

    #[test]
    fn quorum_all_does_not_wait_for_the_author() {
        let policy = Policy {
            stages: vec![stage("s", vec![user("alice"), user("bob")], Quorum::All)],
        };
        let r = submitted(policy);
        assert_eq!(r.waiting_on(), vec![&user("bob")]);
        let r = apply(&r, &actor("bob", &[]), approve(), t0()).unwrap();
        assert_eq!(r.state, ReviewState::Approved);
    }

    #[test]
    fn quorum_any_first_approval_advances() {
        let policy = Policy {
            stages: vec![
                stage("a", vec![user("x"), user("y")], Quorum::Any),
                stage("b", vec![user("x")], Quorum::Any),
            ],
        };
        let r = submitted(policy);
        let r = apply(&r, &actor("y", &[]), approve(), t0()).unwrap();
        assert_eq!(r.state, ReviewState::InReview { stage: 1 });
        // x was not needed at stage 0 and is a reviewer again at stage 1.
        assert!(pending_for(&r, &actor("x", &[])));
        let r = apply(&r, &actor("x", &[]), approve(), t0()).unwrap();
        assert_eq!(r.state, ReviewState::Approved);
    }

    #[test]
    fn already_decided_in_the_same_stage() {
        let policy = Policy {
            stages: vec![stage("s", vec![group("g"), user("kim")], Quorum::All)],
        };
        let r = submitted(policy);
        let gus = actor("gus", &["g"]);
        let r = apply(&r, &gus, approve(), t0()).unwrap();
        assert!(can_act(&r, &gus) && !pending_for(&r, &gus));
        assert_eq!(
            refused(apply(&r, &gus, approve(), t0())),
            ReviewError::AlreadyDecided
        );
        // Changing one's mind to a rejection is refused too.
        assert_eq!(
            refused(apply(&r, &gus, reject("oops"), t0())),
            ReviewError::AlreadyDecided
        );
    }

    #[test]
    fn withdraw_and_supersede() {
        let r = submitted(two_stage());
        let hana = actor("hana", &["heads"]);
        assert_eq!(
            refused(apply(&r, &hana, ReviewAction::Withdraw, t0())),
            ReviewError::NotAuthor
        );
        assert_eq!(
            refused(apply(&r, &admin("root"), ReviewAction::Withdraw, t0())),
            ReviewError::NotAuthor
        );
        let mid = apply(&r, &hana, approve(), t0()).unwrap();
        let author = actor("alice", &[]);
        let withdrawn = apply(&mid, &author, ReviewAction::Withdraw, t0()).unwrap();
        assert_eq!(withdrawn.state, ReviewState::Withdrawn);
        assert_eq!(withdrawn.decisions, mid.decisions);
        assert_eq!(
            refused(apply(&withdrawn, &actor("kim", &[]), approve(), t0())),
            ReviewError::NotPending
        );
        assert_eq!(
            refused(apply(&withdrawn, &author, ReviewAction::Withdraw, t0())),
            ReviewError::NotPending
        );

        let superseded = apply(&mid, &actor("bob", &[]), ReviewAction::Supersede, t0()).unwrap();
        assert_eq!(superseded.state, ReviewState::Superseded);
        assert!(!pending_for(&superseded, &actor("kim", &[])));
        assert_eq!(
            refused(apply(&superseded, &author, ReviewAction::Supersede, t0())),
            ReviewError::NotPending
        );
    }

    #[test]
    fn blank_approval_comment_is_dropped() {
        let r = submitted(two_stage());
        let hana = actor("hana", &["heads"]);
        let r = apply(
            &r,
            &hana,
            ReviewAction::Approve {
                comment: Some(" ".into()),
            },
            t0(),
        )
        .unwrap();
        assert_eq!(r.decisions[0].comment, None);
    }

    #[test]
    fn corrupt_stage_index_is_not_pending() {
        let mut r = submitted(two_stage());
        r.state = ReviewState::InReview { stage: 7 };
        let hana = actor("hana", &["heads"]);
        assert!(!can_act(&r, &hana) && !pending_for(&r, &hana));
        assert_eq!(
            refused(apply(&r, &hana, approve(), t0())),
            ReviewError::NotPending
        );
        assert!(r.waiting_on().is_empty());
    }

    #[test]
    fn policy_validation_table() {
        let ok_stage = || stage("审核", vec![user("a")], Quorum::Any);
        /// (stages, expected (code, field) or None when valid)
        type Case = (Vec<Stage>, Option<PolicyError>);
        let cases: Vec<Case> = vec![
            (vec![ok_stage()], None),
            (vec![ok_stage(); MAX_STAGES], None),
            (
                vec![stage(&"长".repeat(50), vec![user("a")], Quorum::All)],
                None,
            ),
            (vec![], Some(PolicyError::NoStages)),
            (
                vec![ok_stage(); MAX_STAGES + 1],
                Some(PolicyError::TooManyStages {
                    count: MAX_STAGES + 1,
                }),
            ),
            (
                vec![ok_stage(), stage(" ", vec![user("a")], Quorum::Any)],
                Some(PolicyError::EmptyStageName { stage: 1 }),
            ),
            (
                vec![stage(&"长".repeat(51), vec![user("a")], Quorum::Any)],
                Some(PolicyError::StageNameTooLong { stage: 0 }),
            ),
            (
                vec![stage("s", vec![], Quorum::Any)],
                Some(PolicyError::NoReviewers { stage: 0 }),
            ),
            (
                vec![stage(
                    "s",
                    vec![group("g"), user("a"), group("g")],
                    Quorum::All,
                )],
                Some(PolicyError::DuplicateReviewer {
                    stage: 0,
                    principal: group("g"),
                }),
            ),
        ];
        for (stages, expected) in cases {
            let policy = Policy { stages };
            let want = expected.map_or(Ok(()), Err);
            assert_eq!(policy.validate(), want, "{policy:?}");
        }
    }

    #[test]
    fn submit_validates() {
        let bad = Policy { stages: vec![] };
        let err = Review::submit("r", "d", 1, "alice", bad, t0()).unwrap_err();
        assert_eq!(err, ReviewError::InvalidPolicy(PolicyError::NoStages));
        let only_author = Policy {
            stages: vec![
                stage("a", vec![user("bob")], Quorum::Any),
                stage("b", vec![user("alice")], Quorum::All),
            ],
        };
        let err = Review::submit("r", "d", 1, "alice", only_author, t0()).unwrap_err();
        assert_eq!(err, ReviewError::NoEligibleReviewer { stage: 1 });
    }

    #[test]
    fn serde_shapes() {
        let policy: Policy = serde_json::from_str(
            r#"{"stages": [{"name": "部门负责人", "reviewers": ["group:heads", "user:kim"], "quorum": "all"}]}"#,
        )
        .unwrap();
        assert_eq!(
            policy.stages[0].reviewers,
            vec![group("heads"), user("kim")]
        );
        assert_eq!(policy.stages[0].quorum, Quorum::All);
        assert_eq!(
            serde_json::to_string(&ReviewState::InReview { stage: 1 }).unwrap(),
            r#"{"state":"in_review","stage":1}"#
        );
        assert_eq!(
            serde_json::to_string(&ReviewState::Approved).unwrap(),
            r#"{"state":"approved"}"#
        );
        let r = submitted(two_stage());
        let r = apply(&r, &actor("hana", &["heads"]), approve(), t0()).unwrap();
        let back: Review = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        const USERS: usize = 5;
        const GROUPS: usize = 2;

        fn uid(i: usize) -> String {
            format!("u{i}")
        }

        fn principal() -> impl Strategy<Value = Principal> {
            prop_oneof![
                4 => (0..USERS).prop_map(|i| Principal::User(uid(i))),
                2 => (0..GROUPS).prop_map(|g| Principal::Group(format!("g{g}"))),
                1 => Just(Principal::Everyone),
            ]
        }

        fn policy() -> impl Strategy<Value = Policy> {
            let stage = (
                prop::collection::hash_set(principal(), 1..4),
                prop_oneof![Just(Quorum::Any), Just(Quorum::All)],
            )
                .prop_map(|(reviewers, quorum)| {
                    let mut reviewers: Vec<Principal> = reviewers.into_iter().collect();
                    reviewers.sort();
                    Stage {
                        name: "stage".into(),
                        reviewers,
                        quorum,
                    }
                });
            prop::collection::vec(stage, 1..4).prop_map(|stages| Policy { stages })
        }

        /// What a step does: 0 approve, 1 approve with blank comment, 2 reject, 3 reject with a
        /// blank comment, 4 withdraw, 5 supersede.
        fn steps() -> impl Strategy<Value = Vec<(usize, u8)>> {
            let kind = prop_oneof![
                8 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8), 1 => Just(3u8),
                1 => Just(4u8), 1 => Just(5u8),
            ];
            prop::collection::vec((0..USERS, kind), 0..24)
        }

        /// Per user: the groups they belong to and whether they are an admin.
        fn people() -> impl Strategy<Value = Vec<Actor>> {
            prop::collection::vec(
                (prop::collection::vec(any::<bool>(), GROUPS), any::<bool>()),
                USERS,
            )
            .prop_map(|people| {
                people
                    .into_iter()
                    .enumerate()
                    .map(|(i, (member, is_admin))| Actor {
                        user_id: uid(i),
                        groups: (0..GROUPS)
                            .filter(|&g| member[g])
                            .map(|g| format!("g{g}"))
                            .collect(),
                        is_admin,
                    })
                    .collect()
            })
        }

        /// An independent model: plain indexes, no `counts_for`, recomputes coverage from scratch.
        struct Model {
            stage: usize,
            done: Option<ReviewState>,
            /// approvers[stage] = indexes of users who approved there; deciders likewise.
            approvers: Vec<Vec<usize>>,
            deciders: Vec<Vec<usize>>,
        }

        fn listed(p: &Principal, who: &Actor) -> bool {
            match p {
                Principal::User(u) => *u == who.user_id,
                Principal::Group(g) => who.groups.contains(g),
                Principal::Everyone => true,
            }
        }

        /// For a finished run, the quorum check straight from the definition, over a set of
        /// approver indexes: at least one, all distinct non-author listed reviewers, and under
        /// All every non-author entry covered by one of them.
        fn quorum_met(stage: &Stage, approvers: &[usize], people: &[Actor], author: usize) -> bool {
            let distinct: HashSet<usize> = approvers.iter().copied().collect();
            if distinct.is_empty()
                || distinct.len() != approvers.len()
                || distinct.contains(&author)
            {
                return false;
            }
            if !distinct
                .iter()
                .all(|&a| stage.reviewers.iter().any(|p| listed(p, &people[a])))
            {
                return false;
            }
            match stage.quorum {
                Quorum::Any => true,
                Quorum::All => stage
                    .reviewers
                    .iter()
                    .filter(|p| **p != Principal::User(uid(author)))
                    .all(|p| distinct.iter().any(|&a| listed(p, &people[a]))),
            }
        }

        impl Model {
            fn step(
                &mut self,
                policy: &Policy,
                people: &[Actor],
                author: usize,
                who: usize,
                kind: u8,
            ) -> Result<ReviewState, ReviewError> {
                if self.done.is_some() {
                    return Err(ReviewError::NotPending);
                }
                match kind {
                    4 if who != author => return Err(ReviewError::NotAuthor),
                    4 => {
                        self.done = Some(ReviewState::Withdrawn);
                        return Ok(ReviewState::Withdrawn);
                    }
                    5 => {
                        self.done = Some(ReviewState::Superseded);
                        return Ok(ReviewState::Superseded);
                    }
                    _ => {}
                }
                let stage = &policy.stages[self.stage];
                if who == author {
                    return Err(ReviewError::SelfApproval);
                }
                if !stage.reviewers.iter().any(|p| listed(p, &people[who])) {
                    return Err(ReviewError::NotAReviewer);
                }
                if self.deciders[self.stage].contains(&who) {
                    return Err(ReviewError::AlreadyDecided);
                }
                if kind == 3 {
                    return Err(ReviewError::CommentRequired);
                }
                self.deciders[self.stage].push(who);
                if kind == 2 {
                    self.done = Some(ReviewState::Rejected);
                    return Ok(ReviewState::Rejected);
                }
                self.approvers[self.stage].push(who);
                let approvers = &self.approvers[self.stage];
                let passed = match stage.quorum {
                    Quorum::Any => true,
                    Quorum::All => stage.reviewers.iter().all(|p| {
                        *p == Principal::User(uid(author))
                            || approvers.iter().any(|&a| listed(p, &people[a]))
                    }),
                };
                if !passed {
                    return Ok(ReviewState::InReview { stage: self.stage });
                }
                if self.stage + 1 == policy.stages.len() {
                    self.done = Some(ReviewState::Approved);
                    return Ok(ReviewState::Approved);
                }
                self.stage += 1;
                Ok(ReviewState::InReview { stage: self.stage })
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(1024))]

            #[test]
            fn approved_only_with_quorum_at_every_stage(
                policy in policy(),
                people in people(),
                author in 0..USERS,
                steps in steps(),
            ) {
                // Built directly (not through `submit`) so that stuck policies are explored too.
                let mut review = Review {
                    id: "r".into(),
                    doc_id: "d".into(),
                    version: 1,
                    author: uid(author),
                    submitted_at: t0(),
                    policy: policy.clone(),
                    state: ReviewState::InReview { stage: 0 },
                    decisions: vec![],
                };
                let mut model = Model {
                    stage: 0,
                    done: None,
                    approvers: vec![vec![]; policy.stages.len()],
                    deciders: vec![vec![]; policy.stages.len()],
                };
                // Approvals accepted by the implementation, per stage, as the harness saw them.
                let mut accepted: Vec<Vec<usize>> = vec![vec![]; policy.stages.len()];
                let mut ended_badly = false;
                for (n, &(who, kind)) in steps.iter().enumerate() {
                    let action = match kind {
                        0 => approve(),
                        1 => ReviewAction::Approve { comment: Some(" ".into()) },
                        2 => reject("no"),
                        3 => reject("\t"),
                        4 => ReviewAction::Withdraw,
                        _ => ReviewAction::Supersede,
                    };
                    let actor = &people[who];
                    let was_pending = pending_for(&review, actor);
                    let before = review.state;
                    let at = t0() + Duration::minutes(n as i64);
                    let got = apply(&review, actor, action, at);
                    let want = model.step(&policy, &people, author, who, kind);
                    prop_assert_eq!(
                        got.as_ref().map(|r| r.state).map_err(Clone::clone),
                        want,
                        "step {} by {} kind {}", n, who, kind
                    );
                    if kind <= 1 {
                        // An approval is accepted exactly when the actor was pending.
                        prop_assert_eq!(got.is_ok(), was_pending);
                    }
                    if let Ok(next) = got {
                        if let (ReviewState::InReview { stage }, true) = (before, kind <= 1) {
                            accepted[stage].push(who);
                        }
                        if matches!(
                            next.state,
                            ReviewState::Rejected | ReviewState::Withdrawn | ReviewState::Superseded
                        ) {
                            ended_badly = true;
                        }
                        review = next;
                    }
                    prop_assert!(!(ended_badly && review.state == ReviewState::Approved));
                }
                if review.state == ReviewState::Approved {
                    prop_assert!(!ended_badly);
                    for (i, stage) in policy.stages.iter().enumerate() {
                        prop_assert!(
                            quorum_met(stage, &accepted[i], &people, author),
                            "stage {} approvers {:?}", i, accepted[i]
                        );
                    }
                }
                // The stored decisions agree with what was accepted.
                for (i, ids) in accepted.iter().enumerate() {
                    let stored: Vec<String> = review
                        .decisions_at(i)
                        .filter(|d| d.approve)
                        .map(|d| d.reviewer.clone())
                        .collect();
                    let ids: Vec<String> = ids.iter().map(|&a| uid(a)).collect();
                    prop_assert_eq!(stored, ids);
                }
            }
        }
    }
}
