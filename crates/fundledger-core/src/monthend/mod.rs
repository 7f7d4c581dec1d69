//! Month-end and year-end work beside the journal: reconciliation with the
//! bank, field advances, remittances abroad and the auditor's package.

pub mod advances;
pub mod audit;
pub mod reconcile;
pub mod remittances;
