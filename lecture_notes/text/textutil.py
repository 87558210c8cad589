"""Shared text helpers for spoken-lecture text: cleaning, filler removal, content words and key phrases.

Pure regex and standard library (no NLTK data). Stable API used by chunking, notes and merge:

- ``clean_text(text)``: drop speaker tags ("Prof:", "Professor Mark Saltzman:", "Student:"), bracketed stage notes
  ("[Inaudible]", "(laughter)"), stray ">" and normalise whitespace.
- ``noise_spans(text)``: the (start, end) character spans ``clean_text`` removes, for callers that must keep offsets.
- ``strip_fillers(sentence)``: remove "um"/"uh", hedges ("you know,", "I mean,", "sort of") and leading discourse
  markers ("So,", "Okay,", "And", "Now,") without touching meaning-bearing uses ("a kind of bird").
- ``content_words(text)``, ``stem(word)``, ``normalize_term(term)`` (stopwords: ``text.stopwords``).
- ``tfidf_keyphrases(texts, k, background=None)``: 1-4 word noun-phrase-like candidates ranked by tf-idf with redundancy
  filtering.
- ``title_case(phrase)``.
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

from lecture_notes.text.stopwords import GENERIC_WORDS, STOPWORDS

__all__ = ["clean_text", "speaker_tag", "noise_spans", "strip_fillers", "content_words", "stem",
           "normalize_term", "tfidf_keyphrases", "title_case", "tokenize"]

_ABBREV_TITLES = r"(?:Prof(?:essor)?|Dr|Mr|Mrs|Ms|Miss|Dean|President)\.?"
_NAME = r"[A-Z][\w.'\-]*"
_SPEAKER_RE = re.compile(
    r"(?:(?<=^)|(?<=[\s.?!\]\)\"'>\-]))"
    r"(?:" + _ABBREV_TITLES + r"(?:\s+" + _NAME + r"){0,3}"
    r"|(?:Student|Students|Audience|Audience Member|Speaker|Interviewer|Moderator|Host|Guest)(?:\s+\d+)?"
    r"|[A-Z][A-Z.'\-]+(?:\s+[A-Z][A-Z.'\-]+){0,3}"
    r")\s*:(?!\d)")
_BRACKET_RE = re.compile(r"\[[^\[\]]{0,60}\]|\((?:laughter|laughs|applause|inaudible|crosstalk|music|silence|"
                         r"pause|coughs?|unintelligible)[^()]{0,30}\)|<[^<>]{0,40}>|&gt;|&lt;|>+|<+", re.I)
_WS_RE = re.compile(r"\s+")


def noise_spans(text: str) -> List[Tuple[int, int]]:
    """Character spans of speaker tags, stage notes and stray angle brackets in ``text`` (sorted, non-overlapping)."""
    spans = [m.span() for m in _BRACKET_RE.finditer(text)]
    spans += [m.span() for m in _SPEAKER_RE.finditer(text)]
    spans.sort()
    merged: List[Tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def speaker_tag(text: str) -> str:
    """The speaker named by a tag at the very start of ``text`` ("PROFESSOR:", "Prof. Smith:", "Student:"), or ''."""
    m = _SPEAKER_RE.match(text or "")
    return " ".join(m.group(0).rstrip()[:-1].split()) if m else ""


def clean_text(text: str) -> str:
    """Remove speaker tags, bracketed stage notes and stray ">" from caption/ASR text; normalise whitespace."""
    text = text or ""
    out, last = [], 0
    for a, b in noise_spans(text):
        out.append(text[last:a])
        out.append(" ")
        last = b
    out.append(text[last:])
    cleaned = _WS_RE.sub(" ", "".join(out)).strip()
    return re.sub(r"\s+([,.;:?!])", r"\1", cleaned)


_DETERMINERS = frozenset("a an the this that these those what which some any every each one no same another other my "
                         "your his her its our their certain different all new only particular whatever".split())
_HEDGE_RE = re.compile(r"\b(\w+),?\s+(?:sort|kind) of\s+(?=\w)", re.I)
_FILLER_PATTERNS = [
    (re.compile(r"(?:^|(?<=[\s,]))(?:u+[hm]+|e+r+m*|h+m+|mm+|uh-huh)(?:[,.]|(?=\s)|$)\s*", re.I), " "),
    (re.compile(r",\s*(?:you know|i mean|you see|like|okay|ok|right|all right)\s*(?=[,.?!])", re.I), ""),
    (re.compile(r"\s*--\s*(?:okay|ok|right|you know)\?\s*--\s*", re.I), " "),
    (re.compile(r"(?:^|(?<=[.?!]\s))(?:you know|i mean|you see)\s*,\s*", re.I), ""),
    (re.compile(r"\b(\w+)(\s+\1\b)+", re.I), r"\1"),
]
_LEADING_RE = re.compile(
    r"^\s*(?:(?:so|okay|ok|now|well|alright|all right|right|and|but then|anyway|um|uh|yeah|oh)\b\s*[,.!]?\s*"
    r"|(?:you know|i mean|you see)\s*,\s*)", re.I)
_TAG_QUESTION_RE = re.compile(r",\s*(?:okay|ok|right|yeah|you know)\s*\?\s*$", re.I)
_REPEAT_KEEP = frozenset({"that", "had", "is", "very", "no", "so", "bye"})


def strip_fillers(sentence: str) -> str:
    """Remove hesitations, hedges and leading discourse markers from one sentence, keeping its meaning.

    "So, um, the the point is, you know, sort of obvious." -> "The point is obvious."
    Meaning-bearing uses stay: "a kind of ptarmigan", "What sort of radiation", "so that".
    """
    s = _TAG_QUESTION_RE.sub(".", sentence.strip())
    if not s:
        return s
    for pat, rep in _FILLER_PATTERNS:
        if pat.pattern.startswith(r"\b(\w+)"):
            s = pat.sub(lambda m: m.group(0) if m.group(1).lower() in _REPEAT_KEEP else m.group(1), s)
        else:
            s = pat.sub(rep, s)
    for _ in range(4):
        m = _LEADING_RE.match(s)
        # "So that ..." / "Now that ..." / "Well-known" / "Right angles" keep their meaning.
        if not m or re.match(r"^\s*\w+\s+(?:that|than|far|much|many|long|as)\b", s, re.I) or m.end() >= len(s):
            break
        if not re.search(r"[,.!]\s*$", m.group(0)) and m.group(0).strip().lower() not in (
                "so", "and", "now", "but then", "anyway", "um", "uh", "yeah", "oh", "okay", "ok", "well"):
            break
        s = s[m.end():]
    s = _HEDGE_RE.sub(lambda m: m.group(0) if m.group(1).lower() in _DETERMINERS else m.group(1) + " ", s)
    s = _WS_RE.sub(" ", s).strip(" ,;")
    s = re.sub(r"\s+([,.;:?!])", r"\1", s)
    s = re.sub(r",\s*([.?!])", r"\1", s)
    if s and s[0].islower():
        s = s[0].upper() + s[1:]
    return s


_TOKEN_RE = re.compile(r"[A-Za-z][A-Za-z'\-]*[A-Za-z]|[A-Za-z]|\d+(?:\.\d+)?")


def tokenize(text: str) -> List[str]:
    """Word tokens (letters with inner apostrophes/hyphens, or numbers), original case."""
    return _TOKEN_RE.findall(text or "")


def content_words(text: str) -> List[str]:
    """Lower-cased tokens of ``text`` without stopwords, possessives and one-letter words."""
    out = []
    for t in tokenize(text):
        w = t.lower()
        if w.endswith("'s"):
            w = w[:-2]
        if len(w) > 1 and w not in STOPWORDS and not w.isdigit():
            out.append(w)
    return out


def stem(word: str) -> str:
    """A light English suffix stemmer (plurals, -ing, -ed, -ly, -ation) good enough for matching terms."""
    w = word.lower()
    if len(w) <= 3:
        return w
    for suf, rep in (("ational", "ate"), ("ization", "ize"), ("ations", "ate"), ("ation", "ate"), ("iness", "y"),
                     ("fulness", "ful"), ("ousness", "ous"), ("ements", "e"), ("ement", "e"), ("ies", "y"),
                     ("sses", "ss"), ("ings", ""), ("ing", ""), ("edly", ""), ("ed", ""), ("ly", ""), ("es", "e"),
                     ("s", "")):
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            if suf == "s" and w.endswith(("ss", "us", "is")):
                continue
            base = w[: len(w) - len(suf)] + rep
            if suf in ("ing", "ed", "ings") and len(base) >= 2 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]
            return base[:-1] if base.endswith("e") and len(base) > 4 else base
    return w[:-1] if w.endswith("e") and len(w) > 4 else w


def normalize_term(term: str) -> str:
    """Canonical key of a term for de-duplication: lower case, no punctuation/possessives, stemmed words."""
    words = [w[:-2] if w.lower().endswith("'s") else w for w in tokenize(term)]
    return " ".join(stem(w) for w in words if w)


def title_case(phrase: str) -> str:
    """Title-case a phrase, keeping acronyms/mixed case ("CT", "X-rays", "DNA") and small words lower-case."""
    small = {"a", "an", "the", "and", "or", "of", "in", "on", "to", "for", "vs", "with", "at", "by", "from", "as"}
    words = phrase.split()
    out = []
    for i, w in enumerate(words):
        if any(c.isupper() for c in w[1:]) or (w[:1].isupper() and i > 0):
            out.append(w)
        elif 0 < i < len(words) - 1 and w.lower() in small:
            out.append(w.lower())
        else:
            out.append("-".join(p[:1].upper() + p[1:] for p in w.split("-")))
    return " ".join(out)


_VERB_CONTEXT = frozenset("to i you we they he she it can could will would should must might may not don't doesn't "
                          "didn't cannot can't won't let's".split())
_PHRASE_SPLIT_RE = re.compile(r"[^\w'\- ]+|--")


def _candidates(text: str, max_words: int = 4) -> List[Tuple[str, ...]]:
    """Runs of non-stopword tokens (split at punctuation), and their sub-runs of up to ``max_words`` words."""
    out: List[Tuple[str, ...]] = []
    for piece in _PHRASE_SPLIT_RE.split(text):
        run: List[str] = []
        for tok in tokenize(piece) + [""]:
            low = tok.lower()
            low = low[:-2] if low.endswith("'s") else low
            if tok and low not in STOPWORDS and low not in GENERIC_WORDS and len(low) > 1 and not low.isdigit():
                run.append(tok)
                continue
            for n in range(1, min(max_words, len(run)) + 1):
                for i in range(len(run) - n + 1):
                    out.append(tuple(run[i:i + n]))
            run = []
    return out


def tfidf_keyphrases(texts: Sequence[str], k: int = 5, *, background: Optional[Sequence[str]] = None,
               max_words: int = 4) -> List[str]:
    """Top ``k`` key phrases of ``texts`` (noun-phrase-like runs of content words), most salient first.

    Each candidate is scored by its frequency in ``texts`` times the idf of its words over ``background`` documents
    (default: ``texts`` themselves), with a bonus for multi-word phrases and capitalised terms; phrases redundant with
    a better one (same words, sub/super-phrase) are skipped. Returns the most frequent surface form of each.
    """
    texts = [t for t in texts if t and t.strip()]
    if not texts or k <= 0:
        return []
    docs = list(background) if background else texts
    df: Counter = Counter()
    for d in docs:
        df.update({stem(w) for w in content_words(d)})
    n_docs = len(docs)

    def idf(word: str) -> float:
        return math.log((1 + n_docs) / (1 + df.get(stem(word), 0))) + 1.0

    counts: Counter = Counter()
    surface: Dict[Tuple[str, ...], Counter] = defaultdict(Counter)
    verb_ctx: Counter = Counter()  # single words seen right after "to"/a pronoun/a modal: likely verbs
    for t in texts:
        for cand in _candidates(t, max_words):
            key = tuple(stem(w[:-2] if w.lower().endswith("'s") else w) for w in cand)
            counts[key] += 1
            surface[key][" ".join(cand)] += 1
        toks = [w.lower() for w in tokenize(t)]
        for prev, w in zip(toks, toks[1:]):
            if prev in _VERB_CONTEXT:
                verb_ctx[stem(w)] += 1
    scored = []
    for key, c in counts.items():
        n = len(key)
        if n > 1 and c < 2:
            continue
        form = surface[key].most_common(1)[0][0]
        word_idf = sum(idf(w) for w in form.split()) / n
        caps = sum(1 for w in form.split() if w[:1].isupper()) / n
        score = c * word_idf * (1.0 + 0.8 * (n - 1)) * (1.0 + 0.3 * caps)
        if n == 1 and (c < 2 or verb_ctx[key[0]] >= 0.3 * c):
            score *= 0.4  # one-off words and verbs make poor key phrases
        scored.append((score, key, form))
    scored.sort(key=lambda x: (-x[0], len(x[2])))
    chosen: List[Tuple[Tuple[str, ...], str]] = []
    for score, key, form in scored:
        ks = set(key)
        redundant = False
        subs = [i for i, (ck, _) in enumerate(chosen) if set(ck) < ks]
        if subs and all(counts[key] >= 0.35 * counts[chosen[i][0]] for i in subs) \
                and not any(set(o) >= ks for o, _ in chosen):
            # "star" -> "Morning Star": the longer phrase carries the term; it takes the place of its parts.
            chosen[subs[0]] = (key, form)
            chosen = [x for i, x in enumerate(chosen) if i not in subs[1:]]
            continue
        for ck, _ in chosen:
            cs = set(ck)
            if ks <= cs or cs <= ks or len(ks & cs) / len(ks | cs) >= 0.5:
                redundant = True
                break
        if not redundant:
            chosen.append((key, form))
        if len(chosen) >= k and score < 0.5 * scored[0][0]:
            break
    chosen = list(dict((ck, f) for ck, f in chosen).items())[:k]
    return [form for _, form in chosen]
