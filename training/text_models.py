"""Train the text models shipped in `src/magistrate/analysis/data/<name>_model.gz`.

    .venv/bin/pip install -e '.[train]'
    .venv/bin/python training/text_models.py                 # fit both models, write them
    .venv/bin/python training/text_models.py --report harm   # leave-one-corpus-out figures

`harm`: harmful examples are the blocked requests and tool calls of the harmful-task corpora;
benign ones every allowed request and tool call of every corpus in `tests/data` (the twins
included). A tool call is learned twice: with its description and from its name and arguments
alone (an agent's call often carries no description).

`orders`: examples are tool output — the blocked ones of the corpora of orders in data, against
every allowed tool output of every corpus (the twins: the same documents with instructions
meant for their human reader).

Corpora named in a spec's `held_out` are left out, to measure the model on work it never saw.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from magistrate.analysis.text_model import TextModel, features, model_file, model_text

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
OUT = ROOT / "src" / "magistrate" / "analysis" / "data"
C = 4.0


# Corpora written at the end of the round that fitted these models, to measure them on work
# they never saw: left out of fitting, so that refitting reproduces the shipped models.
MEASURES = ("blind71_harm6", "blind72_injection9", "blind73_everyday_requests")
# Corpora added after the shipped models were fitted (round eleven), left out so that a refit
# still reproduces them. A refit with blind76/77 as positives was measured and not shipped:
# docs/detection.md, "Blind corpora 74 to 80".
LATER = (
    "blind74_commands7",
    "blind75_sessions6",
    "blind76_injection10",
    "blind77_harm7",
    "blind78_direct_injection",
    "blind79_everyday_ops",
    "blind80_oversight",
)


@dataclass(frozen=True)
class Spec:
    """What one model learns from: the corpora whose blocks are its positives, the kinds of
    action it reads, its threshold, and the corpora its report measures false flags on."""

    positives: tuple[str, ...]
    kinds: tuple[str, ...]
    threshold: float  # docs/detection.md: the trade measured out of corpus
    benign_check: tuple[str, ...]
    held_out: tuple[str, ...] = MEASURES + LATER


SPECS = {
    "harm": Spec(
        positives=(
            "blind16_harm",
            "blind35_harmful_tasks",
            "blind44_agentic_harm",
            "blind48_harm_tasks2",
            "blind52_harm_tasks3",
            "blind59_agent_harm4",
            "blind64_harm5",
            "blind69_jailbreaks",  # jailbreaks: most ask for what the model refuses
        ),
        kinds=("prompt", "tool", "other"),
        threshold=0.8,
        benign_check=("blind17_prompts", "blind53_sensitive_everyday", "blind65_sessions5"),
    ),
    "orders": Spec(
        positives=(
            "blind10_injection",
            "blind11",
            "blind12_addressed",
            "blind22_injection",
            "blind24_injection2",
            "blind34_injection3",
            "blind45_injection4",
            "blind51_injection5",
            "blind56_injection6",
            "blind63_injection7",
            "blind67_injection8",
        ),
        kinds=("tool_output",),
        threshold=0.8,
        benign_check=("blind65_sessions5",),
    ),
}


def corpora(kinds: tuple[str, ...]) -> dict[str, list[dict[str, Any]]]:
    """Every labelled corpus in tests/data, by name, its rows of `kinds`."""
    out = {}
    for path in sorted(DATA.glob("*.jsonl")):
        rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
        out[path.stem] = [r for r in rows if r.get("kind") in kinds]
    return out


def _text(row: dict[str, Any], described: bool = True) -> str:
    args = row.get("args") if isinstance(row.get("args"), dict) else None
    text = row.get("text") or "" if described else ""
    return model_text(text, row.get("tool"), args)


def examples(rows: list[dict[str, Any]], flagged: bool, twice: bool = True) -> list[str]:
    """The texts of `rows` labelled block (`flagged`) or allow; a described tool call twice."""
    label = "block" if flagged else "allow"
    out = []
    for r in rows:
        if r.get("expected", r.get("expect")) != label:
            continue
        out.append(_text(r))
        if twice and r["kind"] == "tool" and r.get("text"):
            out.append(_text(r, described=False))
    return out


def fit(spec: Spec, data: dict[str, list[dict[str, Any]]], leave_out: set[str]) -> TextModel:
    """A model fitted on `data` without the corpora in `leave_out`."""
    pos = [t for n in spec.positives if n not in leave_out for t in examples(data[n], True)]
    neg = [t for n, rows in data.items() if n not in leave_out for t in examples(rows, False)]
    return fit_texts(pos, neg, spec.threshold)


def fit_texts(flagged: list[str], benign: list[str], threshold: float) -> TextModel:
    """Logistic regression over TF-IDF-weighted features of the two sets of texts."""
    vec = TfidfVectorizer(analyzer=features, min_df=2, sublinear_tf=True)
    x = vec.fit_transform(flagged + benign)
    clf = LogisticRegression(C=C, max_iter=3000, class_weight="balanced")
    clf.fit(x, [1] * len(flagged) + [0] * len(benign))
    return export(vec, clf, threshold)


def export(vec: TfidfVectorizer, clf: LogisticRegression, threshold: float) -> TextModel:
    """The fitted vectorizer and classifier as the gate's model."""
    weights = {
        f: (float(vec.idf_[i]), float(vec.idf_[i] * clf.coef_[0][i]))
        for f, i in sorted(vec.vocabulary_.items())
    }
    return TextModel.from_weights(weights, float(clf.intercept_[0]), threshold)


def report(spec: Spec, data: dict[str, list[dict[str, Any]]]) -> None:
    """Each positive corpus judged by a model fitted without it nor the benign corpora kept
    for measuring (`benign_check`), at several thresholds."""
    levels = (0.6, 0.7, 0.8, 0.85, 0.9)
    print(f"{'corpus':28s} {'flagged at':10s} " + " ".join(f"{t:>6}" for t in levels))
    benign: dict[str, list[float]] = {n: [] for n in spec.benign_check}
    for name in spec.positives:
        model = fit(spec, data, {name, *spec.benign_check, *spec.held_out})
        for flagged in (True, False):
            probs = [model.highest(t) for t in examples(data[name], flagged, twice=False)]
            rates = " ".join(f"{sum(p >= t for p in probs) / len(probs):6.3f}" for t in levels)
            print(f"{name:28s} {'blocks' if flagged else 'twins':10s} {rates}")
        for n in spec.benign_check:
            benign[n].extend(model.highest(t) for t in examples(data[n], False, twice=False))
    for n, probs in benign.items():
        rates = " ".join(f"{sum(p >= t for p in probs) / max(1, len(probs)):6.3f}" for t in levels)
        print(f"{n:28s} {'benign':10s} {rates}")


def write(name: str, model: TextModel) -> None:
    """Write model `name` where the package ships it."""
    path = OUT / model_file(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(model.dump(), mtime=0))
    print(f"wrote {path.relative_to(ROOT)}: {len(model.index):,} features", file=sys.stderr)


def main() -> None:
    """Fit each model named (default: all) on every corpus less its held-out ones; write it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="leave-one-corpus-out figures")
    parser.add_argument("models", nargs="*", help=f"of {', '.join(SPECS)} (default: all)")
    args = parser.parse_args()
    if unknown := set(args.models) - set(SPECS):
        parser.error(f"no model named {', '.join(sorted(unknown))}; known: {', '.join(SPECS)}")
    for name in args.models or SPECS:
        spec = SPECS[name]
        data = corpora(spec.kinds)
        if args.report:
            report(spec, data)
        write(name, fit(spec, data, set(spec.held_out)))


if __name__ == "__main__":
    main()
