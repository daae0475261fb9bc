"""Turn a Markdown question document into a question file and a rubric skeleton.

Two layouts are understood, and may be mixed in one document:

* headed questions: `### Q1: question` headings under `## Beginner`, `## Intermediate`,
  `## Advanced` or `## Bonus ...` sections, each with `**Keywords:** a, b`, an optional
  `**Hint:** ...` and the answer inside a `<details>` block;
* Q&A lists: after an `**Interview Q&A**:` line, numbered `1. **question**` items, each
  followed by its indented answer (usually one `- answer` bullet).

A question's level comes from the nearest level section above it; a `Bonus` section maps to
`bonus_level` (advanced unless told otherwise) and a question outside any level section gets
`default_level` (intermediate unless told otherwise).

Plain functions only: reading, parsing, building and writing. Nothing here prints.
"""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from interviewer.bank.loader import QUESTIONS_DIR, RUBRICS_DIR
from interviewer.bank.models import Level, Question, Rubric
from interviewer.errors import BankError

BANK_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
LEVEL_WORDS = {"beginner": Level.beginner, "intermediate": Level.intermediate, "advanced": Level.advanced}
BONUS_WORD = "bonus"
MAX_CONCEPTS = 5


@dataclass(frozen=True)
class ParsedQuestion:
    """One question found in the document, before it becomes YAML."""

    number: int  # position in the document, 1-based: the `q{n}` of its id
    line: int  # 1-based line of its heading or list item
    prompt: str
    level: Level
    answer: str
    keywords: list[str] = field(default_factory=list)
    hint: str | None = None


@dataclass(frozen=True)
class ImportResult:
    question_file: Path
    rubric_file: Path
    questions: list[ParsedQuestion]

    @property
    def level_counts(self) -> dict[Level, int]:
        counts = Counter(question.level for question in self.questions)
        return {level: counts[level] for level in Level if counts[level]}


# --- Markdown scanning ---------------------------------------------------------------------

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_QUESTION_HEADING = re.compile(r"^Q\s*(\d+)\s*[:.)\-–]\s*(.+)$", re.IGNORECASE)
_QA_MARKER = re.compile(r"^\*\*\s*Interview\s+Q\s*&\s*A\s*:?\s*\*\*\s*:?$", re.IGNORECASE)
_QA_ITEM = re.compile(r"^(\s*)\d+[.)]\s+(.+?)\s*$")
_FIELD = re.compile(r"^\*\*\s*(Keywords|Hint)\s*:?\s*\*\*\s*:?\s*(.*)$", re.IGNORECASE)
_FENCE = re.compile(r"^\s*(```+|~~~+)")
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")


def _fence_mask(lines: Sequence[str]) -> list[bool]:
    """True for every line inside (or opening/closing) a fenced code block."""
    mask, opener = [], ""
    for line in lines:
        fence = _FENCE.match(line)
        if opener:
            mask.append(True)
            if fence and fence[1][0] == opener[0] and len(fence[1]) >= len(opener):
                opener = ""
        else:
            mask.append(bool(fence))
            opener = fence[1] if fence else ""
    return mask


def _unbold(text: str) -> str:
    return re.sub(r"(\*\*|__)(.+?)\1", r"\2", text).strip()


def _level_of_heading(title: str, bonus_level: Level) -> Level | None:
    """`## Beginner (Foundational) - 70%` -> beginner; `## Bonus Scenarios` -> bonus_level."""
    first = re.match(r"[^A-Za-z]*([A-Za-z]+)", title)
    word = first[1].lower() if first else ""
    if word == BONUS_WORD:
        return bonus_level
    return LEVEL_WORDS.get(word)


def _block(lines: Sequence[str]) -> str:
    """Dedented text without trailing spaces or blank edges."""
    text = textwrap.dedent("\n".join(line.rstrip() for line in lines))
    return text.strip("\n").rstrip()


def _headed_question(body: Sequence[str], fenced: Sequence[bool]) -> tuple[str, list[str], str | None]:
    """(answer, keywords, hint) from the lines under a `### Qn:` heading."""
    keywords: list[str] = []
    hint: str | None = None
    kept: list[int] = []
    for index, line in enumerate(body):
        found = None if fenced[index] else _FIELD.match(line.strip())
        if found and found[1].lower() == "keywords" and not keywords:
            keywords = [part.strip().rstrip(".") for part in re.split(r"[,;]", found[2]) if part.strip()]
        elif found and found[1].lower() == "hint" and hint is None:
            hint = found[2].strip() or None
        else:
            kept.append(index)

    opening = next((i for i in kept if not fenced[i] and body[i].strip().lower().startswith("<details")), None)
    if opening is not None:
        closing = next(
            (i for i in kept if i > opening and not fenced[i] and body[i].strip().lower() == "</details>"),
            len(body),
        )
        answer_lines = [
            body[i] for i in kept if opening < i < closing
            and (fenced[i] or not re.fullmatch(r"\s*<summary>.*</summary>\s*", body[i], re.IGNORECASE))
        ]
    else:
        answer_lines = [body[i] for i in kept]
        while answer_lines and (not answer_lines[-1].strip() or _RULE.match(answer_lines[-1])):
            answer_lines.pop()
    return _block(answer_lines), keywords, hint


def _single_bullet(answer: str) -> str:
    """`- text` (one bullet, maybe with continuation lines) reads better as plain text."""
    lines = answer.splitlines()
    bullet = re.compile(r"[-*+]\s")
    if lines and bullet.match(lines[0]) and not any(bullet.match(line) for line in lines[1:]):
        return _block([lines[0][2:], *(line.removeprefix("  ") for line in lines[1:])])
    return answer


def _qa_items(
    lines: Sequence[str], fenced: Sequence[bool], start: int
) -> tuple[list[tuple[int, str, str]], int]:
    """The numbered items after an `**Interview Q&A**:` line: (line index, question, answer)."""
    items: list[tuple[int, str, list[str]]] = []
    item_indent: int | None = None
    index = start
    while index < len(lines):
        line = lines[index]
        indent = len(line) - len(line.lstrip())
        item = None if fenced[index] else _QA_ITEM.match(line)
        if item and (item_indent is None or len(item[1]) == item_indent):
            item_indent = len(item[1])
            text = item[2]
            bold = re.match(r"^\*\*(.+?)\*\*\s*(.*)$", text)
            prompt, rest = (bold[1], bold[2]) if bold else (text, "")
            items.append((index, prompt.strip(), [rest] if rest else []))
        elif not line.strip():
            if items:
                items[-1][2].append(line)
        elif items and indent > (item_indent or 0):
            items[-1][2].append(line)
        else:  # unindented text, a heading or a rule ends the list
            break
        index += 1
    return [(at, prompt, _single_bullet(_block(body))) for at, prompt, body in items], index


def parse_markdown_bank(
    text: str,
    *,
    default_level: Level = Level.intermediate,
    bonus_level: Level = Level.advanced,
) -> list[ParsedQuestion]:
    """Every question of the document in order. Raises BankError (with the line) for a
    question that has no answer; an empty list means the document holds no questions."""
    lines = text.splitlines()
    fenced = _fence_mask(lines)
    found: list[tuple[int, str, str, list[str], str | None, Level]] = []
    level: Level | None = None
    level_depth = 0
    index = 0
    while index < len(lines):
        line = lines[index]
        heading = None if fenced[index] else _HEADING.match(line)
        if heading:
            depth, title = len(heading[1]), _unbold(heading[2])
            question = _QUESTION_HEADING.match(title)
            if question:
                end = next(
                    (j for j in range(index + 1, len(lines)) if not fenced[j]
                     and (h := _HEADING.match(lines[j])) and len(h[1]) <= depth),
                    len(lines),
                )
                answer, keywords, hint = _headed_question(lines[index + 1:end], fenced[index + 1:end])
                found.append((index, _unbold(question[2]), answer, keywords, hint, level or default_level))
                index = end
                continue
            heading_level = _level_of_heading(title, bonus_level)
            if heading_level is not None:
                level, level_depth = heading_level, depth
            elif level is not None and depth <= level_depth:
                level = None  # a sibling section that names no level ends the level section
        elif not fenced[index] and _QA_MARKER.match(line.strip()):
            items, index = _qa_items(lines, fenced, index + 1)
            found += [(at, prompt, answer, [], None, level or default_level) for at, prompt, answer in items]
            continue
        index += 1

    questions = []
    for number, (at, prompt, answer, keywords, hint, question_level) in enumerate(found, start=1):
        if not prompt.strip():
            raise BankError("a question with no text", location=f"line {at + 1}")
        if not answer.strip():
            raise BankError(f"question '{prompt}' has no answer", location=f"line {at + 1}")
        questions.append(ParsedQuestion(number, at + 1, prompt, question_level, answer, keywords, hint))
    return questions


# --- Ids, concepts and descriptions --------------------------------------------------------

_FUNCTION_WORDS = set("""
a an the and or but nor of in on at to for from by with without about into onto over under
is are was were be been being am do does did doing done have has had having
how what why when where which who whom whose would could should can will shall may might must
you your yours we our ours i me my mine it its this that these those there their theirs they them
he she his her him if as than then so not no yes some any each every all both either neither
other another such same own also more most less least very much many few just only even still
too quite rather really s t re ll ve d m let us vs versus via per etc e g ie eg towards toward
""".split())
# Words a question says around its subject: left out of ids.
_QUESTION_WORDS = _FUNCTION_WORDS | set("""
explain describe discuss walk through tell give difference differences between would prefer take
steps during you're what's it's
""".split())
# Words that make poor concept labels on their own.
_GENERIC_WORDS = _QUESTION_WORDS | set("""
different way ways
use uses used using one two make makes making made like get gets getting help helps helping
work works working happen happens happening following mean means important good common main key
often typically usually generally especially significantly automatically better best easier simpler
prefer preferred take takes step steps thing things something someone example examples e.g
provide provides providing allow allows allowing ensure ensures ensuring called known
strong simple new various several certain specific overall whole able during while since until
instead rather compared versus within across around after before again always never sometimes
need needs needed want wants choose would you're what's it's don't doesn't can't
""".split())
# Verbs that glue technical prose together; with their inflections they end a noun phrase.
_GLUE_VERBS = """
compute update increase decrease reduce apply adjust check load wait respect focus improve
minimize maximize calculate cause lead result arise try become add remove keep set run call pass
perform involve require include contain depend affect change consider create define try prevent
avoid handle iterate experiment optimize cost feel seem show find see look start stop go come
""".split()
_GENERIC_WORDS |= {
    form for verb in _GLUE_VERBS
    for form in (verb, verb + "s", verb + "es", verb + "d", verb + "ed", verb + "ing",
                 verb.removesuffix("e") + "ing", verb.removesuffix("y") + "ies", verb.removesuffix("y") + "ied")
}
_GENERIC_WORDS |= set("""
quickly easily properly correctly poorly efficient large small high low
""".split())
# Nouns that belong inside a phrase ("model weights") but say nothing as a label alone.
_WEAK_LABELS = _GENERIC_WORDS | set("""
number amount kind type part case lot time terms order goal purpose reason reasons result results
impact effect effects model models data training learning
""".split())


def _words(text: str) -> list[str]:
    """Lowercase words; dotted names stay one word (`tf.data` -> `tf-data`)."""
    return [word.strip(".").replace(".", "-") for word in re.findall(r"[a-z0-9][a-z0-9.']*", text.lower())]


def slugify(text: str, *, max_words: int = 3) -> str:
    significant = [w for w in _words(text) if w not in _QUESTION_WORDS and "'" not in w and len(w) > 1]
    return "-".join(significant[:max_words])


def bank_name_from(stem: str) -> str:
    """A file stem made usable as the bank name that prefixes every id."""
    name = re.sub(r"[^a-z0-9._-]+", "-", stem.lower()).strip("-._")
    return name or "imported"


def _topic(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


def question_id(name: str, number: int, prompt: str) -> str:
    slug = slugify(prompt)
    return f"{name}/q{number}-{slug}" if slug else f"{name}/q{number}"


def _strip_code(markdown: str) -> str:
    lines = markdown.splitlines()
    return "\n".join(line for line, fenced in zip(lines, _fence_mask(lines)) if not fenced)


def _plain_line(line: str) -> str:
    line = line.strip().replace("’", "'")
    if line.startswith("|"):
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if all(re.fullmatch(r":?-+:?", cell) for cell in cells if cell):
            return ""
        line = " - ".join(cell for cell in cells if cell)
    line = re.sub(r"^(?:[-*+]|\d+[.)])\s+", "", line)
    line = re.sub(r"<[^>]+>", "", line)
    line = re.sub(r"(\*\*|__|\*|`)", "", line)
    return re.sub(r"\s+", " ", line).strip()


def answer_sentences(answer: str) -> list[str]:
    """Readable sentences of an answer: code blocks, list markers and emphasis removed."""
    sentences = []
    for line in _strip_code(answer).splitlines():
        plain = _plain_line(line)
        for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])", plain):
            if len(sentence.split()) >= 4 and not sentence.endswith(":"):  # not a lead-in
                sentences.append(sentence.strip())
    return sentences


def _normalise(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", re.sub(r"['’]s\b", "", text.lower()))


def _mentions(sentence: str, phrase: str) -> bool:
    target = _normalise(sentence)
    forms = {phrase, *phrase.split("/")}
    for form in forms:
        form = _normalise(form).strip()
        if not form:
            continue
        stems = {form, form[:-1]} if form.endswith("s") and len(form) > 3 else {form}
        if any(re.search(rf"(?<!\w){re.escape(stem)}(?:e?s)?(?!\w)", target) for stem in stems):
            return True
    return False


def describe(label: str, answer: str, *, limit: int = 240) -> str:
    """The first sentence of the answer that mentions the label, else ""."""
    for sentence in answer_sentences(answer):
        if _mentions(sentence, label):
            if len(sentence) <= limit:
                return sentence
            return sentence[:limit].rsplit(" ", 1)[0] + " ..."
    return ""


def _clean_label(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip(" :;,.-")
    return re.sub(r"'s\b", "", text)


def _noun_chunks(text: str) -> list[str]:
    """Runs of content words between function words and punctuation (a rough noun-phrase finder)."""
    chunks = []
    for piece in re.split(r"[,;:()!?\"“”]|\.(?=\s|$)|\s[-–]\s", text):
        run: list[str] = []
        for token in re.findall(r"[A-Za-z][A-Za-z0-9'+.\-]*", piece) + [""]:
            if token and token.lower().strip("'") not in _GENERIC_WORDS and len(token) > 2:
                run.append(token)
                continue
            if run:
                chunks.append(" ".join(run[-3:]))
            run = []
    return chunks


def derive_concepts(answer: str, prompt: str, *, limit: int = MAX_CONCEPTS) -> list[str]:
    """3-5 concept labels for an answer that came without keywords: its inline bold terms,
    code names and proper names first, then its most repeated noun phrases."""
    prose = _strip_code(answer)
    plain = "\n".join(_plain_line(line) for line in prose.splitlines())
    bold = []
    for line in prose.splitlines():
        in_list = re.match(r"\s*(?:[-*+]|\d+[.)])\s", line)
        for match in re.finditer(r"\*\*(.+?)\*\*", line):
            if in_list or not match[1].rstrip().endswith(":"):  # `**Benefits:**` only leads a paragraph
                bold.append(match[1])
    code = re.findall(r"`([^`\n]{2,40})`", prose)
    names = re.findall(r"\b[A-Z][\w+.]*(?:\s+[A-Z][\w+.]*)+", plain)
    chunks = _noun_chunks(plain)
    counts = Counter(chunk.lower() for chunk in chunks)
    multi = sorted({c for c in chunks if " " in c}, key=lambda c: (-counts[c.lower()], plain.find(c)))
    single = sorted({c for c in chunks if " " not in c}, key=lambda c: (-counts[c.lower()], plain.find(c)))
    prompt_words = set(_words(prompt))

    labels: list[str] = []
    for candidate in [*bold, *code, *names, *multi, *single]:
        label = _clean_label(candidate)
        key = _normalise(label)
        if not label or len(label) > 40 or key in _WEAK_LABELS:
            continue
        if " " not in key and set(_words(label)) <= prompt_words:
            continue  # a single word the question already says adds nothing to grade
        if any(key in _normalise(other) or _normalise(other) in key for other in labels):
            continue
        labels.append(label)
        if len(labels) == limit:
            break
    return labels or [_clean_label(prompt)]


def concept_labels(question: ParsedQuestion) -> list[str]:
    return question.keywords or derive_concepts(question.answer, question.prompt)


# --- Building and writing ------------------------------------------------------------------


def build_documents(
    questions: Sequence[ParsedQuestion], name: str, *, title: str, source: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The question document and its rubric skeleton, validated against the bank models."""
    question_entries, rubric_entries = [], []
    for parsed in questions:
        labels = concept_labels(parsed)
        entry: dict[str, Any] = {
            "id": question_id(name, parsed.number, parsed.prompt),
            "level": parsed.level.value,
            "topics": list(dict.fromkeys(topic for label in labels if (topic := _topic(label)))),
            "prompt": parsed.prompt,
        }
        if parsed.hint:
            entry["hint"] = parsed.hint
        entry["reference_answer"] = parsed.answer + "\n"
        rubric = {
            "question_id": entry["id"],
            "concepts": [
                {"label": label, "aliases": [], "description": describe(label, parsed.answer), "weight": 1}
                for label in labels
            ],
            "misconceptions": [],
        }
        try:
            Question.model_validate(entry)
            Rubric.model_validate(rubric)
        except ValidationError as exc:
            problem = exc.errors()[0]
            raise BankError(
                f"cannot turn this question into a valid entry: {problem['msg']}",
                location=f"line {parsed.line}",
            ) from None
        question_entries.append(entry)
        rubric_entries.append(rubric)
    return (
        {"bank": name, "title": title, "source": source, "questions": question_entries},
        {"bank": name, "rubrics": rubric_entries},
    )


class _BlockDumper(yaml.SafeDumper):
    """Multi-line text as `|` blocks, so answers stay readable Markdown in the file."""


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.SequenceNode:
    flow = all(isinstance(item, str) for item in value)  # topics: [a, b] on one line
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


_BlockDumper.add_representer(str, _represent_text)
_BlockDumper.add_representer(list, _represent_list)


def to_yaml(document: dict[str, Any], header: str) -> str:
    # No line folding: a prompt or description stays on one line, as a person would write it.
    body = yaml.dump(document, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=1_000_000)
    comments = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return comments + body


def document_title(text: str, fallback: str) -> str:
    """The first heading that is neither a level section nor a question."""
    for line in text.splitlines():
        heading = _HEADING.match(line)
        if heading:
            title = re.sub(r"^\d+[.)]\s*", "", _unbold(heading[2]))
            if title and not _QUESTION_HEADING.match(title) and not _level_of_heading(title, Level.advanced):
                return title
    return fallback


def read_markdown(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")  # -sig: a byte-order mark is not content
    except UnicodeDecodeError:
        raise BankError("cannot read file: it is not UTF-8 text", path=path) from None
    except OSError as exc:
        raise BankError(f"cannot read file: {exc.strerror or exc}", path=path) from None


def output_paths(out_dir: Path, name: str) -> tuple[Path, Path]:
    return out_dir / QUESTIONS_DIR / f"{name}.yaml", out_dir / RUBRICS_DIR / f"{name}.yaml"


def import_markdown_bank(
    source: Path,
    out_dir: Path,
    *,
    name: str | None = None,
    default_level: Level = Level.intermediate,
    bonus_level: Level = Level.advanced,
    force: bool = False,
) -> ImportResult:
    """Read a Markdown document and write OUT/questions/NAME.yaml and OUT/rubrics/NAME.yaml."""
    if name is not None and not BANK_NAME_PATTERN.match(name):
        raise BankError(
            f"bank name '{name}' cannot start question ids: use lowercase letters, digits, '.', '_' or '-'"
        )
    name = name or bank_name_from(source.stem)
    text = read_markdown(source)
    try:
        questions = parse_markdown_bank(text, default_level=default_level, bonus_level=bonus_level)
        if not questions:
            raise BankError(
                "no questions found: expected '### Q1: ...' headings or numbered "
                "'1. **question**' items after an '**Interview Q&A**:' line"
            )
        question_doc, rubric_doc = build_documents(
            questions, name, title=document_title(text, name), source=source.name
        )
    except BankError as exc:
        raise BankError(exc.problem, path=source, location=exc.location) from None

    question_file, rubric_file = output_paths(out_dir, name)
    existing = [path for path in (question_file, rubric_file) if path.exists()]
    if existing and not force:
        raise BankError(
            f"{' and '.join(str(path) for path in existing)} already exist"
            f"{'s' if len(existing) == 1 else ''}: use --force to overwrite, or --name to pick another name"
        )
    header = (
        f"Imported from {source.name} by `interviewer bank import`.\n"
        "Review the levels and prompts; the matching rubric file holds the concepts to grade."
    )
    rubric_header = (
        f"Rubric skeleton imported from {source.name}: concept labels come from the Keywords\n"
        "(or the answer's key terms). Add aliases (other ways to say a concept), adjust weights,\n"
        "mark must-have concepts `required: true` and list common misconceptions."
    )
    for path, content in (
        (question_file, to_yaml(question_doc, header)),
        (rubric_file, to_yaml(rubric_doc, rubric_header)),
    ):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
        except OSError as exc:
            raise BankError(f"cannot write file: {exc.strerror or exc}", path=path) from None
    return ImportResult(question_file, rubric_file, questions)
