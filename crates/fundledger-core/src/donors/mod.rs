//! Donors, kept apart from the journal: the donor register
//! (`donors.csv`) and the donation receipts issued from it.

pub mod receipts;
pub mod register;
