"""A request read for harmful intent by a linear model over its words, where phrase rules do not
reach: what it asks (defraud, stalk, harass, make a weapon) said in words no rule names.

The model is logistic regression over word and word-pair features weighted by TF-IDF, trained
by `training/harm_model.py` on the labelled corpora in `tests/data` (harmful tasks and their
benign twins, every everyday request as a benign example) and shipped as data
(`analysis/data/harm_model.tsv.gz`). Reading it here needs no library: a request's features
are counted, weighted, normalised and summed against the weights, as scikit-learn's
`TfidfVectorizer(sublinear_tf=True)` and `LogisticRegression.predict_proba` do; a test checks
the two agree. The features and the text read are defined once, here, for training and use.
"""

from __future__ import annotations

import gzip
import itertools
import math
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Mapping
from importlib import resources
from typing import Any

from magistrate.analysis.tools import flatten_args, tool_words

# What the model reads of one action, at most: a request longer than this is judged by its
# beginning (the model adds blocks; nothing it skips is allowed on its say-so).
MAX_READ_CHARS = 4000
MODEL_FILE = "harm_model.tsv.gz"
# Words of two or more letters or digits; digits folded to 0 (amounts and ids are not words).
_WORD = re.compile(r"\w\w+")
_DIGIT = re.compile(r"\d")
# Scripts written without spaces: a run of them is read as its character pairs.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
# Argument keys that are plumbing, not content: their values are ids and options.
_PLUMBING_KEYS = frozenset({"id", "ids", "uuid", "token", "cursor", "page", "limit", "offset"})


def harm_text(kind: str, text: str, tool: str | None, args: Mapping[str, Any] | None) -> str:
    """What the model reads of an action: its text, its tool's words and its argument values."""
    parts = [text]
    if tool:
        parts.append(tool_words(tool))
    if args:
        parts.extend(v for k, v in flatten_args(args) if k.lower() not in _PLUMBING_KEYS)
    joined = "\n".join(p for p in parts if p)
    return joined[:MAX_READ_CHARS]


def features(text: str) -> list[str]:
    """The words of `text` (casefolded, NFKC) and each pair of neighbouring words."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    words: list[str] = []
    for word in _WORD.findall(_DIGIT.sub("0", text.casefold())):
        if _UNSPACED.search(word):
            words.extend(word[i : i + 2] for i in range(max(1, len(word) - 1)))
        else:
            words.append(word)
    pairs = [f"{a} {b}" for a, b in itertools.pairwise(words)]
    return words + pairs


class HarmModel:
    """Weights per feature and the threshold above which a request reads as harmful."""

    def __init__(
        self, weights: dict[str, tuple[float, float]], intercept: float, threshold: float
    ) -> None:
        self.weights = weights  # feature → (idf, idf × coefficient)
        self.intercept = intercept
        self.threshold = threshold

    def probability(self, text: str) -> float:
        """The model's probability that `text` asks for or does something harmful."""
        counts = Counter(features(text))
        weights = self.weights
        dot = norm = 0.0
        for feature, count in counts.items():
            known = weights.get(feature)
            if known is None:
                continue
            tf = 1.0 + math.log(count) if count > 1 else 1.0
            norm += (tf * known[0]) ** 2
            dot += tf * known[1]
        z = self.intercept + (dot / math.sqrt(norm) if norm else 0.0)
        return 1.0 / (1.0 + math.exp(-z)) if z > -30 else 0.0

    def harmful(self, text: str) -> bool:
        """Whether `text` reads as harmful at the model's threshold."""
        return self.probability(text) >= self.threshold

    @classmethod
    def parse(cls, data: str) -> HarmModel:
        """Read the shipped format: four lines, `intercept<TAB>threshold`, then the features,
        their IDFs and their coefficients, each line tab-separated in the same order."""
        head, names, idfs, coefs = data.split("\n")[:4]
        intercept, threshold = map(float, head.split("\t"))
        idf = list(map(float, idfs.split("\t")))
        weighted = [i * c for i, c in zip(idf, map(float, coefs.split("\t")), strict=True)]
        weights = dict(zip(names.split("\t"), zip(idf, weighted, strict=True), strict=True))
        return cls(weights, intercept, threshold)

    def dump(self) -> str:
        """The shipped format (see `parse`)."""
        idf = [v[0] for v in self.weights.values()]
        coefs = [v[1] / v[0] if v[0] else 0.0 for v in self.weights.values()]
        return "\n".join(
            [
                f"{self.intercept!r}\t{self.threshold!r}",
                "\t".join(self.weights),
                "\t".join(f"{v:.6g}" for v in idf),
                "\t".join(f"{v:.6g}" for v in coefs),
                "",
            ]
        )


_loaded: HarmModel | None = None
_lock = threading.Lock()


def shipped_model() -> HarmModel:
    """The model shipped with the package, read once on first use."""
    global _loaded
    if _loaded is None:
        with _lock:
            if _loaded is None:
                raw = resources.files("magistrate.analysis").joinpath("data", MODEL_FILE)
                _loaded = HarmModel.parse(gzip.decompress(raw.read_bytes()).decode("utf-8"))
    return _loaded
