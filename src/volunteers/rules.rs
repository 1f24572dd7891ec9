//! The volunteers area's refusals: what a caller is told when one of its rules says no. Those
//! the database enforces too are registered, so that its refusal answers the same.

use crate::web::Refusal;

/// One volunteer per mobile number.
pub const DUPLICATE_PHONE: Refusal = Refusal::conflict("duplicate_phone", "error.duplicate_phone")
    .on("phone", "error.duplicate_phone")
    .enforced_by("volunteer_phone_key");
inventory::submit! { DUPLICATE_PHONE }

/// One volunteer per ID number (found by its keyed hash).
pub const DUPLICATE_ID_NUMBER: Refusal =
    Refusal::conflict("duplicate_id_number", "error.duplicate_id_number")
        .on("id_number", "error.duplicate_id_number")
        .enforced_by("volunteer_id_number_hash_key");
inventory::submit! { DUPLICATE_ID_NUMBER }

/// Screened, trained or active only with the no-criminal-record check and the interview on
/// record. The service names the missing dates (`validation_failed`); the database, which sees
/// only the row, answers with this.
pub const NOT_SCREENED: Refusal = Refusal::unprocessable(
    "volunteer_not_screened_and_trained",
    "error.volunteer_not_screened_and_trained",
)
.enforced_by("volunteer_screening_recorded");
inventory::submit! { NOT_SCREENED }

/// Trained or active only with training on record (as [`NOT_SCREENED`]).
pub const NOT_TRAINED: Refusal = Refusal::unprocessable(
    "volunteer_not_screened_and_trained",
    "error.volunteer_not_screened_and_trained",
)
.enforced_by("volunteer_training_recorded");
inventory::submit! { NOT_TRAINED }

/// A volunteer with a station lives in its county; moving her to another county is a transfer.
pub const RESIDENCE_OUTSIDE_COUNTY: Refusal =
    Refusal::unprocessable("validation_failed", "error.residence_outside_county")
        .on("region_code", "error.residence_outside_county")
        .enforced_by("volunteer_residence_in_station_county");
inventory::submit! { RESIDENCE_OUTSIDE_COUNTY }

/// An edit keeps the volunteer in her station's county: a station of another county is reached
/// by a transfer (`POST /api/v1/volunteers/{id}/transfer`).
pub const STATION_OF_ANOTHER_COUNTY: Refusal =
    Refusal::unprocessable("validation_failed", "error.transfer_needed")
        .on("station_id", "error.transfer_needed");

/// A volunteer who has withdrawn gets no login.
pub const WITHDRAWN_GETS_NO_LOGIN: Refusal =
    Refusal::unprocessable("volunteer_withdrawn", "error.volunteer_withdrawn");

/// A volunteer is anonymised only after she has withdrawn (the service withdraws her first).
pub const ANONYMISE_AFTER_WITHDRAWAL: Refusal =
    Refusal::conflict("not_withdrawn", "error.anonymise_after_withdrawal")
        .enforced_by("anonymise_after_withdrawal");
inventory::submit! { ANONYMISE_AFTER_WITHDRAWAL }

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_constraints_answer_with_these_refusals() {
        for rule in [
            DUPLICATE_PHONE,
            DUPLICATE_ID_NUMBER,
            NOT_SCREENED,
            NOT_TRAINED,
            RESIDENCE_OUTSIDE_COUNTY,
            ANONYMISE_AFTER_WITHDRAWAL,
        ] {
            let constraint = rule.constraint.unwrap();
            assert_eq!(
                Refusal::of_constraint(constraint),
                Some(&rule),
                "{constraint}"
            );
        }
    }
}
