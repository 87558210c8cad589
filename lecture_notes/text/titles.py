"""Chapter titles as a teacher names the topic: the noun phrase the lecturer announces ("Let's turn to kin
selection", "The next question is the origin of syphilis", "What is a Platonic form?"), else the chapter's most
specific key phrase, preferring one from a sentence that defines it. Never two unrelated words glued by "and"."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

from lecture_notes.text.stopwords import GENERIC_WORDS, STOPWORDS
from lecture_notes.text.textutil import _candidates, normalize_term, stem, tfidf_keyphrases, title_case, tokenize

__all__ = ["Candidate", "DEFAULT_PARAMS", "TitleParams", "announced_topic", "chapter_title", "is_introduction",
           "noun_phrase", "of_phrases", "pick_title", "score_candidate", "title_candidates"]

_VERB_CONTEXT = frozenset("to i you we they he she it can could will would should must might may not don't doesn't "
                          "didn't cannot can't won't let's".split())

_NP_STOP_RE = re.compile(
    r"[,;:.?!()\"]|--|\s(?:which|that|who|because|since|where|when|while|if|so that|and how|and why|and what|and "
    r"then|but|is|are|was|were|will|would|can|could|has|have|had|does|do|did|I|we|you|they|he|she|it|for a|for the "
    r"next|in order|first|now|today|here|there|right|okay|instead|again|this|these|those)\b", re.I)
_LEAD_DET_RE = re.compile(r"^(?:(?:a little bit|a little|a bit|some more|some|a few words|a couple of things|more|"
                          r"now|just|briefly|quickly|finally|again|also|then|(?:the\s+)?so-called|(?:another|one|"
                          r"the other|a further|a different) (?:aspect|part|side|feature|dimension) of)\s+"
                          r"(?:about\s+|on\s+|to\s+)?)+", re.I)
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
_BAD_HEAD = frozenset("us you me him it this that them these those something anything everything one thing things way bit lot "
                      "here there what how why question questions point points kind sort set lecture lectures class "
                      "course talk today issue issues case cases notice idea ideas stuff part".split())
# Nouns every lecture uses: they name no topic on their own, so they never stand beside another in "X and Y".
_WEAK = frozenset("poem poems story stories book books chapter chapters data model models group groups person "
                  "people subject subjects study studies piece pieces material text texts source sources effect "
                  "effects body image images section sections stage stages episode evidence argument arguments "
                  "theory concept idea problem problems issue example examples type types view views "
                  "world life man men woman women thing things word words number numbers paper papers sense "
                  "position value values country countries state states system line lines result results "
                  "mr mrs ms dr prof professor sir french dutch greek swiss".split())
_OF_BAD_HEAD = frozenset("front rest top bottom middle side couple series set sort kind lot lots bunch piece pieces "
                         "part parts number amount terms means instead because out inside outside center".split())
# Everyday words that head a topic with their of-complement ("the sense of smell", "the question of rights").
_OF_GENERIC_HEADS = frozenset("sense question world history".split())
_MOD_RE = re.compile(r"(?:al|ic|ive|ous|ar|ent|ant|est|ian|ary)$")
_TIME_RE = re.compile(r"\b(?:centur(?:y|ies)|years?|decades?|days?|months?|weeks?|\d+(?:th|s)?)\b", re.I)
_DATE_RE = re.compile(r"(?:(?:early|late|mid|the)[- ])?(?:\w+(?:th|st|nd|rd)|\d+s?)[- ]"
                      r"(?:centur(?:y|ies)|years?|decades?)", re.I)
_ADJ_RE = re.compile(r"(?:ed|ing|al|ous|ive|ic|ful|less|able|ible|ly|ian|ish|ese)$")
# A phrase that opens with a preposition or adverb is not a noun phrase ("back to the radio", "by making a few").
_PARTICLES = frozenset("down up out off back over away around".split())
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
    if toks and toks[-1].lower() in _PARTICLES:
        return None  # "(let me get) the lights down": a verb's particle ends a clause, not a noun phrase
    if not toks or len(toks) > max_words:
        toks = toks[:max_words]
        low = [w.lower() for w in toks]
        if "and" in low:  # "the difference between the status quo and [cut]": drop the cut coordination
            toks = toks[:len(low) - 1 - low[::-1].index("and")]
        while toks and toks[-1].lower() in STOPWORDS:
            toks = toks[:-1]
    low = [w.lower() for w in toks]
    if "between" in low and "and" not in low[low.index("between"):]:
        return None  # "the debate between contagionism" is half a phrase
    while toks and toks[-1].lower() in STOPWORDS | {"about", "of", "to", "in", "on", "with"}:
        toks = toks[:-1]
    phrase = " ".join(toks).strip(" '\"")
    core = _DET_RE.sub("", phrase)
    words = [w.lower() for w in tokenize(core)]
    content = [w for w in words if w not in STOPWORDS and w not in GENERIC_WORDS and len(w) > 2]
    if len(words) > 1 and words[0] in ("morning", "afternoon", "class", "lecture") and words[1] in ("with", "by"):
        return None  # "(begin this) morning with a little poem"
    if not content or (words and (words[0] in _BAD_HEAD or words[0] in _BAD_START)) or words[-1] in _BAD_HEAD:
        return None
    if any(stem(a) == stem(b) for a, b in zip(words, words[1:])):
        return None  # "the sources' sources": a word said twice
    return _strip_possessive(core)


def _strip_possessive(phrase: str) -> str:
    """"Plato's" -> "Plato": a title names the thing, not its owner's case."""
    return re.sub(r"['\u2019]s$", "", phrase.strip())


def announced_topic(sentences: Sequence[str], max_sentences: int = 4) -> Optional[str]:
    """The topic the lecturer announces in the first ``max_sentences`` sentences of a chapter, if any."""
    for s in sentences[:max_sentences]:
        for r in _ANNOUNCE_RES:
            m = r.search(s)  # the whole sentence: a cut one ends the phrase mid-word ("anticon")
            if m and m.start() < 220:
                np_ = noun_phrase(m.group("np"))
                if np_:
                    return np_
    return None


@dataclass(frozen=True)
class TitleParams:
    """How chapter-title candidates are weighed (see ``score_candidate``)."""
    count_exp: float = 1.0      # weight of how often the chapter says the phrase
    conc_exp: float = 0.0       # weight of how much of the lecture's use of the phrase falls in this chapter
    len_bonus: float = 2.4      # bonus per extra word: a longer phrase that is said as often names more
    caps_bonus: float = 0.0     # proper names and named works
    early_bonus: float = 1.0    # said in the chapter's opening quarter, where lecturers name the topic
    announce_bonus: float = 3.0  # the topic the lecturer announces
    weak_factor: float = 0.4     # multiplier for a phrase ending in an everyday noun ("poem", "data")
    introduction: bool = True    # the opening chapter that frames the lecture is "Introduction: <topic>"
    pair_cooccur: int = 1        # ... and the two are said together in at least this many sentences
    pair_ratio: float = 0.4     # > 0: join the second phrase with "and" when it scores this close and co-occurs
    expand_ratio: float = 0.7   # > 0: a one-word best gives way to a longer phrase holding it ("Soul" -> "the
    #                             Immortality of the Soul") that scores at least this share of it


DEFAULT_PARAMS = TitleParams()


@dataclass(frozen=True)
class Candidate:
    """A phrase that could title a chapter, with the evidence for it."""
    phrase: str
    count: int            # sentences of the chapter that say it
    lecture_count: int    # background documents (the whole lecture) that say it
    first: float          # position of its first mention in the chapter, 0..1
    announced: bool = False
    verb_like: bool = False


def _stems(text: str) -> List[str]:
    return [stem(w[:-2] if w.lower().endswith("'s") else w) for w in tokenize(text)]


def _contains(hay: Sequence[str], key: Sequence[str]) -> bool:
    n = len(key)
    return any(list(hay[i:i + n]) == list(key) for i in range(len(hay) - n + 1))


def of_phrases(sentences: Sequence[str], min_count: int = 2) -> List[str]:
    """Repeated "head of (the) complement" phrases ("the immortality of the soul" -> "Immortality of the Soul",
    "the sense of smell"): a head noun with its of-complement names a topic better than either word."""
    counts: Counter = Counter()
    the: Counter = Counter()
    forms: Dict[tuple, Counter] = {}
    for s in sentences:
        toks = tokenize(s)
        low = [t.lower() for t in toks]
        for i, w in enumerate(low):
            if w != "of" or i == 0:
                continue
            h = i - 1
            if (_bad_word(low[h]) and low[h] not in _OF_GENERIC_HEADS) or low[h] in _BAD_HEAD:
                continue
            if low[h] in _OF_BAD_HEAD:
                continue
            # A modifier before the head stays when it reads as one ("Platonic theory of", "greatest happiness of"),
            # not when it is a verb ("permit determination of").
            h0 = h - 1 if h >= 1 and not _bad_word(low[h - 1]) and (
                toks[h - 1][:1].isupper() or _MOD_RE.search(low[h - 1])) else h
            j = i + 1
            det = j < len(low) and low[j] in ("the", "a", "an")
            if det:
                j += 1
            k = j
            while k < len(low) and k < j + 2 and not _bad_word(low[k]):
                k += 1
            if k == j or (k < len(low) and low[k] in GENERIC_WORDS and low[k] not in STOPWORDS):
                continue  # no complement, or one cut short ("the greatest happiness of the greatest [number]")
            if k == j + 2 and toks[k - 1].islower() and _MOD_RE.search(low[k - 1]):
                if k >= len(low) or _bad_word(low[k]):
                    continue
                k += 1  # not cut after a modifier: "the principle of diminishing marginal utility"
            words = toks[h0:i] + ["of"] + (["the"] if det and low[i + 1] == "the" else []) + toks[j:k]
            key = tuple(_stems(" ".join(words)))
            counts[key] += 1
            forms.setdefault(key, Counter())[" ".join(words)] += 1
            the[key] += h0 >= 1 and low[h0 - 1] == "the"
    # "the sense of smell" keeps its article when the lecturer says it with one: "The Sense of Smell".
    return [("the " if 2 * the[k] > c else "") + forms[k].most_common(1)[0][0] for k, c in counts.items()
            if c >= min_count]


def repeated_terms(sentences: Sequence[str], min_count: int = 2, max_words: int = 4) -> List[str]:
    """Multi-word content runs said at least ``min_count`` times ("group selection"), even where a frequent part
    ("group") outranks them as a key phrase."""
    counts: Counter = Counter()
    forms: Dict[tuple, Counter] = {}
    for s in sentences:
        for cand in set(_candidates(s, max_words)):
            if len(cand) < 2:
                continue
            key = tuple(_stems(" ".join(cand)))
            counts[key] += 1
            forms.setdefault(key, Counter())[" ".join(cand)] += 1
    return [forms[k].most_common(1)[0][0] for k, c in counts.items() if c >= min_count]


def _bad_word(w: str) -> bool:
    w = w[:-2] if w.endswith("'s") else w
    return w in STOPWORDS or w in GENERIC_WORDS or len(w) < 3 or w.isdigit()


def title_candidates(sentences: Sequence[str], background: Sequence[str], announce_window: int = 4) -> List[Candidate]:
    """Phrases that could title the chapter: its key phrases, its repeated of-phrases and the announced topic."""
    sent_stems = [_stems(s) for s in sentences]
    bg_stems = [_stems(d) for d in background] if background else sent_stems
    pool: List[str] = [_strip_possessive(p) for p in tfidf_keyphrases(list(sentences), 10, background=background)]
    pool += of_phrases(sentences) + repeated_terms(sentences)
    topic = announced_topic(sentences, announce_window)
    out: List[Candidate] = []
    seen = set()
    n = max(len(sentences), 1)
    verbish = Counter()
    for st in sentences:
        toks = [w.lower() for w in tokenize(st)]
        for prev, w in zip(toks, toks[1:]):
            if prev in _VERB_CONTEXT:
                verbish[stem(w)] += 1
    lec_verbish, freq = Counter(), Counter()  # over the whole lecture: "it exists" anywhere makes "exists" a verb
    for st in (background or sentences):
        toks = [w.lower() for w in tokenize(st)]
        freq.update(stem(w) for w in toks)
        for prev, w in zip(toks, toks[1:]):
            if prev in _VERB_CONTEXT:
                lec_verbish[stem(w)] += 1
    for p in ([topic] if topic else []) + pool:
        p = " ".join(p.split()[:6])
        key = tuple(_stems(_DET_RE.sub("", p)))
        first_word = p.split()[0].lower() if p.split() else ""
        if not key or key in seen or first_word in _BAD_START or p.split()[-1].lower() in _BAD_HEAD \
                or first_word in ("th", "st", "nd", "rd"):  # "[18]th century": the number's suffix is no word
            continue
        seen.add(key)
        hits = [i for i, st in enumerate(sent_stems) if _contains(st, key)]
        count = len(hits)
        lec = sum(1 for d in bg_stems if _contains(d, key))
        first = hits[0] / n if hits else 1.0
        if len(key) == 1:
            verb = verbish[key[0]] >= 0.3 * max(count, 1)
        else:  # "Evening Star exists", "distinguishes Machiavelli's": a verb at either end makes a clause
            verb = p != topic and any(_verb_s(w, lec_verbish, freq) for w in (p.split()[0], p.split()[-1]))
        out.append(Candidate(p, count, max(lec, 1), first, announced=(p == topic), verb_like=verb))
    return out


def _verb_s(word: str, verbish: Counter, freq: Counter) -> bool:
    """A lower-case third-person verb form ("exists", "summarizes") that the lecture also says after a pronoun or
    modal ("it exists"): a phrase ending or opening with it is a clause, not a topic."""
    k = stem(word)
    return word.islower() and word.endswith("s") and not word.endswith(("ss", "us", "is", "'s")) \
        and verbish[k] >= 0.2 * max(freq[k], 1)


def score_candidate(c: Candidate, params: TitleParams = DEFAULT_PARAMS) -> float:
    """Salience of a title candidate: chapter frequency x concentration in the chapter x length, name, position
    and announcement bonuses."""
    P = params
    words = _DET_RE.sub("", c.phrase).split()
    count = max(c.count, 1 if c.announced else 0)
    if count == 0:
        return 0.0
    conc = min(1.0, count / max(c.lecture_count, 1))
    caps = sum(1 for w in words if w[:1].isupper()) / len(words)
    s = count ** P.count_exp * conc ** P.conc_exp * (1.0 + P.len_bonus * (len(words) - 1)) * (1.0 + P.caps_bonus * caps)
    if c.first <= 0.25:
        s *= 1.0 + P.early_bonus
    if c.announced:
        s *= 1.0 + P.announce_bonus
    if c.verb_like or (len(words) == 1 and c.count < 2):
        s *= 0.4
    if len(words) == 1 and not c.announced and (words[0].lower().strip("'") in _WEAK or (
            words[0].islower() and _ADJ_RE.search(words[0]))):
        s *= P.weak_factor  # "Poem", "Data", "Social Text": the lecture's everyday nouns name no topic
    if not c.announced and _DATE_RE.fullmatch(" ".join(words)):
        s *= P.weak_factor  # "Tenth Century", "Nineteenth Century": a date alone names no topic
    return s


def chapter_title(sentences: Sequence[str], background: Sequence[str], used: set,
                  announce_window: int = 4, params: TitleParams = DEFAULT_PARAMS,
                  opening: Optional[bool] = None) -> str:
    """A title for a chapter made of ``sentences``: the best-scoring of its announced topic, key phrases and
    of-phrases against the lecture (``background`` documents), not already used by an earlier chapter (``used``
    holds normalised titles). The lecture's opening chapter (``opening``; by default, when no title is used yet)
    that frames the lecture ("today we...", "last time...") is titled "Introduction: <topic>"."""
    title = pick_title(title_candidates(sentences, background, announce_window), sentences, used, params)
    if opening is None:
        opening = not used
    if opening and params.introduction and is_introduction(sentences):
        return f"Introduction: {title}" if title else "Introduction"
    return title


_FRAMING_RE = re.compile(
    r"\b(?:today|this (?:morning|afternoon|lecture|class|session|week)|last (?:time|lecture|week|class)|"
    r"(?:we|I)(?:'re| are| am|'m) going to|(?:we|I)(?:'ll| will) (?:talk|look|discuss|turn|begin|start|be)|"
    r"let me (?:begin|start)|(?:we|I) want to (?:talk|look|discuss|begin|start))\b", re.I)


def is_introduction(sentences: Sequence[str], window: int = 25) -> bool:
    """Whether a chapter opens the lecture the way a lecturer introduces it: a preview or recap ("Today we're
    going to...", "Last time we saw...") in its first ``window`` sentences."""
    return any(_FRAMING_RE.search(s) for s in sentences[:window])


def pick_title(cands: Sequence[Candidate], sentences: Sequence[str], used: set,
               params: TitleParams = DEFAULT_PARAMS) -> str:
    """The title made from the best of ``cands`` (``chapter_title`` without the candidate search)."""
    ranked = sorted(((score_candidate(c, params), i, c) for i, c in enumerate(cands)), key=lambda x: (-x[0], x[1]))
    ranked = [(s, c) for s, _, c in ranked if s > 0 and normalize_term(c.phrase) not in used]
    if not ranked:
        return ""
    best_s, best = ranked[0]
    if params.expand_ratio > 0 and len(_DET_RE.sub("", best.phrase).split()) == 1 and not best.announced:
        head = _stems(best.phrase)[-1]
        longer = [(s, c) for s, c in ranked[1:] if len(_DET_RE.sub("", c.phrase).split()) > 1 and c.count >= 2
                  and head in _stems(c.phrase) and s >= params.expand_ratio * best_s]
        if longer:
            best_s, best = longer[0]
    title = best.phrase
    if params.pair_ratio > 0:
        for s, c in ranked[1:3]:
            if s >= params.pair_ratio * best_s and _specific(best.phrase) and _specific(c.phrase) \
                    and _distinct(best.phrase, c.phrase) and _co_occur(sentences, best.phrase, c.phrase) >= params.pair_cooccur:
                pair = f"{best.phrase} and {c.phrase}"
                if set(normalize_term(pair).split()) not in [set(u.split()) for u in used]:
                    title = pair  # not "Benjy and Caddy" after "Caddy and Benjy"
                break
    return _case(title)


def _specific(phrase: str) -> bool:
    """A phrase that can stand beside another in an "X and Y" title: a proper name or a multi-word term, not a
    word every lecture uses ("poem", "data") or an adjective/participle ("elected", "political")."""
    words = phrase.split()
    if any(w.lower().strip("'") in _WEAK for w in words[-1:]) or _TIME_RE.search(phrase):
        return False
    if len(words) > 1:
        return True
    w = words[0]
    return w[:1].isupper() and not _ADJ_RE.search(w.lower())


def _distinct(a: str, b: str) -> bool:
    return not (set(_stems(a)) & set(_stems(b)) - {"of", "the"})


def _co_occur(sentences: Sequence[str], a: str, b: str) -> int:
    ka, kb = _stems(a), _stems(b)
    return sum(1 for s in sentences if _contains(_stems(s), ka) and _contains(_stems(s), kb))


def _case(phrase: str) -> str:
    return title_case(phrase[:1].upper() + phrase[1:]) if phrase else ""
