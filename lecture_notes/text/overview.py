"""The whole-lecture overview a student reads first: the lecturer's own framing plus one sentence per chapter.

Built from transcript sentences only (nothing generated):

- **framing**: where the lecturer says what the lecture is about ("Today we will look at...", "What I want to do
  today is...", "The question for today is..."), sums up ("To summarize, ..."), or defines a central term
  ("X is defined as...", "what we call X"). Such sentences get a bonus; a preview in the lecturer's voice is
  turned into the third person ("Today I want to talk about X" -> "The lecture talks about X").
- **one representative sentence per chapter**: the chapter's best sentence by centrality plus the written register
  (``written_register``: noun-phrase glue words, expository rather than conversational), the lecture's recurring
  names and quoted titles (``name_density``), minus a cost for first/second person.
- **standing alone**: connectives tying a sentence to the previous one are dropped, pointers back reject it
  (``text.standalone``).
- **filters**: no fragments (a sentence needs a verb and ``MIN_WORDS`` words, no dangling number or trailing
  "the/of/and"), no questions, classroom chatter, logistics, greetings, pointing at the board or instructions to
  the class.

Everything is put back in lecture order, within a word budget of about ``words_per_minute`` per lecture minute.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

from lecture_notes.text.standalone import stand_alone
from lecture_notes.text.sentence_features import NOT_SUBJECT, name_density, term_density, written_register
from lecture_notes.text.summarize import _PERSON_RE, _VISUAL_RE, compress, tighten, words

__all__ = ["OverviewParams", "is_fragment", "is_chatter", "framing_score", "third_person_preview", "strip_greeting",
           "overview", "candidates", "FEATURES", "MIN_WORDS", "name_density", "term_density",
           "written_register"]

MIN_WORDS = 6


@dataclass(frozen=True)
class OverviewParams:
    """Overview parameters (defaults chosen leave-one-course-out on the dev lectures, see docs/quality.md)."""

    words_per_minute: float = 3.5
    min_words: int = 60
    max_words: int = 120
    sentence_words: int = 30  # a longer sentence is cut at a clause boundary, or left out
    framing_words: int = 50  # the lecturer's preview often lists the topics in one long sentence: keep it whole
    framing_bonus: float = 2.0  # z-score units
    max_framing: int = 1
    person_weight: float = 6.0  # cost per share of first/second-person words
    redundancy: float = 0.8  # cosine above which a sentence repeats one already chosen
    framing_window: float = 0.15  # previews are looked for in this leading fraction of the lecture
    early_bonus: float = 1.0  # lecturers say what the lecture is about early: bonus decaying over its first 10 %
    register_weight: float = 3.0  # weight of the written register (noun-phrase glue words) (z units)
    name_weight: float = 0.5  # weight of the density of the lecture's recurring names and quoted titles (z units)
    term_weight: float = 0.0  # weight of the density of the lecture's key terms (z units)


DEFAULT_PARAMS = OverviewParams()

_GREETING_RE = re.compile(
    r"^(?:(?:good (?:morning|afternoon|evening)|welcome(?: back)?|hello|hi|hey|okay|ok|alright|all right|so|well|"
    r"now|right)(?:,?\s*(?:everyone|everybody|all|folks|again|guys|class|to (?:the|our|this) \w+(?: \w+)?))?"
    r"[,.!;:]*\s+)+",
    re.I)
# A preview of the lecture in the lecturer's voice. Group "verb" is what they will do.
_PREVIEW_RE = re.compile(
    r"^(?:(?:and )?today,?\s+|in (?:this|today's) (?:lecture|class|session|talk|hour),?\s+|this (?:morning|afternoon)"
    r",?\s+)?(?:what\s+)?(?:I|we)\s*(?:want to|wanna|would like to|'d like to|am going to|'m going to|are going to|"
    r"'re going to|will|'ll|shall|plan to|need to)\s+(?:do\s+(?:today\s+)?is\s+(?:to\s+)?)?(?:now\s+)?"
    r"(?P<verb>talk about|talk a little about|talk a bit about|discuss|look at|look into|consider|examine|turn to|"
    r"explore|focus on|think about|introduce|review|describe|explain|cover|continue (?:with|our discussion of)|"
    r"begin (?:with|by (?:talking about|looking at|discussing))|start (?:with|by (?:talking about|looking at|"
    r"discussing))|spend (?:some|the|a little) (?:time|hour|lecture) (?:on|talking about|discussing|looking at))"
    r"\s*(?:,[^,]{1,60},)?\s+(?:today\s+)?(?P<rest>.+)$", re.I)
_THIRD = {"talk about": "talks about", "talk a little about": "talks about", "talk a bit about": "talks about",
          "discuss": "discusses", "look at": "looks at", "look into": "looks into", "consider": "considers",
          "examine": "examines", "turn to": "turns to", "explore": "explores", "focus on": "focuses on",
          "think about": "thinks about", "introduce": "introduces", "review": "reviews", "describe": "describes",
          "explain": "explains", "cover": "covers"}
# Said of the lecture as a whole: counts only near the start.
_PREVIEW_ANY_RE = re.compile(
    r"\b(?:today(?:'s)? (?:lecture|topic|subject|class)|(?:the|our) (?:topic|subject|theme|question|focus) (?:for|of) "
    r"(?:today|this (?:lecture|class|hour))|(?:today|in this lecture),? (?:I|we)(?:'ll| will|'re going to| are "
    r"going to| want to|'d like to| would like to| am going to|'m going to)|what I want to do (?:today|now|in this)|"
    r"this lecture (?:is|will))", re.I)
# Summing up and defining: count anywhere.
_FRAMING_RE = re.compile(
    r"\b(?:(?:to summari[sz]e|to sum up|in sum|in summary|in conclusion)\b|"
    r"the (?:main|central|key|basic|big) (?:point|idea|question|argument|claim|lesson) (?:here |today )?is|"
    r"is defined as|is called|we call|what we call|refers to|is known as|is the idea that|the idea (?:of|that))",
    re.I)
# Off-topic for notes: recaps of other lectures, logistics, classroom chatter, jokes (one filter, one word list).
_OFF_TOPIC_RE = re.compile(
    r"\b(?:last time|next time|last week|next week|last lecture|previous lecture|"
    r"exams?|midterms?|finals? exam|quiz(?:zes)?|homework|problem sets?|assignments?|paper is due|due (?:on|next|"
    r"this|by)|office hours|section (?:meeting|leaders?)|syllabus|reading (?:for|list)|handouts?|the TAs?|teaching "
    r"fellows?|grades?|grading|sign[- ]up|email|website|microphone|mic|projector|screen|lights?|the room|the clock|"
    r"minutes? left|take a break|stretch|see you|have a (?:good|great|nice)|thanks? (?:you|everyone)|questions\?|"
    r"any questions|raise your hands?|silence|never mind|I forgot|I didn't manage|I'm sorry|excuse me|bless you|"
    r"laughter|laughed|applause|I'll wait|wake up|let you go|this room|"
    r"just kidding|I'm joking|that's a joke|funny|ha ha|haha|I'm kidding)\b", re.I)
# Finite verbs a transcript sentence shows (no tagger offline): auxiliaries and modals, common irregular pasts and
# regular "-ed" pasts; a "-s" word counts as a verb only after a subject pronoun or a name ("it seems", "Locke
# argues"), since plural nouns end in -s too.
_FINITE_RE = re.compile(
    r"\b(?:is|are|was|were|am|has|have|had|does|do|did|can|could|will|would|shall|should|may|might|must|"
    r"\w+'(?:s|re|ve|ll|d|m)|got|made|took|gave|came|went|saw|knew|thought|said|found|told|became|showed|left|felt|"
    r"brought|began|kept|held|stood|meant|led|ran|wrote|spoke|grew|rose|fell|fought|won|lost|paid|sold|bought|"
    r"built|sent|spent|put|set|let|get|make|take|give|come|go|see|know|think|say|find|tell|become|show|need|want|"
    r"seem|mean|depend|exist|remain|include|produce|require|suggest|involve|explain|describe|argue|claim|believe|"
    r"\w{3,}ed)\b", re.I)
_NOT_SUBJECT = NOT_SUBJECT


def _has_s_verb(text: str) -> bool:
    """A lower-case "-s" word after a possible subject and not followed by "of"/"and"/punctuation ("selection
    explains why", "it seems"), as opposed to a plural noun ("the four humours of", "problems in organizing")."""
    toks = re.findall(r"[A-Za-z']+|[,.;:!?]", text)
    for k in range(1, len(toks)):
        w = toks[k]
        if not (w.islower() and len(w) >= 4 and w.endswith("s") and not w.endswith(("ss", "us", "is", "ics"))):
            continue
        prev, nxt = toks[k - 1].lower(), (toks[k + 1].lower() if k + 1 < len(toks) else ".")
        if prev in _NOT_SUBJECT or not prev[:1].isalpha() or nxt in ("of", "and", "or", ",", ".", ";", ":", "!", "?"):
            continue
        if prev.endswith(("ing", "ly")) and nxt[:1].isalpha() and not toks[k - 1][:1].isupper():
            continue
        return True
    return False
_DANGLING_END_RE = re.compile(
    r"(?:\b(?:the|a|an|of|to|and|or|but|with|for|in|on|at|by|from|that|which|who|as|than|is|are|was|were|be|"
    r"this|these|those|my|your|our|their|his|her|its|very|so|if|because|like|about|into)|\^|[-=+*/×]|\bx)\s*[.?!]*$",
    re.I)
# Spoken restarts: an article or "of" left hanging before a comma, a word said twice across a comma, or a
# caption line that starts over mid-sentence with a capitalised connective.
_DISFLUENT_RE = re.compile(r"(?i:\b(?:the|a|an|of)\s*,|\b(\w+), \1\b|\b(\w+) (?:this|that|these|those), \2\b)|\b[a-z]+ (?:Not|And|But|So|Now|Well|Okay|OK) ")
_BAD_CHARS_RE = re.compile(r"\^|\s[x×]\s*\d|\d\s*[x×]\s|=|\.\.\.|--\s*$")


def strip_greeting(text: str) -> str:
    """Drop an opening greeting or filler clause ("Welcome, everyone.", "Good morning, okay, so ...") but keep
    the sentence it leads into."""
    t = _GREETING_RE.sub("", text or "").lstrip(" ,;:-")
    if t and t[0].islower():
        t = t[0].upper() + t[1:]
    return t


def is_fragment(text: str) -> bool:
    """True for text that does not stand as a sentence in notes: under ``MIN_WORDS`` words, no verb, a dangling
    end ("the", "of", a number or operator), formula debris ("2 x 10^"), unbalanced quotes or brackets."""
    t = (text or "").strip()
    n = len(words(t))
    if n < MIN_WORDS or not (_FINITE_RE.search(t) or _has_s_verb(t)):
        return True
    if _DANGLING_END_RE.search(t) or _BAD_CHARS_RE.search(t):
        return True
    if t.count('"') % 2 or t.count("(") != t.count(")"):
        return True
    if "\ufffd" in t or re.search(r'[.!?]["\u201d]\s+[A-Z]', t):
        return True  # a broken character, or a quoted sentence followed by another sentence glued to it
    if re.match(r"^[A-Z][a-z]+ed and [a-z]+ed\b", t) or re.search(r"\b(?:says|said|asks|asked|writes|wrote)[.!]$", t):
        return True  # no subject ("Perceived and responded to...") or the quotation is missing ("Reagan ... says.")
    if _DISFLUENT_RE.search(t):
        return True  # a spoken restart ("one of the, the caricatures", "on, on this moment", "A high Not the...")
    if (t.startswith("'") and not re.search(r"\w'(?!\w)", t)) or (re.search(r"\w[.!?]?'$", t)
                                                                 and not re.search(r"(?<!\w)'\w", t)):
        return True  # one end of a quotation ("Lime is composed of one atom of calcium and one of oxygen.'")
    if re.match(r"^(?:if|when|whenever|because|although|though|unless|since|while|whereas|as|as if|even if)\b", t,
                re.I) and "," not in t:
        return True  # a subordinate clause with no main clause ("If we want to explain social living.")
    if re.match(r"^(?:tell|wonder|point|say|think|talk|look|see|show|remember|imagine|notice|go),?\s+(?:you|me|us|"
                r"about|at|to|maybe|if|that)\b", t, re.I):
        return True  # a clause whose subject was cut off ("Tell you a little bit about the idea of this paper.")
    if re.match(r"^(?:the|a|an) [^,]{1,40}, (?:that|there|it|this|they|he|she)\b", t, re.I):
        return True  # spoken left-dislocation ("The loan-to-income ratio, that was going up.")
    if re.match(r"^(?:(?:just |in order )?to \w+|(?:what|how|why|who|whether)\b(?!.* (?:is|was|are|were) ))", t, re.I) \
            and "," not in t:
        return True  # an infinitive or indirect question on its own ("Just to set up the scene.")
    if re.match(r"^(?:has|have|had|is|are|was|were|does|did|would|could|should|will|can|may|might|must)\b", t, re.I):
        return True  # its subject was cut off ("Has written eloquently about the moriscos.")
    if re.match(r"^[A-Z][a-z]+ who\b", t) and t.count(",") == 0:
        return True  # "Yeats who had seemed to stand apart from it."
    return bool(re.match(r"^(?:and|but|or|because|which|who|whom|whose|where|when|while|although|though|than|"
                         r"as well as|of|to(?!\s+\w+,))\b", t, re.I))


# Addressed to the class rather than saying something about the subject: an instruction ("Take the OH off",
# "Try to imagine a world..."), the students as subject ("You're responsible for...", "You might ask yourself"),
# or pointing at a place on the board ("Down to the left will be a different one").
_ADDRESS_RE = re.compile(
    r"^(?:(?:look|take|try|imagine|consider|remember|notice|suppose|listen|let|put|pick|draw|write|keep|compare|"
    r"go|turn|think|ask|watch|check|recall|read)\b(?![-'])(?! (?:is|are|was|were)\b)|[A-Z][a-z]+, you(?:'re|'ve|'ll| are| have| will)\b|"
    r"you(?:'re|'ve|'ll|'d)?\b|"
    r"(?:up|down|over|out) (?:here|there|to the|on the|at the)\b)|\b(?:(?:to|on|at) the (?:left|right|top|bottom)(?! wing| of| hand)|"
    r"top and center|in (?:red|blue|green|purple|yellow)|the (?:red|blue|green|purple|yellow|orange|pink) "
    r"(?:one|ones|and|is|are))\b", re.I)


def addresses_the_class(text: str) -> bool:
    """True for an instruction, a sentence about "you", or pointing at a place on the board (see ``_ADDRESS_RE``)."""
    return bool(_ADDRESS_RE.search(strip_greeting(text or "")))


def is_chatter(text: str) -> bool:
    """True for classroom chatter, logistics, jokes and pointing at the board ("There shouldn't be a silence in the
    room.", "The midterm is next week.", "As you can see here.")."""
    t = text or ""
    return bool(_OFF_TOPIC_RE.search(t) or _VISUAL_RE.search(t))


def third_person_preview(text: str) -> Optional[str]:
    """'Today I want to talk about the Stackelberg model.' -> 'The lecture talks about the Stackelberg model.';
    None when the sentence is not a preview of the lecture."""
    m = _PREVIEW_RE.match(strip_greeting(text).strip())
    if not m:
        return None
    verb = m.group("verb").lower()
    rest = m.group("rest").strip()
    if len(words(rest)) < 2 or re.match(r"(?:that|this|it|them|those|these)\b", rest, re.I) \
            or re.search(r"\b(?:in a (?:moment|minute|second|bit)|later|next time)\b", rest, re.I):
        return None
    third = _THIRD.get(verb)
    if third is None:
        if verb.startswith(("begin", "start")):
            third = "begins with"
        elif verb.startswith("continue"):
            third = "continues with"
        else:
            third = "discusses"
    rest = re.sub(r"^(?:(?:a little bit|a little|a bit)\s+(?:about\s+)?|some\s+(?:about\s+)?(?!of\b))", "", rest)
    rest = re.sub(r"\b(?:with you|for you|today)\b,?\s*", "", rest).strip()
    return f"The lecture {third} {rest}".rstrip(" ,;:") if rest else None


_ANNOUNCE_RE = re.compile(r"\b(?:two|three|four|five|several|a few|a couple of|the following) (?:main |key |big |"
                          r"general |basic )?(?:issues|things|questions|topics|themes|points|ideas|parts|aspects|"
                          r"problems|ways|steps|reasons|claims|arguments)\b|:\s*$", re.I)


def announces_a_list(text: str) -> bool:
    """True for a sentence announcing what follows ("There are three issues that I want to bring up as I begin
    today's lecture.", "The lecture has two parts:"): the next sentence is part of the preview."""
    return bool(_ANNOUNCE_RE.search(text or ""))


def framing_score(text: str, position: float, window: float = 0.15) -> float:
    """0..1: how much a sentence frames the lecture - a preview near the start (``position`` = fraction of the
    lecture elapsed), a summing-up, or the definition of a term."""
    t = strip_greeting(text)
    if position <= window and (_PREVIEW_RE.match(t) or _PREVIEW_ANY_RE.search(t)):
        return 1.0
    if _FRAMING_RE.search(t):
        return 1.0 if position <= window else 0.6
    return 0.0


_ABOUT_LECTURER_RE = re.compile(r"^(?:[^,]{1,30},\s*)?I(?:'m|'ve|'ll|'d)?[\s,]")


def _candidate(raw: str, cleaned: str, position: float, P: OverviewParams) -> Tuple[Optional[str], float]:
    """(overview text, framing 0..1) of a transcript sentence, or (None, 0) when it cannot be used."""
    base = strip_greeting(cleaned)
    frame = framing_score(base, position, P.framing_window)
    preview = third_person_preview(base)  # a preview of a chapter reads as well as one of the lecture
    if preview:
        base = preview
    elif _ABOUT_LECTURER_RE.match(base):
        return None, 0.0  # about the lecturer, not the subject ("I gave you the short poem...")
    text = tighten(compress(base), P.framing_words if frame else P.sentence_words)
    if not text or text.endswith("?") or is_fragment(text) or is_chatter(text) or addresses_the_class(text):
        return None, 0.0
    text = stand_alone(text)  # "Helper T cells then activate..." -> "Helper T cells activate..."; "It is..." -> None
    if not text or is_fragment(text) or _ABOUT_LECTURER_RE.match(text):
        return None, 0.0
    return text, frame


# The features a candidate sentence is scored on, in the order of ``candidates``' feature vectors; its score is
# their sum weighted by 1, -person_weight, framing_bonus, name_weight, term_weight, register_weight, early_bonus.
FEATURES = ("salience", "person", "framing", "names", "terms", "register", "early")


def weights(P: OverviewParams) -> np.ndarray:
    """The weight of each of ``FEATURES`` under the parameters."""
    return np.array([1.0, -P.person_weight, P.framing_bonus, P.name_weight, P.term_weight, P.register_weight,
                     P.early_bonus])


def candidates(texts: Sequence[str], cleaned: Sequence[str], times: Sequence[float], salience: np.ndarray,
               duration: float, params: OverviewParams = DEFAULT_PARAMS) -> List[Tuple[int, str, float, np.ndarray]]:
    """(index, overview text, framing 0..1, feature vector over ``FEATURES``) of each usable sentence."""
    P = params
    n = len(texts)
    named, register, terms = name_density(cleaned), written_register(cleaned), term_density(cleaned)
    out = []
    for i in range(n):
        pos = float(times[i]) / max(duration, 1.0)
        text, frame = _candidate(texts[i], cleaned[i], pos, P)
        if text is None:
            continue
        if i and pos <= P.framing_window and announces_a_list(cleaned[i - 1]):
            frame = max(frame, 1.0)  # the list the preview announced ("three issues ... today." -> "Improvisation, ...")
        m = max(len(text.split()), 1)
        out.append((i, text, frame, np.array([float(salience[i]), len(_PERSON_RE.findall(text)) / m, frame,
                                              float(named[i]), float(terms[i]), float(register[i]),
                                              float(np.exp(-pos / 0.1))])))
    return out


def overview(texts: Sequence[str], cleaned: Sequence[str], times: Sequence[float], salience: np.ndarray,
             emb: np.ndarray, sections: Sequence[Tuple[float, float]], duration: float, *,
             max_words: int, params: OverviewParams = DEFAULT_PARAMS) -> str:
    """The overview paragraph. ``texts``/``cleaned``: raw and cleaned transcript sentences, ``times`` their starts,
    ``salience`` a per-sentence score (z units), ``emb`` unit sentence vectors, ``sections`` the chapters."""
    P = params
    w = weights(P)
    cands: List[Tuple[int, str, float, float]] = [  # (index, text, score, framing)
        (i, text, float(f @ w), frame) for i, text, frame, f in candidates(texts, cleaned, times, salience, duration, P)]
    chosen: List[Tuple[int, str]] = []
    total = 0

    def fits(i: int, text: str) -> bool:
        if total + len(text.split()) > max_words:
            return False
        return all(float(emb[i] @ emb[j]) < P.redundancy for j, _ in chosen)

    framing = sorted((c for c in cands if c[3] > 0), key=lambda c: (-c[3], -c[2]))  # previews first
    for i, text, _, _ in framing[:P.max_framing]:
        if fits(i, text):
            chosen.append((i, text))
            total += len(text.split())
    per_section = []
    for k, (a, b) in enumerate(sections):
        last = k == len(sections) - 1
        inside = sorted((c for c in cands if a <= times[c[0]] < b or (last and times[c[0]] >= a)),
                        key=lambda c: -c[2])
        if inside:
            per_section.append(inside)
    # Every chapter gets a sentence while the budget lasts: best chapters first, and a chapter whose best sentence
    # does not fit gets its best one that does (among its top few).
    for inside in sorted(per_section, key=lambda c: -c[0][2]):
        if any(c[0] == j for c in inside for j, _ in chosen):
            continue  # the chapter already speaks through its framing sentence
        for i, text, _, _ in inside[:5]:
            if fits(i, text):
                chosen.append((i, text))
                total += len(text.split())
                break
    for i, text, _, _ in sorted(cands, key=lambda c: -c[2]):  # fill the budget with the best remaining
        if total >= max_words - MIN_WORDS:
            break
        if all(i != j for j, _ in chosen) and fits(i, text):
            chosen.append((i, text))
            total += len(text.split())
    return " ".join(text for _, text in sorted(chosen))
