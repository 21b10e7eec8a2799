"""Sentiment: the shipped model, its CLI contract, and its scores on the held-in sets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chaupal.cli.insights import app
from chaupal.insights.sentiment import LABELS, classify, classify_one, get_model
from chaupal.insights.sentiment.devanagari import romanise
from chaupal.insights.sentiment.evaluate import EN_VAL, HI_DEV, load_tsv, metrics

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "sentiment"
HANDMADE = Path(__file__).with_name("hindi-devanagari-handmade.tsv")

CLEAR = [
    ("I love this, what a wonderful day! Thank you so much", "positive"),
    ("This is the worst service ever, absolutely terrible and disgusting", "negative"),
    ("The meeting is scheduled for Monday at 10 am in the conference hall", "neutral"),
    ("Bahut badhiya kaam kiya aapne, dil se dhanyavad aur badhai", "positive"),
    ("Ye sarkar bilkul bekar hai, sharam aani chahiye chor log", "negative"),
    ("प्रधानमंत्री जी को बहुत बहुत बधाई, शानदार काम", "positive"),
    ("यह सरकार पूरी तरह बेकार है, बहुत शर्मनाक", "negative"),
]


def test_import__loads_no_model() -> None:
    code = "import chaupal.insights.sentiment as s, chaupal.cli.insights; assert s._model is None"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_get_model__loaded_once() -> None:
    assert get_model() is get_model()


@pytest.mark.parametrize(("text", "label"), CLEAR)
def test_classify_one__clear_examples(text: str, label: str) -> None:
    assert classify_one(text) == label


def test_classify__one_label_per_text_in_order() -> None:
    texts = [t for t, _ in CLEAR] + ["", "   "]
    labels = classify(texts)
    assert labels == [label for _, label in CLEAR] + ["neutral", "neutral"]
    assert set(labels) <= set(LABELS)
    assert classify([]) == []


def test_devanagari__romanised_like_hinglish() -> None:
    assert romanise("सरकार बहुत अच्छा काम कर रही है") == "sarkar bahut accha kaam kar rahi hai"
    assert romanise("कहना") == "kahna"


def test_devanagari__handmade_set_mostly_right() -> None:
    # A small hand-written set (not a benchmark): the router and transliteration must work.
    texts, gold = load_tsv(HANDMADE)
    assert metrics(gold, classify(texts))["accuracy"] >= 60.0


def test_cli_classify__stdin__one_label_per_line() -> None:
    lines = ["I love it, thank you!", "", "worst day ever, I hate this", "Kal meeting hai"]
    result = CliRunner().invoke(app, ["classify"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    out = result.output.splitlines()
    assert len(out) == len(lines)
    assert out[0] == "positive" and out[1] == "neutral" and out[2] == "negative"
    assert set(out) <= set(LABELS)


def test_cli_classify__in_file(tmp_path: Path) -> None:
    path = tmp_path / "posts.txt"
    path.write_text("बहुत बढ़िया, धन्यवाद\r\n\nye bilkul bakwas hai yaar, bekar\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["classify", "--in", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["positive", "neutral", "negative"]


def test_main_cli__insights_classify_registered() -> None:
    from chaupal.cli import app as main_app

    result = CliRunner().invoke(main_app, ["insights", "classify"], input="what a lovely day!\n")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["positive"]


def test_cli_classify__missing_file__usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["classify", "--in", str(tmp_path / "nope.txt")])
    assert result.exit_code == 2


EN_RECALL_BAR = 62.9  # TweetEval SVM and FastText baselines: met
# The SentiMix char-SVM bar (67.8) is NOT met yet (see docs/benchmarks.md); until it is, this
# floor only guards the shipped model against regressions.
HI_F1_FLOOR = 62.0


@pytest.mark.skipif(not DATA.is_dir(), reason=f"held-in data not found at {DATA}")
def test_shipped_model__english_val__above_svm_baseline() -> None:
    texts, gold = load_tsv(DATA / EN_VAL)
    assert metrics(gold, classify(texts))["macro_recall"] > EN_RECALL_BAR


@pytest.mark.skipif(not DATA.is_dir(), reason=f"held-in data not found at {DATA}")
def test_shipped_model__hinglish_dev__not_below_floor() -> None:
    texts, gold = load_tsv(DATA / HI_DEV)
    assert metrics(gold, classify(texts))["macro_f1"] > HI_F1_FLOOR
