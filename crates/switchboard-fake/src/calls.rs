//! The call log: what was asked of the fake and how it answered, for users'
//! tests to assert on (in the manner of a recording transport).

use switchboard_core::{Error, PageRequest, PhoneNumber, SearchQuery};

use crate::Operation;

/// One call to the fake, recorded once it has answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// Which method.
    pub operation: Operation,
    /// What it was about.
    pub target: Target,
    /// How it ended.
    pub outcome: Outcome,
}

impl Call {
    /// Whether the caller got a successful answer.
    pub fn is_ok(&self) -> bool {
        self.outcome == Outcome::Ok
    }

    /// The number the call was about, for purchase and find_owned.
    pub fn phone_number(&self) -> Option<&PhoneNumber> {
        match &self.target {
            Target::Number(number) => Some(number),
            _ => None,
        }
    }

    /// The carrier id the call was about, for update and release.
    pub fn carrier_id(&self) -> Option<&str> {
        match &self.target {
            Target::CarrierId(id) => Some(id),
            _ => None,
        }
    }
}

/// What a call was about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A search, with its query.
    Query(Box<SearchQuery>),
    /// A purchase or find_owned, with the number.
    Number(PhoneNumber),
    /// An update or release, with the carrier id.
    CarrierId(String),
    /// A list_owned, with the page asked for.
    Page(PageRequest),
    /// An order_status, with the order's id.
    Order(String),
}

/// How a call ended, as the caller saw it (except that a lost answer is
/// marked as such, though the caller saw a transport error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It succeeded.
    Ok,
    /// It failed with an error of this [`Error::code`] and message.
    Failed {
        /// [`Error::code`] of the error.
        code: &'static str,
        /// The error's message.
        message: String,
    },
    /// It ran (and took effect if it could), and the caller got
    /// [`Error::Transport`] instead of the answer (a scripted
    /// [`crate::Fault::AnswerLost`]).
    AnswerLost,
}

impl Outcome {
    pub(crate) fn of<T>(result: &Result<T, Error>) -> Self {
        match result {
            Ok(_) => Outcome::Ok,
            Err(error) => Outcome::Failed {
                code: error.code(),
                message: error.to_string(),
            },
        }
    }
}
