"""Keyed pseudonyms for direct identifiers, computed once at load so every table joins on the same token.

The key never enters SQL: dbt and Trino only ever see the tokens, so no compiled model, query log or Superset
cache can leak it. Values are normalised before hashing, so '110105491231002' (legacy 15 digits) and its 18-digit
form, or '+86 138-0013-8000' and '13800138000', give the same token.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from huitong.codes import upgrade_resident_id

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalise_phone(value: str | None) -> str | None:
    """Mainland mobile numbers to 11 digits (dropping +86/0086, spaces, dashes); others digits-only or None."""
    if not value:
        return None
    digits = re.sub(r"\D", "", value)
    for prefix in ("0086", "86"):
        if len(digits) == 11 + len(prefix) and digits.startswith(prefix):
            digits = digits[len(prefix) :]
    if _MOBILE.match(digits):
        return digits
    return digits if len(digits) >= 7 else None


NORMALISERS = {"resident_id": upgrade_resident_id, "phone": normalise_phone}


def token(key: bytes, kind: str, value: str | None) -> str | None:
    normalised = NORMALISERS[kind](value)
    if normalised is None:
        return None
    return hmac.new(key, f"{kind}:{normalised}".encode(), hashlib.sha256).hexdigest()
