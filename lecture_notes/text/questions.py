"""Grounded question templates over cleaned transcript sentences.

Every answer is a contiguous span of the (cleaned) source sentence, so it can be checked against the transcript
at the sentence's time. Templates: definitions ("X is a Y", "X means Y", "X refers to Y", "X is defined as Y"),
causes ("A because B", "A, therefore B", "A leads to B"), mechanisms ("A can do C by D") and cloze cards.
Subjects that are pronouns or vague heads ("the point", "this") are rejected so the questions stand alone.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Sequence

from lecture_notes.text.stopwords import STOPWORDS
from lecture_notes.text.summarize import PRONOUNS, words

AUX = ("is", "are", "was", "were", "can", "could", "will", "would", "should", "must", "may", "might", "has", "have",
       "had", "does", "do", "did")
_NP_BAD = frozenset(PRONOUNS | {"not", "also", "just", "very", "so", "then", "now", "because", "if", "when", "where",
                                "why", "how", "all", "some", "any", "both", "most", "many", "much", "more", "other",
                                "such", "same", "only", "really", "again", "here", "there", "to", "in", "on", "at",
                                "for", "with", "as", "by", "from", "about", "into", "like", "than", "or", "but",
                                "and", "be", "been", "being", "get", "got", "going", "said", "say", "see", "think",
                                "know", "want", "let", "make", "go", "do", "does", "did", "done"} | set(AUX))
_GENERIC_HEADS = frozenset("point thing things question problem answer idea reason issue fact way difference result "
                           "key trick goal lesson story case claim argument answer important part bottom line truth "
                           "interesting thing upshot conclusion first second third last next other rest example "
                           "same main basic challenge object objects stuff guy guys people person hope plan job task "
                           "situation end beginning picture image here today class lecture course product products "
                           "step steps results reasons ideas points problems questions answers facts ways parts "
                           "cases examples goals issue issues aspect aspects feature features kind kinds type types "
                           "sort sorts number amount version stage stages factor factors element elements "
                           "concept concepts term terms item items option options approach method".split())
# Modifiers that only place a subject in a list ('the last product', 'the other one') and name nothing.
_VAGUE_MODIFIERS = frozenset("first second third fourth fifth sixth last next final other another same main key big "
                             "important basic whole previous following former latter new old different general "
                             "simple major minor whole overall entire particular specific certain given".split())
_CHATTY_ANSWER = re.compile(r"\b(?:i|i'm|i've|i'll|me|my|you'll|we'll|here|there's|this one|like this|--)(?=\W|$)",
                            re.I)
_ARTICLES = ("a", "an", "the")
# Answers that say nothing about the subject ('one of the things ...') or judge a person ('a remarkable man').
_VAGUE_ANSWER = re.compile(r"^(?:a lot|a little|a bit|the same|one of the (?:things|ways|reasons|ones)|the thing|"
                           r"a thing|something|(?:a|an|the)\s+(?:\w+\s+)?(?:man|woman|guy|person|fellow|friend|"
                           r"colleague|student|one)\b)", re.I)

_DEF_RE = re.compile(
    r"^(?P<subj>[A-Za-z][\w'\-]*(?:\s+[\w'\-]+){0,5}?)\s+"
    r"(?P<verb>is defined as|are defined as|is called|are called|is known as|are known as|means|mean|"
    r"refers to|refer to|is|are)\s+(?P<ans>.+)$")
_BECAUSE_RE = re.compile(r"^(?P<a>.+?),?\s+because\s+(?:of\s+)?(?P<b>.+)$", re.I)
_THEREFORE_RE = re.compile(r"^(?P<a>.+?)[,;]\s*(?:and\s+)?(?:therefore|thus|hence|consequently|as a result),?\s+"
                           r"(?P<b>.+)$", re.I)
_LEADS_RE = re.compile(r"^(?P<a>.+?)\s+(?P<v>leads to|lead to|causes|cause|results in|result in|gives rise to|"
                       r"give rise to)\s+(?P<b>.+)$", re.I)
_BY_RE = re.compile(r"^(?P<a>.+?)\s+by\s+(?P<b>[a-z]+ing\b.+)$", re.I)
_VERB_BASE = {"leads to": "lead to", "lead to": "lead to", "causes": "cause", "cause": "cause",
              "results in": "result in", "result in": "result in", "gives rise to": "give rise to",
              "give rise to": "give rise to"}


@dataclass(frozen=True)
class Template:
    """One grounded question: ``answer`` is a substring of ``sentence``; ``term`` is set for definitions."""

    question: str
    answer: str
    kind: str
    sentence: str
    term: str = ""


def _strip_end(text: str) -> str:
    return text.strip().rstrip(".!?;:, ").strip()


def _trim_answer(ans: str, max_words: int = 30) -> str:
    """Cut an answer at a clause boundary so it stays a short span of the sentence ('' when what is left
    before the boundary is too short to stand alone or the answer is chatter)."""
    ans = _strip_end(ans)
    for sep in ("; ", "--", " - ", ", and so ", ", but ", ", so ", ", which means ", ", it's ", ", that's ",
                ", you ", ", I ", ", and it", ", and that"):
        k = ans.find(sep)
        if k == 0 or (k > 0 and len(ans[:k].split()) < 3):
            return ""
        if k > 0:
            ans = ans[:k]
    if _CHATTY_ANSWER.search(ans):
        return ""
    toks = ans.split()
    if len(toks) > max_words:
        cut = " ".join(toks[:max_words])
        k = cut.rfind(",")
        ans = cut[:k] if k > 0 and len(cut[:k].split()) >= 6 else cut
    return _strip_end(ans)


def noun_phrase_ok(phrase: str, max_words: int = 6) -> bool:
    """A standalone subject: 1..max_words words, no pronoun/aux/function-word head, one content word at least."""
    toks = [t.lower() for t in phrase.split()]
    if toks and toks[0] in _ARTICLES:
        toks = toks[1:]
    if not toks or len(toks) > max_words:
        return False
    if any(t in _NP_BAD for t in toks):
        return False
    if not all(re.fullmatch(r"[a-z0-9][a-z0-9'\-]*", t) for t in toks):
        return False
    inner = [t for t in toks if t not in ("of", "the", "a", "an", "and")]
    if not inner or toks[-1] in ("of", "and", "the", "a", "an") or toks[0] in ("of", "and"):
        return False
    content = [t for t in inner if t not in STOPWORDS and len(t) >= 3]
    if not content:
        return False
    if len(inner) == 1 and inner[0] in _GENERIC_HEADS:
        return False
    if inner[-1] in _GENERIC_HEADS and len(inner) <= 2:
        return False
    if _vague_subject(inner):
        return False
    return not any(t.endswith("ly") and len(t) > 4 for t in inner)


def _vague_subject(toks: Sequence[str]) -> bool:
    """True when a subject names nothing specific: its head noun is generic ('the last product', 'the main
    result') or it is only list/position words ('the next one', 'the other'); 'the result of selection' and
    'the last vaccine' carry a content word and pass."""
    head_k = toks.index("of") - 1 if "of" in toks[1:] else len(toks) - 1
    specific = [t for t in toks if t not in _GENERIC_HEADS and t not in _VAGUE_MODIFIERS and
                t not in STOPWORDS and len(t) >= 3]
    return not specific or (toks[head_k] in _GENERIC_HEADS and toks[0] in _VAGUE_MODIFIERS | _GENERIC_HEADS
                            and head_k == len(toks) - 1)


def _surface(phrase: str, proper: Sequence[str] = ()) -> str:
    """Lower-case a sentence-initial word unless it is an acronym or a known proper noun."""
    toks = phrase.split()
    if toks:
        first = toks[0]
        if not (sum(c.isupper() for c in first) >= 2 or first in proper or first == "I"):
            toks[0] = first.lower()
    return " ".join(toks)


def _lemma(verb: str) -> str:
    if verb == "has":
        return "have"
    if verb.endswith("ies") and len(verb) > 4:
        return verb[:-3] + "y"
    if re.search(r"(?:ss|sh|ch|x|z|o)es$", verb):
        return verb[:-2]
    return verb[:-1]


def _invert(clause: str, proper: Sequence[str], head: str) -> Optional[str]:
    """'Vaccines can protect us' -> 'Why can vaccines protect us?'; 'Vaccines work' -> 'Why do vaccines work?'.
    None when no auxiliary or present-tense verb follows a standalone subject."""
    if "," in clause or (clause.split() and clause.split()[-1].lower().strip(".,") in PRONOUNS):
        return None  # a comma splice or a bare pronoun object makes a question that cannot stand alone
    toks = _strip_end(clause).split()
    for k in range(1, min(7, len(toks))):
        if toks[k].lower() in AUX and noun_phrase_ok(" ".join(toks[:k])) and len(toks) > k + 1:
            rest = " ".join(toks[k + 1:])
            return f"{head} {toks[k].lower()} {_surface(' '.join(toks[:k]), proper)} {rest}?"
    # No auxiliary: do-support on a present-tense verb; the longest plausible subject wins.
    for k in range(min(4, len(toks) - 1), 0, -1):
        subj, verb = " ".join(toks[:k]), toks[k].lower()
        if not re.fullmatch(r"[a-z]{3,}", verb) or verb in STOPWORDS or verb in _NP_BAD or verb.endswith(
                ("ly", "ed", "ing", "ss", "us", "is", "er", "est")) or not noun_phrase_ok(subj, 4) \
                or "'" in toks[k - 1]:
            continue
        plural = toks[k - 1].lower().endswith("s") and not toks[k - 1].lower().endswith("ss")
        rest = " ".join(toks[k + 1:])
        tail = f" {rest}" if rest else ""
        if verb.endswith("s") and not plural:
            return f"{head} does {_surface(subj, proper)} {_lemma(verb)}{tail}?"
        if not verb.endswith("s") and plural:
            return f"{head} do {_surface(subj, proper)} {verb}{tail}?"
    return None


def definition(sentence: str, proper: Sequence[str] = ()) -> Optional[Template]:
    """'An antigen is a molecule that ...' -> 'What is an antigen?' / 'a molecule that ...'."""
    m = _DEF_RE.match(_strip_end(sentence))
    if not m:
        return None
    subj, verb, ans = m.group("subj"), m.group("verb").lower(), m.group("ans")
    if not noun_phrase_ok(subj, 5):
        return None
    first_ans = ans.split()[0].lower()
    if verb in ("is", "are"):
        # Bare copulas define only when followed by an article or 'when/where' ('X is a ...'), not 'X is big'.
        if first_ans not in ("a", "an", "the", "one", "when", "where", "any", "something", "basically"):
            return None
        if first_ans == "one" and not ans.lower().startswith("one of"):
            return None
    if verb in ("means", "mean") and first_ans == "that":
        ans = ans.split(None, 1)[1] if len(ans.split()) > 1 else ans
        first_ans = ans.split()[0].lower()
    if first_ans in ("that", "what", "how", "why", "not", "because", "going", "just", "also", "it", "this"):
        return None
    named = "called" in verb or "known" in verb
    answer = _strip_end(ans.split(",")[0]) if named else _trim_answer(ans)
    if named and (not 1 <= len(answer.split()) <= 4 or _CHATTY_ANSWER.search(answer)):
        return None
    if not named and (len(answer.split()) < 3 or _VAGUE_ANSWER.match(answer)):
        return None
    s = _surface(subj, proper)
    if verb in ("means", "mean"):
        q = f"What {'does' if verb == 'means' else 'do'} {s} mean?"
    elif verb.startswith("refer"):
        q = f"What {'does' if verb == 'refers to' else 'do'} {s} refer to?"
    elif named:
        q = f"What {verb.split()[0]} {s} {verb.split()[1]}?"
    else:
        q = f"What {verb.split()[0]} {s}?"
    term = re.sub(r"^(?:a|an|the)\s+", "", s, flags=re.I)
    if named:
        term = re.sub(r"^(?:a|an|the)\s+", "", answer, flags=re.I)
    return Template(q, answer, "definition", sentence, term)


def causal(sentence: str, proper: Sequence[str] = ()) -> Optional[Template]:
    """Why/cause questions from 'because', 'therefore' and 'leads to/causes' sentences."""
    text = _strip_end(sentence)
    m = _BECAUSE_RE.match(text)
    if m:
        a, b = m.group("a"), m.group("b")
        if len(a.split()) >= 2 and len(b.split()) >= 3 and a.split()[0].lower() not in _NP_BAD:
            q = _invert(a, proper, "Why")
            if q is None and noun_phrase_ok(a.split()[0]) and "," not in a and \
                    a.split()[-1].lower() not in PRONOUNS:
                q = f"Why is it that {_surface(a, proper)}?"
            if q and _trim_answer(b):
                return Template(q, _trim_answer(b), "why", sentence)
    m = _THEREFORE_RE.match(text)
    if m:
        a, b = m.group("a"), m.group("b")
        if len(a.split()) >= 4 and len(b.split()) >= 4:
            q = _invert(b, proper, "Why")
            if q and _trim_answer(a):
                return Template(q, _trim_answer(a), "why", sentence)
    m = _LEADS_RE.match(text)
    if m and noun_phrase_ok(m.group("a"), 6) and len(_trim_answer(m.group("b")).split()) >= 2:
        v = m.group("v").lower()
        aux = "does" if v.split()[0].endswith("s") else "do"
        return Template(f"What {aux} {_surface(m.group('a'), proper)} {_VERB_BASE[v]}?",
                        _trim_answer(m.group("b")), "cause", sentence)
    return None


def mechanism(sentence: str, proper: Sequence[str] = ()) -> Optional[Template]:
    """'Vaccines can protect us by training ...' -> 'How can vaccines protect us?' / 'training ...'."""
    m = _BY_RE.match(_strip_end(sentence))
    if not m or len(m.group("b").split()) < 2:
        return None
    q = _invert(m.group("a"), proper, "How")
    ans = _trim_answer(m.group("b"))
    return Template(q, ans, "how", sentence) if q and ans else None


def cloze(sentence: str, phrases: Sequence[str], min_words: int = 8) -> Optional[Template]:
    """Blank the first (best-ranked) keyphrase that occurs in the sentence: '_____ is the molecule that ...'."""
    text = _strip_end(sentence)
    if not min_words <= len(text.split()) <= 30 or text.endswith("?") or _CHATTY_ANSWER.search(text):
        return None
    for p in phrases:
        m = re.search(r"\b(?:(?:an?|the)\s+)?" + re.escape(p) + r"\b", text, re.I)
        if not m:
            continue
        blanked = text[:m.start()] + "_____" + text[m.end():]
        if len(words(blanked)) < 5:
            continue
        return Template(blanked + ".", m.group(0), "cloze", sentence)
    return None


GENERIC_ZIPF = 4.5  # a single word this common ('cells', 'disease') is never worth a blank
RARE_ZIPF = 3.5  # a single word this rare ('adjuvant', 'dendritic') is a term of the subject


def _bare(phrase: str) -> str:
    return re.sub(r"^(?:a|an|the)\s+", "", phrase.strip(), flags=re.I)


def topic_words(texts: Sequence[str], top: int = 3) -> List[str]:
    """The most frequent content words of a passage (singular and plural together): what it is about, so a
    blank on them ('vaccines' in a passage about vaccines) tests nothing."""
    counts: dict = {}
    for t in texts:
        for w in words(t):
            w = w.lower()
            if len(w) >= 3 and w not in STOPWORDS:
                k = w[:-1] if w.endswith("s") and not w.endswith("ss") else w
                counts[k] = counts.get(k, 0) + 1
    ranked = sorted(counts.items(), key=lambda p: (-p[1], p[0]))
    best = ranked[0][1] if ranked else 0
    # Only words that dominate the passage: a term named twice in a short passage is not its topic.
    return [w for w, c in ranked[:top] if c >= 3 and c * 2 >= best]


def cloze_targets(phrases: Sequence[str], *, defined: Sequence[str] = (), topic: Sequence[str] = ()) -> List[str]:
    """The key phrases worth a cloze blank, in their order: defined/glossary terms, multi-word key phrases, and
    rare single terms; never a generic word ('cells', 'the disease') or the passage's own topic word."""
    from lecture_notes.text.lexicon import zipf

    defined_set = {_bare(d).lower() for d in defined if d.strip()}
    topic_set = {t.lower() for t in topic}
    out = []
    for p in phrases:
        bare = _bare(p)
        toks = [t.lower() for t in bare.split()]
        content = [t for t in toks if t not in STOPWORDS and len(t) >= 3]
        if not content:
            continue
        if len(content) == 1 and len(toks) == 1:
            w = content[0]
            stem = w[:-1] if w.endswith("s") and not w.endswith("ss") else w
            if stem in topic_set or w in topic_set or zipf(w) >= GENERIC_ZIPF:
                continue
            if w in defined_set or zipf(w) < RARE_ZIPF:
                out.append(p)
            continue
        if bare.lower() not in defined_set and (toks[-1] in _GENERIC_HEADS or _vague_subject(toks) or all(
                (t[:-1] if t.endswith("s") else t) in topic_set for t in content)):
            continue
        out.append(p)
    return out


def garbled(text: str, known: Sequence[str] = ()) -> bool:
    """True when ``text`` holds a word no dictionary knows and no slide shows: a speech recognition garble such as
    'anedjuva' (names, capitalised, and numbers are not judged)."""
    from lecture_notes.text.lexicon import zipf

    known_set = {k.lower() for k in known}
    for tok in re.findall(r"[A-Za-z][A-Za-z']*", text):
        for part in tok.split("'")[:1]:
            if len(part) >= 4 and part[0].islower() and part.lower() not in known_set and zipf(part) == 0.0:
                return True
    return False


def proper_nouns(sentences: Sequence[str]) -> List[str]:
    """Capitalised words seen in mid-sentence position (likely names), so they keep their capital."""
    out = set()
    for s in sentences:
        toks = s.split()
        for t in toks[1:]:
            w = t.strip(".,;:!?\"'()")
            if w[:1].isupper():
                out.add(w)
    return sorted(out)


def templates_for(sentence: str, proper: Sequence[str] = ()) -> List[Template]:
    """All non-cloze templates that fire on one cleaned sentence (definition first)."""
    out = []
    for fn in (definition, causal, mechanism):
        t = fn(sentence, proper)
        if t is not None:
            out.append(t)
    return out
