//! Answering a resolution's approval (CARP.md, "Approvals"): once, before
//! the resolution expires, by a named approver. The answer decides rule 7
//! of later checks of the resolution's actions.

use super::check::reasons as check_reasons;
use super::resolutions::ApprovalAnswer;
use super::session::SessionId;
use super::{check_argument, ended, Resolver};
use crate::error::{Error, ErrorKind, Result};
use crate::limits::{MAX_ID_LEN, MAX_TEXT_LEN};
use crate::trace::event::ids::parse_uuid;
use crate::trace::record::{ApprovalRecord, Operation, OperationEvents};

impl Resolver {
    /// Grants or rejects the approval `approval_id` of session
    /// `session_id`'s resolution, as `approver`, and records
    /// `approval.granted` or `approval.rejected`. Granted, checks of the
    /// resolution's actions pass rule 7; rejected, they are denied with
    /// "Approval rejected".
    ///
    /// Errors (nothing recorded): `InvalidArgument` (a malformed approval
    /// id, an empty or over-long approver, an over-long reason);
    /// `NotFound` (session, or an approval not of this session);
    /// `SessionEnded`; `Conflict` (answered already, or after the
    /// resolution expired); `Backpressure`, `Shutdown`.
    pub fn answer_approval(
        &self,
        session_id: SessionId,
        approval_id: &str,
        granted: bool,
        approver: &str,
        reason: Option<&str>,
    ) -> Result<()> {
        let approval = parse_uuid(approval_id).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "'{}' is not an approval id (a lowercase hyphenated UUID)",
                    super::session::truncated(approval_id)
                ),
            )
        })?;
        check_argument("approver", approver, MAX_ID_LEN, false)?;
        if let Some(reason) = reason {
            check_argument("reason", reason, MAX_TEXT_LEN, true)?;
        }
        self.recorder.check_open()?;
        let session = self.active_session(session_id)?;
        let room = self.recorder.reserve(&session.chain, 1)?;
        let mut state = session.lock();
        if state.ended {
            return Err(ended(session_id));
        }
        let now = self.now();
        let not_found = || {
            Error::new(
                ErrorKind::NotFound,
                format!("approval '{approval_id}' is not one of session '{session_id}'"),
            )
        };
        let (resolution_id, resolution) =
            state.records.by_approval(approval).ok_or_else(not_found)?;
        if resolution.answer.is_some() {
            return Err(conflict(format!(
                "approval '{approval_id}' was answered already"
            )));
        }
        if now > resolution.expires_at {
            return Err(conflict(format!(
                "approval '{approval_id}' expired with its resolution ({})",
                check_reasons::RESOLUTION_EXPIRED.to_lowercase()
            )));
        }
        self.recorder.record(
            room,
            Operation {
                chain: session.chain.clone(),
                at: now,
                events: OperationEvents::Approval(Box::new(ApprovalRecord {
                    approval_id: approval,
                    resolution_id,
                    granted,
                    approver: approver.into(),
                    reason: reason.map(Into::into),
                })),
            },
        )?;
        resolution.answer = Some(match granted {
            true => ApprovalAnswer::Granted,
            false => ApprovalAnswer::Rejected,
        });
        Ok(())
    }
}

fn conflict(message: String) -> Error {
    Error::new(ErrorKind::Conflict, message)
}
