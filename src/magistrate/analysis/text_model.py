"""Text read by linear models over its words, where phrase rules do not reach: a request read
for harmful intent (`harm`: defraud, stalk, harass, make a weapon, in words no rule names), and
tool output read for orders given to the agent (`orders`: a review, an e-mail's P.S., a tool's
description telling "the assistant" to send, pay, share or hide something).

Each model is logistic regression over word and word-pair features weighted by TF-IDF, trained
by `training/text_models.py` on the labelled corpora in `tests/data` and shipped as data
(`analysis/data/<name>_model.gz`). Reading one here needs no library: a text's features
are counted, weighted, normalised and summed against the weights, as scikit-learn's
`TfidfVectorizer(sublinear_tf=True)` and `LogisticRegression.predict_proba` do; a test checks
the two agree. The features and the text read are defined once, here, for training and use.
"""

from __future__ import annotations

import base64
import gzip
import itertools
import math
import re
import sys
import threading
import unicodedata
from array import array
from collections import Counter
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

from magistrate.analysis.tools import flatten_args, tool_words

# What a model reads of one action, at most: a text longer than this is judged by its beginning
# (the models add blocks; nothing they skip is allowed on their say-so, the rules read it all).
MAX_READ_CHARS = 65_536
# A long text is read in windows of this many characters (overlapping by a quarter), the most
# harmful window counting: an order at the end of a long page is not diluted by the page.
WINDOW_CHARS = 2000
MODELS = ("harm", "orders")
# A request is read whole up to this many characters (as the harm model was measured).
REQUEST_CHARS = 4000
# Words of two or more letters or digits; digits folded to 0 (amounts and ids are not words).
_WORD = re.compile(r"\w\w+")
_DIGIT = re.compile(r"\d")
# Scripts written without spaces: a run of them is read as its character pairs.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
# Argument keys that are plumbing, not content: their values are ids and options.
_PLUMBING_KEYS = frozenset({"id", "ids", "uuid", "token", "cursor", "page", "limit", "offset"})


def model_text(text: str, tool: str | None, args: Mapping[str, Any] | None) -> str:
    """What a model reads of an action: its text, its tool's words and its argument values."""
    return text_of(text, tool, flatten_args(args) if args else [])


def text_of(text: str, tool: str | None, pairs: Sequence[tuple[str, str]]) -> str:
    """`model_text` from the arguments already flattened (`tools.flatten_args`)."""
    parts = [text]
    if tool:
        parts.append(tool_words(tool))
    parts.extend(v for k, v in pairs if k.lower() not in _PLUMBING_KEYS)
    joined = "\n".join(p for p in parts if p)
    return joined[:MAX_READ_CHARS]


def words_of(text: str) -> list[str]:
    """The words of `text`, casefolded (NFKC first), digits folded to 0; a run of an unspaced
    script as its character pairs."""
    plain = text.isascii()
    if not plain:
        text = unicodedata.normalize("NFKC", text)
    found: list[str] = _WORD.findall(_DIGIT.sub("0", text.casefold()))
    if plain or not _UNSPACED.search(text):
        return found
    words: list[str] = []
    for word in found:
        if _UNSPACED.search(word):
            words.extend(word[i : i + 2] for i in range(max(1, len(word) - 1)))
        else:
            words.append(word)
    return words


def features(text: str) -> list[str]:
    """The words of `text` (`words_of`) and each pair of neighbouring words."""
    words = words_of(text)
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


# Where a request's own words end and what it pastes begins: a blank line, a line opening a
# quotation or a fence, or a colon closing the line.
_PASTE_START = re.compile(r"\n\s*\n|\n(?=[\"'«“「`>-]{1,3})|:\s*\n")


def pasted_part(request: str) -> str:
    """What a request pastes after its own words (a document, an e-mail to summarise): data
    the orders model reads as tool output; empty when the request pastes nothing."""
    parts = _PASTE_START.split(request[:MAX_READ_CHARS], maxsplit=1)
    return parts[-1] if len(parts) > 1 and len(parts[-1]) > 40 else ""


def windows(text: str) -> list[str]:
    """`text` as the windows a model reads: whole when short, else overlapping pieces."""
    if len(text) <= WINDOW_CHARS:
        return [text]
    step = WINDOW_CHARS * 3 // 4
    return [text[i : i + WINDOW_CHARS] for i in range(0, len(text) - WINDOW_CHARS // 4, step)]


class TextModel:
    """Weights per feature and the threshold above which a text reads as what the model
    was trained to find."""

    def __init__(
        self,
        index: dict[str, int],
        idf: array[float],
        weighted: array[float],
        intercept: float,
        threshold: float,
    ) -> None:
        if not len(idf) == len(weighted) == len(index):
            raise ValueError("text model: features, IDFs and weights differ in number")
        self.index = index  # feature → its row
        self.idf = idf  # each row's IDF and IDF × coefficient (arrays: read fast, small)
        self.weighted = weighted
        self.intercept = intercept
        self.threshold = threshold

    @classmethod
    def from_weights(
        cls, weights: dict[str, tuple[float, float]], intercept: float, threshold: float
    ) -> TextModel:
        """A model from feature → (IDF, IDF × coefficient), as training makes it."""
        return cls(
            {feature: row for row, feature in enumerate(weights)},
            array("f", (v[0] for v in weights.values())),
            array("f", (v[1] for v in weights.values())),
            intercept,
            threshold,
        )

    @property
    def weights(self) -> dict[str, tuple[float, float]]:
        """Feature → (IDF, IDF × coefficient), as the model was made from."""
        return {f: (self.idf[r], self.weighted[r]) for f, r in self.index.items()}

    def probability(self, text: str) -> float:
        """The model's probability that `text` (one window) is what it was trained to find."""
        index, idf, weighted = self.index, self.idf, self.weighted
        words = words_of(text)
        rows = [index.get(w) for w in words]
        # A pair is known only if both its words are (a vocabulary with a document-frequency
        # floor holds a pair's words wherever it holds the pair): only those are spelled out.
        for k in range(len(words) - 1):
            if rows[k] is not None and rows[k + 1] is not None:
                rows.append(index.get(f"{words[k]} {words[k + 1]}"))
        known = [r for r in rows if r is not None]
        if len(set(known)) == len(known):  # each once (most texts): no counting
            dot = sum([weighted[r] for r in known])
            norm = sum([idf[r] * idf[r] for r in known])
        else:
            dot = norm = 0.0
            for row, count in Counter(known).items():
                tf = 1.0 + math.log(count) if count > 1 else 1.0
                norm += (tf * idf[row]) ** 2
                dot += tf * weighted[row]
        z = self.intercept + (dot / math.sqrt(norm) if norm else 0.0)
        return 1.0 / (1.0 + math.exp(-z)) if z > -30 else 0.0

    def highest(self, text: str) -> float:
        """The highest probability over `text`'s windows."""
        return max(self.probability(w) for w in windows(text))

    @classmethod
    def parse(cls, data: bytes) -> TextModel:
        """Read the shipped format: four lines — `intercept<TAB>threshold`, the features
        tab-separated, then the IDFs and the IDF × coefficient products in the same order, each
        as little-endian 32-bit floats in base64 (read whole, not number by number)."""
        head, names, idfs, products = data.split(b"\n")[:4]
        intercept, threshold = map(float, head.split(b"\t"))
        features = names.decode("utf-8").split("\t") if names else []
        index = dict(zip(features, range(len(features)), strict=False))
        return cls(index, _floats(idfs), _floats(products), intercept, threshold)

    def dump(self) -> bytes:
        """The shipped format (see `parse`)."""
        return b"\n".join(
            [
                f"{self.intercept!r}\t{self.threshold!r}".encode(),
                "\t".join(self.index).encode("utf-8"),
                _encoded(self.idf),
                _encoded(self.weighted),
                b"",
            ]
        )


def _floats(line: bytes) -> array[float]:
    values = array("f")
    values.frombytes(base64.b64decode(line))
    if sys.byteorder != "little":
        values.byteswap()
    return values


def _encoded(values: array[float]) -> bytes:
    copy = array("f", values)
    if sys.byteorder != "little":
        copy.byteswap()
    return base64.b64encode(copy.tobytes())


_loaded: dict[str, TextModel] = {}
_lock = threading.Lock()


def shipped_model(name: str) -> TextModel:
    """The model `name` (one of MODELS) shipped with the package, read once on first use."""
    model = _loaded.get(name)
    if model is None:
        with _lock:
            model = _loaded.get(name)
            if model is None:
                raw = resources.files("magistrate.analysis").joinpath("data", model_file(name))
                model = TextModel.parse(gzip.decompress(raw.read_bytes()))
                _loaded[name] = model
    return model


def model_file(name: str) -> str:
    """The shipped file of model `name`."""
    return f"{name}_model.gz"
