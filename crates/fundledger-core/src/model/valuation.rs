//! Valuing amounts in the base currency.
//!
//! A posting is valued at its own cost when it has one in the base currency,
//! otherwise at the latest `P` price of its commodity in the base currency on
//! or before the date. Values are exact products (no rounding); a product too
//! long for `Decimal` counts as having no value.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::model::journal::{CommodityId, Journal, Posting};
use crate::model::money::{self, Decimal};

/// The last price [`Valuer::price_on`] gave of each commodity (by index),
/// with its day: a pass in journal order asks the same day's price again
/// and again (consecutive transactions mostly share a day), and this spares
/// it the search. One per pass or per thread.
#[derive(Default)]
pub(crate) struct PriceMemo {
    prices: Vec<Option<(NaiveDate, Option<Decimal>)>>,
}

impl PriceMemo {
    /// The price of `commodity` on `day` ([`Valuer::price_on`]).
    pub(crate) fn price_on(
        &mut self,
        valuer: &Valuer<'_>,
        commodity: CommodityId,
        day: NaiveDate,
    ) -> Option<Decimal> {
        if self.prices.len() <= commodity.index() {
            self.prices.resize(commodity.index() + 1, None);
        }
        match self.prices[commodity.index()] {
            Some((seen, price)) if seen == day => price,
            _ => {
                let price = valuer.price_on(commodity, day);
                self.prices[commodity.index()] = Some((day, price));
                price
            }
        }
    }
}

/// Values postings of one journal in its base currency.
pub struct Valuer<'j> {
    journal: &'j Journal,
    base: CommodityId,
    /// Per commodity, (date, price in base) sorted by date.
    prices: HashMap<CommodityId, Vec<(NaiveDate, Decimal)>>,
}

impl<'j> Valuer<'j> {
    /// A valuer, when the journal has a base currency that occurs in it.
    pub fn new(journal: &'j Journal) -> Option<Self> {
        let base = journal.commodity_id(journal.settings().base_currency.as_deref()?)?;
        let mut prices: HashMap<CommodityId, Vec<(NaiveDate, Decimal)>> = HashMap::new();
        for p in journal.prices() {
            if p.price_commodity == base {
                prices
                    .entry(p.commodity)
                    .or_default()
                    .push((p.date, p.price));
            }
        }
        for list in prices.values_mut() {
            // Stable: of two prices on one date, the later line wins.
            list.sort_by_key(|&(date, _)| date);
        }
        Some(Valuer {
            journal,
            base,
            prices,
        })
    }

    /// The base currency's symbol.
    pub fn base_name(&self) -> &str {
        self.journal.commodity_name(self.base)
    }

    /// The base currency's id.
    pub fn base(&self) -> CommodityId {
        self.base
    }

    /// Formats a base-currency amount.
    pub fn format_base(&self, quantity: Decimal) -> String {
        self.journal.format_amount(quantity, self.base)
    }

    /// The latest price of `commodity` in the base currency on or before
    /// `date`.
    pub fn price_on(&self, commodity: CommodityId, date: NaiveDate) -> Option<Decimal> {
        let list = self.prices.get(&commodity)?;
        let after = list.partition_point(|&(d, _)| d <= date);
        after.checked_sub(1).map(|i| list[i].1)
    }

    /// The value of `quantity` of `commodity` on `date`.
    pub fn value(
        &self,
        quantity: Decimal,
        commodity: CommodityId,
        date: NaiveDate,
    ) -> Option<Decimal> {
        if commodity == self.base {
            return Some(quantity);
        }
        let price = self.price_on(commodity, date)?;
        money::checked_mul_exact(quantity, price).ok()
    }

    /// The value of a posting: its cost when the cost is in the base
    /// currency, else its amount at the price of the day.
    pub fn value_in_base(&self, posting: &Posting, date: NaiveDate) -> Option<Decimal> {
        if let Some(cost) = self.journal.cost(posting) {
            if cost.commodity == self.base {
                return Some(cost.weight);
            }
        }
        self.value(posting.quantity, posting.commodity, date)
    }
}
