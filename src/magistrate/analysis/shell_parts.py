"""Pieces of a command line the analyzer reads apart from the commands: the functions it
defines, and the text it writes into files."""

from __future__ import annotations

from collections.abc import Iterator

from magistrate.analysis.shell_lex import Op, Redir, Token, Word

__all__ = ["WRITERS_OF_TEXT", "function_bodies", "op_is", "word_is", "written_text"]

# Commands whose quoted words or heredoc, redirected to a file, are that file's new text.
WRITERS_OF_TEXT = frozenset({"echo", "printf", "cat"})
MAX_WRITTEN = 65536
MAX_DEFINITIONS = 64  # function definitions looked at on one line
MAX_BODY_TOKENS = 4096  # tokens a definition's body may span


def word_is(tok: Token | list[Word], text: str) -> bool:
    """An unquoted word `text` (the first of a list, when given one)."""
    if isinstance(tok, list):
        tok = tok[0] if tok else Op("", 0)
    return isinstance(tok, Word) and not tok.quoted and tok.text == text


def op_is(tok: Token, op: str) -> bool:
    """A control operator `op`."""
    return isinstance(tok, Op) and tok.op == op


def function_bodies(tokens: list[Token], src: str) -> Iterator[tuple[str, tuple[str, int]]]:
    """(name, (body, where the name is)) of each `NAME() { BODY; }` and `function NAME {
    BODY; }` the tokens define."""
    tried = 0
    for k in range(len(tokens) - 1):
        name, after = tokens[k], tokens[k + 1]
        if not isinstance(name, Word):
            continue
        if k and word_is(after, "{") and word_is(tokens[k - 1], "function"):
            at = k + 1
        elif k + 3 < len(tokens) and op_is(after, "(") and op_is(tokens[k + 2], ")"):
            at = k + 3 if word_is(tokens[k + 3], "{") else -1
        else:
            continue
        brace, level = tokens[at], 0
        if at < 0 or not isinstance(brace, Word):
            continue
        tried += 1
        if tried > MAX_DEFINITIONS:  # each looks ahead for its closing brace: bounded work
            return
        for close in tokens[at : at + MAX_BODY_TOKENS]:
            if isinstance(close, Word) and not close.quoted and close.text in ("{", "}"):
                level += 1 if close.text == "{" else -1
                if level == 0:
                    yield name.text, (src[brace.end : close.start], name.start)
                    break


def written_text(redirects: list[Redir], words: list[Word]) -> str | None:
    """The text a command writes into a file (`echo '…' > f`, `cat > f <<EOF`): its heredocs
    and quoted words, when its output goes to a file (not a device); else None."""
    into_file = any(
        r.op in (">", ">>", ">|") and r.target is not None and not r.target.text.startswith("/dev/")
        for r in redirects
    )
    if not into_file:
        return None
    texts = [r.body for r in redirects if r.op in ("<<", "<<-") and r.body]
    texts += [w.text for w in words[1:] if w.quoted and not w.text.startswith("-")]
    return "\n".join(texts)[:MAX_WRITTEN] if texts else None
