"""Questions, rubrics and the concepts a good answer covers."""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict, Field, field_validator

QUESTION_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*/[a-z0-9][a-z0-9._-]*$"


class Level(str, Enum):
    beginner = "beginner"
    intermediate = "intermediate"
    advanced = "advanced"


LEVEL_ORDER = {Level.beginner: 0, Level.intermediate: 1, Level.advanced: 2}


def _not_blank(value: str) -> str:
    if not value or not value.strip():
        raise ValueError("must not be empty")
    return value


class Question(BaseModel):
    """One interview question as the candidate sees it, with the model answer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=QUESTION_ID_PATTERN, description="stable readable id, e.g. dl-nlp/q10-lstm")
    level: Level
    topics: list[str] = Field(default_factory=list)
    prompt: str
    hint: str | None = None
    reference_answer: str
    source: str = Field(default="", description="the bank this question comes from")

    _prompt_present = field_validator("prompt", "reference_answer")(_not_blank)

    @field_validator("topics")
    @classmethod
    def _clean_topics(cls, topics: list[str]) -> list[str]:
        return [topic.strip().lower() for topic in topics if topic.strip()]


class Concept(BaseModel):
    """Something a good answer covers. Aliases are other ways people say it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str
    aliases: list[str] = Field(default_factory=list)
    description: str = ""
    restatements: list[str] = Field(
        default_factory=list,
        description="the concept said in plain words, without its terms, as a candidate who knows the idea "
                    "but not its names would say it; matched by meaning",
    )
    weight: float = Field(default=1.0, gt=0, le=10)
    required: bool = False
    follow_up: str = Field(default="", description="the question to ask when an answer misses this concept")

    _label_present = field_validator("label")(_not_blank)

    @field_validator("follow_up")
    @classmethod
    def _a_question(cls, follow_up: str) -> str:
        follow_up = " ".join(follow_up.split())
        if follow_up and not follow_up.endswith("?"):
            raise ValueError("must be a question, ending with '?'")
        return follow_up

    @property
    def phrases(self) -> list[str]:
        """The label and every alias, the forms matched literally."""
        return [self.label, *self.aliases]


class Misconception(BaseModel):
    """A statement that signals a wrong answer when the candidate makes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    statement: str
    aliases: list[str] = Field(default_factory=list)
    explanation: str = ""

    _statement_present = field_validator("statement")(_not_blank)


class Rubric(BaseModel):
    """The concepts for one question, joined to it by question id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    question_id: str
    concepts: list[Concept] = Field(min_length=1)
    misconceptions: list[Misconception] = Field(default_factory=list)

    @property
    def total_weight(self) -> float:
        return sum(concept.weight for concept in self.concepts)


class BankQuestion(BaseModel):
    """A question together with its rubric: what every grader and session works on."""

    model_config = ConfigDict(frozen=True)

    question: Question
    rubric: Rubric

    @property
    def id(self) -> str:
        return self.question.id
