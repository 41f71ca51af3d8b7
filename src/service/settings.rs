//! Settings edited by admins and read by the rest of the server.

use crate::{error::Result, store::Store};

/// Settings key of the admin synonym groups.
pub const SYNONYMS_KEY: &str = "synonyms";

/// The admin synonym groups stored in the settings tree.
pub fn synonyms(store: &Store) -> Result<Vec<Vec<String>>> {
    Ok(store
        .get_json(&store.settings, SYNONYMS_KEY.as_bytes())?
        .unwrap_or_default())
}
