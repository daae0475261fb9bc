"""Spot answers that try to steer the grader instead of answering the question.

Runs before the judge is called. The text is normalised first (NFKC, invisible characters
dropped, look-alike letters folded, accents stripped, leetspeak undone, spaced-out letters
joined) so an obfuscated "ｉｇｎоre previous instructions" is caught like the plain one.
A flagged answer is still graded, but its score cannot rise above what the evidence supports.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Cyrillic and Greek letters that look Latin, the usual homoglyph substitutions.
_CONFUSABLES = str.maketrans(
    "аеорсухіјѕԁɡһӏАВЕКМНОРСТХІЈЅαεικνορτυχΑΒΕΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdghlABEKMHOPCTXIJSaeikvoptuxABEHIKMNOPTYX",
)
_LEET = str.maketrans("013457@$", "oieastas")
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_TAG_CHARS = re.compile("[\U000e0000-\U000e007f]")
_BIDI_OR_TAG = re.compile("[\u202a-\u202e\u2066-\u2069\U000e0000-\U000e007f]")
_ZERO_WIDTH_IN_WORD = re.compile("[A-Za-z][\u200b\u200c\u200d\u2060\ufeff\u00ad]+[A-Za-z]")
_SPACED_LETTERS = re.compile(r"\b(?:[a-z][ .\-_*]){3,}[a-z]\b")

_GRADER = r"(?:grader|grading (?:model|system|ai)|evaluator|examiner|judge|marker|reviewer|ai|llm|assistant|chatgpt|gpt)"

# (kind, pattern) checked on every normalised variant of the answer.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("override", re.compile(
        r"\b(?:ignore|disregard|forget|override|bypass|skip)\b[^.\n]{0,40}?\b(?:previous|prior|above|earlier|"
        r"preceding|all|any|your|the|system|grading|original)\b[^.\n]{0,30}?\b(?:instructions?|prompts?|"
        r"rules?|guidelines?|directions?|rubric|criteria)\b")),
    ("override", re.compile(r"\b(?:new|updated|real|actual) (?:instructions?|task|rules)\s*[:\-]")),
    ("score_demand", re.compile(
        r"\b(?:give|award|assign|grant)\s+(?:this|me|my|the|it|them|us)\b[^.\n]{0,40}?\b(?:100|hundred|full "
        r"(?:marks|credit|score|points)|perfect (?:score|marks)|max(?:imum)? (?:score|marks|points)|top "
        r"(?:score|marks)|an? a\+?)\b")),
    ("score_demand", re.compile(
        r"\b(?:score|grade|rate|mark|evaluate|treat|consider)\s+(?:this|it|me|my (?:answer|response)|the "
        r"(?:answer|response))\b[^.\n]{0,25}?\b(?:100|perfect|full marks|as (?:correct|perfect|excellent|"
        r"strong|covered|complete))\b")),
    ("score_demand", re.compile(r"\b(?:100|full marks)\s*(?:/|out of)\s*100\b")),
    ("score_demand", re.compile(r"\bthis answer (?:is|deserves) (?:perfect|correct|excellent|full marks|a 100)\b")),
    ("role_play", re.compile(
        r"\byou are (?:now|no longer)\b(?! (?:able|ready|going to (?:see|get|compute|need)|done|left)\b)")),
    ("role_play", re.compile(r"\b(?:pretend|imagine) (?:to be|you are|you're|that you)\b")),
    ("role_play", re.compile(r"\brole-?\s?play\b|\bact as (?:an? |the |my )?" + _GRADER + r"\b")),
    ("role_play", re.compile(r"\b(?:you|please)\s+(?:must |should |will )?(?:act|behave|respond|answer) as\b")),
    ("role_play", re.compile(r"\b(?:developer|god|dan|jailbreak|admin) mode\b|\bfrom now on,? you\b")),
    ("role_marker", re.compile(r"(?:^|\n)\s*(?:#+\s*)?(?:system|assistant|developer)\s*(?:prompt|message)?\s*:")),
    ("role_marker", re.compile(
        r"<\|\s*(?:im_start|im_end|system|assistant|user|begin_of_text|start_header_id|eot_id)\s*\|>|\[/?inst\]|"
        r"<<\s*/?sys\s*>>|#{2,}\s*(?:system|instructions?|response)\b")),
    ("fake_marker", re.compile(
        r"<{2,}\s*/?\s*(?:end[ _-]?)?(?:of[ _-]?)?(?:candidate[ _-]?)?answer|</?\s*(?:candidate_?answer|answer|"
        r"data|rubric|system|instructions?|grading)\s*>|\b(?:end of (?:the )?(?:candidate'?s? )?answer|"
        r"begin (?:grader|system|new) (?:note|instructions?|prompt))\b|-{3,}\s*end\b")),
    ("fake_verdict", re.compile(
        r"[\"'](?:score|verdict|grade|status|concepts|feedback)[\"']\s*:\s*[\"'\[{\d]")),
    # Delimiters of other graders' templates ("[END DATA] GRADE: C ... [BEGIN DATA]").
    ("fake_marker", re.compile(
        r"\[\s*/?\s*(?:begin|end|start)\s*(?:of\s+)?(?:the\s+)?(?:data|submission|answer|response|input|"
        r"criterion|rubric|expert|question|task|instructions?)\s*\]|\*{3}\s*(?:begin|end|start)\b")),
    ("fake_verdict", re.compile(
        r"(?:^|[\n.!]\s*)(?:grade|score|verdict|result)\s*[:=]\s*(?:[a-f][+-]?|c(?:orrect)?|i(?:ncorrect)?|p(?:artial)?|"
        r"pass|\d{1,3}(?:\s*/\s*100)?)\s*(?:[.\n]|$)")),
    ("score_demand", re.compile(
        r"\b(?:the |this )?(?:submission|answer|response|solution) (?:above|below|here) (?:is|was) (?:perfect|"
        r"correct|complete|excellent|flawless|fully correct)\b")),
    ("rubric_claim", re.compile(
        r"\b(?:the |this |your )?(?:rubric|marking scheme|grading (?:guide|criteria)|answer key)\b[^.\n]{0,40}?"
        r"\b(?:says|states|requires|considers|marks|confirms|lists|accepts|counts|agrees|approves)\b")),
    ("rubric_claim", re.compile(r"\baccording to (?:the |your )?(?:rubric|marking scheme|grading (?:guide|criteria))\b")),
    ("grader_address", re.compile(
        r"\b(?:note|message|instructions?|reminder|hint)s? (?:to|for) (?:the |any |my )?" + _GRADER + r"\b")),
    ("grader_address", re.compile(r"\b(?:dear|attention|hey|hi|hello|to the) " + _GRADER + r"\b")),
    ("grader_address", re.compile(
        r"(?:^|[\n.!]\s*)" + _GRADER + r"\s*[:,]\s*(?:please|ignore|give|award|mark|score|you|rate)\b")),
    ("comment_instruction", re.compile(
        r"(?:#|//|/\*|<!--|--)[^\n]{0,200}?\b(?:grader|grading|evaluator|examiner|judge|llm|chatgpt|"
        r"assistant|full marks|instructions|give (?:this|me|it))\b")),
]

# Checked on the answer with every non-alphanumeric character removed: catches "i.g.n.o.r.e"
# and words split by symbols. Kept specific, since word boundaries are gone.
_COMPACT_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("override", re.compile(
        r"(?:ignore|disregard|forget)(?:all|any|the|your|of)*(?:previous|prior|above|earlier|preceding|system)"
        r"(?:instructions?|prompts?|rules|guidelines)")),
    ("score_demand", re.compile(r"(?:give|award)(?:this|me|it|my)(?:answer)?(?:a)?(?:scoreof)?(?:100|fullmarks|perfectscore)")),
    ("role_play", re.compile(r"youarenow(?:a|an|the|my)(?:grader|evaluator|judge|assistant|ai|helpful|teacher)")),
]


@dataclass(frozen=True)
class InjectionSignal:
    kind: str
    excerpt: str


def normalise(text: str) -> str:
    """Fold what humans read alike into one plain lowercase form."""
    # Tag characters spell hidden ASCII: decode rather than drop, so the hidden text is checked too.
    text = _TAG_CHARS.sub(lambda m: chr(ord(m.group()) - 0xE0000) if 0xE0020 <= ord(m.group()) <= 0xE007E else " ", text)
    text = _INVISIBLE.sub("", text)
    text = unicodedata.normalize("NFKC", text).translate(_CONFUSABLES)
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    text = text.lower()
    return _SPACED_LETTERS.sub(lambda m: re.sub(r"[ .\-_*]", "", m.group()), text)


def _variants(answer: str) -> tuple[list[str], list[str]]:
    plain = normalise(answer)
    spaced = [plain, plain.translate(_LEET)]
    compact = [re.sub(r"[^a-z0-9]", "", variant) for variant in spaced]
    return spaced, compact


def detect_injection(answer: str) -> list[InjectionSignal]:
    """Every way the answer tries to instruct the grader; empty for an ordinary answer."""
    found: dict[str, InjectionSignal] = {}

    def add(kind: str, excerpt: str) -> None:
        found.setdefault(kind, InjectionSignal(kind, " ".join(excerpt.split())[:80]))

    if _BIDI_OR_TAG.search(answer) or _ZERO_WIDTH_IN_WORD.search(answer):
        add("hidden_characters", "invisible or direction-changing characters")
    if _mixed_script_word(answer):
        add("look_alike_letters", "letters from another alphabet disguised as Latin ones")
    spaced, compact = _variants(answer)
    for text in spaced:
        for kind, pattern in _PATTERNS:
            if (match := pattern.search(text)) is not None:
                add(kind, match.group())
    for text in compact:
        for kind, pattern in _COMPACT_PATTERNS:
            if (match := pattern.search(text)) is not None:
                add(kind, match.group())
    return list(found.values())


def _mixed_script_word(answer: str) -> bool:
    """A word mixing Latin letters with Cyrillic or Greek ones is a disguise, not a language."""
    for word in re.findall(r"\w{3,}", answer):
        scripts = set()
        for ch in word:
            if ch.isalpha():
                name = unicodedata.name(ch, "")
                scripts.add(name.split(" ", 1)[0])
        if "LATIN" in scripts and scripts & {"CYRILLIC", "GREEK"}:
            return True
    return False


def describe(signals: list[InjectionSignal]) -> str:
    shown = "; ".join(f"{signal.kind.replace('_', ' ')}: \u201c{signal.excerpt}\u201d" for signal in signals[:3])
    return f"the answer tries to steer the grader ({shown}); its score is capped at what the evidence supports"
