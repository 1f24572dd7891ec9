//! The children area's refusals: what a caller is told when one of its rules says no. Those the
//! database enforces too are registered, so that its refusal answers the same.

use crate::web::Refusal;

/// One child per ID number (found by its keyed hash).
pub const DUPLICATE_ID_NUMBER: Refusal =
    Refusal::conflict("duplicate_id_number", "error.duplicate_id_number")
        .on("id_number", "error.duplicate_id_number")
        .enforced_by("child_id_number_hash_key");
inventory::submit! { DUPLICATE_ID_NUMBER }

/// A child of the same name and birth date already registered in the county is most likely the
/// same child: registering another needs `confirm_duplicate`.
pub const POSSIBLE_DUPLICATE: Refusal =
    Refusal::conflict("possible_duplicate", "error.possible_duplicate")
        .on("name", "error.possible_duplicate");

/// A child lives in the county of her station; moving her to another county is a transfer.
pub const RESIDENCE_OUTSIDE_COUNTY: Refusal =
    Refusal::unprocessable("validation_failed", "error.residence_outside_county")
        .on("region_code", "error.residence_outside_county")
        .enforced_by("child_residence_in_station_county");
inventory::submit! { RESIDENCE_OUTSIDE_COUNTY }

/// An edit keeps the child in her station's county: a station of another county is reached by
/// a transfer (`POST /api/v1/children/{id}/transfer`).
pub const STATION_OF_ANOTHER_COUNTY: Refusal =
    Refusal::unprocessable("validation_failed", "error.transfer_needed")
        .on("station_id", "error.transfer_needed");

/// A consent is withdrawn once.
pub const ALREADY_WITHDRAWN: Refusal =
    Refusal::conflict("already_withdrawn", "error.already_withdrawn");

/// A guardian whose consent is in force stays on the record until another guardian gives the
/// same consent (or she withdraws it): the consent must keep a guardian to answer for it.
pub const GUARDIAN_GIVES_CONSENT: Refusal =
    Refusal::conflict("guardian_gives_consent", "error.guardian_gives_consent");

/// A child is anonymised only after she has left the programme (the service exits her first).
pub const ANONYMISE_AFTER_EXIT: Refusal =
    Refusal::conflict("not_exited", "error.anonymise_after_exit")
        .enforced_by("anonymise_after_exit");
inventory::submit! { ANONYMISE_AFTER_EXIT }

/// An anonymised child or volunteer, and her guardians, take no personal data again: one who
/// comes back is registered anew.
pub const ANONYMISED_STAYS_ERASED: Refusal =
    Refusal::conflict("anonymised", "error.anonymised").enforced_by("anonymised_stays_erased");
inventory::submit! { ANONYMISED_STAYS_ERASED }

/// A consent is never changed, only withdrawn (once).
pub const CONSENT_ONLY_WITHDRAWN: Refusal =
    Refusal::conflict("append_only", "error.append_only").enforced_by("consent_only_withdrawn");
inventory::submit! { CONSENT_ONLY_WITHDRAWN }

/// A consent is never deleted.
pub const CONSENT_APPEND_ONLY: Refusal =
    Refusal::conflict("append_only", "error.append_only").enforced_by("consent_append_only");
inventory::submit! { CONSENT_APPEND_ONLY }

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_constraints_answer_with_these_refusals() {
        for rule in [
            DUPLICATE_ID_NUMBER,
            RESIDENCE_OUTSIDE_COUNTY,
            CONSENT_ONLY_WITHDRAWN,
            CONSENT_APPEND_ONLY,
            ANONYMISE_AFTER_EXIT,
            ANONYMISED_STAYS_ERASED,
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
