"""Value checks GX has no expectation for, and the readable reason for every kind of failure.

Each ``*_problem`` function returns None for a good value or a short phrase that completes the sentence
"<column> <value> ...", so a quarantine reason reads like "id_number 11010519491231002Y fails the GB 11643 check
digit". Check digits and code structures come from huitong.codes, the one place that knows them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache

from huitong import codes
from huitong.quality.spec import Rule

_ISO_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$"
)
# The date spellings the sources are known to send; YYYYMMDD must be exactly 8 digits to be unambiguous.
_DATE_FORMS = tuple(
    re.compile(p)
    for p in (
        r"^(\d{4})-(\d{1,2})-(\d{1,2})$",
        r"^(\d{4})/(\d{1,2})/(\d{1,2})$",
        r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$",
        r"^(\d{4})年(\d{1,2})月(\d{1,2})日$",
        r"^(\d{4})(\d{2})(\d{2})$",
    )
)
_MIDNIGHT = re.compile(r"[ T]00:00(?::00)?$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_PHONE_NOISE = re.compile(r"[\s\-()（）]")
_ID_SHAPE = re.compile(r"^(?:\d{15}|\d{17}.)$")
_USCC_SHAPE = re.compile(rf"^[{codes.USCC_ALPHABET}]{{18}}$")

DATE_FORMATS_TEXT = "YYYY-MM-DD, YYYYMMDD, YYYY/M/D, YYYY.M.D or YYYY年M月D日"


@dataclass(frozen=True)
class CheckEnv:
    """What time-relative rules compare against: the reference instant and the zone of naive timestamps."""

    now: datetime
    tz: tzinfo


@lru_cache(maxsize=1 << 18)
def parse_iso_datetime(value: str, tz: tzinfo) -> datetime | None:
    """An aware datetime for an ISO 8601 date-time; naive values are taken to be in ``tz``."""
    if not _ISO_DATETIME.match(value):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def parse_any_date(value: str) -> date | None:
    """A date from any of the spellings in DATE_FORMATS_TEXT (a trailing midnight time is tolerated)."""
    value = _MIDNIGHT.sub("", value)
    for form in _DATE_FORMS:
        m = form.match(value)
        if m:
            try:
                return date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return None
    return None


def normalise_mobile(value: str) -> str:
    """Digits of a phone number without spaces, dashes, brackets and the +86 / 0086 / 86 country prefix."""
    digits = _PHONE_NOISE.sub("", value)
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            return digits[len(prefix) :]
    return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits


def resident_id_problem(value: str) -> str | None:
    compact = re.sub(r"[\s-]", "", value).upper()
    if codes.is_valid_resident_id(compact):
        return None
    if not _ID_SHAPE.match(compact):
        return "is not a resident ID of 18 characters (or a legacy 15-digit one)"
    # Any 18th character is a check-digit question, so the birth date is judged on the first 17 alone.
    first = compact if len(compact) == 15 else compact[:17] + codes.resident_id_check_char(compact[:17])
    if codes.resident_id_birth_date(first) is None:
        return "has an impossible birth date"
    return "fails the GB 11643 check digit" if len(compact) == 18 else None


def uscc_problem(value: str) -> str | None:
    compact = value.upper()
    if not _USCC_SHAPE.match(compact):
        return "is not 18 characters of the GB 32100 alphabet (digits and letters without I, O, Z, S, V)"
    return None if codes.is_valid_uscc(compact) else "fails the GB 32100 check character"


def gb28181_problem(value: str) -> str | None:
    if codes.is_valid_gb28181(value):
        return None
    return "is not a GB/T 28181 device code (20 digits, starting with a province code 11-82)"


def mobile_phone_problem(value: str) -> str | None:
    if _MOBILE.match(normalise_mobile(value)):
        return None
    return "is not a mainland mobile number (11 digits starting 13-19, after removing +86, spaces and dashes)"


def iso_datetime_range(rule: Rule, env: CheckEnv) -> tuple[datetime | None, datetime | None]:
    """The earliest and latest instants an iso_datetime rule accepts (None: no bound)."""
    return _iso_bounds(rule.params.get("not_before"), rule.params.get("max_ahead_hours"), env)


@lru_cache(maxsize=256)  # asked once per failing value when reasons are written: the same few rules and envs
def _iso_bounds(not_before: object, ahead: object, env: CheckEnv) -> tuple[datetime | None, datetime | None]:
    return (
        _day_start(not_before, env) if not_before else None,
        env.now + timedelta(hours=float(ahead)) if ahead is not None else None,
    )


def iso_datetime_problem(value: str, rule: Rule, env: CheckEnv) -> str | None:
    parsed = parse_iso_datetime(value, env.tz)  # None when the pattern fails too: then say which
    if parsed is None:
        if not _ISO_DATETIME.match(value):
            return "is not an ISO 8601 date-time (YYYY-MM-DDTHH:MM:SS, optional offset)"
        return "is not a real calendar date-time"
    earliest, latest = iso_datetime_range(rule, env)
    if earliest is not None and parsed < earliest:
        return too_early_phrase(rule)
    if latest is not None and parsed > latest:
        return too_late_phrase(rule, env)
    return None


def too_early_phrase(rule: Rule) -> str:
    """iso_datetime_problem's phrase for a date-time before the rule's not_before."""
    return f"is before {rule.params['not_before']}"


def too_late_phrase(rule: Rule, env: CheckEnv) -> str:
    """iso_datetime_problem's phrase for a date-time more than max_ahead_hours after the validation time."""
    ahead = rule.params["max_ahead_hours"]
    return f"is more than {ahead} h after the validation time {env.now.isoformat(timespec='seconds')}"


def date_any_format_problem(value: str, rule: Rule, env: CheckEnv) -> str | None:
    parsed = parse_any_date(value)
    if parsed is None:
        return f"is not a real date in a known format ({DATE_FORMATS_TEXT})"
    not_before = rule.params.get("not_before")
    if not_before and parsed < date.fromisoformat(str(not_before)):
        return f"is before {not_before}"
    not_after = rule.params.get("not_after")
    if not_after:
        limit = (
            env.now.astimezone(env.tz).date() if not_after == "today" else date.fromisoformat(str(not_after))
        )
        if parsed > limit:
            return f"is after {limit.isoformat()}"
    return None


def _day_start(day: object, env: CheckEnv) -> datetime:
    return datetime.combine(date.fromisoformat(str(day)), datetime.min.time(), tzinfo=env.tz)


def not_before_problem(value: str, other: str | None, rule: Rule, env: CheckEnv) -> str | None:
    """Unparseable or missing times pass here: their own iso_datetime / required rules report them."""
    if other is None:
        return None
    mine, theirs = parse_iso_datetime(value, env.tz), parse_iso_datetime(other, env.tz)
    if mine is None or theirs is None or mine >= theirs:
        return None
    return before_other_phrase(rule, other)


def before_other_phrase(rule: Rule, other: str) -> str:
    """not_before_problem's phrase for a time before the other column's ``other``."""
    return f"is before {rule.params['other']} {other}"


def value_problem(rule: Rule, value: str, env: CheckEnv, other: str | None = None) -> str | None:
    """The problem with one non-missing value under a derived-column rule kind."""
    match rule.kind:
        case "resident_id":
            return resident_id_problem(value)
        case "uscc":
            return uscc_problem(value)
        case "gb28181":
            return gb28181_problem(value)
        case "mobile_phone":
            return mobile_phone_problem(value)
        case "iso_datetime":
            return iso_datetime_problem(value, rule, env)
        case "date_any_format":
            return date_any_format_problem(value, rule, env)
        case "not_before_column":
            return not_before_problem(value, other, rule, env)
    raise ValueError(f"rule kind {rule.kind!r} is checked by a GX expectation, not by value_problem")


# The characters of a value a reason shows; a longer value is cut, with an ellipsis.
SHOWN_CHARS = 40


def show(value: object, limit: int = SHOWN_CHARS) -> str:
    text = str(value)
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return repr(text) if text == "" or text != text.strip() or " " in text else text


def shown_value(rule: Rule, value: str) -> str:
    """How a reason names the offending value: the column, then the value (see show); a phrase follows."""
    return f"{rule.column} {show(value)}"


def failure_reason(rule: Rule, value: str | None, env: CheckEnv, other: str | None = None) -> str:
    """One sentence a data engineer can act on, naming the column and the offending value."""
    if rule.kind == "required" or value is None:
        return f"{rule.column} is missing"
    shown = shown_value(rule, value)
    match rule.kind:
        case "regex":
            return f"{shown} is not {rule.params.get('describe') or 'matching ' + rule.params['pattern']}"
        case "enum":
            return f"{shown} is not one of {', '.join(map(str, rule.params['values']))}"
        case "length":
            low, high = rule.params.get("min", 0), rule.params.get("max", "any")
            return f"{shown} has {len(value)} characters, outside {low}..{high}"
    return f"{shown} {value_problem(rule, value, env, other) or 'fails ' + rule.name}"
