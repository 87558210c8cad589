"""Chapter titles as a teacher names the topic: the noun phrase the lecturer announces ("Let's turn to kin
selection", "The next question is the origin of syphilis", "What is a Platonic form?"), else the chapter's most
specific key phrase, preferring one from a sentence that defines it. Never two unrelated words glued by "and"."""
from __future__ import annotations

import re
from typing import List, Optional, Sequence

from lecture_notes.text.stopwords import GENERIC_WORDS, STOPWORDS
from lecture_notes.text.textutil import normalize_term, tfidf_keyphrases, title_case, tokenize

__all__ = ["announced_topic", "chapter_title", "noun_phrase"]

_NP_STOP_RE = re.compile(
    r"[,;:.?!()\"]|--|\s(?:which|that|who|because|since|where|when|while|if|so that|and how|and why|and what|and "
    r"then|but|is|are|was|were|will|would|can|could|has|have|had|does|do|did|I|we|you|they|he|she|it|for a|for the "
    r"next|in order|first|now|today|here|there|right|okay|instead|again)\b", re.I)
_LEAD_DET_RE = re.compile(r"^(?:(?:a little bit|a little|a bit|some more|some|a few words|a couple of things|more|"
                          r"now|just|briefly|again|also|then)\s+(?:about\s+|on\s+)?)+", re.I)
_DET_RE = re.compile(r"^(?:the|a|an|this|that|these|those|our|my|your|his|her|its|their)\s+", re.I)
_VERBS = (r"(?:turn|talk|move|go on|go|look|get|come|switch|shift|focus|begin|start|spend some time|say a few words|"
          r"say something|think|discuss|consider|examine|introduce|return|come back)")
_ANNOUNCE_RES = [re.compile(p, re.I) for p in (
    r"\b(?:let's|let us|let me|I want to|I'd like to|I would like to|I'm going to|I am going to|we're going to|we are "
    r"going to|we'll|we will|I'll|I will|we need to|we have to|now we|we now)\s+(?:now\s+|just\s+|briefly\s+)?"
    + _VERBS + r"(?:\s+now)?(?:\s+(?:to|about|on|at|into|onto|with|by talking about|by looking at|on to))?\s+"
    r"(?P<np>.+)",
    r"\b(?:the|our) (?:next|second|third|fourth|last|final|other|first|main) (?:topic|thing|subject|issue|question|"
    r"part|theme|idea|example|case|point) (?:I want to (?:discuss|talk about|consider)|we need to (?:discuss|consider)|"
    r"(?:for today |today )?is|will be|concerns|has to do with)\s+(?P<np>.+)",
    r"\b(?:that|this|which) (?:gets|brings|leads|takes) us (?:to|into|on to)\s+(?P<np>.+)",
    r"\b(?:on|onto|now on) to\s+(?P<np>.+)",
    r"^(?:so |now |and |okay,? )*what (?:is|are|was|were) (?P<np>[^?]+)\?",
    r"\b(?:called|known as|named)\s+(?P<np>.+)",
)]
_BAD_HEAD = frozenset("it this that them these those something anything everything one thing things way bit lot "
                      "here there what how why question questions point points kind sort set lecture lectures class "
                      "course talk today issue issues case cases notice idea ideas stuff part".split())
# A phrase that opens with a preposition or adverb is not a noun phrase ("back to the radio", "by making a few").
_BAD_START = frozenset("by in up back against into with for from over out off down through about on at to as "
                       "than like very really pretty quite making doing getting going".split())


def noun_phrase(text: str, max_words: int = 6) -> Optional[str]:
    """The noun phrase at the start of ``text`` ("the origin of syphilis, which..." -> "the origin of syphilis");
    None when it is a pronoun, a generic word or a clause."""
    t = _LEAD_DET_RE.sub("", text.strip())
    m = _NP_STOP_RE.search(" " + t)
    if m:
        t = t[:max(0, m.start() - 1)]
    toks = t.split()
    if not toks or len(toks) > max_words:
        toks = toks[:max_words]
        while toks and toks[-1].lower() in STOPWORDS:
            toks = toks[:-1]
    while toks and toks[-1].lower() in STOPWORDS | {"about", "of", "to", "in", "on", "with"}:
        toks = toks[:-1]
    phrase = " ".join(toks).strip(" '\"")
    core = _DET_RE.sub("", phrase)
    words = [w.lower() for w in tokenize(core)]
    content = [w for w in words if w not in STOPWORDS and w not in GENERIC_WORDS and len(w) > 2]
    if not content or (words and (words[0] in _BAD_HEAD or words[0] in _BAD_START)) or words[-1] in _BAD_HEAD:
        return None
    return _strip_possessive(core)


def _strip_possessive(phrase: str) -> str:
    """"Plato's" -> "Plato": a title names the thing, not its owner's case."""
    return re.sub(r"['\u2019]s$", "", phrase.strip())


def announced_topic(sentences: Sequence[str], max_sentences: int = 4) -> Optional[str]:
    """The topic the lecturer announces in the first ``max_sentences`` sentences of a chapter, if any."""
    for s in sentences[:max_sentences]:
        for r in _ANNOUNCE_RES:
            m = r.search(s[:220])
            if m:
                np_ = noun_phrase(m.group("np"))
                if np_:
                    return np_
    return None


def chapter_title(sentences: Sequence[str], background: Sequence[str], used: set,
                  announce_window: int = 4) -> str:
    """A title for a chapter made of ``sentences``: the announced topic, else its best key phrase against the
    lecture (``background`` documents) not already used by an earlier chapter (``used`` holds normalised titles)."""
    topic = announced_topic(sentences, announce_window)
    if topic and normalize_term(topic) not in used:
        return _case(topic)
    phrases: List[str] = [_strip_possessive(p) for p in tfidf_keyphrases(list(sentences), 6, background=background)]
    phrases = [p for p in dict.fromkeys(phrases) if p and p.split()[0].lower() not in _BAD_START
               and p.split()[-1].lower() not in _BAD_HEAD]
    multi = [p for p in phrases if len(p.split()) > 1]
    for p in phrases:
        if normalize_term(p) in used:
            continue
        # A multi-word phrase nearly as salient says more than a single word.
        if len(p.split()) == 1 and multi and phrases.index(multi[0]) <= 2 and normalize_term(multi[0]) not in used:
            p = multi[0]
        return _case(" ".join(p.split()[:6]))
    return ""


def _case(phrase: str) -> str:
    return title_case(phrase[:1].upper() + phrase[1:]) if phrase else ""
