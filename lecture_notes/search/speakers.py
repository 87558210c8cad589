"""Which of a lecture's (or meeting's) speakers a query names.

A transcript that says who speaks (segments.json ``speaker``, WebVTT ``<v Name>``, caption tags "JOHN SMITH:")
gives each sentence a speaker label. A query such as "What did Grad E contribute to ...", "What did the user
interface designer recommend ..." or "Why did Industrial Design agree with Marketing ..." names speakers by a
label, a role or part of a name. Each label yields a few aliases (word sequences):

- the label without honorifics or its parenthesised part ("Hon. Andrew Scheer (Leader of the Opposition)" ->
  "andrew scheer"; "Vaughan Gething AM" -> "vaughan gething");
- a person's surname ("gething"), which a query must write capitalised and not as its first word (so the
  "Industrial Designer" is not named by "technical function design");
- the parenthesised role ("leader of the opposition", "prime minister");
- a lettered role without its letter when only one speaker has that role ("Professor B" -> "professor").

An alias is kept only when every label it points to is the same person (same core name), so "grad" (Grad A,
Grad E, Grad F) names nobody while "grad e" names one. A query names a speaker when one of its aliases occurs
in the query as consecutive words; in an alias of two words or more, words of four letters or more also match by
prefix, so "Industrial Design" names the "Industrial Designer" (one-word aliases match whole words only).
"""
from __future__ import annotations

import re
import unicodedata
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

_WORD = re.compile(r"[a-z0-9]+")
_CASED = re.compile(r"[A-Za-z0-9]+")
_PARENS = re.compile(r"\(([^()]*(?:\([^()]*\)[^()]*)*)\)")
# Forms of address and party/house suffixes: not what a query names a speaker by.
_HONORIFICS = frozenset("hon honourable honorable right rt mr mrs ms miss mx dr sir dame lord lady am ms mp mla "
                        "msp mep td qc kc jr sr".split())
_SMALL = frozenset("a an the of and for to in on at de la le van von".split())


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in text if not unicodedata.combining(c))


def words(text: str) -> List[str]:
    """Lower-case ASCII words of ``text`` (accents dropped: "Siân" -> "sian")."""
    return _WORD.findall(_ascii(text).lower())


def _query_words(text: str) -> Tuple[List[str], List[bool]]:
    """Lower-case words of a query and whether each was written capitalised (and is not the first word)."""
    raw = _CASED.findall(_ascii(text))
    return [w.lower() for w in raw], [i > 0 and w[:1].isupper() for i, w in enumerate(raw)]


def _core(label: str) -> Tuple[str, ...]:
    main = _PARENS.sub(" ", label)
    return tuple(w for w in words(main) if w not in _HONORIFICS)


def _aliases(label: str) -> List[Tuple[Tuple[str, ...], bool]]:
    """(alias words, whether the query must write it capitalised) for one label."""
    core = _core(label)
    out: List[Tuple[Tuple[str, ...], bool]] = [(core, False)] if core else []
    lettered = len(core) >= 2 and (len(core[-1]) == 1 or core[-1].isdigit())
    if lettered:
        out.append((core[:-1], False))  # "professor b" -> "professor" (kept only if no other professor)
    elif len(core) >= 2 and len(core[-1]) >= 3 and core[-1] not in _SMALL:
        out.append((core[-1:], True))  # a person's surname
    for inner in _PARENS.findall(label):
        role = tuple(w for w in words(_PARENS.sub(" ", inner)) if w not in _HONORIFICS)
        if 1 <= len(role) <= 5:
            out.append((role, False))
    return [(a, cap) for a, cap in out if any(w not in _SMALL for w in a)]


class SpeakerNames:
    """Aliases of a set of speaker labels; ``named(query)`` -> the labels the query names."""

    def __init__(self, labels: Sequence[str]) -> None:
        self.labels = sorted({str(x) for x in labels if str(x).strip()})
        table: Dict[Tuple[str, ...], set] = {}
        capital: Dict[Tuple[str, ...], bool] = {}
        for label in self.labels:
            for alias, cap in _aliases(label):
                table.setdefault(alias, set()).add(label)
                capital[alias] = capital.get(alias, True) and cap
        # alias -> (labels, must be capitalised); an alias shared by different people names nobody.
        self.aliases: Dict[Tuple[str, ...], Tuple[FrozenSet[str], bool]] = {
            a: (frozenset(ls), capital[a]) for a, ls in table.items() if len({_core(x) for x in ls}) == 1}
        # Aliases by their first word (exact) and, for those that match by prefix, its first four letters: a query
        # looks up only the aliases its words can start (a parliament has hundreds of aliases).
        self._by_word: Dict[str, List[Tuple[str, ...]]] = {}
        self._by_prefix: Dict[str, List[Tuple[str, ...]]] = {}
        for a in self.aliases:
            self._by_word.setdefault(a[0], []).append(a)
            if len(a) > 1 and len(a[0]) >= 4:
                self._by_prefix.setdefault(a[0][:4], []).append(a)

    def __bool__(self) -> bool:
        return bool(self.aliases)

    def named(self, query: str) -> FrozenSet[str]:
        """Labels of the speakers ``query`` names (empty when none)."""
        if not self.aliases:
            return frozenset()
        found: set = set()
        for alias, _ in self._matches(query):
            found |= self.aliases[alias][0]
        return frozenset(found)

    def alias_words(self, query: str) -> FrozenSet[str]:
        """The query's words (lower case) inside the speaker aliases it contains."""
        q = _query_words(query)[0]
        out: set = set()
        for alias, i in self._matches(query):
            out.update(q[i:i + len(alias)])
        return frozenset(out)

    def _matches(self, query: str) -> List[Tuple[Tuple[str, ...], int]]:
        """(alias, position) of every alias occurring in ``query``."""
        q, caps = _query_words(query)
        out = []
        for i, w in enumerate(q):
            cands = set(self._by_word.get(w, ()))
            if len(w) >= 4:
                cands.update(self._by_prefix.get(w[:4], ()))
            for alias in cands:
                if _at(alias, q, i, caps if self.aliases[alias][1] else None):
                    out.append((alias, i))
        return out


def _same(a: str, b: str, prefix: bool) -> bool:
    if a == b:
        return True
    return prefix and len(a) >= 4 and len(b) >= 4 and (a.startswith(b) or b.startswith(a))


def _at(alias: Sequence[str], q: Sequence[str], i: int, caps: Optional[Sequence[bool]] = None) -> bool:
    """Whether ``alias`` occurs in the query words ``q`` at ``i`` (``caps``: capitalised there)."""
    n = len(alias)
    return i + n <= len(q) and all(_same(alias[j], q[i + j], n > 1) for j in range(n)) \
        and (caps is None or all(caps[i:i + n]))
