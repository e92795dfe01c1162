//! Sessions and connections.
pub struct Session;
pub struct Connect;
