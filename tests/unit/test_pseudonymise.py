from huitong.pseudonymise import normalise_phone, token

KEY = b"test-key-not-a-secret"


def test_same_person_same_token_across_spellings():
    assert token(KEY, "resident_id", "110105491231002") == token(KEY, "resident_id", "11010519491231002x")
    assert token(KEY, "phone", "+86 138-0013-8000") == token(KEY, "phone", "13800138000")


def test_token_depends_on_key_and_kind():
    assert token(KEY, "phone", "13800138000") != token(b"other", "phone", "13800138000")
    assert token(KEY, "phone", "13800138000") != token(KEY, "resident_id", "13800138000")
    assert token(KEY, "resident_id", "not an id") is None


def test_normalise_phone():
    assert normalise_phone("0086 13800138000") == "13800138000"
    assert normalise_phone("025-8888 6666") == "02588886666"
    assert normalise_phone("12") is None
