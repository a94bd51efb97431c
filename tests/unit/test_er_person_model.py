"""The person model's Python parts: comparison levels on tricky pairs, EM on a simulated sample with known
parameters, the committed default parameters, and the evaluation metrics on a hand-checked example."""

from __future__ import annotations

import csv
import random
from collections import Counter
from datetime import date

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huitong.er.evaluate import evaluate_assignment, score
from huitong.er.person_comparisons import LEVELS, _similar, _within, compare
from huitong.er.person_params import DEFAULT_PRIOR, DEFAULT_SEED, DEFAULTS, params_rows
from huitong.er.standardise import name_pinyin_keys, standardise_name, standardise_resident_id
from huitong.er.standardise_distance import levenshtein, levenshtein_similarity
from huitong.er.training import FIELDS, estimate_u, expectation_maximisation


def record(name=None, id_number=None, phone=None, birth=None, gender=None, address=None) -> dict:
    std = standardise_name(name)
    keys = name_pinyin_keys(std)
    rid = standardise_resident_id(id_number)
    return {"std_full_name": std, "name_pinyin": keys.ordered, "name_pinyin_sorted": keys.sorted,
            "std_id_number": rid.id18 or id_number, "std_phone": phone, "birth_date": birth, "gender": gender,
            "std_address": address}  # fmt: skip


@pytest.mark.parametrize(
    ("left", "right", "field", "level"),
    [
        (record("張偉"), record("张伟"), "name", "exact"),  # traditional folds to simplified
        (record("张伟"), record("Zhang Wei"), "name", "pinyin"),
        (record("单雄信"), record("SHAN Xiongxin"), "name", "pinyin"),  # surname reading 单 shan
        (record("张伟"), record("Wei Zhang"), "name", "pinyin"),  # given name first
        (record("王晓明"), record("王小明"), "name", "pinyin"),  # homophone typo
        (record("王晓明"), record("王晓敏"), "name", "fuzzy"),
        (record("王晓明"), record("李建国"), "name", "different"),
        (record(id_number="110105491231002"), record(id_number="11010519491231002X"), "id_number", "exact"),
        (
            record(id_number="11010519491231002X"),
            record(id_number="11010519491213002X"),
            "id_number",
            "fuzzy",
        ),
        (
            record(id_number="11010519491231002X"),
            record(id_number="320102198001011234"),
            "id_number",
            "different",
        ),
        (record(phone="13800138000"), record(phone="13800138001"), "phone", "fuzzy"),
        (record(birth=date(1985, 3, 2)), record(birth=date(1985, 3, 12)), "birth_date", "fuzzy"),
        (record(birth=date(1985, 3, 2)), record(birth=date(1991, 7, 9)), "birth_date", "different"),
        (record(name="张伟"), record(), "name", "null"),
        (
            record(address="杭州市西湖区文三路5号3栋2单元501室"),
            record(address="西湖区文三路5号3栋2单元501室"),
            "address",
            "fuzzy",
        ),
    ],
)
def test_comparison_levels_on_tricky_pairs(left, right, field, level):
    assert compare(left, right)[field] == level
    assert compare(right, left)[field] == level  # symmetric


# Few letters, so that near strings are common; CJK and an astral character, so that a byte count would differ.
_TEXT = st.text(alphabet="ab张章三四·𠀀", max_size=7)


@settings(max_examples=400, deadline=None)
@given(_TEXT, _TEXT, st.sampled_from([0.66, 0.7, 0.75]), st.integers(min_value=0, max_value=2))
def test_fast_distance_checks_agree_with_the_definitions(a, b, threshold, edits):
    """The levels' RapidFuzz shortcuts give the answers of huitong.er.standardise_distance (the SQL's reference)."""
    assert _similar(a, b, threshold) == (levenshtein_similarity(a, b) >= threshold)
    assert _within(a, b, edits) == (len(a) == len(b) and levenshtein(a, b) <= edits)


def _simulate(m, u, prior, n, rng):
    counts: Counter = Counter()
    for _ in range(n):
        table = m if rng.random() < prior else u
        vector = []
        for f in FIELDS:
            levels = LEVELS[f]
            vector.append(rng.choices(levels, weights=[table[(f, lv)] for lv in levels])[0])
        counts[tuple(vector)] += 1
    return counts


def test_em_recovers_m_and_lambda_on_a_simulated_sample():
    rng = random.Random(7)
    true_m = {k: v[0] for k, v in DEFAULTS.items()}
    # u of a candidate set: strangers that share a block agree more often than random pairs
    true_u = {}
    for f, levels in LEVELS.items():
        weights = [0.15 if lv != "different" else 0.7 for lv in levels]
        total = sum(weights)
        true_u.update({(f, lv): w / total for lv, w in zip(levels, weights, strict=True)})
    sample = _simulate(true_m, true_u, 0.3, 20_000, rng)
    start_m = {k: 1.0 / len(LEVELS[k[0]]) for k in true_m}  # uninformative start
    start_m.update({(f, LEVELS[f][0]): 0.6 for f in LEVELS})
    m, prior, iterations, converged = expectation_maximisation(sample, true_u, start_m, 0.5)
    assert converged and iterations < 200
    assert prior == pytest.approx(0.3, abs=0.02)
    for f in FIELDS:
        assert m[(f, LEVELS[f][0])] == pytest.approx(true_m[(f, LEVELS[f][0])], abs=0.03)


def test_u_from_random_pairs_is_the_level_share():
    sample = Counter({tuple("different" for _ in FIELDS): 990, tuple(LEVELS[f][0] for f in FIELDS): 10})
    u = estimate_u(sample)
    assert u[("name", "exact")] == pytest.approx(0.01, rel=1e-3)
    assert u[("name", "different")] == pytest.approx(0.99, rel=1e-3)


def test_committed_default_seed_matches_the_python_defaults():
    with DEFAULT_SEED.open(encoding="utf-8") as fh:
        committed = [{**r, "m": float(r["m"]), "u": float(r["u"])} for r in csv.DictReader(fh)]
    assert committed == params_rows(DEFAULTS, DEFAULT_PRIOR)


def test_pairwise_and_bcubed_on_a_hand_checked_example():
    # truth: {a, b, c} {d}; predicted: {a, b} {c, d}
    frame = pd.DataFrame({"predicted": [1, 1, 2, 2], "truth": ["x", "x", "x", "y"]})
    s = score(frame)
    assert (s.pairwise_precision, s.pairwise_recall) == (0.5, 1 / 3)
    # b-cubed precision: a 1, b 1, c 1/2, d 1/2 -> 0.75; recall: a 2/3, b 2/3, c 1/3, d 1 -> 2/3
    assert s.bcubed_precision == pytest.approx(0.75)
    assert s.bcubed_recall == pytest.approx(2 / 3)


def test_person_report_has_a_slice_per_source_and_role():
    # one waybill, two people: the recipient record is split from the same person's sender record
    truth = pd.DataFrame({"source": ["parcel"] * 3, "record_id": ["w1:sender", "w1:recipient", "w2:recipient"],
                          "role": ["sender", "recipient", "recipient"], "person_id": ["p", "q", "q"],
                          "stratum": ["with_resident_id"] * 3})  # fmt: skip
    predicted = truth[["source", "record_id"]].assign(entity_id=["E1", "E2", "E3"])
    report = evaluate_assignment(predicted, truth)
    assert report["parcel.recipient/all"]["pairwise_recall"] == 0.0
    assert report["parcel.sender/all"]["records"] == 1
    assert report["all/with_resident_id"]["records"] == 3 and "parcel/with_resident_id" in report


def test_er_link_memory_limit_scales_with_the_input():
    from huitong.er.link import memory_limit

    ram = 24 * 1024  # MB
    assert memory_limit(10_000, "auto", ram) == "750MB"  # the floor
    assert memory_limit(1_000_000, "auto", ram) == "800MB"
    assert memory_limit(5_000_000, "auto", ram) == "4000MB"  # 5M failed in 750MB, resolved in 4GB
    assert memory_limit(100_000_000, "auto", ram) == "12288MB"  # at most half the machine
    assert memory_limit(5_000_000, "2GB", ram) == "2GB"  # a size is taken as given
    assert memory_limit(5_000_000, "none", ram) is None  # DuckDB's own default
