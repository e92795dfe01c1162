//! HTTP dates, sans I/O: formatting a `SYSTEMTIME` as an RFC 1123 date ("Mon, 28 Jul 2008
//! 10:05:52 GMT") and reading the date forms servers send, as leniently as
//! `WinHttpTimeToSystemTime` does.
//!
//! Reading is token based: letters, digits and everything else (separators). A weekday and a month
//! are recognised by their first three letters in any case; the numbers are taken in the order the
//! month's position implies. That covers RFC 1123 ("Mon, 28 Jul 2008 10:05:52 GMT"), RFC 850
//! ("Monday, 28-Jul-08 10:05:52 GMT"), asctime ("Mon Jul 28 10:05:52 2008"), and the loose forms
//! Windows accepts (lower case, any separators, a trailing newline: " mon 28 jul 2008 10 05 52\n").
//! The weekday in the text is not trusted: `wDayOfWeek` is computed from the date.

use crate::abi::SYSTEMTIME;

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Characters of an RFC 1123 date: "Mon, 28 Jul 2008 10:05:52 GMT".
pub(crate) const RFC1123_LEN: usize = 29;

fn is_leap(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

/// Days in `month` (1..=12) of `year`; 0 for a month out of range.
pub fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Day of the week (0 = Sunday) of a proleptic Gregorian date; `month` is 1..=12.
pub fn day_of_week(year: u32, month: u32, day: u32) -> u16 {
    // Count days from a fixed Sunday using a year that starts in March, so the leap day is last.
    let (y, m) = if month < 3 { (year as i64 - 1, month as i64 + 9) } else { (year as i64, month as i64 - 3) };
    let era_days = 365 * y + y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400);
    // Days before month m (March-based): (153 * m + 2) / 5 is the usual month-length fit.
    let days = era_days + (153 * m + 2) / 5 + day as i64;
    // 0000-03-01 (days = 1) was a Wednesday.
    ((days + 2).rem_euclid(7)) as u16
}

/// True when the date and time fields name a real instant we can format (years 0 to 9999).
pub fn is_valid(st: &SYSTEMTIME) -> bool {
    let (y, m, d) = (st.wYear as u32, st.wMonth as u32, st.wDay as u32);
    y <= 9999
        && (1..=12).contains(&m)
        && d >= 1
        && d <= days_in_month(y, m)
        && st.wHour < 24
        && st.wMinute < 60
        && st.wSecond < 60
}

/// Formats `st` as an RFC 1123 date, the weekday computed from the date. `None` when the fields
/// are out of range.
pub fn format_rfc1123(st: &SYSTEMTIME) -> Option<String> {
    if !is_valid(st) {
        return None;
    }
    let (y, m, d) = (st.wYear as u32, st.wMonth as u32, st.wDay as u32);
    Some(format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[day_of_week(y, m, d) as usize],
        d,
        MONTHS[m as usize - 1],
        y,
        st.wHour,
        st.wMinute,
        st.wSecond
    ))
}

#[derive(Debug)]
enum Token {
    Word(String),
    /// The value (saturated) and the number of digits written.
    Number(u32, usize),
}

fn tokens(s: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_ascii_alphabetic() {
            let mut w = String::new();
            while let Some(&c) = chars.peek().filter(|c| c.is_ascii_alphabetic()) {
                w.push(c.to_ascii_lowercase());
                chars.next();
            }
            out.push(Token::Word(w));
        } else if c.is_ascii_digit() {
            let (mut v, mut n) = (0u32, 0usize);
            while let Some(&c) = chars.peek().filter(|c| c.is_ascii_digit()) {
                v = v.saturating_mul(10).saturating_add(c as u32 - '0' as u32);
                n += 1;
                chars.next();
            }
            out.push(Token::Number(v, n));
        } else {
            chars.next();
        }
    }
    out
}

fn month_of(word: &str) -> Option<u32> {
    let p = word.get(..3)?;
    MONTHS.iter().position(|m| m.eq_ignore_ascii_case(p)).map(|i| i as u32 + 1)
}

/// A year as written: two digits are read the RFC 850 way (00-49 are 20xx, 50-99 are 19xx).
fn full_year(v: u32, digits: usize) -> u32 {
    match digits {
        0..=2 if v < 50 => 2000 + v,
        0..=2 => 1900 + v,
        _ => v,
    }
}

/// Reads an HTTP date leniently (see the module documentation). `None` when no day, month and
/// year can be found or a field is out of range. Milliseconds are 0.
pub fn parse_http_date(s: &str) -> Option<SYSTEMTIME> {
    let toks = tokens(s);
    let month_at = toks.iter().position(|t| matches!(t, Token::Word(w) if month_of(w).is_some()))?;
    let month = match &toks[month_at] {
        Token::Word(w) => month_of(w)?,
        Token::Number(..) => return None,
    };
    let numbers: Vec<(u32, usize)> = toks
        .iter()
        .filter_map(|t| match t {
            Token::Number(v, n) => Some((*v, *n)),
            Token::Word(_) => None,
        })
        .collect();
    let first_number_at = toks.iter().position(|t| matches!(t, Token::Number(..)))?;

    // Day first (RFC 1123, RFC 850): day, year, hour, minute, second.
    // Month first (asctime): day, hour, minute, second, year; unless the number after the day is
    // a year (three or more digits), then it is day, year, hour, minute, second as above.
    let day_year_time = first_number_at < month_at || numbers.get(1).is_some_and(|&(_, n)| n >= 3);
    let pick = |i: usize| numbers.get(i).copied();
    let (day, year, hms) = if day_year_time {
        (pick(0)?, pick(1)?, [pick(2), pick(3), pick(4)])
    } else {
        (pick(0)?, pick(4)?, [pick(1), pick(2), pick(3)])
    };
    let [h, m, sec] = hms.map(|x| x.map_or(0, |(v, _)| v));
    let year = full_year(year.0, year.1);
    let day = day.0;
    if year > 9999 || day == 0 || day > days_in_month(year, month) || h > 23 || m > 59 || sec > 59 {
        return None;
    }
    Some(SYSTEMTIME {
        wYear: year as u16,
        wMonth: month as u16,
        wDayOfWeek: day_of_week(year, month, day),
        wDay: day as u16,
        wHour: h as u16,
        wMinute: m as u16,
        wSecond: sec as u16,
        wMilliseconds: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(y: u16, mo: u16, dow: u16, d: u16, h: u16, mi: u16, s: u16) -> SYSTEMTIME {
        SYSTEMTIME {
            wYear: y,
            wMonth: mo,
            wDayOfWeek: dow,
            wDay: d,
            wHour: h,
            wMinute: mi,
            wSecond: s,
            wMilliseconds: 0,
        }
    }

    #[test]
    fn weekdays() {
        assert_eq!(day_of_week(2008, 7, 28), 1); // Monday
        assert_eq!(day_of_week(1970, 1, 1), 4); // Thursday
        assert_eq!(day_of_week(2000, 2, 29), 2); // Tuesday
        assert_eq!(day_of_week(1994, 11, 6), 0); // Sunday
        assert_eq!(day_of_week(2024, 12, 31), 2); // Tuesday
        assert_eq!(day_of_week(1601, 1, 1), 1); // Monday
        assert_eq!(day_of_week(2100, 3, 1), 1); // Monday
    }

    #[test]
    fn formats_rfc1123() {
        let t = st(2008, 7, 1, 28, 10, 5, 52);
        let s = format_rfc1123(&t).unwrap();
        assert_eq!(s, "Mon, 28 Jul 2008 10:05:52 GMT");
        assert_eq!(s.len(), RFC1123_LEN);
        assert_eq!(format_rfc1123(&st(1994, 11, 0, 6, 8, 49, 37)).unwrap(), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(format_rfc1123(&st(5, 1, 0, 2, 0, 0, 0)).unwrap(), "Sun, 02 Jan 0005 00:00:00 GMT");
    }

    #[test]
    fn format_computes_the_weekday() {
        // A wrong wDayOfWeek does not leak into the string.
        assert_eq!(format_rfc1123(&st(2008, 7, 5, 28, 10, 5, 52)).unwrap(), "Mon, 28 Jul 2008 10:05:52 GMT");
    }

    #[test]
    fn format_rejects_bad_fields() {
        assert!(format_rfc1123(&st(2008, 0, 0, 1, 0, 0, 0)).is_none());
        assert!(format_rfc1123(&st(2008, 13, 0, 1, 0, 0, 0)).is_none());
        assert!(format_rfc1123(&st(2008, 2, 0, 30, 0, 0, 0)).is_none());
        assert!(format_rfc1123(&st(2007, 2, 0, 29, 0, 0, 0)).is_none());
        assert!(format_rfc1123(&st(2008, 2, 0, 29, 0, 0, 0)).is_some());
        assert!(format_rfc1123(&st(2008, 1, 0, 0, 0, 0, 0)).is_none());
        assert!(format_rfc1123(&st(2008, 1, 0, 1, 24, 0, 0)).is_none());
        assert!(format_rfc1123(&st(2008, 1, 0, 1, 0, 60, 0)).is_none());
        assert!(format_rfc1123(&st(2008, 1, 0, 1, 0, 0, 60)).is_none());
        assert!(format_rfc1123(&st(10000, 1, 0, 1, 0, 0, 0)).is_none());
    }

    #[test]
    fn parses_the_three_http_forms() {
        let want = st(2008, 7, 1, 28, 10, 5, 52);
        assert_eq!(parse_http_date("Mon, 28 Jul 2008 10:05:52 GMT"), Some(want));
        assert_eq!(parse_http_date("Monday, 28-Jul-08 10:05:52 GMT"), Some(want));
        assert_eq!(parse_http_date("Mon Jul 28 10:05:52 2008"), Some(want));
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Some(st(1994, 11, 0, 6, 8, 49, 37)));
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), Some(st(1994, 11, 0, 6, 8, 49, 37)));
    }

    #[test]
    fn parses_loose_forms() {
        let want = st(2008, 7, 1, 28, 10, 5, 52);
        assert_eq!(parse_http_date("Mon, 28 Jul 2008 10:05:52 GMT\n"), Some(want));
        assert_eq!(parse_http_date(" mon 28 jul 2008 10 05 52\n"), Some(want));
        assert_eq!(parse_http_date("MON, 28 JUL 2008 10:05:52 GMT"), Some(want));
        assert_eq!(parse_http_date("28 July 2008 10:05:52"), Some(want));
        assert_eq!(parse_http_date("\t\r\nMon,28 Jul 2008 10:05:52 GMT\r\n"), Some(want));
        // asctime order with the year right after the day.
        assert_eq!(parse_http_date("Mon Jul 28 2008 10:05:52"), Some(want));
    }

    #[test]
    fn weekday_in_text_is_not_trusted() {
        assert_eq!(parse_http_date("Fri, 28 Jul 2008 10:05:52 GMT").unwrap().wDayOfWeek, 1);
    }

    #[test]
    fn time_of_day_is_optional() {
        assert_eq!(parse_http_date("28 Jul 2008"), Some(st(2008, 7, 1, 28, 0, 0, 0)));
        assert_eq!(parse_http_date("Mon, 28 Jul 2008 10:05"), Some(st(2008, 7, 1, 28, 10, 5, 0)));
    }

    #[test]
    fn rejects_what_is_not_a_date() {
        for s in [
            "",
            "\n",
            "garbage",
            "Mon, 28 2008 10:05:52 GMT",
            "Mon, Jul 2008",
            "Mon, 32 Jul 2008 10:05:52 GMT",
            "Mon, 29 Feb 2007 10:05:52 GMT",
            "Mon, 28 Jul 2008 24:05:52 GMT",
            "Mon, 28 Jul 2008 10:60:52 GMT",
            "Mon, 28 Jul 2008 10:05:60 GMT",
            "Mon, 00 Jul 2008 10:05:52 GMT",
            "Mon, 28 Jul 99999 10:05:52 GMT",
            "Mon, 28 Jul 99999999999999999999 10:05:52 GMT",
            "Mon, 28 Ju 2008",
        ] {
            assert_eq!(parse_http_date(s), None, "{s:?}");
        }
    }

    #[test]
    fn two_digit_years() {
        assert_eq!(parse_http_date("01-Jan-49").unwrap().wYear, 2049);
        assert_eq!(parse_http_date("01-Jan-50").unwrap().wYear, 1950);
        assert_eq!(parse_http_date("01-Jan-00").unwrap().wYear, 2000);
    }

    #[test]
    fn round_trips() {
        for (y, m, d) in [(1601, 1, 1), (1970, 1, 1), (2000, 2, 29), (2038, 1, 19), (9999, 12, 31)] {
            let t = st(y, m, day_of_week(y as u32, m as u32, d as u32), d, 23, 59, 59);
            assert_eq!(parse_http_date(&format_rfc1123(&t).unwrap()), Some(t));
        }
    }

    #[test]
    fn non_ascii_is_a_separator() {
        assert_eq!(parse_http_date("Mon,\u{a0}28\u{2009}Jul 2008 10:05:52 GMT"), Some(st(2008, 7, 1, 28, 10, 5, 52)));
    }
}
