//! Reaching past one's scope: a volunteer's API, duplicate checks, an admin's reach (findings 3, 5, 6).
