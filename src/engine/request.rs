//! Requests.
pub struct Request;
