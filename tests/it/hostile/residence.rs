//! A person's residence lies in the county of their station; moving further is a transfer (finding 2).
