//! A child's guardians and the consents they give: registration (required under 14) and
//! pairing. A consent is never deleted; it can only be withdrawn, once.

use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use super::choice;
use crate::domain::{self, Phone, text, word_enum};
use crate::web::error::{FieldError, FieldErrors};

word_enum!(
    /// A guardian's relation to the child.
    Relation, "guardian_relation", "guardian.relation",
    [Father = "father", Mother = "mother", Grandfather = "grandfather", Grandmother = "grandmother", Relative = "relative", Other = "other"]
);
word_enum!(
    /// What a consent covers.
    ConsentScope, "consent_scope", "consent.scope", [Registration = "registration", Pairing = "pairing"]
);
word_enum!(
    /// How consent was given.
    ConsentMethod, "consent_method", "consent.method",
    [SignedForm = "signed_form", InPerson = "in_person", Phone = "phone", Electronic = "electronic"]
);

/// A guardian as the API shows it (phone masked).
#[derive(Debug, Clone, Serialize)]
pub struct Guardian {
    pub id: Uuid,
    pub child_id: Uuid,
    pub name: String,
    pub relation: Relation,
    /// Phone, masked.
    pub phone_masked: Option<String>,
    /// Whether the paired volunteer may see the phone.
    pub share_contact_with_volunteer: bool,
    pub version: i32,
}

/// A consent record.
#[derive(Debug, Clone, Serialize)]
pub struct Consent {
    pub id: Uuid,
    pub child_id: Uuid,
    /// The consenting guardian.
    pub guardian_id: Uuid,
    /// Her or his name.
    pub guardian_name: String,
    /// What it covers.
    pub scope: ConsentScope,
    pub given_on: Date,
    pub method: ConsentMethod,
    pub withdrawn_on: Option<Date>,
}

/// A guardian as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct GuardianInput {
    pub name: Option<String>,
    pub relation: Option<String>,
    /// Mobile number.
    pub phone: Option<String>,
    /// Share the phone with the paired volunteer.
    pub share_contact_with_volunteer: bool,
}

/// An edit of a guardian (`PATCH /api/v1/guardians/{id}`): a field left out stays as it is; an
/// empty phone removes the phone (and the sharing with it).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct GuardianPatch {
    pub name: Option<String>,
    pub relation: Option<String>,
    /// Mobile number; empty to remove it.
    pub phone: Option<String>,
    /// Share the phone with the paired volunteer; `false` stops showing it to her.
    pub share_contact_with_volunteer: Option<bool>,
    /// The version the caller saw.
    pub version: Option<i32>,
}

impl GuardianPatch {
    /// The whole guardian as it would be: this edit over `now`.
    pub fn over(&self, now: &ValidGuardian) -> GuardianInput {
        let phone = match &self.phone {
            Some(p) => p.clone(),
            None => now
                .phone
                .as_ref()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
        };
        let removes_phone = phone.trim().is_empty();
        GuardianInput {
            name: Some(self.name.clone().unwrap_or_else(|| now.name.clone())),
            relation: Some(
                self.relation
                    .clone()
                    .unwrap_or_else(|| now.relation.as_str().to_owned()),
            ),
            phone: Some(phone),
            // Removing the phone stops its sharing, unless the edit asks for both at once.
            share_contact_with_volunteer: self
                .share_contact_with_volunteer
                .unwrap_or(now.share && !removes_phone),
        }
    }
}

impl ValidGuardian {
    /// The fields that differ from `other`, by their API names.
    pub fn changed_from(&self, other: &ValidGuardian) -> Vec<&'static str> {
        let mut fields = Vec::new();
        if self.name != other.name {
            fields.push("name");
        }
        if self.relation != other.relation {
            fields.push("relation");
        }
        if self.phone.as_ref().map(Phone::as_str) != other.phone.as_ref().map(Phone::as_str) {
            fields.push("phone");
        }
        if self.share != other.share {
            fields.push("share_contact_with_volunteer");
        }
        fields
    }
}

/// A consent as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ConsentInput {
    /// The consenting guardian (not needed when registering with the child).
    pub guardian_id: Option<String>,
    /// `registration` or `pairing`.
    pub scope: Option<String>,
    pub given_on: Option<String>,
    pub method: Option<String>,
}

/// A checked guardian.
#[derive(Debug, Clone)]
pub struct ValidGuardian {
    pub name: String,
    pub relation: Relation,
    /// Mobile number.
    pub phone: Option<Phone>,
    /// Share it with the paired volunteer.
    pub share: bool,
}

/// A checked consent (guardian resolved by the service).
#[derive(Debug, Clone)]
pub struct ValidConsent {
    pub scope: ConsentScope,
    pub given_on: Date,
    pub method: ConsentMethod,
}

impl GuardianInput {
    /// Checks a guardian; `prefix` names the fields (`guardian.` when nested).
    pub fn validate(&self, prefix: &str, errors: &mut FieldErrors) -> Option<ValidGuardian> {
        let f = |name: &str| format!("{prefix}{name}");
        let name = text::required(self.name.as_deref().unwrap_or(""), 50)
            .map_err(|e| errors.insert(f("name"), e))
            .ok();
        let relation = choice(
            self.relation.as_deref(),
            Relation::parse,
            &f("relation"),
            true,
            errors,
        );
        let phone = match self
            .phone
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            None => None,
            Some(p) => Phone::parse(p)
                .map_err(|e| errors.insert(f("phone"), e))
                .ok(),
        };
        if self.share_contact_with_volunteer && phone.is_none() && !errors.contains_key(&f("phone"))
        {
            errors.insert(f("phone"), FieldError::new("error.share_needs_phone"));
        }
        Some(ValidGuardian {
            name: name?,
            relation: relation?,
            phone,
            share: self.share_contact_with_volunteer,
        })
    }
}

impl ConsentInput {
    /// Checks a consent; `default_scope` applies when none is given.
    pub fn validate(
        &self,
        prefix: &str,
        default_scope: Option<ConsentScope>,
        errors: &mut FieldErrors,
    ) -> Option<ValidConsent> {
        let f = |name: &str| format!("{prefix}{name}");
        let scope = match self
            .scope
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => default_scope.or_else(|| {
                errors.insert(f("scope"), FieldError::new("error.required"));
                None
            }),
            Some(s) => ConsentScope::parse(s).or_else(|| {
                errors.insert(f("scope"), FieldError::new("error.choice"));
                None
            }),
        };
        let given_on = domain::past_date(self.given_on.as_deref().unwrap_or(""))
            .map_err(|e| errors.insert(f("given_on"), e))
            .ok();
        let method = choice(
            self.method.as_deref(),
            ConsentMethod::parse,
            &f("method"),
            true,
            errors,
        );
        Some(ValidConsent {
            scope: scope?,
            given_on: given_on?,
            method: method?,
        })
    }
}
