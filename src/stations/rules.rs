//! The rules of a station and what a caller is told when one says no: a station sits in a
//! township or a village (`station_region_level`), and it plans to open at least two days a
//! week (`station_open_days`; a week has no more than seven). The form checks both field by
//! field; the database refuses the same rows, with the same answer.

use crate::web::Refusal;
use crate::web::error::FieldError;

/// A station placed in a province, a city or a county.
pub const REGION_LEVEL: Refusal =
    Refusal::unprocessable("validation_failed", "error.station_region_level")
        .on("region_code", "error.station_region_level")
        .enforced_by("station_region_level");
inventory::submit! { REGION_LEVEL }

/// A planned week of fewer than two open days.
pub const OPEN_DAYS: Refusal =
    Refusal::unprocessable("validation_failed", "error.schedule_min_days")
        .on("schedule", "error.schedule_min_days")
        .enforced_by("station_open_days");
inventory::submit! { OPEN_DAYS }

/// A station where children or volunteers are registered stays in its county: moving it would
/// carry them into another county's records. They are transferred one by one instead.
pub const KEEPS_ITS_COUNTY: Refusal =
    Refusal::unprocessable("validation_failed", "error.station_keeps_its_county")
        .on("region_code", "error.station_keeps_its_county")
        .enforced_by("station_keeps_its_county");
inventory::submit! { KEEPS_ITS_COUNTY }

/// The field a refusal names and its message there, for a form's list of field errors.
pub fn named(refusal: &Refusal) -> (&'static str, FieldError) {
    let (field, key) = refusal.field.unwrap_or(("", refusal.message_key));
    (field, FieldError::new(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_and_the_form_name_the_same_field() {
        for (constraint, field) in [
            ("station_region_level", "region_code"),
            ("station_open_days", "schedule"),
            ("station_keeps_its_county", "region_code"),
        ] {
            let refusal = Refusal::of_constraint(constraint).unwrap();
            assert_eq!(refusal.code, "validation_failed");
            assert_eq!(named(refusal).0, field);
        }
    }
}
