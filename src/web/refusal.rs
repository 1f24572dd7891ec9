//! A rule's refusal: the one description of what a caller is told when a rule says no. Each
//! area declares its refusals in its `rules.rs` — the code, the status, the message and, where
//! the database enforces the same rule, the constraint's name — and registers them with
//! `inventory::submit!`, so that the database's refusal and the service's answer the same:
//! a database error becomes an `AppError` here.

use super::error::{AppError, FieldError, FieldErrors};

/// How a refusal is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// 409: the request conflicts with the records as they are.
    Conflict,
    /// 422: the input breaks a rule.
    Unprocessable,
    /// 403: the caller may not do this (any more).
    Forbidden,
}

/// One rule's refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// The §5 error code (`child_already_paired`).
    pub code: &'static str,
    /// How it is answered.
    pub answer: Answer,
    /// The field it concerns and the message key shown there, if it names one.
    pub field: Option<(&'static str, &'static str)>,
    /// The message key that explains it where no field does (`error.child_already_paired`).
    pub message_key: &'static str,
    /// The name of the database constraint that enforces the same rule, if any.
    pub constraint: Option<&'static str>,
}

inventory::collect!(Refusal);

impl Refusal {
    /// A refusal answered with `answer`, explained by `error.<code>`.
    pub const fn new(answer: Answer, code: &'static str, message_key: &'static str) -> Refusal {
        Refusal {
            code,
            answer,
            field: None,
            message_key,
            constraint: None,
        }
    }

    /// A 409.
    pub const fn conflict(code: &'static str, message_key: &'static str) -> Refusal {
        Refusal::new(Answer::Conflict, code, message_key)
    }

    /// A 422.
    pub const fn unprocessable(code: &'static str, message_key: &'static str) -> Refusal {
        Refusal::new(Answer::Unprocessable, code, message_key)
    }

    /// A 403.
    pub const fn forbidden(code: &'static str, message_key: &'static str) -> Refusal {
        Refusal::new(Answer::Forbidden, code, message_key)
    }

    /// Names the field the refusal shows on, with its message key.
    pub const fn on(mut self, field: &'static str, key: &'static str) -> Refusal {
        self.field = Some((field, key));
        self
    }

    /// Ties the refusal to the database constraint that enforces the same rule.
    pub const fn enforced_by(mut self, constraint: &'static str) -> Refusal {
        self.constraint = Some(constraint);
        self
    }

    /// The refusal as an error, with its own field if it names one.
    pub fn error(&self) -> AppError {
        let fields = match self.field {
            Some((field, key)) => FieldErrors::from([(field.to_owned(), FieldError::new(key))]),
            None => FieldErrors::new(),
        };
        self.with_fields(fields)
    }

    /// The refusal as an error naming `field` with `message` (who and why).
    pub fn at(&self, field: &str, message: FieldError) -> AppError {
        self.with_fields(FieldErrors::from([(field.to_owned(), message)]))
    }

    fn with_fields(&self, fields: FieldErrors) -> AppError {
        match self.answer {
            Answer::Conflict => AppError::Conflict {
                code: self.code,
                fields,
            },
            Answer::Unprocessable => AppError::Unprocessable {
                code: self.code,
                fields,
            },
            Answer::Forbidden => AppError::Forbidden(self.code),
        }
    }

    /// The refusal that a database constraint stands for, among those the areas registered.
    pub fn of_constraint(name: &str) -> Option<&'static Refusal> {
        inventory::iter::<Refusal>
            .into_iter()
            .find(|r| r.constraint == Some(name))
    }

    /// The refusal with this code, among those the areas registered.
    pub fn of_code(code: &str) -> Option<&'static Refusal> {
        inventory::iter::<Refusal>
            .into_iter()
            .find(|r| r.code == code)
    }
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        // The server restarting, a lost connection, no connection free, a statement past the
        // timeout: 503 with Retry-After, never 500.
        if let Some(outage) = crate::db::outage(&err) {
            let kind = match outage {
                crate::db::Outage::ConnectionLost => "connection_lost",
                crate::db::Outage::NoConnection => "no_connection",
                crate::db::Outage::StatementTimeout => "statement_timeout",
            };
            metrics::counter!("aixin_db_errors_total", "kind" => kind).increment(1);
            return AppError::Unavailable;
        }
        match &err {
            sqlx::Error::RowNotFound => AppError::NotFound,
            sqlx::Error::Database(db) => {
                // A rule an area declared in its rules.rs, which the database enforces too: the
                // same answer as the service's own check.
                if let Some(refusal) = db.constraint().and_then(Refusal::of_constraint) {
                    return refusal.error();
                }
                match db.code().as_deref() {
                    // unique_violation
                    Some("23505") => AppError::conflict("conflict"),
                    // check, foreign key, not-null violations: input the rules refuse
                    // (22021: a NUL or other byte the text cannot hold, should one ever get past
                    // the checks of `web::input` and `domain::text`)
                    Some(
                        "23514" | "23503" | "23502" | "22P02" | "22001" | "22007" | "22008"
                        | "22021",
                    ) => AppError::rule("validation_failed"),
                    // the server is shutting down or refusing connections; or this
                    // transaction was chosen to give way to another (a deadlock, a
                    // serialization failure): nothing was written, the caller may try again
                    Some("57P01" | "57P02" | "57P03" | "53300" | "40P01" | "40001") => {
                        AppError::Unavailable
                    }
                    _ => AppError::Internal(anyhow::Error::new(err)),
                }
            }
            _ => AppError::Internal(anyhow::Error::new(err)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    #[test]
    fn a_refusal_answers_with_its_code_status_and_field() {
        const FULL: Refusal =
            Refusal::conflict("volunteer_at_capacity", "error.volunteer_at_capacity")
                .on("volunteer_id", "error.volunteer_at_capacity")
                .enforced_by("pairing_volunteer_capacity");
        let e = FULL.error();
        assert_eq!(e.status(), StatusCode::CONFLICT);
        assert_eq!(e.code(), "volunteer_at_capacity");
        match e {
            AppError::Conflict { fields, .. } => {
                assert_eq!(fields["volunteer_id"].key, "error.volunteer_at_capacity")
            }
            other => panic!("{other:?}"),
        }
        let closed =
            Refusal::forbidden("correction_window_closed", "error.correction_window_closed");
        assert_eq!(closed.error().status(), StatusCode::FORBIDDEN);
    }

    #[test]
    fn a_lost_or_missing_connection_is_503_not_500() {
        let lost = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        for err in [lost, sqlx::Error::PoolTimedOut, sqlx::Error::PoolClosed] {
            let e = AppError::from(err);
            assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(e.code(), "database_unavailable");
        }
    }

    #[test]
    fn registered_refusals_have_distinct_constraints() {
        let all: Vec<&Refusal> = inventory::iter::<Refusal>.into_iter().collect();
        for (i, r) in all.iter().enumerate() {
            if let Some(c) = r.constraint {
                assert!(
                    !all[..i].iter().any(|o| o.constraint == Some(c)),
                    "two refusals claim the constraint {c}"
                );
            }
        }
    }
}
