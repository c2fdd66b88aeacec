"""Train the harmful-request model shipped in `src/magistrate/analysis/data/harm_model.tsv.gz`.

    .venv/bin/pip install -e '.[train]'
    .venv/bin/python training/harm_model.py            # fit on every corpus, write the model
    .venv/bin/python training/harm_model.py --report   # leave-one-corpus-out figures first

Harmful examples are the blocked requests and tool calls of the harmful-task corpora
(`HARM_CORPORA`); benign examples are every allowed request and tool call of every corpus in
`tests/data` (the harmful ones' twins included), except the corpora kept out (`HELD_OUT`) to
measure the model on work it never saw. A tool call is learned twice: with its description and
from its name and arguments alone (an agent's call often carries no description).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path
from typing import Any

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from magistrate.analysis.harm_model import MODEL_FILE, HarmModel, features, harm_text

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
OUT = ROOT / "src" / "magistrate" / "analysis" / "data" / MODEL_FILE
HARM_CORPORA = (
    "blind16_harm",
    "blind35_harmful_tasks",
    "blind44_agentic_harm",
    "blind48_harm_tasks2",
    "blind52_harm_tasks3",
    "blind59_agent_harm4",
    "blind64_harm5",
)
HELD_OUT: tuple[str, ...] = ()
# Everyday requests the report measures false flags on (fitted on in the shipped model).
BENIGN_CHECK = ("blind17_prompts", "blind53_sensitive_everyday", "blind65_sessions5")
KINDS = ("prompt", "tool", "other")
THRESHOLD = 0.8  # docs/detection.md, "The harm model": the trade measured out of corpus
C = 4.0


def corpora() -> dict[str, list[dict[str, Any]]]:
    """Every labelled corpus in tests/data, by name."""
    out = {}
    for path in sorted(DATA.glob("*.jsonl")):
        rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
        out[path.stem] = [r for r in rows if r.get("kind") in KINDS]
    return out


def examples(rows: list[dict[str, Any]], harmful: bool) -> list[str]:
    """The texts of `rows` labelled `harmful` (block) or not, a tool call twice."""
    label = "block" if harmful else "allow"
    out = []
    for r in rows:
        if r.get("expected", r.get("expect")) != label:
            continue
        args = r.get("args") if isinstance(r.get("args"), dict) else None
        out.append(harm_text(r["kind"], r.get("text") or "", r.get("tool"), args))
        if r["kind"] == "tool" and r.get("text"):
            out.append(harm_text(r["kind"], "", r.get("tool"), args))
    return out


def fit(data: dict[str, list[dict[str, Any]]], leave_out: set[str]) -> HarmModel:
    """A model fitted on `data` without the corpora in `leave_out`."""
    pos = [t for n in HARM_CORPORA if n not in leave_out for t in examples(data[n], True)]
    neg = [t for n, rows in data.items() if n not in leave_out for t in examples(rows, False)]
    return fit_texts(pos, neg)


def fit_texts(harmful: list[str], benign: list[str], min_df: int = 2) -> HarmModel:
    """Logistic regression over TF-IDF-weighted features of the two sets of texts."""
    vec = TfidfVectorizer(analyzer=features, min_df=min_df, sublinear_tf=True)
    x = vec.fit_transform(harmful + benign)
    clf = LogisticRegression(C=C, max_iter=3000, class_weight="balanced")
    clf.fit(x, [1] * len(harmful) + [0] * len(benign))
    return export(vec, clf, THRESHOLD)


def export(vec: TfidfVectorizer, clf: LogisticRegression, threshold: float) -> HarmModel:
    """The fitted vectorizer and classifier as the gate's model."""
    weights = {
        f: (float(vec.idf_[i]), float(vec.idf_[i] * clf.coef_[0][i]))
        for f, i in sorted(vec.vocabulary_.items())
    }
    return HarmModel(weights, float(clf.intercept_[0]), threshold)


def _texts(rows: list[dict[str, Any]], harmful: bool) -> list[str]:
    """As the gate reads them: each row once, with its description."""
    label = "block" if harmful else "allow"
    return [
        harm_text(r["kind"], r.get("text") or "", r.get("tool"), r.get("args") or None)
        for r in rows
        if r.get("expected", r.get("expect")) == label
    ]


def report(data: dict[str, list[dict[str, Any]]]) -> None:
    """Each harmful-task corpus judged by a model fitted without it nor the benign corpora
    kept for measuring (`BENIGN_CHECK`), at several thresholds."""
    levels = (0.6, 0.7, 0.8, 0.85, 0.9)
    print(f"{'corpus':28s} {'flagged at':10s} " + " ".join(f"{t:>6}" for t in levels))
    benign: dict[str, list[float]] = {n: [] for n in BENIGN_CHECK}
    for name in HARM_CORPORA:
        model = fit(data, {name, *BENIGN_CHECK, *HELD_OUT})
        for harmful in (True, False):
            probs = [model.probability(t) for t in _texts(data[name], harmful)]
            rates = " ".join(f"{sum(p >= t for p in probs) / len(probs):6.3f}" for t in levels)
            print(f"{name:28s} {'harmful' if harmful else 'twins':10s} {rates}")
        for n in BENIGN_CHECK:
            benign[n].extend(model.probability(t) for t in _texts(data[n], False))
    for n, probs in benign.items():
        rates = " ".join(f"{sum(p >= t for p in probs) / len(probs):6.3f}" for t in levels)
        print(f"{n:28s} {'benign':10s} {rates}")


def main() -> None:
    """Fit on every corpus (less HELD_OUT) and write the model."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="leave-one-corpus-out figures")
    args = parser.parse_args()
    data = corpora()
    if args.report:
        report(data)
    model = fit(data, set(HELD_OUT))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(gzip.compress(model.dump().encode("utf-8"), mtime=0))
    print(f"wrote {OUT.relative_to(ROOT)}: {len(model.weights):,} features", file=sys.stderr)


if __name__ == "__main__":
    main()
