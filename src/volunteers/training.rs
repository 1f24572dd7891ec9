//! Trainings (赋能培训) and which of them qualify a volunteer.

use crate::domain::word_enum;

word_enum!(
    /// The topic of a volunteer training, the required ones first.
    Topic, "training_topic", "activity.topic",
    [MinorsProtectionLaw = "minors_protection_law", DelinquencyPreventionLaw = "delinquency_prevention_law",
     CarePrecautions = "care_precautions", MentalHealth = "mental_health", SafetyEducation = "safety_education",
     Other = "other"]
);

impl Topic {
    /// The one place that says which trainings qualify a volunteer: the two laws every
    /// volunteer working with children must know (未成年人保护法, 预防未成年人犯罪法) and the
    /// precautions of the care service (关爱服务注意事项). Attending a training on one of these
    /// records her training (`trained_on`) and moves a screened volunteer to trained; mental
    /// health, safety education and other topics are welcome but do not qualify her.
    pub fn is_required(self) -> bool {
        matches!(
            self,
            Topic::MinorsProtectionLaw | Topic::DelinquencyPreventionLaw | Topic::CarePrecautions
        )
    }
}
