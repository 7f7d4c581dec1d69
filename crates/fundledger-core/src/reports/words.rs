//! The words statements print: labels of accounts, funds, programmes and
//! the organisation in each language, from `fundledger.toml`, and periods
//! written as each language writes them. Renderers receive these labels,
//! never ids or account paths.

use chrono::{Datelike, NaiveDate};

use super::statement::Language;
use crate::settings::Settings;
use crate::Journal;

/// The label of an account: the declared label of the account or of its
/// longest declared prefix, else its name in words.
pub fn account(settings: &Settings, account: &str, language: Language) -> String {
    let report = &settings.report;
    let declared = |labels: &std::collections::BTreeMap<String, String>| {
        labels
            .iter()
            .filter(|(prefix, _)| crate::query::account_matches(account, prefix))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(_, label)| label.clone())
    };
    let english = || {
        declared(&report.account_labels)
            .unwrap_or_else(|| super::statement::humanize(account, &report.program_names))
    };
    match language {
        Language::En => english(),
        Language::Ja => declared(&report.account_labels_ja).unwrap_or_else(|| {
            // Undeclared: the name in words, with the programme's Japanese
            // name where one is declared.
            declared(&report.account_labels).unwrap_or_else(|| {
                let mut names = report.program_names.clone();
                names.extend(report.program_names_ja.clone());
                super::statement::humanize(account, &names)
            })
        }),
    }
}

/// The name of a fund in a language.
pub fn fund(settings: &Settings, id: &str, language: Language) -> String {
    let declared = settings.fund(id);
    match (language, declared) {
        (Language::Ja, Some(f)) if f.name_ja.is_some() => f.name_ja.clone().unwrap_or_default(),
        (_, Some(f)) => f.name.clone(),
        (_, None) => id.to_string(),
    }
}

/// The organisation's name in a language.
pub fn organisation(settings: &Settings, language: Language) -> String {
    match (language, &settings.report.organisation_ja) {
        (Language::Ja, Some(name)) => name.clone(),
        _ => settings.organisation.clone(),
    }
}

/// A date as a language writes it (`2001年3月31日`; `2001-03-31`).
pub fn date(day: NaiveDate, language: Language) -> String {
    match language {
        Language::En => day.to_string(),
        Language::Ja => format!("{}年{}月{}日", day.year(), day.month(), day.day()),
    }
}

/// True when `[begin, end)` is exactly one fiscal year.
pub fn is_fiscal_year(settings: &Settings, begin: NaiveDate, end: NaiveDate) -> bool {
    settings.fiscal_year(settings.fiscal_year_start.year_of(begin)) == Some((begin, end))
}

/// True when `end` (excluded) is the first day of a fiscal year, so that a
/// position at the day before is a year-end position.
pub fn is_year_end(settings: &Settings, end: NaiveDate) -> bool {
    settings
        .fiscal_year(settings.fiscal_year_start.year_of(end))
        .is_some_and(|(first, _)| first == end)
}

/// "six months", "one month", "45 days": the length of `[begin, end)`, in
/// whole months when both ends fall on the same day of the month.
fn length(begin: NaiveDate, end: NaiveDate) -> String {
    const NUMBERS: [&str; 13] = [
        "", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve",
    ];
    let months = (end.year() - begin.year()) * 12 + end.month() as i32 - begin.month() as i32;
    if begin.day() == end.day() && (1..=12).contains(&months) {
        let word = NUMBERS[months as usize];
        return if months == 1 {
            "one month".into()
        } else {
            format!("{word} months")
        };
    }
    let days = (end - begin).num_days();
    if days == 1 {
        "one day".into()
    } else {
        format!("{days} days")
    }
}

/// A date in words: "30 September 2000".
fn date_in_words(day: NaiveDate) -> String {
    day.format("%-d %B %Y").to_string()
}

/// "Organisation, 2000-04-01 to 2001-03-31" (`[begin, end)`), or its
/// Japanese form 「…　2000年4月1日から2001年3月31日まで」. A period that is
/// not a whole fiscal year says it is interim: "Organisation, interim: six
/// months to 30 September 2000 (2000-04-01 to 2000-09-30)",
/// 「…　2000年4月1日から2000年9月30日まで（中間）」.
pub fn period(journal: &Journal, begin: NaiveDate, end: NaiveDate, language: Language) -> String {
    let last = end.pred_opt().unwrap_or(end);
    let settings = journal.settings();
    let organisation = organisation(settings, language);
    let interim = !is_fiscal_year(settings, begin, end);
    match (language, interim) {
        (Language::En, false) => format!("{organisation}, {begin} to {last}"),
        (Language::En, true) => format!(
            "{organisation}, interim: {} to {} ({begin} to {last})",
            length(begin, end),
            date_in_words(last)
        ),
        (Language::Ja, _) => format!(
            "{organisation}　{}から{}まで{}",
            date(begin, language),
            date(last, language),
            if interim { "（中間）" } else { "" }
        ),
    }
}

/// "Organisation, at 2001-03-31" (the day before `end`), or
/// 「…　2001年3月31日現在」; "(interim)"/（中間） when that day is not a
/// fiscal year's last.
pub fn at(journal: &Journal, end: NaiveDate, language: Language) -> String {
    let last = end.pred_opt().unwrap_or(end);
    let settings = journal.settings();
    let organisation = organisation(settings, language);
    let interim = !is_year_end(settings, end);
    match language {
        Language::En => format!(
            "{organisation}, at {last}{}",
            if interim { " (interim)" } else { "" }
        ),
        Language::Ja => format!(
            "{organisation}　{}現在{}",
            date(last, language),
            if interim { "（中間）" } else { "" }
        ),
    }
}

/// The label of a unit commodity in a language (`kg`, `人`): the declared
/// `label`/`label_ja`, else the symbol.
pub fn unit(settings: &Settings, symbol: &str, language: Language) -> String {
    let declared = settings.commodity(symbol);
    let english = declared
        .and_then(|c| c.label.clone())
        .unwrap_or_else(|| symbol.to_string());
    match language {
        Language::En => english,
        Language::Ja => declared.and_then(|c| c.label_ja.clone()).unwrap_or(english),
    }
}

/// The name of a product in a language.
pub fn product(product: &crate::settings::ProductSettings, language: Language) -> String {
    match (language, &product.name_ja) {
        (Language::Ja, Some(name)) => name.clone(),
        _ => product.name.clone(),
    }
}

/// How a report a board or the public reads names the lender of a
/// member-loan account: with `settings.with_personal_data`, the lender's
/// name (`lender`/`lender_ja` of `[[loans]]`, else the account's last part);
/// otherwise the declared label (`label`/`label_ja`, else the account's
/// `report.account_labels`), else "Lender N" / 「貸主N」 after the loan's
/// place in `[[loans]]`, or "Undeclared lender" for an account `[[loans]]`
/// does not list. Names in account paths never reach such a report unasked.
pub fn lender(settings: &Settings, account: &str, language: Language) -> String {
    let position = settings.loans.iter().position(|l| l.account == account);
    let loan = position.map(|i| &settings.loans[i]);
    if settings.with_personal_data {
        return match (loan, language) {
            (Some(l), Language::Ja) => l.lender_ja.clone().unwrap_or_else(|| l.lender.clone()),
            (Some(l), Language::En) => l.lender.clone(),
            (None, _) => account.rsplit(':').next().unwrap_or(account).to_string(),
        };
    }
    let declared = loan.and_then(|l| match language {
        Language::Ja => l.label_ja.clone().or_else(|| l.label.clone()),
        Language::En => l.label.clone(),
    });
    let labelled = || {
        let labels = match language {
            Language::Ja => &settings.report.account_labels_ja,
            Language::En => &settings.report.account_labels,
        };
        labels.get(account).cloned()
    };
    declared
        .or_else(labelled)
        .unwrap_or_else(|| match position {
            Some(i) => format!("{}{}", pick(language, "Lender ", "貸主"), i + 1),
            None => pick(language, "Undeclared lender", "未登録の貸主").to_string(),
        })
}

/// The label of a tag's value (`region` `South-East` → "South-East Asia"),
/// declared in `report.tag_labels(_ja)`, else the value itself.
pub fn tag_value(settings: &Settings, tag: &str, value: &str, language: Language) -> String {
    let key = format!("{tag}:{value}");
    let report = &settings.report;
    let english = report.tag_labels.get(&key).cloned();
    match language {
        Language::Ja => report.tag_labels_ja.get(&key).cloned().or(english),
        Language::En => english,
    }
    .unwrap_or_else(|| value.to_string())
}

/// What an output is broken down by, in words: a route (`route RN-01`,
/// `経路 RN-01`) or a region's label.
pub fn dimension(settings: &Settings, tag: &str, value: &str, language: Language) -> String {
    let value = tag_value(settings, tag, value, language);
    match (language, tag) {
        (Language::En, "route") => format!("route {value}"),
        (Language::Ja, "route") => format!("経路 {value}"),
        _ => value,
    }
}

/// A month as a language writes it in a table (`2000-04`; `2000年4月`).
pub fn month(month: NaiveDate, language: Language) -> String {
    match language {
        Language::En => month.format("%Y-%m").to_string(),
        Language::Ja => format!("{}年{}月", month.year(), month.month()),
    }
}

/// The fiscal year that starts in `year` (`FY2000`; `2000年度`).
pub fn fiscal_year(year: i32, language: Language) -> String {
    match language {
        Language::En => format!("FY{year}"),
        Language::Ja => format!("{year}年度"),
    }
}

/// The language a standard's statements are written in.
pub fn language_of(standard: super::financial::Standard) -> Language {
    if standard == super::financial::Standard::JpNpo {
        Language::Ja
    } else {
        Language::En
    }
}

/// Picks the English or the Japanese of a phrase.
pub fn pick<'a>(language: Language, english: &'a str, japanese: &'a str) -> &'a str {
    match language {
        Language::En => english,
        Language::Ja => japanese,
    }
}
