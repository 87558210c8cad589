"""Make a transcript sentence stand alone once it is lifted out of its sequence (for the overview).

A sentence read on its own must not lean on the one before it:

- a leading connective that only links to the previous sentence is dropped ("Also, ...", "Then ...",
  "That's why ...", "This is why ...", "And so ...", "However, ...");
- a sequence adverb inside the sentence is dropped ("Helper T cells then activate the B cells" ->
  "Helper T cells activate the B cells", "Vaccines also protect people who are not vaccinated", "..., too.");
- a short sentence that ends pointing at something ("We may have to return to them.", "... is given here.") and a
  passage read aloud in quotation marks are rejected;
- a sentence that opens with a pronoun pointing back ("It", "This", "They", "These", "There they ...") cannot be
  repaired without the context and is rejected (``None``); "This lecture/course/chapter ..." is kept.

The words kept are verbatim; only connectives are removed.
"""
from __future__ import annotations

import re
from typing import Optional

__all__ = ["stand_alone", "leans_on_context"]

# Leading connectives whose removal leaves a sentence that still says the same thing on its own.
_LEAD_LINK_RE = re.compile(
    r"^(?:(?:and|but|so|then|also|plus|however|moreover|furthermore|besides|therefore|thus|hence|still|again|"
    r"likewise|similarly|meanwhile|instead|otherwise|next|after that|and then|and so|but then|so then|as a result|"
    r"in turn|on top of that|in addition|by contrast|in contrast|at the same time|on the other hand)\b,?\s+|"
    r"(?:that|this|which|it)(?:'s| is| was) (?:why|how|because|where|when) (?=\S+ \S+ \S+))", re.I)
# "X then does Y", "X also does Y", "X again shows Y": a sequence adverb between the subject and its verb.
_MID_ADVERB_RE = re.compile(r"(?<=\w)(?<!\bbut)(?<!\bthe)(?<!\bnot)\s+(?:then|also|again|in turn)(?=\s+[a-z])")
_TAIL_RE = re.compile(r",?\s+(?:too|as well|also|then|again|in turn)\s*([.!])$", re.I)
_CONDITIONAL_RE = re.compile(r"\b(?:if|when|whenever|once|first|after|before|until|as soon as)\b", re.I)
# Opens with a word pointing at something the sentence does not show.
_BACK_POINTER_RE = re.compile(
    r"^(?:it|it's|its|this|that|that's|these|those|they|they're|their|them|he|she|his|her|here|there (?!(?:is|are|"
    r"was|were|will|would|has|have|had|can|could|may|might|must|seems?|seemed|exists?|remains?)\b)|which|such|same|"
    r"the same|the former|the latter|the other one|both of (?:them|these)|all of (?:them|these|this)|one of them|"
    r"the (?:above|previous|preceding|following)|"
    r"less|more(?! than)|so|also|then)\b", re.I)
_END_POINTER_RE = re.compile(r"\b(?:it|them|this|that|these|those|here|there)\s*[.!]$", re.I)
_SELF_REFERENCE_RE = re.compile(r"^(?:this|these|that) (?:lecture|course|class|chapter|session|talk|book|novel|poem|"
                                r"play|essay|paper|text)s?\b", re.I)


def leans_on_context(text: str) -> bool:
    """True when a sentence opens with a word pointing back at something outside it ("It is...", "These
    defenses...", "There they display...") - except "This lecture ..." and existential "There is/are ..."."""
    t = (text or "").strip()
    return bool(_BACK_POINTER_RE.match(t)) and not _SELF_REFERENCE_RE.match(t)


def stand_alone(text: str) -> Optional[str]:
    """The sentence without the connectives that tie it to its neighbours, or None when it opens with a pointer
    back that cannot be removed. 'Helper T cells then activate the B cells.' -> 'Helper T cells activate the B
    cells.'; 'This is why many vaccines are given as a series of doses.' -> 'Many vaccines are given as a series
    of doses.'; 'It is fast.' -> None."""
    t = (text or "").strip()
    prev = None
    while prev != t:
        prev, t = t, _LEAD_LINK_RE.sub("", t, count=1).lstrip(" ,;:")
    if not t:
        return None
    t = t[0].upper() + t[1:]
    if leans_on_context(t):
        return None
    head = t.split(",")[0]
    # "If the dose is high, then ..." and "First X, then Y" keep their "then".
    if not _CONDITIONAL_RE.search(head):
        for m in _MID_ADVERB_RE.finditer(t):
            if len(t[:m.start()].split()) <= 6 and "," not in t[:m.start()]:
                t = t[:m.start()] + t[m.end():]
                break
    t = _TAIL_RE.sub(r"\1", t)
    if len(t.split()) < 10 and _END_POINTER_RE.search(t):
        return None  # "We may have to return to them.", "The outline of the lecture is given here."
    if t.startswith(('"', "\u201c")) and t.rstrip(".!").endswith(('"', "\u201d")):
        return None  # a passage read aloud, not the lecturer's own statement
    return t
